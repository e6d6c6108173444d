/**
 * BlazeFace on real frames: the largest face in every frame of the lab clip,
 * checked against OpenFace's tracked landmarks, and the several faces of
 * multi_face.avi with the 256x256 back-camera model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { BlazeFaceDetector, BLAZEFACE_BACK, BLAZEFACE_SHORT_RANGE } from '../../../src/core/detect/blazeface.ts';
import { largestFace } from '../../../src/core/detect/faceDetection.ts';
import { MODEL_FILES } from '../../../src/models/manifest.ts';
import { createNodeBackend } from '../../../src/models/node.ts';
import { readModelFile } from '../../../src/models/nodeModelStore.ts';
import { modelsSkipReason } from '../../helpers/models.ts';
import { sharedPath, sharedSkipReason, suiteTitle, referenceCsvPath } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true) ?? modelsSkipReason();

/** Mean of OpenFace points first..last (inclusive). */
function centre(landmarks: Float64Array, first: number, last: number): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (let i = first; i <= last; i++) { x += landmarks[i]; y += landmarks[68 + i]; }
  const n = last - first + 1;
  return { x: x / n, y: y / n };
}

describe.skipIf(skip !== null)(suiteTitle('BlazeFace on real frames', skip), () => {
  it('short range finds the face in every frame of lab_640x480_h264, around OpenFace\'s landmarks', async () => {
    const detector = await BlazeFaceDetector.create(createNodeBackend(), readModelFile(MODEL_FILES.blazeFaceShortRange).bytes, BLAZEFACE_SHORT_RANGE);
    const reference = parseLandmarkCsv(readFileSync(referenceCsvPath('lab_640x480_h264'), 'utf8'), 'lab_640x480_h264');
    let frames = 0;
    let found = 0;
    let noseInside = 0;
    let worstEye = 0;
    let ms = 0;
    for await (const frame of decodeVideo(sharedPath('videos/lab_640x480_h264.mp4'))) {
      frames++;
      const start = performance.now();
      const face = largestFace(await detector.detect(frame.image));
      ms += performance.now() - start;
      const row = reference[frame.index];
      if (!face || !row?.success) continue;
      found++;
      const l = row.landmarks;
      const { box } = face;
      if (l[30] > box.x && l[30] < box.x + box.width && l[68 + 30] > box.y && l[68 + 30] < box.y + box.height) noseInside++;
      // BlazeFace's "right eye" is the subject's right: iBUG 36-41, on the image's left.
      const interOcular = Math.hypot(l[36] - l[45], l[68 + 36] - l[68 + 45]);
      const right = centre(l, 36, 41);
      const left = centre(l, 42, 47);
      const eyeError = Math.max(Math.hypot(face.keypoints[0].x - right.x, face.keypoints[0].y - right.y), Math.hypot(face.keypoints[1].x - left.x, face.keypoints[1].y - left.y)) / interOcular;
      worstEye = Math.max(worstEye, eyeError);
    }
    console.log(`BlazeFace short range, lab_640x480_h264: face in ${found}/${frames} frames, nose tip inside the box in ${noseInside}, ` +
      `worst eye keypoint error ${worstEye.toFixed(3)} inter-ocular, ${(ms / frames).toFixed(2)} ms/frame`);
    expect(frames).toBe(842);
    expect(found).toBe(frames);
    expect(noseInside).toBe(frames);
    expect(worstEye).toBeLessThan(0.25);
  });

  it('the back model finds the three people of multi_face.avi in most frames', async () => {
    const detector = await BlazeFaceDetector.create(createNodeBackend(), readModelFile(MODEL_FILES.blazeFaceBack).bytes, BLAZEFACE_BACK);
    let frames = 0;
    let three = 0;
    for await (const frame of decodeVideo(sharedPath('videos/multi_face.avi'))) {
      if (frame.index % 10 !== 0) continue;
      frames++;
      if ((await detector.detect(frame.image)).length >= 3) three++;
    }
    console.log(`BlazeFace back 256, multi_face.avi: 3 faces in ${three}/${frames} sampled frames`);
    expect(three / frames).toBeGreaterThan(0.8);
  });
});
