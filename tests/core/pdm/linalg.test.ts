import { describe, expect, it } from 'vitest';
import {
  choleskySolve,
  choleskySolveF32,
  choleskySolveDouble,
  DBL_EPSILON,
  FLT_EPSILON,
  mat3Det,
  mat3Mul,
  mat3Transpose,
  noRound,
  orthonormalise,
  svd3,
} from '../../../src/core/pdm/linalg.ts';
import { euler2RotationMatrix } from '../../../src/core/pdm/rotation.ts';
import { maxAbsDiff, rng } from './syntheticPdm.ts';

const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('svd3', () => {
  it('reconstructs the matrix with orthogonal factors and sorted singular values', () => {
    const random = rng(11);
    for (let t = 0; t < 50; t++) {
      const a = Float64Array.from({ length: 9 }, () => random() * 2 - 1);
      if (t === 0) a.set([1, 2, 3, 2, 4, 6, 0, 1, 0]); // rank 2
      const { u, w, v } = svd3(a);
      expect(w[0]).toBeGreaterThanOrEqual(w[1]);
      expect(w[1]).toBeGreaterThanOrEqual(w[2]);
      expect(maxAbsDiff(mat3Mul(mat3Transpose(u), u), I3)).toBeLessThan(1e-12);
      expect(maxAbsDiff(mat3Mul(mat3Transpose(v), v), I3)).toBeLessThan(1e-12);
      const uw = Float64Array.from(u, (x, k) => x * w[k % 3]);
      expect(maxAbsDiff(mat3Mul(uw, mat3Transpose(v)), a)).toBeLessThan(1e-12);
    }
  });
});

describe('orthonormalise (OpenFace)', () => {
  it('leaves a rotation unchanged', () => {
    const r = euler2RotationMatrix(0.4, -0.2, 0.9);
    expect(maxAbsDiff(orthonormalise(r), r)).toBeLessThan(1e-15);
  });

  it('turns I + [w]x into the nearest rotation (its polar factor)', () => {
    const [wx, wy, wz] = [0.03, -0.05, 0.02];
    const a = Float64Array.of(1, -wz, wy, wz, 1, -wx, -wy, wx, 1);
    const r = orthonormalise(a);
    expect(maxAbsDiff(mat3Mul(r, mat3Transpose(r)), I3)).toBeLessThan(1e-15);
    expect(mat3Det(r)).toBeCloseTo(1, 14);
    // R is the polar factor of A = I + K: Rᵀ A = (AᵀA)^(1/2) is symmetric.
    const s = mat3Mul(mat3Transpose(r), a);
    expect(maxAbsDiff(s, mat3Transpose(s))).toBeLessThan(1e-15);
  });

  it('never returns a reflection', () => {
    const r = orthonormalise(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, -1.1));
    expect(mat3Det(r)).toBeCloseTo(1, 14);
  });
});

describe('Cholesky solvers', () => {
  const random = rng(5);
  const n = 12;
  const b = Float64Array.from({ length: n * 20 }, () => random() - 0.5);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < 20; k++) A[i * n + j] += b[i * 20 + k] * b[j * 20 + k];
  const x = Float64Array.from({ length: n }, () => random() - 0.5);
  const rhs = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rhs[i] += A[i * n + j] * x[j];

  it('solve a symmetric positive definite system in double', () => {
    const a1 = Float64Array.from(A), b1 = Float64Array.from(rhs);
    expect(choleskySolve(a1, b1, n, noRound, DBL_EPSILON)).toBe(true);
    expect(maxAbsDiff(b1, x)).toBeLessThan(1e-12);
    const a2 = Float64Array.from(A), b2 = Float64Array.from(rhs);
    expect(choleskySolveDouble(a2, b2, n)).toBe(true);
    expect(maxAbsDiff(b2, x)).toBeLessThan(1e-12);
  });

  it('in float32 mode (OpenCV CholImpl<float>) keep every stored value a float32', () => {
    const a1 = Float64Array.from(A, Math.fround), b1 = Float64Array.from(rhs, Math.fround);
    expect(choleskySolve(a1, b1, n, Math.fround, FLT_EPSILON)).toBe(true);
    for (const v of b1) expect(Math.fround(v)).toBe(v);
    expect(maxAbsDiff(b1, x)).toBeLessThan(1e-4);
  });

  it('report a matrix that is not positive definite', () => {
    const bad = Float64Array.of(1, 2, 2, 1);
    expect(choleskySolve(Float64Array.from(bad), new Float64Array(2), 2, noRound, DBL_EPSILON)).toBe(false);
    expect(choleskySolveDouble(Float64Array.from(bad), new Float64Array(2), 2)).toBe(false);
  });
});

describe('choleskySolveF32', () => {
  it('gives choleskySolve\'s float bits (OpenCV CholImpl<float>) on random positive definite systems', () => {
    const random = rng(23);
    const fr = Math.fround;
    for (const n of [1, 2, 5, 17, 40]) {
      const m = Float64Array.from({ length: n * (n + 3) }, () => random() - 0.5);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = i === j ? 0.5 : 0;
          for (let k = 0; k < n + 3; k++) s += m[i * (n + 3) + k] * m[j * (n + 3) + k];
          a[i * n + j] = fr(s);
        }
      }
      const b = Float64Array.from({ length: n }, () => fr(random() - 0.5));
      const a1 = Float64Array.from(a), b1 = Float64Array.from(b), a2 = Float64Array.from(a), b2 = Float64Array.from(b);
      expect(choleskySolve(a1, b1, n, fr, FLT_EPSILON)).toBe(true);
      expect(choleskySolveF32(a2, b2, n)).toBe(true);
      expect(Array.from(b2)).toEqual(Array.from(b1));
    }
    const singular = Float64Array.of(1, 1, 1, 1);
    expect(choleskySolveF32(singular, Float64Array.of(1, 1), 2)).toBe(false);
  });
});
