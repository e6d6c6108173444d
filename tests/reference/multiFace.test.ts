/**
 * SplitFace's own tracker with --all-faces on multi_face.avi (702 frames of
 * three people, two of them moving fast behind the third): ids must stay with
 * their faces, and the face OpenFace followed must be one of ours.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boxIou } from '../../src/core/track/faceTracker.ts';
import type { PixelBox } from '../../src/core/detect/faceDetection.ts';
import { runCli } from '../helpers/cli.ts';
import { sharedPath, sharedSkipReason, suiteTitle, referenceCsvPath, openfaceModelsPath } from '../helpers/shared.ts';

interface Row {
  readonly frame: number;
  readonly faceId: number;
  readonly success: boolean;
  /** x_0..x_67, y_0..y_67 */
  readonly landmarks: Float64Array;
  /** the line as written, for the matched-face CSV */
  readonly line: string;
}

interface Table {
  readonly header: string;
  readonly rows: Row[];
}

function parse(path: string): Table {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0];
  const names = header.split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const frame = col('frame');
  const faceId = names.indexOf('face_id');
  const success = col('success');
  const xs = Array.from({ length: 68 }, (_, k) => col(`x_${k}`));
  const ys = Array.from({ length: 68 }, (_, k) => col(`y_${k}`));
  const rows = lines.slice(1).map((line) => {
    const v = line.split(',').map(Number);
    const landmarks = new Float64Array(136);
    for (let k = 0; k < 68; k++) {
      landmarks[k] = v[xs[k]];
      landmarks[68 + k] = v[ys[k]];
    }
    return { frame: v[frame], faceId: faceId >= 0 ? v[faceId] : 0, success: v[success] === 1, landmarks, line };
  });
  return { header, rows };
}

function box(landmarks: Float64Array): PixelBox {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (let k = 0; k < 68; k++) {
    minX = Math.min(minX, landmarks[k]); maxX = Math.max(maxX, landmarks[k]);
    minY = Math.min(minY, landmarks[68 + k]); maxY = Math.max(maxY, landmarks[68 + k]);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** Mean landmark distance as a fraction of the reference's outer-eye-corner distance (points 36, 45). */
function landmarkError(ours: Float64Array, ref: Float64Array): number {
  const iod = Math.hypot(ref[36] - ref[45], ref[68 + 36] - ref[68 + 45]);
  let sum = 0;
  for (let k = 0; k < 68; k++) sum += Math.hypot(ours[k] - ref[k], ours[68 + k] - ref[68 + k]);
  return sum / 68 / iod;
}

function groupBy<K, V>(items: readonly V[], key: (v: V) => K): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}

const skip = sharedSkipReason(true);
const FRAMES = 702;

describe.skipIf(skip !== null)(suiteTitle('own tracker, --all-faces on multi_face.avi', skip), () => {
  const out = mkdtempSync(join(tmpdir(), 'splitface-multiface-'));
  let ours: Row[] = [];
  let tracked: Row[] = [];
  let header = '';

  beforeAll(() => {
    const csv = join(out, 'multi_face.csv');
    const run = runCli(['process', sharedPath('videos/multi_face.avi'), '--openface-models', openfaceModelsPath(), '--all-faces', '--out', csv]);
    // the one line naming the landmark model, nothing else
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^splitface: Landmarks: OpenFace 2\.2's CLNF .* With --all-faces, BlazeFace and face-api start/)]);
    expect(run.status).toBe(0);
    const table = parse(csv);
    header = table.header;
    ours = table.rows;
    tracked = ours.filter((r) => r.success);
  }, 150_000);

  it('finds at least two faces, each tracked through a good part of the video', () => {
    expect(new Set(ours.map((r) => r.frame))).toEqual(new Set(Array.from({ length: FRAMES }, (_, i) => i + 1)));
    const perId = [...groupBy(tracked, (r) => r.faceId)].map(([id, rows]) => [id, rows.length] as const).sort((a, b) => a[0] - b[0]);
    console.log(`multi_face --all-faces: ${perId.length} ids, tracked frames per id ${perId.map(([id, n]) => `${id}:${n}`).join(' ')}`);
    expect(perId.filter(([, n]) => n >= 100).length).toBeGreaterThanOrEqual(2);
  });

  it('has each face id at most once per frame, and never two ids on one face', () => {
    for (const [frame, rows] of groupBy(ours, (r) => r.frame)) {
      const ids = rows.map((r) => r.faceId);
      expect(new Set(ids).size, `frame ${frame}: face ids ${ids.join(',')}`).toBe(ids.length);
      const ok = rows.filter((r) => r.success);
      for (let i = 0; i < ok.length; i++) {
        for (let j = i + 1; j < ok.length; j++) {
          const iou = boxIou(box(ok[i].landmarks), box(ok[j].landmarks));
          expect(iou, `frame ${frame}: ids ${ok[i].faceId} and ${ok[j].faceId} on one face`).toBeLessThan(0.3);
        }
      }
    }
  });

  it('keeps each id on its face: between its tracked frames the face box centre moves less than half its width', () => {
    for (const [id, rows] of groupBy(tracked, (r) => r.faceId)) {
      rows.sort((a, b) => a.frame - b.frame);
      for (let i = 1; i < rows.length; i++) {
        const a = box(rows[i - 1].landmarks);
        const b = box(rows[i].landmarks);
        const jump = Math.hypot(b.x + b.width / 2 - (a.x + a.width / 2), b.y + b.height / 2 - (a.y + a.height / 2));
        expect(jump, `id ${id}, frames ${rows[i - 1].frame} -> ${rows[i].frame}`).toBeLessThan(a.width / 2);
      }
    }
  });

  it('follows the face OpenFace tracked (one of ours within 5% IOD in most frames); AU agreement on that face', () => {
    const reference = parse(referenceCsvPath('multi_face')).rows.filter((r) => r.success);
    const byFrame = groupBy(tracked, (r) => r.frame);
    const matched: Row[] = [];
    const errors: number[] = [];
    for (const ref of reference) {
      let best: { row: Row; error: number } | null = null;
      for (const row of byFrame.get(ref.frame) ?? []) {
        const error = landmarkError(row.landmarks, ref.landmarks);
        if (!best || error < best.error) best = { row, error };
      }
      if (!best) continue;
      matched.push(best.row);
      errors.push(best.error);
    }
    const within = errors.filter((e) => e < 0.05).length;
    const sorted = [...errors].sort((a, b) => a - b);
    const ids = [...groupBy(matched, (r) => r.faceId)].map(([id, rows]) => `${id}:${rows.length}`).join(' ');
    console.log(
      `multi_face: OpenFace's face matched in ${within}/${reference.length} frames (ids ${ids}), ` +
        `landmark error median ${(100 * sorted[Math.floor(sorted.length / 2)]).toFixed(3)}% IOD, ` +
        `mean ${((100 * errors.reduce((s, e) => s + e, 0)) / errors.length).toFixed(3)}%`,
    );
    expect(within / reference.length).toBeGreaterThanOrEqual(0.8);

    // the matched face's rows alone, against OpenFace's AUs (it switches person mid-video: no bar)
    const matchedCsv = join(out, 'multi_face.matched.csv');
    writeFileSync(matchedCsv, [header, ...matched.map((r) => r.line)].join('\n') + '\n');
    const compare = spawnSync(process.execPath, [sharedPath('tools/au-compare.mjs'), matchedCsv, referenceCsvPath('multi_face')], { encoding: 'utf8' });
    expect(compare.stderr).toBe('');
    const summary = compare.stdout.split('\n').find((l) => l.startsWith('summary:'));
    console.log(`multi_face, matched face vs OpenFace: ${summary ?? compare.stdout}`);
    expect(summary).toMatch(/compared_frames=\d+/);
  });
});
