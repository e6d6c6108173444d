/**
 * float32 arithmetic that JavaScript has no operator for. OpenFace 2.2 keeps
 * its CLNF state in float and hands the big products to OpenBLAS, whose
 * x86-64 kernels accumulate with fused multiply-adds (vfmadd231ps): one
 * rounding per step, not two.
 */

const fr = Math.fround;

/**
 * fmaf(a, b, c) = float(a·b + c) with a single rounding, for float32 inputs.
 * a·b is exact in double (24 + 24 bits), so the double sum s = a·b + c is
 * off by at most half a double ulp; rounding s to float is then right unless
 * s lies exactly half-way between two floats, where the sign of the
 * double-sum error decides (round half to even when the sum was exact).
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fr(s);
  if (r === s) return r;
  // the other float neighbour if s is a midpoint (then 2s - r is exact and a float)
  const other = 2 * s - r;
  if (fr(other) !== other) return r;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err === 0) return r;
  return err > 0 === other > r ? other : r;
}
