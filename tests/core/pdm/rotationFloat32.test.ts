import { describe, expect, it } from 'vitest';
import {
  euler2RotationMatrixF32,
  mat3MulF32,
  orthonormaliseF32,
  rotationMatrix2AxisAngleF32,
  rotationMatrix2EulerF32,
} from '../../../src/core/pdm/rotationFloat32.ts';
import { hypotExact, jacobiSvd } from '../../../src/core/pdm/jacobiSvd.ts';
import { euler2RotationMatrix } from '../../../src/core/pdm/rotation.ts';
import { rng } from './syntheticPdm.ts';

const isFloat = (v: number) => Math.fround(v) === v;

function mul(a: ArrayLike<number>, b: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let t = 0; t < k; t++) out[i * k + j] += a[i * k + t] * b[t * k + j];
  return out;
}

describe('jacobiSvd (OpenCV JacobiSVDImpl_ on small matrices)', () => {
  it('decomposes 2x2 and 3x3 float matrices: u diag(w) vt = a, u and vt orthonormal, w decreasing, all floats', () => {
    const random = rng(5);
    for (const k of [2, 3]) {
      for (let t = 0; t < 20; t++) {
        const a = Float64Array.from({ length: k * k }, () => Math.fround(random() * 4 - 2));
        const u = new Float64Array(k * k), w = new Float64Array(k), vt = new Float64Array(k * k);
        jacobiSvd(a, k, u, w, vt, 'float');
        for (const v of [...u, ...w, ...vt]) expect(isFloat(v)).toBe(true);
        for (let i = 1; i < k; i++) expect(w[i]).toBeLessThanOrEqual(w[i - 1]);
        const uw = Float64Array.from(u, (v, i) => v * w[i % k]);
        const back = mul(uw, vt, k);
        for (let i = 0; i < k * k; i++) expect(back[i]).toBeCloseTo(a[i], 5);
        const ut = Float64Array.from({ length: k * k }, (_, i) => u[(i % k) * k + Math.floor(i / k)]);
        const utu = mul(ut, u, k);
        for (let i = 0; i < k * k; i++) expect(utu[i]).toBeCloseTo(i % (k + 1) === 0 ? 1 : 0, 5);
      }
    }
  });
});

/** v = m · 2^e exactly, for a finite double. */
function exactParts(v: number): [bigint, number] {
  if (v === 0) return [0n, 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (exponent) mantissa |= 1n << 52n;
  return [(bits >> 63n ? -1n : 1n) * mantissa, (exponent || 1) - 1075];
}

/** Whether h is the double nearest √(a² + b²), decided in exact integer arithmetic. */
function isCorrectlyRounded(a: number, b: number, h: number): boolean {
  const [ma, ea] = exactParts(a), [mb, eb] = exactParts(b), [mh, eh] = exactParts(h);
  const e0 = Math.min(2 * ea, 2 * eb, 2 * (eh - 1));
  const at = (m: bigint, e: number) => m << BigInt(e - e0);
  const sum = at(ma * ma, 2 * ea) + at(mb * mb, 2 * eb);
  return at((2n * mh - 1n) ** 2n, 2 * (eh - 1)) <= sum && sum <= at((2n * mh + 1n) ** 2n, 2 * (eh - 1));
}

describe('hypotExact', () => {
  it('rounds √(a² + b²) correctly, where the plain formula and Math.hypot often do not', () => {
    const random = rng(3);
    let plainOff = 0;
    for (let t = 0; t < 3000; t++) {
      const a = (random() - 0.5) * 10 ** (random() * 6 - 3), b = (random() - 0.5) * 10 ** (random() * 6 - 3);
      expect(isCorrectlyRounded(a, b, hypotExact(a, b)), `hypot(${a}, ${b})`).toBe(true);
      if (!isCorrectlyRounded(a, b, Math.sqrt(a * a + b * b))) plainOff++;
    }
    expect(plainOff).toBeGreaterThan(0);
    expect(hypotExact(3, 4)).toBe(5);
    expect(hypotExact(0, -2)).toBe(2);
  });
});

describe('rotations in float', () => {
  it('cv::Rodrigues from a float matrix: the rotation\'s axis times its angle, as floats', () => {
    for (const e of [[0.1, -0.2, 0.3], [0.5, 0.05, -0.4], [0, 0, 0]]) {
      const r = euler2RotationMatrixF32(e[0], e[1], e[2]);
      const v = rotationMatrix2AxisAngleF32(r);
      for (const x of v) expect(Math.fround(x)).toBe(x);
      const exact = euler2RotationMatrix(e[0], e[1], e[2]);
      const angle = Math.acos((exact[0] + exact[4] + exact[8] - 1) / 2);
      expect(Math.hypot(v[0], v[1], v[2])).toBeCloseTo(angle, 5);
    }
  });

  it('Euler angles to a matrix and back, within float precision of the double version', () => {
    const random = rng(9);
    for (let t = 0; t < 50; t++) {
      const e = [Math.fround((random() - 0.5) * 1.2), Math.fround((random() - 0.5) * 1.2), Math.fround((random() - 0.5) * 1.2)];
      const r = euler2RotationMatrixF32(e[0], e[1], e[2]);
      const exact = euler2RotationMatrix(e[0], e[1], e[2]);
      for (let i = 0; i < 9; i++) {
        expect(isFloat(r[i])).toBe(true);
        expect(Math.abs(r[i] - exact[i])).toBeLessThan(3e-7);
      }
      const back = rotationMatrix2EulerF32(r);
      for (let i = 0; i < 3; i++) expect(Math.abs(back[i] - e[i])).toBeLessThan(1e-5);
    }
  });

  it('orthonormalises a small-angle update I + [δ]× into a rotation (no reflection)', () => {
    const r2 = Float64Array.of(1, -0.003, 0.002, 0.003, 1, -0.001, -0.002, 0.001, 1).map(Math.fround);
    const r = orthonormaliseF32(r2);
    for (const v of r) expect(isFloat(v)).toBe(true);
    const rt = Float64Array.from({ length: 9 }, (_, i) => r[(i % 3) * 3 + Math.floor(i / 3)]);
    const rtr = mul(rt, r, 3);
    for (let i = 0; i < 9; i++) expect(rtr[i]).toBeCloseTo(i % 4 === 0 ? 1 : 0, 6);
    const det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
    expect(det).toBeCloseTo(1, 6);
    for (let i = 0; i < 9; i++) expect(Math.abs(r[i] - r2[i])).toBeLessThan(2e-5);
  });

  it('multiplies 3x3 matrices summing in float (cv::Matx33f)', () => {
    const a = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9).map(Math.fround);
    const b = Float64Array.of(1, 0, 0.5, 0.25, 1, 0, 0, 0.125, 1).map(Math.fround);
    const c = mat3MulF32(a, b);
    expect(c[0]).toBe(Math.fround(Math.fround(Math.fround(a[0] * b[0]) + Math.fround(a[1] * b[3])) + Math.fround(a[2] * b[6])));
    for (const v of c) expect(isFloat(v)).toBe(true);
  });
});
