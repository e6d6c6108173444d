import { describe, expect, it } from 'vitest';
import { calcParamsF, floatPdm, paramsFromBoxF, shape2dF, shape3dF, updateParamsF } from '../../../src/core/clnf/pdmFloat.ts';
import { euler2RotationMatrixF32, rotationMatrix2EulerF32 } from '../../../src/core/pdm/rotationFloat32.ts';
import { alignShapesWithScaleF, cvSumF32, invert2x2F } from '../../../src/core/clnf/similarityFloat.ts';
import { projectShape } from '../../../src/core/pdm/shape.ts';
import { toyPdm } from './synthetic.ts';

const fr = Math.fround;

describe('OpenFace 2.2 PDM in float', () => {
  const pdm = floatPdm(toyPdm(12, [30, 10, 4]));
  const loc = Float64Array.of(3, -2, 1);
  const glob = Float64Array.of(1.2, 0.1, -0.15, 0.05, 120, 95).map(fr);

  it('computes float shapes that agree with the double projection to float precision', () => {
    const ours = shape2dF(pdm, loc, glob);
    const double = projectShape(pdm, loc, glob);
    for (let k = 0; k < ours.length; k++) {
      expect(ours[k]).toBe(fr(ours[k]));
      expect(ours[k]).toBeCloseTo(double[k], 3);
    }
    expect(Array.from(shape3dF(pdm, new Float64Array(3)))).toEqual(Array.from(pdm.meanShape));
  });

  it('converts rotations to Euler angles and back', () => {
    const e = rotationMatrix2EulerF32(euler2RotationMatrixF32(0.3, -0.2, 0.1), new Float64Array(3));
    expect(e[0]).toBeCloseTo(0.3, 5);
    expect(e[1]).toBeCloseTo(-0.2, 5);
    expect(e[2]).toBeCloseTo(0.1, 5);
  });

  it('composes a small rotation update and adds the rest (UpdateModelParameters)', () => {
    const g = Float64Array.from(glob), l = Float64Array.from(loc);
    updateParamsF(Float64Array.of(0.1, 0, 0, 0, 2, -3, 1, 0, 0), l, g, 3);
    expect(g[0]).toBe(fr(fr(1.2) + fr(0.1)));
    expect(g[1]).toBeCloseTo(glob[1], 5);
    expect(g[4]).toBe(122);
    expect(l[0]).toBe(4);
  });

  it('fits the parameters of a projected shape back (CalcParams), also with points missing', () => {
    const landmarks = shape2dF(pdm, loc, glob);
    const fit = calcParamsF(pdm, landmarks);
    expect(fit.paramsGlobal[0]).toBeCloseTo(1.2, 2);
    expect(fit.paramsGlobal[4]).toBeCloseTo(120, 1);
    const back = shape2dF(pdm, fit.paramsLocal, fit.paramsGlobal);
    for (let k = 0; k < back.length; k++) expect(Math.abs(back[k] - landmarks[k])).toBeLessThan(0.3);
    const partial = Float64Array.from(landmarks);
    partial[2] = 0;
    partial[7] = 0;
    const fit2 = calcParamsF(pdm, partial);
    const back2 = shape2dF(pdm, fit2.paramsLocal, fit2.paramsGlobal);
    for (const i of [0, 1, 3, 4, 5]) expect(Math.hypot(back2[i] - landmarks[i], back2[i + 12] - landmarks[i + 12])).toBeLessThan(0.6);
  });

  it('places the rotated mean shape with its extent on a face box', () => {
    const box = { x: 50, y: 40, width: 80, height: 90 };
    for (const rotation of [[0, 0, 0], [0, 0.5236, 0], [0, -1.22, 0.698]]) {
      const g = paramsFromBoxF(pdm, box, rotation);
      expect(g[1]).toBe(0);
      expect(g[2]).toBe(fr(rotation[1]));
      const s = shape2dF(pdm, new Float64Array(3), g);
      const xs = Array.from(s.subarray(0, 12)), ys = Array.from(s.subarray(12));
      // centred on the box, scaled to the mean of its width and height ratios
      expect((Math.min(...xs) + Math.max(...xs)) / 2).toBeCloseTo(90, 3);
      expect((Math.min(...ys) + Math.max(...ys)) / 2).toBeCloseTo(85, 3);
    }
  });
});

describe('float similarity transform (AlignShapesWithScale)', () => {
  it('recovers a scaled rotation between two shapes', () => {
    const n = 10;
    const src = new Float64Array(2 * n), dst = new Float64Array(2 * n);
    const s = 1.7, a = 0.4;
    for (let i = 0; i < n; i++) {
      const x = Math.cos(i) * 30 + i, y = Math.sin(2 * i) * 20;
      src[i] = fr(x + 100);
      src[i + n] = fr(y + 50);
      dst[i] = fr(s * (Math.cos(a) * x - Math.sin(a) * y) - 7);
      dst[i + n] = fr(s * (Math.sin(a) * x + Math.cos(a) * y) + 3);
    }
    const A = new Float64Array(4), B = new Float64Array(4);
    alignShapesWithScaleF(src, dst, n, A);
    expect(A[0]).toBeCloseTo(s * Math.cos(a), 5);
    expect(A[2]).toBeCloseTo(s * Math.sin(a), 5);
    invert2x2F(A, B);
    expect(B[0] * A[0] + B[1] * A[2]).toBeCloseTo(1, 6);
  });

  it('sums like OpenCV\'s vectorised cv::sum: float groups of four in the tail', () => {
    const v = Float64Array.from({ length: 21 }, (_, i) => fr(1 + i / 3));
    // 16 in double lanes, then 4 in float, then 1: within a float rounding of the exact sum
    expect(cvSumF32(v, 21)).toBeCloseTo(v.reduce((s, x) => s + x, 0), 5);
    expect(cvSumF32(v, 4)).toBe(fr(fr(fr(v[0] + v[1]) + v[2]) + v[3]));
  });
});
