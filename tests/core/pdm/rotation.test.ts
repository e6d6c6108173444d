import { describe, expect, it } from 'vitest';
import { mat3Det, mat3Mul, mat3Transpose } from '../../../src/core/pdm/linalg.ts';
import {
  axisAngle2Euler,
  axisAngle2RotationMatrix,
  euler2AxisAngle,
  euler2RotationMatrix,
  rotationMatrix2AxisAngle,
  rotationMatrix2Euler,
} from '../../../src/core/pdm/rotation.ts';
import { maxAbsDiff, rng } from './syntheticPdm.ts';

const rotX = (a: number) => Float64Array.of(1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a));
const rotY = (a: number) => Float64Array.of(Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a));
const rotZ = (a: number) => Float64Array.of(Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1);
const apply = (r: Float64Array, v: readonly number[]) => [0, 1, 2].map((i) => r[3 * i] * v[0] + r[3 * i + 1] * v[1] + r[3 * i + 2] * v[2]);

describe('euler2RotationMatrix (OpenFace: R = Rx * Ry * Rz, right-handed)', () => {
  it('turns the axes the right way for each angle alone', () => {
    const q = Math.PI / 2;
    // rx: y -> z; ry: z -> x; rz: x -> y.
    expect(maxAbsDiff(apply(euler2RotationMatrix(q, 0, 0), [0, 1, 0]), [0, 0, 1])).toBeLessThan(1e-15);
    expect(maxAbsDiff(apply(euler2RotationMatrix(0, q, 0), [0, 0, 1]), [1, 0, 0])).toBeLessThan(1e-15);
    expect(maxAbsDiff(apply(euler2RotationMatrix(0, 0, q), [1, 0, 0]), [0, 1, 0])).toBeLessThan(1e-15);
  });

  it('composes as Rx(rx) Ry(ry) Rz(rz)', () => {
    const random = rng(1);
    for (let t = 0; t < 20; t++) {
      const [a, b, c] = [random() * 3 - 1.5, random() * 3 - 1.5, random() * 3 - 1.5];
      const expected = mat3Mul(mat3Mul(rotX(a), rotY(b)), rotZ(c));
      expect(maxAbsDiff(euler2RotationMatrix(a, b, c), expected)).toBeLessThan(1e-15);
    }
  });

  it('gives orthonormal matrices with determinant 1', () => {
    const r = euler2RotationMatrix(0.3, -0.7, 1.1);
    expect(maxAbsDiff(mat3Mul(r, mat3Transpose(r)), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-15);
    expect(mat3Det(r)).toBeCloseTo(1, 14);
  });
});

describe('rotationMatrix2Euler', () => {
  it('inverts euler2RotationMatrix for |ry| < 90 degrees', () => {
    const random = rng(2);
    for (let t = 0; t < 50; t++) {
      const e = [random() * 2.4 - 1.2, random() * 2.4 - 1.2, random() * 2.4 - 1.2];
      expect(maxAbsDiff(rotationMatrix2Euler(euler2RotationMatrix(e[0], e[1], e[2])), e)).toBeLessThan(1e-12);
    }
  });
});

describe('Rodrigues (OpenCV) and the axis-angle helpers', () => {
  it('maps an axis-angle vector to the rotation about that axis', () => {
    expect(maxAbsDiff(axisAngle2RotationMatrix([0, 0, 0.4]), rotZ(0.4))).toBeLessThan(1e-15);
    expect(maxAbsDiff(axisAngle2RotationMatrix([-0.3, 0, 0]), rotX(-0.3))).toBeLessThan(1e-15);
    expect(maxAbsDiff(axisAngle2RotationMatrix([0, 0, 0]), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBe(0);
  });

  it('round-trips matrix -> vector -> matrix, including near half turns', () => {
    const random = rng(3);
    for (let t = 0; t < 30; t++) {
      const axis = [random() - 0.5, random() - 0.5, random() - 0.5];
      const norm = Math.hypot(...axis);
      const angle = t === 0 ? Math.PI : random() * 3;
      const v = axis.map((x) => (x / norm) * angle);
      const r = axisAngle2RotationMatrix(v);
      const back = rotationMatrix2AxisAngle(r);
      expect(maxAbsDiff(axisAngle2RotationMatrix(back), r)).toBeLessThan(1e-9);
      if (angle < 3) expect(maxAbsDiff(back, v)).toBeLessThan(1e-12);
    }
  });

  it('keeps OpenCV quirk: rotations under ~1e-5 rad come back as exactly zero', () => {
    expect(Array.from(rotationMatrix2AxisAngle(axisAngle2RotationMatrix([3e-6, 0, 0])))).toEqual([0, 0, 0]);
    // Above the threshold the angle comes from acos(cos θ), as in OpenCV: about 1e-12 rad accurate here.
    expect(rotationMatrix2AxisAngle(axisAngle2RotationMatrix([3e-5, 0, 0]))[0]).toBeCloseTo(3e-5, 11);
  });

  it('converts Euler angles to axis-angle and back', () => {
    const e = [0.2, -0.4, 0.1];
    const aa = euler2AxisAngle(e[0], e[1], e[2]);
    expect(maxAbsDiff(axisAngle2RotationMatrix(aa), euler2RotationMatrix(e[0], e[1], e[2]))).toBeLessThan(1e-15);
    expect(maxAbsDiff(axisAngle2Euler(aa), e)).toBeLessThan(1e-14);
  });

  it('axisAngle2Euler inverts euler2AxisAngle within ±90° yaw', () => {
    const random = rng(5);
    for (let k = 0; k < 100; k++) {
      const e = [random() * 2 - 1, random() * 2.4 - 1.2, random() * 2 - 1];
      expect(maxAbsDiff(axisAngle2Euler(euler2AxisAngle(e[0], e[1], e[2])), e)).toBeLessThan(1e-12);
    }
  });
});
