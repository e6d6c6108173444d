/**
 * The converted face-api landmark nets against face-api itself (tfjs CPU):
 * on generated inputs always, and on real face crops from ../shared/videos
 * (cropped around OpenFace's reference landmarks) when ../shared is present.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFaceApiLandmarkNet } from '../../scripts/tfjs-to-onnx/convert.ts';
import { decodeVideo } from '../../src/cli/ffmpegDecode.ts';
import { parseLandmarkCsv } from '../../src/core/csv/landmarkCsv.ts';
import { FaceApi68Landmarker } from '../../src/core/landmarks/faceApi68.ts';
import { landmarkBox, squareCropAround } from '../../src/core/landmarks/faceCrop.ts';
import { createNodeBackend } from '../../src/models/node.ts';
import type { FaceApiLandmarkReference, FaceApiVariant } from '../helpers/faceApiReference.ts';
import { FACE_API_MANIFESTS, loadFaceApiLandmarkNet } from '../helpers/faceApiReference.ts';
import { sharedPath, sharedSkipReason, suiteTitle, referenceCsvPath } from '../helpers/shared.ts';

const VARIANTS: FaceApiVariant[] = ['full', 'tiny'];
const TOLERANCE = 1e-4;

interface Pair {
  reference: FaceApiLandmarkReference;
  converted: FaceApi68Landmarker;
}
const pairs = new Map<FaceApiVariant, Pair>();

beforeAll(async () => {
  const backend = createNodeBackend();
  for (const variant of VARIANTS) {
    const { bytes } = convertFaceApiLandmarkNet(FACE_API_MANIFESTS[variant], variant, { producer: 'test' });
    pairs.set(variant, { reference: await loadFaceApiLandmarkNet(variant), converted: await FaceApi68Landmarker.create(backend, bytes) });
  }
});

async function maxAbsDiff(pair: Pair, input: Float32Array): Promise<number> {
  const expected = pair.reference.run(input);
  const actual = await pair.converted.run(input);
  expect(actual.length).toBe(136);
  let d = 0;
  for (let i = 0; i < 136; i++) d = Math.max(d, Math.abs(actual[i] - expected[i]));
  return d;
}

describe('face-api landmark nets converted to ONNX', () => {
  it.each(VARIANTS)('%s net matches face-api on generated 112x112 inputs', async (variant) => {
    const pair = pairs.get(variant);
    if (!pair) throw new Error('not loaded');
    let worst = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const input = Float32Array.from({ length: 112 * 112 * 3 }, (_, i) => ((i * 7919 * seed + seed * 104729) % 256));
      worst = Math.max(worst, await maxAbsDiff(pair, input));
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });
});

const skip = sharedSkipReason(true);
const CLIPS = [
  { name: 'lab_640x480_h264', video: 'videos/lab_640x480_h264.mp4', every: 60 },
  { name: '0188_03_021_al_pacino', video: 'videos/0188_03_021_al_pacino.avi', every: 40 },
];

describe.skipIf(skip !== null)(suiteTitle('face-api landmark nets converted to ONNX, on real face crops', skip), () => {
  it.each(CLIPS)('$name: max abs difference ≤ 1e-4 for both nets', async ({ name, video, every }) => {
    const reference = parseLandmarkCsv(readFileSync(referenceCsvPath(name), 'utf8'), name);
    const worst: Record<FaceApiVariant, number> = { full: 0, tiny: 0 };
    let crops = 0;
    for await (const frame of decodeVideo(sharedPath(video))) {
      const row = reference[frame.index];
      if (frame.index % every !== 0 || !row?.success) continue;
      const crop = squareCropAround(landmarkBox(row.landmarks), { scale: 1.1, shiftY: 0 });
      for (const variant of VARIANTS) {
        const pair = pairs.get(variant);
        if (!pair) throw new Error('not loaded');
        worst[variant] = Math.max(worst[variant], await maxAbsDiff(pair, pair.converted.cropInput(frame.image, crop)));
      }
      crops++;
    }
    expect(crops).toBeGreaterThan(4);
    expect(worst.full).toBeLessThanOrEqual(TOLERANCE);
    expect(worst.tiny).toBeLessThanOrEqual(TOLERANCE);
  });
});
