/**
 * CLNF::GetShape (shapeInCamera) and 2.2's float CalcShape3D (modelShapeF32).
 * Self-contained: invariants that hold for any PDM (the face's or an eye
 * part's). Against 2.2's CSVs, X_/Y_/Z_ are checked in headPose.test.ts
 * (bit-identical on every frame).
 */
import { describe, expect, it } from 'vitest';
import { modelShapeF32, shapeInCamera } from '../../../src/core/pose/shapeInCamera.ts';
import { cameraForFrame } from '../../../src/core/pose/camera.ts';
import { projectShape, shape3d } from '../../../src/core/pdm/shape.ts';
import { euler2RotationMatrix } from '../../../src/core/pdm/rotation.ts';
import { maxAbsDiff, randomLocal, rng, syntheticPdm } from '../pdm/syntheticPdm.ts';

const fr = Math.fround;

describe('modelShapeF32 (2.2\'s float CalcShape3D)', () => {
  it('is the model shape in float precision', () => {
    const pdm = syntheticPdm(68, [400, 150, 60, 20]);
    const random = rng(3);
    for (let k = 0; k < 20; k++) {
      const local = randomLocal(pdm, random);
      const shape = modelShapeF32(pdm, local);
      expect(Array.from(shape)).toEqual(Array.from(shape, fr));
      expect(maxAbsDiff(shape, shape3d(pdm, local))).toBeLessThan(1e-4);
    }
  });

  it('checks the parameter count', () => {
    expect(() => modelShapeF32(syntheticPdm(), new Float64Array(3))).toThrow(RangeError);
  });
});

describe('shapeInCamera (CLNF::GetShape)', () => {
  // an eye-part-sized model: 28 points within a few mm
  const eye = syntheticPdm(28, [4, 2, 1], 11);
  for (let i = 0; i < eye.meanShape.length; i++) eye.meanShape[i] /= 10;
  const cam = cameraForFrame(640, 480);
  const random = rng(5);

  it('puts each landmark on its camera ray: projecting the 3D shape gives the 2D landmarks back', () => {
    for (let k = 0; k < 20; k++) {
      const local = randomLocal(eye, random);
      const global = Float64Array.of(0.5 + random() * 2, random() * 0.6 - 0.3, random() - 0.5, random() * 0.4 - 0.2, 100 + random() * 440, 80 + random() * 320);
      const landmarks = Float64Array.from(projectShape(eye, local, global), fr);
      const points = shapeInCamera(eye, landmarks, global, local, cam);
      const n = eye.numPoints;
      for (let i = 0; i < n; i++) {
        const X = points[i], Y = points[i + n], Z = points[i + 2 * n];
        expect(Math.abs((X / Z) * cam.fx + cam.cx - landmarks[i])).toBeLessThan(1e-4);
        expect(Math.abs((Y / Z) * cam.fy + cam.cy - landmarks[i + n])).toBeLessThan(1e-4);
      }
    }
  });

  it('places the depths at fx / scale plus the rotated model depth', () => {
    const local = randomLocal(eye, random);
    const global = Float64Array.of(1.3, 0.2, -0.4, 0.1, 300, 200);
    const landmarks = projectShape(eye, local, global);
    const points = shapeInCamera(eye, landmarks, global, local, cam);
    const r = euler2RotationMatrix(global[1], global[2], global[3]);
    const shape = shape3d(eye, local);
    const n = eye.numPoints;
    for (let i = 0; i < n; i++) {
      const rotatedDepth = r[6] * shape[i] + r[7] * shape[i + n] + r[8] * shape[i + 2 * n];
      expect(Math.abs(points[i + 2 * n] - (cam.fx / global[0] + rotatedDepth))).toBeLessThan(1e-4);
    }
    expect(Array.from(points)).toEqual(Array.from(points, fr));
  });

  it('checks its input sizes', () => {
    const local = new Float64Array(eye.numModes);
    expect(() => shapeInCamera(eye, new Float64Array(10), new Float64Array(6), local, cam)).toThrow(RangeError);
    expect(() => shapeInCamera(eye, new Float64Array(56), new Float64Array(5), local, cam)).toThrow(RangeError);
  });
});
