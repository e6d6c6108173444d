/**
 * MTCNN stage by stage against OpenFace 2.2's log of its first detection on
 * lab_640x480_h264 (reference-2.2/mtcnn/lab_640x480_h264.stages.txt): the
 * pyramid, PNet's proposals and survivors per level, RNet's and ONet's
 * inputs and outputs, the boxes before and after the last NMS and the face.
 *
 * Integer boxes (everything before ONet's regression) must be equal; scores
 * and regressions differ only by float32 summation order (OpenFace's
 * convolutions go through OpenBLAS), so they get 1e-5; float boxes 0.01 px.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { emptyTrace, MtcnnDetector, type Candidates, type MtcnnTrace } from '../../../src/core/detect/mtcnn/mtcnnDetector.ts';
import type { BgrImage } from '../../../src/core/image.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true);

/** The stages log: header lines by their first word, indented records grouped by their first word. */
interface StagesLog {
  readonly headers: Map<string, string[][]>;
  readonly records: Map<string, number[][]>;
}

function readStagesLog(): StagesLog {
  const headers = new Map<string, string[][]>();
  const records = new Map<string, number[][]>();
  for (const line of readFileSync(sharedPath('reference-2.2/mtcnn/lab_640x480_h264.stages.txt'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const tokens = line.trim().split(/\s+/);
    if (line.startsWith('  ')) {
      const list = records.get(tokens[0]) ?? [];
      list.push(tokens.slice(1).map(Number));
      records.set(tokens[0], list);
    } else {
      const list = headers.get(tokens[0]) ?? [];
      list.push(tokens.slice(1));
      headers.set(tokens[0], list);
    }
  }
  return { headers, records };
}

/** the value after `key` in a header line */
function field(tokens: readonly string[], key: string): number {
  const i = tokens.indexOf(key);
  if (i < 0) throw new Error(`no ${key} in ${tokens.join(' ')}`);
  return Number(tokens[i + 1]);
}

async function firstFrame(): Promise<BgrImage> {
  for await (const frame of decodeVideo(sharedPath('videos/lab_640x480_h264.mp4'))) return frame.image;
  throw new Error('no frame');
}

/** Worst differences seen, printed at the end. */
const worst = { score: 0, regression: 0, box: 0 };

/** Compares candidates with log records [index, x, y, w, h, score, (dx, dy, dw, dh)]. */
function expectCandidates(what: string, ours: Candidates, reference: readonly number[][], exactBoxes: boolean): void {
  expect(ours.boxes.length, `${what}: count`).toBe(reference.length);
  reference.forEach((rec, i) => {
    expect(rec[0], `${what}: record order`).toBe(i);
    const b = ours.boxes[i];
    const boxValues = [b.x, b.y, b.width, b.height];
    for (let k = 0; k < 4; k++) {
      if (exactBoxes) expect(boxValues[k], `${what} ${i} box[${k}]`).toBe(rec[1 + k]);
      else {
        worst.box = Math.max(worst.box, Math.abs(boxValues[k] - rec[1 + k]));
        expect(Math.abs(boxValues[k] - rec[1 + k]), `${what} ${i} box[${k}]`).toBeLessThan(0.01);
      }
    }
    worst.score = Math.max(worst.score, Math.abs(ours.scores[i] - rec[5]));
    expect(Math.abs(ours.scores[i] - rec[5]), `${what} ${i} score`).toBeLessThan(1e-5);
    if (rec.length > 6) {
      const r = ours.regressions[i];
      const values = [r.dx, r.dy, r.dw, r.dh];
      for (let k = 0; k < 4; k++) {
        worst.regression = Math.max(worst.regression, Math.abs(values[k] - rec[6 + k]));
        expect(Math.abs(values[k] - rec[6 + k]), `${what} ${i} regression[${k}]`).toBeLessThan(1e-5);
      }
    }
  });
}

describe.skipIf(skip !== null)(suiteTitle('MTCNN stages against OpenFace 2.2 (lab_640x480_h264 frame 1)', skip), () => {
  let trace: MtcnnTrace;
  let log: StagesLog;
  let faces: ReturnType<MtcnnDetector['detect']>;

  it('runs on frame 1', async () => {
    log = readStagesLog();
    const detector = await MtcnnDetector.load(async (p) => new Uint8Array(await readFile(`${openfaceModelsPath()}/${p}`)));
    trace = emptyTrace();
    faces = detector.detect(await firstFrame(), trace);
    expect(faces.length).toBeGreaterThan(0);
  });

  it('builds the same pyramid and PNet heatmaps, with the same proposal counts', () => {
    const input = log.headers.get('input')?.[0] ?? [];
    const levels = log.headers.get('pnet_scale') ?? [];
    expect(field(input, 'num_scales')).toBe(trace.levels.length);
    expect(levels.length).toBe(trace.levels.length);
    levels.forEach((tokens, i) => {
      const ours = trace.levels[i];
      expect(Number(tokens[0])).toBe(i);
      expect(Math.abs(ours.scale - field(tokens, 'scale'))).toBeLessThan(1e-9 * ours.scale + 1e-12);
      expect([ours.width, ours.height, ours.heatmapWidth, ours.heatmapHeight, ours.proposals]).toEqual(
        ['pyramid_w', 'pyramid_h', 'heatmap_w', 'heatmap_h', 'proposals_ge_t1'].map((k) => field(tokens, k)),
      );
    });
  });

  it('keeps the same PNet boxes per level after NMS, with their scores and regressions', () => {
    const kept = log.records.get('pnet_kept') ?? [];
    let offset = 0;
    trace.levels.forEach((level, i) => {
      const count = field(log.headers.get('pnet_scale_nms0.5')?.[i] ?? [], 'kept');
      expectCandidates(`PNet level ${i}`, level.kept, kept.slice(offset, offset + count), true);
      offset += count;
    });
    expect(offset).toBe(kept.length);
  });

  it('gives RNet the same boxes and gets the same scores and regressions', () => {
    expectCandidates('RNet input', trace.rnetInput, log.records.get('rnet_in') ?? [], true);
    expectCandidates('RNet output', trace.rnetOutput, log.records.get('rnet_out') ?? [], true);
    expect(trace.rnetAboveThreshold).toBe(Number(log.headers.get('rnet_survivors_ge_t2')?.[0][0]));
    expect(trace.rnetAfterNms).toBe(field(log.headers.get('rnet_nms0.7')?.[0] ?? [], 'kept'));
  });

  it('gives ONet the same boxes and ends with the same face', () => {
    expectCandidates('ONet input', trace.onetInput, log.records.get('onet_in') ?? [], true);
    expectCandidates('ONet output', trace.onetOutput, log.records.get('onet_out') ?? [], true);
    expectCandidates('ONet before NMS', trace.onetBeforeNms, log.records.get('onet_pre_nms') ?? [], false);
    expectCandidates('ONet after NMS', trace.onetAfterNms, log.records.get('onet_post_nms') ?? [], false);
    const output = log.records.get('output') ?? [];
    expect(faces.length).toBe(output.length);
    expectCandidates('output', { boxes: faces.map((f) => f.box), scores: faces.map((f) => f.confidence), regressions: [] }, output, false);
    console.log(`MTCNN stages vs OpenFace 2.2: worst score ${worst.score.toExponential(2)}, regression ${worst.regression.toExponential(2)}, float box ${worst.box.toExponential(2)} px`);
  });
});
