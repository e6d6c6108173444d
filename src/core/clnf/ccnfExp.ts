/**
 * The exponential of the CCNF neuron activations, written out so that the
 * TypeScript loop and the WebAssembly SIMD kernel compute the very same
 * bits (Math.exp's last bit is not specified, and WebAssembly has no exp).
 *
 * exp(x) = 2^k · p(r): k = x / ln2 rounded half to even, r = (x - k·ln2_hi)
 * - k·ln2_lo (fdlibm's split of ln2, exact products), p the Taylor series of
 * e^r to degree 13 by Horner (truncation below 1e-17 for |r| ≤ ln2 / 2).
 * It is within ~2 ulp of the exact value; the activations are rounded to
 * float32 afterwards, so it agrees with OpenFace's libm exp except on the
 * rarest ties. x is clamped to ±700, which cannot change a float activation
 * 2α / (1 + e^x): beyond it e^x is far below the float epsilon or so large
 * that the activation underflows to 0.
 */

export const EXP_LIMIT = 700;
export const INV_LN2 = 1.4426950408889634;
export const LN2_HI = 6.93147180369123816490e-01;
export const LN2_LO = 1.90821492927058770002e-10;

/** 1/j! for j = 0..13 (each j! is exact in double, so each is the correctly rounded reciprocal) */
export const EXP_COEFFS: readonly number[] = (() => {
  const c: number[] = [];
  let f = 1;
  for (let j = 0; j <= 13; j++) {
    if (j > 0) f *= j;
    c.push(1 / f);
  }
  return c;
})();

const C = EXP_COEFFS;

/** 2^k for |k| ≤ 1024, built by exact doublings (index k + 1024) */
const POW2 = (() => {
  const t = new Float64Array(2049);
  t[1024] = 1;
  for (let k = 1; k <= 1023; k++) {
    t[1024 + k] = t[1023 + k] * 2;
    t[1024 - k] = t[1025 - k] / 2;
  }
  return t;
})();

/** round half to even (WebAssembly's f64x2.nearest) */
function nearest(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

export function ccnfExp(x: number): number {
  if (x < -EXP_LIMIT) x = -EXP_LIMIT;
  if (x > EXP_LIMIT) x = EXP_LIMIT;
  const k = nearest(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = C[13];
  for (let j = 12; j >= 0; j--) p = p * r + C[j];
  return p * POW2[k + 1024];
}
