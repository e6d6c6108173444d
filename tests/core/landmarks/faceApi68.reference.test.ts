/**
 * Initial landmarks (BlazeFace box → face-api 68-point net) against
 * OpenFace's tracked landmarks: mean point error as a fraction of the
 * inter-ocular distance (outer eye corners 36 and 45), over every frame.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { BlazeFaceDetector, BLAZEFACE_SHORT_RANGE } from '../../../src/core/detect/blazeface.ts';
import { largestFace } from '../../../src/core/detect/faceDetection.ts';
import { FaceApi68Landmarker } from '../../../src/core/landmarks/faceApi68.ts';
import { BLAZEFACE_TO_FACE_API_CROP, squareCropAround } from '../../../src/core/landmarks/faceCrop.ts';
import { MODEL_FILES } from '../../../src/models/manifest.ts';
import { createNodeBackend } from '../../../src/models/node.ts';
import { readModelFile } from '../../../src/models/nodeModelStore.ts';
import { modelsSkipReason } from '../../helpers/models.ts';
import { sharedPath, sharedSkipReason, suiteTitle, referenceCsvPath } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true) ?? modelsSkipReason();

function meanErrorOverInterOcular(points: Float64Array, reference: Float64Array): number {
  const interOcular = Math.hypot(reference[36] - reference[45], reference[68 + 36] - reference[68 + 45]);
  let sum = 0;
  for (let i = 0; i < 68; i++) sum += Math.hypot(points[i] - reference[i], points[68 + i] - reference[68 + i]);
  return sum / 68 / interOcular;
}

const CLIPS = [
  { name: 'lab_640x480_h264', video: 'videos/lab_640x480_h264.mp4', limit: 0.04 },
  { name: '0188_03_021_al_pacino', video: 'videos/0188_03_021_al_pacino.avi', limit: 0.05 },
];

describe.skipIf(skip !== null)(suiteTitle('face-api 68 landmarks vs OpenFace', skip), () => {
  it.each(CLIPS)('$name: mean error below $limit of the inter-ocular distance', async ({ name, video, limit }) => {
    const backend = createNodeBackend();
    const detector = await BlazeFaceDetector.create(backend, readModelFile(MODEL_FILES.blazeFaceShortRange).bytes, BLAZEFACE_SHORT_RANGE);
    const landmarker = await FaceApi68Landmarker.create(backend, readModelFile(MODEL_FILES.faceApiLandmarks68).bytes);
    const reference = parseLandmarkCsv(readFileSync(referenceCsvPath(name), 'utf8'), name);
    let compared = 0;
    let missed = 0;
    let errorSum = 0;
    let worst = 0;
    let detectMs = 0;
    let landmarkMs = 0;
    for await (const frame of decodeVideo(sharedPath(video))) {
      const row = reference[frame.index];
      if (!row?.success) continue;
      let start = performance.now();
      const face = largestFace(await detector.detect(frame.image));
      detectMs += performance.now() - start;
      if (!face) { missed++; continue; }
      start = performance.now();
      const points = await landmarker.detect(frame.image, squareCropAround(face.box, BLAZEFACE_TO_FACE_API_CROP));
      landmarkMs += performance.now() - start;
      const error = meanErrorOverInterOcular(points, row.landmarks);
      errorSum += error;
      worst = Math.max(worst, error);
      compared++;
    }
    const mean = errorSum / compared;
    console.log(`face-api 68 vs OpenFace, ${name}: ${compared} frames (${missed} without a detection), mean error ${mean.toFixed(4)} IOD, ` +
      `worst frame ${worst.toFixed(4)}; ms/frame detection ${(detectMs / (compared + missed)).toFixed(2)}, landmarks ${(landmarkMs / compared).toFixed(2)}`);
    expect(missed).toBe(0);
    expect(mean).toBeLessThan(limit);
  });
});
