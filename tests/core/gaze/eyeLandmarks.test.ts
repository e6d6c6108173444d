/**
 * The CSV's 56 eye landmarks from the eye part models (2D: the parts' own
 * landmarks; 3D: CLNF::GetShape of each part with its PDM).
 *
 * Self-contained: order and layout (left_eye_28 then right_eye_28, in the
 * order the model file lists the parts, other parts left out), and the
 * round trip: projecting the 3D eye landmarks through the camera gives the
 * parts' 2D landmarks back. With ../shared the same round trip runs on
 * 2.2's real eye PDMs (model_eye/pdms).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eyeLandmarks2d, eyeLandmarks3d, type FittedPart } from '../../../src/core/gaze/eyeLandmarks.ts';
import { cameraForFrame } from '../../../src/core/pose/camera.ts';
import { shapeInCamera } from '../../../src/core/pose/shapeInCamera.ts';
import { parsePdm, type Pdm } from '../../../src/core/pdm/pdm.ts';
import { projectShape } from '../../../src/core/pdm/shape.ts';
import { openfaceModelsPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';
import { randomLocal, rng, syntheticPdm } from '../pdm/syntheticPdm.ts';

/** An eye-sized synthetic PDM: 28 points within a few mm. */
function eyePdm(seed: number): Pdm {
  const pdm = syntheticPdm(28, [4, 2, 1], seed);
  for (let i = 0; i < pdm.meanShape.length; i++) pdm.meanShape[i] /= 10;
  return pdm;
}

/** A part fitted with random parameters: its landmarks are its PDM's projection, in float. */
function fittedPart(name: string, pdm: Pdm, random: () => number, centreX: number): FittedPart & { landmarks: Float64Array } {
  const paramsLocal = Float64Array.from(randomLocal(pdm, random), Math.fround);
  const paramsGlobal = Float64Array.of(1 + random(), random() * 0.4 - 0.2, random() * 0.6 - 0.3, random() * 0.2 - 0.1, centreX, 200 + random() * 40).map(Math.fround);
  return { name, landmarks: Float64Array.from(projectShape(pdm, paramsLocal, paramsGlobal), Math.fround), paramsGlobal, paramsLocal };
}

/** Largest reprojection error (px) of the 3D eye landmarks against the parts' 2D ones. */
function reprojectionError(points2d: Float64Array, points3d: Float64Array, fx: number, cx: number, cy: number): number {
  const n = points2d.length / 2;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const X = points3d[i], Y = points3d[n + i], Z = points3d[2 * n + i];
    worst = Math.max(worst, Math.abs((X / Z) * fx + cx - points2d[i]), Math.abs((Y / Z) * fx + cy - points2d[n + i]));
  }
  return worst;
}

describe('eyeLandmarks2d and eyeLandmarks3d', () => {
  const random = rng(9);
  const pdms = new Map([['inner', syntheticPdm(51, [10, 5])], ['left_eye_28', eyePdm(1)], ['right_eye_28', eyePdm(2)]]);
  const inner = fittedPart('inner', pdms.get('inner')!, random, 320);
  const left = fittedPart('left_eye_28', pdms.get('left_eye_28')!, random, 280);
  const right = fittedPart('right_eye_28', pdms.get('right_eye_28')!, random, 360);
  const camera = cameraForFrame(640, 480);
  const lookup = (name: string) => pdms.get(name);

  it('puts left_eye_28\'s points first, then right_eye_28\'s, all x then all y, leaving other parts out', () => {
    const points = eyeLandmarks2d([inner, left, right])!;
    expect(points).toHaveLength(112);
    expect(Array.from(points.subarray(0, 28))).toEqual(Array.from(left.landmarks.slice(0, 28)));
    expect(Array.from(points.subarray(28, 56))).toEqual(Array.from(right.landmarks.slice(0, 28)));
    expect(Array.from(points.subarray(56, 84))).toEqual(Array.from(left.landmarks.slice(28)));
    expect(Array.from(points.subarray(84))).toEqual(Array.from(right.landmarks.slice(28)));
    // the parts' order is the model file's, whatever it is
    expect(eyeLandmarks2d([right, left])![0]).toBe(right.landmarks[0]);
    expect(eyeLandmarks2d([inner])).toBeNull();
  });

  it('takes each eye to 3D with its own PDM, X then Y then Z of all 56 points', () => {
    const points = eyeLandmarks3d([inner, left, right], lookup, camera)!;
    expect(points).toHaveLength(168);
    const leftShape = shapeInCamera(pdms.get('left_eye_28')!, left.landmarks, left.paramsGlobal, left.paramsLocal, camera);
    const rightShape = shapeInCamera(pdms.get('right_eye_28')!, right.landmarks, right.paramsGlobal, right.paramsLocal, camera);
    for (let axis = 0; axis < 3; axis++) {
      expect(Array.from(points.subarray(56 * axis, 56 * axis + 28))).toEqual(Array.from(leftShape.subarray(28 * axis, 28 * axis + 28)));
      expect(Array.from(points.subarray(56 * axis + 28, 56 * axis + 56))).toEqual(Array.from(rightShape.subarray(28 * axis, 28 * axis + 28)));
    }
    expect(eyeLandmarks3d([inner], lookup, camera)).toBeNull();
    expect(() => eyeLandmarks3d([left], () => undefined, camera)).toThrow(/no PDM/);
  });

  it('round trip: the camera projects the 3D eye landmarks onto the 2D ones', () => {
    const points2d = eyeLandmarks2d([left, right])!;
    const points3d = eyeLandmarks3d([left, right], lookup, camera)!;
    expect(reprojectionError(points2d, points3d, camera.fx, camera.cx, camera.cy)).toBeLessThan(1e-4);
  });
});

const skip = sharedSkipReason();

describe.skipIf(skip !== null)(suiteTitle('eye landmarks with OpenFace 2.2\'s eye PDMs', skip), () => {
  it('round trip on model_eye/pdms for random eye shapes and poses', () => {
    const read = (file: string) => parsePdm(readFileSync(`${openfaceModelsPath()}/model/model_eye/pdms/${file}`, 'utf8'), file);
    const pdms = new Map([['left_eye_28', read('pdm_28_l_eye_3D_closed.txt')], ['right_eye_28', read('pdm_28_eye_3D_closed.txt')]]);
    expect(pdms.get('left_eye_28')!.numPoints).toBe(28);
    const random = rng(31);
    for (const [width, height] of [[640, 480], [320, 239], [1080, 1920]]) {
      const camera = cameraForFrame(width, height);
      for (let k = 0; k < 20; k++) {
        const parts = [fittedPart('left_eye_28', pdms.get('left_eye_28')!, random, width * 0.4), fittedPart('right_eye_28', pdms.get('right_eye_28')!, random, width * 0.6)];
        const points2d = eyeLandmarks2d(parts)!;
        const points3d = eyeLandmarks3d(parts, (name) => pdms.get(name), camera)!;
        expect(reprojectionError(points2d, points3d, camera.fx, camera.cx, camera.cy)).toBeLessThan(2e-4);
      }
    }
  });
});
