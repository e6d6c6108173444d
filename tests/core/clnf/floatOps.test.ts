import { describe, expect, it } from 'vitest';
import { fmaf } from '../../../src/core/clnf/floatOps.ts';
import { openblasDot, openblasSplitMask } from '../../../src/core/clnf/openblasGemm.ts';
import { rng } from './synthetic.ts';

const fr = Math.fround;

/** float(a·b + c) rounded once, from exact rational arithmetic on the doubles' bits */
function exactFmaf(a: number, b: number, c: number): number {
  // a, b, c are floats: scale to integers by 2^200 (every float here is a multiple of 2^-149; products of 2^-298)
  const big = (x: number): bigint => {
    if (x === 0) return 0n;
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, x);
    const bits = buf.getBigUint64(0);
    const sign = bits >> 63n ? -1n : 1n;
    const exp = Number((bits >> 52n) & 0x7ffn);
    const mant = (bits & ((1n << 52n) - 1n)) | (1n << 52n);
    // x = sign · mant · 2^(exp - 1075); represent as multiple of 2^-400
    return sign * (mant << BigInt(exp - 1075 + 400));
  };
  const sum = big(a) * big(b) + (big(c) << 400n); // in units of 2^-800
  // nearest float: try the candidates around the double approximation
  const approx = fr(Number(sum) / 2 ** 800);
  let best = approx, bestErr: bigint | null = null;
  for (const cand of [approx, nextFloat(approx, -1), nextFloat(approx, 1)]) {
    const err = (big(cand) << 400n) - sum;
    const abs = err < 0n ? -err : err;
    if (bestErr === null || abs < bestErr || (abs === bestErr && (new Uint32Array(new Float32Array([cand]).buffer)[0] & 1) === 0)) {
      best = cand;
      bestErr = abs;
    }
  }
  return best;
}

function nextFloat(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const u = new Int32Array(f.buffer);
  if (x === 0) return dir * 1.401298464324817e-45;
  u[0] += (x > 0 ? 1 : -1) * dir;
  return f[0];
}

describe('fmaf: float multiply-add with one rounding', () => {
  it('matches exact rational arithmetic on random floats of mixed scales', () => {
    const random = rng(3);
    for (let t = 0; t < 3000; t++) {
      const s = (): number => fr((random() * 2 - 1) * 2 ** Math.floor(random() * 20 - 10));
      const a = s(), b = s();
      // c near -a·b half the time: cancellation, where double rounding would show
      const c = t % 2 ? s() : fr(-a * b * (1 + (random() - 0.5) * 1e-6));
      expect(fmaf(a, b, c)).toBe(exactFmaf(a, b, c));
    }
  });

  it('rounds an exact tie to even', () => {
    // 1 + 2^-24 is half way between 1 and the next float: exact in double, ties to 1
    expect(fmaf(1, 2 ** -24, 1)).toBe(1);
    expect(fmaf(3, 2 ** -24, 1)).toBe(fr(1 + 2 ** -22));
  });
});

describe('OpenBLAS sgemm summation (Haswell/Zen kernel)', () => {
  it('splits the 8 x 4 blocks of the first column group of four', () => {
    // a 9 x 7 product (CCNF responses of a window 3, 7 neurons): rows 0-7 of columns 0-3 split
    const m = openblasSplitMask(9, 7);
    for (let j = 0; j < 7; j++) for (let i = 0; i < 9; i++) expect(m[i + j * 9]).toBe(i < 8 && j < 4 ? 1 : 0);
  });

  it('splits the staggered 8 x 6 blocks of a 12-column group (40 x 40 Hessian)', () => {
    const m = openblasSplitMask(40, 40);
    const split = (i: number, j: number): number => m[i + j * 40];
    // first group of 12 columns: rows 0-7 of the left half, rows 32-39 of the right half
    expect(split(0, 0)).toBe(1);
    expect(split(7, 5)).toBe(1);
    expect(split(8, 0)).toBe(0);
    expect(split(0, 6)).toBe(0);
    expect(split(32, 6)).toBe(1);
    expect(split(39, 11)).toBe(1);
    expect(split(32, 0)).toBe(0);
    // the last four columns (36-39) form a 4-column group: rows 0-39 split
    expect(split(20, 37)).toBe(1);
  });

  it('sums one chain of fused multiply-adds, or an even and an odd chain for the first K - K mod 8 terms', () => {
    const random = rng(8);
    const a = Float64Array.from({ length: 21 }, () => fr(random() - 0.5));
    const b = Float64Array.from({ length: 21 }, () => fr(random() - 0.5));
    let chain = 0;
    for (let k = 0; k < 21; k++) chain = fmaf(a[k], b[k], chain);
    expect(openblasDot(a, 0, 1, b, 0, 1, 21, false)).toBe(chain);
    let even = 0, odd = 0;
    for (let k = 0; k < 16; k += 2) {
      even = fmaf(a[k], b[k], even);
      odd = fmaf(a[k + 1], b[k + 1], odd);
    }
    for (let k = 16; k < 21; k++) even = fmaf(a[k], b[k], even);
    expect(openblasDot(a, 0, 1, b, 0, 1, 21, true)).toBe(fr(even + odd));
  });
});
