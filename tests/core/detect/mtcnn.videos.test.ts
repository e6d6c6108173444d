/**
 * MTCNN against every detection OpenFace 2.2 made on the shared videos
 * (reference-2.2/mtcnn/NAME.txt: frame 1 of each, and the re-detections of
 * bill_clinton 245 and multi_face 13 and 578): the same number of faces in
 * the same order, boxes within 0.01 px, confidences within 1e-4, and the
 * same face chosen (the widest).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { decodeImageSequence } from '../../../src/cli/imageSequence.ts';
import type { DecodedFrame } from '../../../src/core/analysis/frame.ts';
import { MtcnnDetector, widestFace, type MtcnnFace } from '../../../src/core/detect/mtcnn/mtcnnDetector.ts';
import { hasShared, openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true);

/** One MTCNN run in OpenFace's log. */
interface LoggedRun {
  /** CSV frame, from 1 */
  readonly frame: number;
  readonly faces: { x: number; y: number; width: number; height: number; confidence: number }[];
  /** index of the chosen face, -1 for none */
  chosen: number;
}

function readRuns(name: string): LoggedRun[] {
  const runs = new Map<number, LoggedRun>();
  const lines = readFileSync(sharedPath(`reference-2.2/mtcnn/${name}.txt`), 'utf8').trim().split('\n').slice(1);
  for (const line of lines) {
    const [frameText, event, indexText, ...values] = line.trim().split(/\s+/);
    const frame = Number(frameText);
    const run = runs.get(frame) ?? { frame, faces: [], chosen: -1 };
    runs.set(frame, run);
    const [x, y, width, height, confidence] = values.map(Number);
    if (event === 'face') {
      expect(Number(indexText)).toBe(run.faces.length);
      run.faces.push({ x, y, width, height, confidence });
    } else if (event === 'chosen') run.chosen = Number(indexText);
  }
  return [...runs.values()];
}

/** The video (or image folder) a log is about. */
function sourceOf(name: string): string {
  const entries = readdirSync(sharedPath('videos'));
  const found = entries.find((e) => e === name || e.replace(/\.[^.]+$/, '') === name);
  if (!found) throw new Error(`no video for ${name}`);
  return sharedPath(`videos/${found}`);
}

async function* framesOf(path: string): AsyncGenerator<DecodedFrame> {
  if (path.endsWith('image_sequence')) yield* decodeImageSequence(path, 30);
  else yield* decodeVideo(path);
}

const names = hasShared
  ? readdirSync(sharedPath('reference-2.2/mtcnn'))
      .filter((f) => f.endsWith('.txt') && !f.endsWith('.stages.txt'))
      .map((f) => f.replace(/\.txt$/, ''))
  : [];

describe.skipIf(skip !== null)(suiteTitle('MTCNN against OpenFace 2.2 on every shared video', skip), () => {
  let detector: MtcnnDetector;
  const worst = { box: 0, boxAt: '', confidence: 0, runs: 0 };

  it('loads the detector from the OpenFace 2.2 model folder', async () => {
    detector = await MtcnnDetector.load(async (p) => new Uint8Array(await readFile(`${openfaceModelsPath()}/${p}`)));
    expect(names.length).toBe(17);
  });

  it.each(names)('%s: same faces, boxes, confidences and choice', async (name) => {
    const runs = readRuns(name);
    const wanted = new Map(runs.map((r) => [r.frame, r]));
    const last = Math.max(...wanted.keys());
    for await (const frame of framesOf(sourceOf(name))) {
      const run = wanted.get(frame.index + 1);
      if (run) {
        const faces: MtcnnFace[] = detector.detect(frame.image);
        const at = `${name} frame ${run.frame}`;
        expect(faces.length, `${at}: faces`).toBe(run.faces.length);
        run.faces.forEach((ref, i) => {
          const b = faces[i].box;
          const d = Math.max(Math.abs(b.x - ref.x), Math.abs(b.y - ref.y), Math.abs(b.width - ref.width), Math.abs(b.height - ref.height));
          if (d > worst.box) Object.assign(worst, { box: d, boxAt: `${at} face ${i}` });
          worst.confidence = Math.max(worst.confidence, Math.abs(faces[i].confidence - ref.confidence));
          expect(d, `${at} face ${i}: box`).toBeLessThan(0.01);
          expect(Math.abs(faces[i].confidence - ref.confidence), `${at} face ${i}: confidence`).toBeLessThan(1e-4);
        });
        const chosen = widestFace(faces);
        expect(chosen === null ? -1 : faces.indexOf(chosen), `${at}: chosen face`).toBe(run.chosen);
        worst.runs++;
      }
      if (frame.index + 1 >= last) break;
    }
  });

  it('reports the worst differences', () => {
    console.log(`MTCNN vs OpenFace 2.2, ${worst.runs} detections: worst box ${worst.box.toExponential(2)} px (${worst.boxAt}), worst confidence ${worst.confidence.toExponential(2)}`);
    expect(worst.runs).toBe(20);
  });
});
