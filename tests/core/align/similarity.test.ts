import { describe, expect, it } from 'vitest';
import { alignShapesWithScaleF32, alignShapesWithScaleDirectSums, RIGID_POINT_INDICES, rigidPoints } from '../../../src/core/align/similarity.ts';
import { similarityWarp } from '../../../src/core/align/alignFace.ts';
import type { Pdm } from '../../../src/core/pdm/pdm.ts';
import { rng as random } from '../pdm/syntheticPdm.ts';

function transform(xs: Float64Array, ys: Float64Array, scale: number, angle: number, tx: number, ty: number): [Float64Array, Float64Array] {
  const c = Math.cos(angle) * scale;
  const s = Math.sin(angle) * scale;
  return [xs.map((x, i) => c * x - s * ys[i] + tx), ys.map((y, i) => s * xs[i] + c * y + ty)];
}

describe('alignShapesWithScaleF32 (float, as OpenFace 2.2)', () => {
  const rnd = random(7);
  const xs = Float64Array.from({ length: 24 }, () => rnd() * 100 - 50);
  const ys = Float64Array.from({ length: 24 }, () => rnd() * 100 - 50);

  it('recovers a known rotation and scale, whatever the translations', () => {
    for (const [scale, angle] of [[0.6, 0.3], [2.5, -1.2], [1, 3.0], [0.01, 0]]) {
      const [dx, dy] = transform(xs, ys, scale, angle, 37, -12);
      const [sx, sy] = [xs.map((v) => v + 5), ys.map((v) => v - 80)];
      const a = alignShapesWithScaleF32(sx, sy, dx, dy);
      const expected = [scale * Math.cos(angle), -scale * Math.sin(angle), scale * Math.sin(angle), scale * Math.cos(angle)];
      // float arithmetic: a few float ulps of the scale
      for (let i = 0; i < 4; i++) expect(Math.abs(a[i] - expected[i])).toBeLessThan(1e-6 * scale);
      for (let i = 0; i < 4; i++) expect(Math.fround(a[i])).toBe(a[i]);
    }
  });

  it('returns a proper rotation (no reflection) for mirrored points', () => {
    const a = alignShapesWithScaleF32(xs, ys, xs.map((v) => -v), ys);
    expect(a[0] * a[3] - a[1] * a[2]).toBeGreaterThan(0);
    expect(a[0]).toBeCloseTo(a[3], 6);
    expect(a[1]).toBeCloseTo(-a[2], 6);
  });

  it('finds the least-squares fit for noisy points', () => {
    const [dx, dy] = transform(xs, ys, 1.3, 0.5, 0, 0);
    const noisy = dx.map((v) => v + (rnd() - 0.5) * 0.01);
    const a = alignShapesWithScaleF32(xs, ys, noisy, dy);
    expect(Math.hypot(a[0], a[2])).toBeCloseTo(1.3, 3);
    expect(Math.atan2(a[2], a[0])).toBeCloseTo(0.5, 3);
  });
});

describe('alignShapesWithScaleDirectSums', () => {
  it('is the same similarity as alignShapesWithScaleF32, up to float rounding, for x..., y... shapes', () => {
    const rnd = random(11);
    for (let t = 0; t < 20; t++) {
      const n = 10 + t;
      const src = Float64Array.from({ length: 2 * n }, () => rnd() * 200);
      const dst = Float64Array.from({ length: 2 * n }, () => rnd() * 300 - 50);
      const out = new Float64Array(4);
      alignShapesWithScaleDirectSums(src, dst, n, out);
      const ref = alignShapesWithScaleF32(src.subarray(0, n), src.subarray(n), dst.subarray(0, n), dst.subarray(n));
      for (let i = 0; i < 4; i++) expect(Math.abs(out[i] - ref[i])).toBeLessThan(1e-5 * Math.hypot(ref[0], ref[2]));
    }
  });
});

describe('rigidPoints', () => {
  it('picks OpenFace\'s 24 rigid points (outline, nose, eyes) from x..., y... layout', () => {
    expect(RIGID_POINT_INDICES).toEqual([1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47]);
    const shape = Float64Array.from({ length: 136 }, (_, i) => i);
    const [x, y] = rigidPoints(shape, 68);
    expect(Array.from(x)).toEqual(RIGID_POINT_INDICES);
    expect(Array.from(y)).toEqual(RIGID_POINT_INDICES.map((i) => 68 + i));
  });
});

describe('similarityWarp', () => {
  it('maps landmarks built from the PDM mean shape back onto mean * 0.7, centred in the output', () => {
    const rnd = random(3);
    const mean = new Float64Array(204);
    for (let i = 0; i < 204; i++) mean[i] = rnd() * 120 - 60;
    const pdm: Pdm = { numPoints: 68, numModes: 0, meanShape: mean, princComp: new Float64Array(0), eigenValues: new Float64Array(0) };
    // landmarks: the scaled mean shape, rotated by 0.2 rad, 1.8x larger, PDM origin at (150, 90)
    const [lx, ly] = transform(mean.slice(0, 68).map((v) => v * 0.7), mean.slice(68, 136).map((v) => v * 0.7), 1.8, 0.2, 150, 90);
    const landmarks = new Float64Array(136);
    landmarks.set(lx, 0);
    landmarks.set(ly, 68);
    const m = similarityWarp(landmarks, [0.9, 0, 0, 0.2, 150, 90], pdm, 0.7, 112, 112);
    // (float32 arithmetic: within about 1e-4 of a pixel)
    for (let i = 0; i < 68; i++) {
      expect(m[0] * lx[i] + m[1] * ly[i] + m[2]).toBeCloseTo(mean[i] * 0.7 + 56, 3);
      expect(m[3] * lx[i] + m[4] * ly[i] + m[5]).toBeCloseTo(mean[68 + i] * 0.7 + 56, 3);
    }
    for (const v of m) expect(Math.fround(v)).toBe(v);
    // the centre uses integer division, like OpenFace's out_width / 2
    const odd = similarityWarp(landmarks, [0.9, 0, 0, 0.2, 150, 90], pdm, 0.7, 113, 99);
    expect(odd[0] * 150 + odd[1] * 90 + odd[2]).toBeCloseTo(56, 3);
    expect(odd[3] * 150 + odd[4] * 90 + odd[5]).toBeCloseTo(49, 3);
  });
});
