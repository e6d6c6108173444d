// AssemblyScript: the CLNF hot loops (src/core/clnf/wasmKernels.ts loads the
// compiled module; scripts/build-wasm.ts compiles it at install time).
//
// Each function computes exactly what its TypeScript twin computes (same
// operations, same order per result, float32 values held in f64), so both
// give the same bits; tests/core/clnf/wasmKernels.test.ts checks that.
// No AssemblyScript runtime objects: raw pointers into linear memory, which
// the TypeScript side lays out.
//
// OpenFace 2.2's sums are OpenBLAS fused multiply-adds in float. This file
// is compiled twice (ASC_FEATURE_RELAXED_SIMD, a compile-time constant,
// chooses the branches):
// - emulated FMA (plain SIMD, runs everywhere): a·b is exact in double, the
//   double sum is rounded to float, and the rare sums that land exactly half
//   way between two floats (where that double rounding can go the wrong way)
//   are redone one by one with the exact error of the double sum;
// - fused FMA (relaxed SIMD): f32x4.relaxed_madd, four chains per
//   instruction in OpenBLAS's order. Relaxed SIMD lets an engine compute it
//   fused or not; wasmKernels.ts loads this build only after `fusedProbe`
//   showed a fused result (x86 with FMA3, ARM64), where it gives the bits of
//   the emulation without the midpoint checks.

// --- float FMA -------------------------------------------------------------

@inline function fmaf(a: f64, b: f64, c: f64): f64 {
  if (ASC_FEATURE_RELAXED_SIMD) return <f64>f32x4.extract_lane(madd4(f32x4.splat(<f32>a), f32x4.splat(<f32>b), f32x4.splat(<f32>c)), 0);
  const p = a * b;
  const s = p + c;
  const r = <f64>(<f32>s);
  if (r == s) return r;
  const other = 2 * s - r;
  if (<f64>(<f32>other) != other) return r;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err == 0) return r;
  return err > 0 == other > r ? other : r;
}

// the 29 double mantissa bits below a float's last bit, and their value at a float midpoint
const LOW29: u64 = 0x1fffffff;
const HALF29: u64 = 0x10000000;

// the lanes of two vectors, read back one by one
const lanes = memory.data(32, 16);

/** a·b + c in float, four lanes, fused (fused build only; see the top of the file) */
@inline function madd4(a: v128, b: v128, c: v128): v128 {
  return f32x4.relaxed_madd(a, b, c);
}

/**
 * The fused build's check that relaxed_madd is fused on this machine: with
 * a = 1 + 2^-23 and c = -(1 + 2^-22) a fused a·a + c is 2^-46, an unfused
 * one 0. Arguments rather than constants so that the optimiser cannot fold it.
 */
export function fusedProbe(a: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(madd4(f32x4.splat(a), f32x4.splat(a), f32x4.splat(c)), 0);
  return a * a + c;
}

// a double sum that lies exactly half way between two floats (all lanes 0 but those)
@inline function midpoints2(s: v128): v128 {
  return i64x2.eq(v128.and(s, i64x2.splat(LOW29)), i64x2.splat(HALF29));
}

@inline function toFloat2(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v));
}

// two consecutive f32 at ptr as f64x2
@inline function load2(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

// --- ccnfExp (src/core/clnf/ccnfExp.ts) ------------------------------------

const EXP_LIMIT: f64 = 700;
const INV_LN2: f64 = 1.4426950408889634;
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;

@inline function pow2(k: i64): f64 {
  return reinterpret<f64>((k + 1023) << 52);
}

function ccnfExp(x: f64): f64 {
  if (x < -EXP_LIMIT) x = -EXP_LIMIT;
  if (x > EXP_LIMIT) x = EXP_LIMIT;
  const k = nearest(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  // 1/j! for j = 13 down to 0, each the correctly rounded reciprocal of an exact factorial
  let p: f64 = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 1.0 / 2.0;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * pow2(<i64>k);
}

// --- area of interest (src/core/clnf/areaOfInterest.ts) ----------------------

/** OpenCV's cvRound: nearest, ties to even; out of the int range (or NaN) INT_MIN, as x86's conversion gives */
@inline function cvRound(v: f64): i32 {
  const r = nearest(v);
  return r >= -2147483648.0 && r <= 2147483647.0 ? <i32>r : i32.MIN_VALUE;
}

/** saturate_cast<short>(int) */
@inline function toShort(v: i32): i32 {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

const MAX_WARP_WIDTH = 64;
// the per-column steps of x and y (OpenCV's adelta, bdelta), two i32 arrays for vector loads
const warpDeltasX = memory.data(MAX_WARP_WIDTH * 4, 16);
const warpDeltasY = memory.data(MAX_WARP_WIDTH * 4, 16);
// 2^-10: an integer below 2^24 times this is exact in float, as its division by 1024 in double is
const INV_1024: f32 = 0.0009765625;

/**
 * warpAreaOfInterest (see there: OpenCV's fixed-point warpAffine, bilinear
 * with 1/32-pixel weights, border 0): src u8 [srcHeight][srcWidth], out f32
 * [height][width] (exact: each value is an integer / 1024). Four pixels of
 * a row at a time when all four lie inside the image (the same integer
 * weights and sums, lane by lane), else pixel by pixel.
 */
export function warpArea(src: usize, srcWidth: i32, srcHeight: i32, m00: f64, m01: f64, tx: f64, m10: f64, m11: f64, ty: f64, out: usize, width: i32, height: i32): void {
  const w1 = srcWidth - 1, h1 = srcHeight - 1;
  // the per-column steps, once (as OpenCV's adelta/bdelta)
  const columns = min(width, MAX_WARP_WIDTH);
  for (let x = 0; x < columns; x++) {
    store<i32>(warpDeltasX + <usize>x * 4, cvRound(m00 * <f64>x * 1024));
    store<i32>(warpDeltasY + <usize>x * 4, cvRound(m10 * <f64>x * 1024));
  }
  const vectorColumns = columns & ~3;
  const lastX = i32x4.splat(w1), lastY = i32x4.splat(h1), zero = i32x4.splat(0);
  const short = i32x4.splat(32767), minShort = i32x4.splat(-32768), mask = i32x4.splat(31), full = i32x4.splat(32);
  const stride = i32x4.splat(srcWidth);
  let o = out;
  for (let y = 0; y < height; y++) {
    const X0 = cvRound((m01 * <f64>y + tx) * 1024) + 16;
    const Y0 = cvRound((m11 * <f64>y + ty) * 1024) + 16;
    const X0v = i32x4.splat(X0), Y0v = i32x4.splat(Y0);
    let x = 0;
    for (; x < vectorColumns; x += 4, o += 16) {
      const X = i32x4.shr_s(i32x4.add(X0v, v128.load(warpDeltasX + <usize>x * 4)), 5);
      const Y = i32x4.shr_s(i32x4.add(Y0v, v128.load(warpDeltasY + <usize>x * 4)), 5);
      const ix = i32x4.max_s(i32x4.min_s(i32x4.shr_s(X, 5), short), minShort);
      const iy = i32x4.max_s(i32x4.min_s(i32x4.shr_s(Y, 5), short), minShort);
      const inside = v128.and(v128.and(i32x4.ge_s(ix, zero), i32x4.ge_s(iy, zero)), v128.and(i32x4.lt_s(ix, lastX), i32x4.lt_s(iy, lastY)));
      if (!i32x4.all_true(inside)) {
        for (let t = 0; t < 4; t++) store<f32>(o + <usize>t * 4, warpPixel(src, srcWidth, w1, h1, m00, m10, X0, Y0, x + t));
        continue;
      }
      const fx = v128.and(X, mask), fy = v128.and(Y, mask);
      const gx = i32x4.sub(full, fx), gy = i32x4.sub(full, fy);
      const at = i32x4.add(i32x4.mul(iy, stride), ix);
      // the four neighbours of each lane: two bytes side by side in this row and in the next
      const a0 = src + <usize>i32x4.extract_lane(at, 0), a1 = src + <usize>i32x4.extract_lane(at, 1);
      const a2 = src + <usize>i32x4.extract_lane(at, 2), a3 = src + <usize>i32x4.extract_lane(at, 3);
      const down = <usize>srcWidth;
      const p00 = i32x4(<i32>load<u8>(a0), <i32>load<u8>(a1), <i32>load<u8>(a2), <i32>load<u8>(a3));
      const p01 = i32x4(<i32>load<u8>(a0 + 1), <i32>load<u8>(a1 + 1), <i32>load<u8>(a2 + 1), <i32>load<u8>(a3 + 1));
      const p10 = i32x4(<i32>load<u8>(a0 + down), <i32>load<u8>(a1 + down), <i32>load<u8>(a2 + down), <i32>load<u8>(a3 + down));
      const p11 = i32x4(<i32>load<u8>(a0 + down + 1), <i32>load<u8>(a1 + down + 1), <i32>load<u8>(a2 + down + 1), <i32>load<u8>(a3 + down + 1));
      const s = i32x4.add(
        i32x4.add(i32x4.mul(p00, i32x4.mul(gx, gy)), i32x4.mul(p01, i32x4.mul(fx, gy))),
        i32x4.add(i32x4.mul(p10, i32x4.mul(gx, fy)), i32x4.mul(p11, i32x4.mul(fx, fy))),
      );
      v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.splat(INV_1024)));
    }
    for (; x < width; x++, o += 4) store<f32>(o, warpPixel(src, srcWidth, w1, h1, m00, m10, X0, Y0, x));
  }
}

/** One pixel of warpArea's row (X0, Y0), column x. */
@inline function warpPixel(src: usize, srcWidth: i32, w1: i32, h1: i32, m00: f64, m10: f64, X0: i32, Y0: i32, x: i32): f32 {
  const ax = x < MAX_WARP_WIDTH ? load<i32>(warpDeltasX + <usize>x * 4) : cvRound(m00 * <f64>x * 1024);
  const bx = x < MAX_WARP_WIDTH ? load<i32>(warpDeltasY + <usize>x * 4) : cvRound(m10 * <f64>x * 1024);
  const X = (X0 + ax) >> 5;
  const Y = (Y0 + bx) >> 5;
  const ix = toShort(X >> 5), iy = toShort(Y >> 5);
  const fx = X & 31, fy = Y & 31;
  const w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
  if (ix >= 0 && iy >= 0 && ix < w1 && iy < h1) {
    const p = src + <usize>(iy * srcWidth + ix);
    const s = <i32>load<u8>(p) * w00 + <i32>load<u8>(p + 1) * w01 + <i32>load<u8>(p + <usize>srcWidth) * w10 + <i32>load<u8>(p + <usize>srcWidth + 1) * w11;
    return <f32>(<f64>s / 1024);
  }
  // border: each neighbour outside the image is the constant 0
  let s = 0;
  const inX0 = ix >= 0 && ix <= w1, inX1 = ix + 1 >= 0 && ix + 1 <= w1;
  if (iy >= 0 && iy <= h1) {
    const row = src + <usize>(iy * srcWidth);
    if (inX0) s += <i32>load<u8>(row + <usize>ix) * w00;
    if (inX1) s += <i32>load<u8>(row + <usize>(ix + 1)) * w01;
  }
  if (iy + 1 >= 0 && iy + 1 <= h1) {
    const row = src + <usize>((iy + 1) * srcWidth);
    if (inX0) s += <i32>load<u8>(row + <usize>ix) * w10;
    if (inX1) s += <i32>load<u8>(row + <usize>(ix + 1)) * w11;
  }
  return <f32>(<f64>s / 1024);
}

// --- CCNF response (src/core/clnf/ccnfResponse.ts) -------------------------

/** stores two float results */
@inline function storeRows2(at: usize, v: v128): void {
  store<f32>(at, <f32>f64x2.extract_lane(v, 0));
  store<f32>(at + 4, <f32>f64x2.extract_lane(v, 1));
}

/** one row of map · Sigma with the exact fmaf (one sgemm chain) */
function sigmaRowExact(map: usize, sigmaT: usize, M: i32, r: i32): f64 {
  let s: f64 = 0;
  for (let k = 0; k < M; k++) s = fmaf(<f64>load<f32>(map + <usize>k * 4), <f64>load<f32>(sigmaT + <usize>(k * M + r) * 4), s);
  return s;
}

/** ccnfExp on two lanes: the same double operations lane by lane */
@inline function ccnfExp2(xIn: v128): v128 {
  const x = f64x2.min(f64x2.max(xIn, f64x2.splat(-EXP_LIMIT)), f64x2.splat(EXP_LIMIT));
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(INV_LN2)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  let p = f64x2.splat(1.0 / 6227020800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 479001600.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 39916800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 2.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  // 2^k from the exponent bits (|k| ≤ 1010 fits an i32)
  const kk = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return f64x2.mul(p, i64x2.shl(i64x2.add(kk, i64x2.splat(1023)), 52));
}

/** acc[0..1] = float(acc + 2α / (1 + e^-q)) for the two inputs q */
@inline function activate2(at: usize, q: v128, ta: f64): void {
  const e = ccnfExp2(f64x2.neg(q));
  const v = f64x2.add(v128.load(at), f64x2.div(f64x2.splat(ta), f64x2.add(f64x2.splat(1), e)));
  v128.store(at, toFloat2(v));
}

// The normalised patches, [k][position]: floats in the fused build (four
// positions per vector), float values held in doubles in the emulated one
// (two per vector, ready for the exact double products).
const COL_BYTES: usize = ASC_FEATURE_RELAXED_SIMD ? 4 : 8;

@inline function colAt(cols: usize, M: i32, k: i32, p: i32): usize {
  return cols + <usize>(k * M + p) * COL_BYTES;
}

@inline function loadCol(at: usize): f64 {
  if (ASC_FEATURE_RELAXED_SIMD) return <f64>load<f32>(at);
  return load<f64>(at);
}

@inline function storeCol(at: usize, v: f64): void {
  if (ASC_FEATURE_RELAXED_SIMD) store<f32>(at, <f32>v);
  else store<f64>(at, v);
}

/** 1 / (norm, or 1 where it is 0), in double rounded to float, lane by lane (as ccnfResponse.ts) */
@inline function reciprocalNorm4(sq: v128): v128 {
  let norm = f32x4.sqrt(sq);
  norm = v128.bitselect(f32x4.splat(1), norm, f32x4.eq(norm, f32x4.splat(0)));
  return f32x4(
    <f32>(1.0 / <f64>f32x4.extract_lane(norm, 0)),
    <f32>(1.0 / <f64>f32x4.extract_lane(norm, 1)),
    <f32>(1.0 / <f64>f32x4.extract_lane(norm, 2)),
    <f32>(1.0 / <f64>f32x4.extract_lane(norm, 3)),
  );
}

/** stores four normalised values (positions p..p+3) at `at` */
@inline function storeCols4(at: usize, v: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) v128.store(at, v);
  else {
    v128.store(at, f64x2.promote_low_f32x4(v));
    v128.store(at + 16, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
}

/**
 * Each position's patch sum when the float loop of normaliseTwoGroups would
 * compute it exactly, so that it can be taken from running sums instead:
 * when every area value is a non-negative multiple of 2^-10 below 2^16
 * (warpArea's values are integers / 1024, at most 255) and the total is below 2^14, every partial
 * sum of the loop is such a multiple below 2^14, which a float holds
 * exactly, whatever the order. sums f32 [M] (position order j·yB + i):
 * the sum, or -1 where the total reaches 2^14 (the loop runs there).
 * Returns false (no sums) when some value is not such a multiple.
 * aoiT: the area transposed, f32 [aw][ah]; colSums: f64 [aw][yB] scratch
 * (doubles: exact sums of these values in any order).
 */
function patchSums(aoiT: usize, aw: i32, ah: i32, pw: i32, ph: i32, sums: usize, colSums: usize): bool {
  const yB = ah - ph + 1;
  for (let x = 0; x < aw; x++) {
    const column = aoiT + <usize>(x * ah) * 4;
    const out = colSums + <usize>(x * yB) * 8;
    let s: f64 = 0;
    for (let y = 0; y < ah; y++) {
      const v = <f64>load<f32>(column + <usize>y * 4);
      const scaled = v * 1024;
      if (!(v >= 0 && v < 65536) || scaled != nearest(scaled)) return false;
      s += v;
      if (y >= ph) s -= <f64>load<f32>(column + <usize>(y - ph) * 4);
      if (y >= ph - 1) store<f64>(out + <usize>(y - ph + 1) * 8, s);
    }
  }
  const LIMIT: f64 = 16384;
  for (let i = 0; i < yB; i++) {
    let s: f64 = 0;
    for (let x = 0; x < aw; x++) {
      s += load<f64>(colSums + <usize>(x * yB + i) * 8);
      if (x >= pw) s -= load<f64>(colSums + <usize>((x - pw) * yB + i) * 8);
      if (x >= pw - 1) store<f32>(sums + <usize>((x - pw + 1) * yB + i) * 4, s < LIMIT ? <f32>s : -1);
    }
  }
  return true;
}

/**
 * The contrast-normalised patches of two groups of four positions (f32x4
 * lanes: per position the float operations of ccnfResponse.ts in the same
 * order), at pa..pa+3 and pb..pb+3. The patch value (xx, yy) of the group at
 * `a` is at a + xx·xStep + yy·yStep, four lanes side by side. Two groups at
 * once: two independent chains of float adds hide their latency.
 */
function normaliseTwoGroups(xStep: usize, yStep: usize, pw: i32, ph: i32, M: i32, cols: usize, area: f32, a: usize, pa: i32, b: usize, pb: i32, sums: usize): void {
  let sumA = f32x4.splat(0), sumB = f32x4.splat(0);
  // the sums known exactly (patchSums) where every lane has one, else the float loop
  const knownA = sums != 0 ? v128.load(sums + <usize>pa * 4) : f32x4.splat(-1);
  const knownB = sums != 0 ? v128.load(sums + <usize>pb * 4) : f32x4.splat(-1);
  const zero = f32x4.splat(0);
  if (i32x4.all_true(f32x4.ge(knownA, zero)) && i32x4.all_true(f32x4.ge(knownB, zero))) {
    sumA = knownA;
    sumB = knownB;
  } else {
    for (let yy = 0; yy < ph; yy++) {
      let off = <usize>yy * yStep;
      for (let xx = 0; xx < pw; xx++, off += xStep) {
        sumA = f32x4.add(sumA, v128.load(a + off));
        sumB = f32x4.add(sumB, v128.load(b + off));
      }
    }
  }
  const areaV = f32x4.splat(area);
  const meanA = f32x4.div(sumA, areaV), meanB = f32x4.div(sumB, areaV);
  let sqA = f32x4.splat(0), sqB = f32x4.splat(0);
  for (let xx = 0; xx < pw; xx++) {
    const off = <usize>xx * xStep;
    for (let yy = 0; yy < ph; yy++) {
      const va = f32x4.sub(v128.load(a + off + <usize>yy * yStep), meanA);
      const vb = f32x4.sub(v128.load(b + off + <usize>yy * yStep), meanB);
      sqA = f32x4.add(sqA, f32x4.mul(va, va));
      sqB = f32x4.add(sqB, f32x4.mul(vb, vb));
    }
  }
  const normA = reciprocalNorm4(sqA), normB = reciprocalNorm4(sqB);
  if (ASC_FEATURE_RELAXED_SIMD) {
    v128.store(colAt(cols, M, 0, pa), f32x4.splat(1));
    v128.store(colAt(cols, M, 0, pb), f32x4.splat(1));
  } else {
    v128.store(colAt(cols, M, 0, pa), f64x2.splat(1));
    v128.store(colAt(cols, M, 0, pa) + 16, f64x2.splat(1));
    v128.store(colAt(cols, M, 0, pb), f64x2.splat(1));
    v128.store(colAt(cols, M, 0, pb) + 16, f64x2.splat(1));
  }
  for (let xx = 0; xx < pw; xx++) {
    const off = <usize>xx * xStep;
    for (let yy = 0; yy < ph; yy++) {
      const k = 1 + xx * ph + yy;
      storeCols4(colAt(cols, M, k, pa), f32x4.mul(f32x4.sub(v128.load(a + off + <usize>yy * yStep), meanA), normA));
      storeCols4(colAt(cols, M, k, pb), f32x4.mul(f32x4.sub(v128.load(b + off + <usize>yy * yStep), meanB), normB));
    }
  }
}

/** one neuron input (position q) with the exact fmaf: sgemm's single chain, or its even/odd pair */
function neuronInputExact(cols: usize, M: i32, K: i32, w: usize, q: i32, isSplit: bool): f64 {
  const paired = K - (K % 8);
  if (isSplit) {
    let even: f64 = 0, odd: f64 = 0;
    let k = 0;
    for (; k < paired; k += 2) {
      even = fmaf(loadCol(colAt(cols, M, k, q)), <f64>load<f32>(w + <usize>k * 4), even);
      odd = fmaf(loadCol(colAt(cols, M, k + 1, q)), <f64>load<f32>(w + <usize>(k + 1) * 4), odd);
    }
    for (; k < K; k++) even = fmaf(loadCol(colAt(cols, M, k, q)), <f64>load<f32>(w + <usize>k * 4), even);
    return <f64>(<f32>(even + odd));
  }
  let d: f64 = 0;
  for (let k = 0; k < K; k++) d = fmaf(loadCol(colAt(cols, M, k, q)), <f64>load<f32>(w + <usize>k * 4), d);
  return d;
}

/**
 * One landmark's CCNF response map, CcnfExpertRuntime.response:
 * aoi: f32 [ah][aw]; weights: f32 [numNeurons][K] (bias first); weightsT:
 * the used ones transposed (transposeWeights; fused build); used: i32
 * [usedCount] neuron indices; twoAlpha: f64 [usedCount]; sigmaT: f32 Sigma
 * transposed [k][r]; split: u8 mask [p + n·M] (openblasGemm.ts); out: f32
 * [M] rows = y; scratch: f64 [K·M] + f64 [M] + f32 [M] + f32 [aw·ah] + f32 [ph·aw·yB]
 * + f32 [M] + f64 [aw·yB] (patchSums).
 * At least 4 positions (M ≥ 4).
 */
export function ccnfResponse(
  aoi: usize, aw: i32, ah: i32, pw: i32, ph: i32,
  weights: usize, weightsT: usize, numNeurons: i32, used: usize, twoAlpha: usize, usedCount: i32,
  sigmaT: usize, split: usize, out: usize, scratch: usize,
): void {
  const K = pw * ph + 1;
  const xB = aw - pw + 1, yB = ah - ph + 1;
  const M = xB * yB;
  const cols = scratch; // [K][M] (see COL_BYTES)
  const acc = cols + <usize>(K * M) * COL_BYTES; // f64 [M]
  const map = acc + <usize>M * 8; // f32 [M]
  const area = <f32>(pw * ph);
  // 1. normalised patches, stored k-major (see COL_BYTES), four positions
  // at a time in the map's position order (columns of the map outer). The
  // area is first copied into ph shifted planes, plane yy f32 [aw][yB]
  // holding aoi[i + yy][x] at x·yB + i: the value (xx, yy) of the patch at
  // position p = j·yB + i is then at plane yy, p + xx·yB, so that four
  // consecutive positions are four adjacent floats even across a column of
  // the map. Groups of four, two at a time; the last group ends at M - 1
  // (overlapping the one before when M is not a multiple of 4: the same
  // values rewritten), the last pair repeats its group when the count is odd.
  // (through the area transposed, aoiT f32 [aw][ah]: a plane's column is
  // then a run of yB adjacent floats of aoiT)
  const aoiT = map + <usize>M * 4;
  const planes = aoiT + <usize>(aw * ah) * 4; // f32 [ph][aw][yB]
  for (let y = 0; y < ah; y++) for (let x = 0; x < aw; x++) store<f32>(aoiT + <usize>(x * ah + y) * 4, load<f32>(aoi + <usize>(y * aw + x) * 4));
  const run = <usize>yB * 4;
  for (let yy = 0; yy < ph; yy++) {
    let dst = planes + <usize>(yy * aw) * run;
    let src = aoiT + <usize>yy * 4;
    for (let x = 0; x < aw; x++, dst += run, src += <usize>ah * 4) {
      let i = 0;
      for (; i + 4 <= yB; i += 4) v128.store(dst + <usize>i * 4, v128.load(src + <usize>i * 4));
      for (; i < yB; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
    }
  }
  const sumsAt = planes + <usize>(ph * aw) * run;
  const sums = patchSums(aoiT, aw, ah, pw, ph, sumsAt, (sumsAt + <usize>M * 4 + 7) & ~7) ? sumsAt : 0;
  const xStep = <usize>yB * 4, yStep = <usize>(aw * yB) * 4;
  const groups = (M + 3) >> 2;
  for (let g = 0; g < groups; g += 2) {
    const pa = min(4 * g, M - 4), pb = min(4 * (g + 1 < groups ? g + 1 : g), M - 4);
    normaliseTwoGroups(xStep, yStep, pw, ph, M, cols, area, planes + <usize>pa * 4, pa, planes + <usize>pb * 4, pb, sums);
  }
  // 2-3. neuron inputs (sgemm order) and activations
  memory.fill(acc, 0, <usize>M * 8);
  if (ASC_FEATURE_RELAXED_SIMD) neuronSumsFused(cols, M, K, weights, weightsT, used, twoAlpha, usedCount, split, acc);
  else neuronSumsEmulated(cols, M, K, weights, used, twoAlpha, usedCount, split, acc);
  // 4. transposed (rows = y), times Sigma (one chain per row), shifted to a zero minimum
  for (let x = 0; x < xB; x++) {
    for (let y = 0; y < yB; y++) store<f32>(map + <usize>(y * xB + x) * 4, <f32>load<f64>(acc + <usize>(x * yB + y) * 8));
  }
  if (ASC_FEATURE_RELAXED_SIMD) sigmaProductFused(map, sigmaT, M, out);
  else sigmaProductEmulated(map, sigmaT, M, out);
  let min: f32 = Infinity;
  for (let i = 0; i < M; i++) {
    const v = load<f32>(out + <usize>i * 4);
    if (v < min) min = v;
  }
  if (min < 0) {
    for (let i = 0; i < M; i++) {
      const at = out + <usize>i * 4;
      store<f32>(at, load<f32>(at) - min);
    }
  }
}

/**
 * Steps 2-3 of ccnfResponse, emulated FMA: neuron inputs (sgemm order) and
 * activations, eight positions at a time: four independent chains hide the
 * chains' latency (the split status is the same within each 8-aligned block
 * of positions). Each step is the double sum rounded to float; where any
 * step of the block landed on a float midpoint (double rounding could differ
 * from the FMA there) the block's eight chains are redone with the exact
 * fmaf.
 */
function neuronSumsEmulated(cols: usize, M: i32, K: i32, weights: usize, used: usize, twoAlpha: usize, usedCount: i32, split: usize, acc: usize): void {
  const paired = K - (K % 8);
  const rowStep = <usize>M * 8;
  for (let u = 0; u < usedCount; u++) {
    const n = load<i32>(used + <usize>u * 4);
    const ta = load<f64>(twoAlpha + <usize>u * 8);
    const w = weights + <usize>(n * K) * 4;
    const maskRow = split + <usize>(n * M);
    let q = 0;
    for (; q + 7 < M; q += 8) {
      const base = cols + <usize>q * 8;
      // two unsplit blocks at once: eight chains, as many as a split block has
      if (q + 15 < M && load<u8>(maskRow + q) == 0 && load<u8>(maskRow + q + 8) == 0) {
        let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
        let c4 = f64x2.splat(0), c5 = f64x2.splat(0), c6 = f64x2.splat(0), c7 = f64x2.splat(0);
        let mid = i64x2.splat(0);
        let a = base;
        for (let k = 0; k < K; k++, a += rowStep) {
          const wk = f64x2.splat(<f64>load<f32>(w + <usize>k * 4));
          const s0 = f64x2.add(f64x2.mul(v128.load(a), wk), c0);
          const s1 = f64x2.add(f64x2.mul(v128.load(a + 16), wk), c1);
          const s2 = f64x2.add(f64x2.mul(v128.load(a + 32), wk), c2);
          const s3 = f64x2.add(f64x2.mul(v128.load(a + 48), wk), c3);
          const s4 = f64x2.add(f64x2.mul(v128.load(a + 64), wk), c4);
          const s5 = f64x2.add(f64x2.mul(v128.load(a + 80), wk), c5);
          const s6 = f64x2.add(f64x2.mul(v128.load(a + 96), wk), c6);
          const s7 = f64x2.add(f64x2.mul(v128.load(a + 112), wk), c7);
          c0 = toFloat2(s0);
          c1 = toFloat2(s1);
          c2 = toFloat2(s2);
          c3 = toFloat2(s3);
          c4 = toFloat2(s4);
          c5 = toFloat2(s5);
          c6 = toFloat2(s6);
          c7 = toFloat2(s7);
          mid = v128.or(mid, v128.or(v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))), v128.or(v128.or(midpoints2(s4), midpoints2(s5)), v128.or(midpoints2(s6), midpoints2(s7)))));
        }
        if (alwaysRedo || v128.any_true(mid)) {
          for (let t = 0; t < 16; t++) {
            const d = neuronInputExact(cols, M, K, w, q + t, false);
            const at = acc + <usize>(q + t) * 8;
            store<f64>(at, <f64>(<f32>(load<f64>(at) + ta / (1 + ccnfExp(-d)))));
          }
        } else {
          activate2(acc + <usize>q * 8, c0, ta);
          activate2(acc + <usize>(q + 2) * 8, c1, ta);
          activate2(acc + <usize>(q + 4) * 8, c2, ta);
          activate2(acc + <usize>(q + 6) * 8, c3, ta);
          activate2(acc + <usize>(q + 8) * 8, c4, ta);
          activate2(acc + <usize>(q + 10) * 8, c5, ta);
          activate2(acc + <usize>(q + 12) * 8, c6, ta);
          activate2(acc + <usize>(q + 14) * 8, c7, ta);
        }
        q += 8;
        continue;
      }
      let d0: v128, d1: v128, d2: v128, d3: v128;
      let mid = i64x2.splat(0);
      const isSplit = load<u8>(maskRow + q) != 0;
      if (isSplit) {
        let e0 = f64x2.splat(0), e1 = f64x2.splat(0), e2 = f64x2.splat(0), e3 = f64x2.splat(0);
        let o0 = f64x2.splat(0), o1 = f64x2.splat(0), o2 = f64x2.splat(0), o3 = f64x2.splat(0);
        let k = 0;
        let a = base;
        for (; k < paired; k += 2, a += 2 * rowStep) {
          const b = a + rowStep;
          const we = f64x2.splat(<f64>load<f32>(w + <usize>k * 4)), wo = f64x2.splat(<f64>load<f32>(w + <usize>(k + 1) * 4));
          const s0 = f64x2.add(f64x2.mul(v128.load(a), we), e0);
          const s1 = f64x2.add(f64x2.mul(v128.load(a + 16), we), e1);
          const s2 = f64x2.add(f64x2.mul(v128.load(a + 32), we), e2);
          const s3 = f64x2.add(f64x2.mul(v128.load(a + 48), we), e3);
          const t0 = f64x2.add(f64x2.mul(v128.load(b), wo), o0);
          const t1 = f64x2.add(f64x2.mul(v128.load(b + 16), wo), o1);
          const t2 = f64x2.add(f64x2.mul(v128.load(b + 32), wo), o2);
          const t3 = f64x2.add(f64x2.mul(v128.load(b + 48), wo), o3);
          e0 = toFloat2(s0);
          e1 = toFloat2(s1);
          e2 = toFloat2(s2);
          e3 = toFloat2(s3);
          o0 = toFloat2(t0);
          o1 = toFloat2(t1);
          o2 = toFloat2(t2);
          o3 = toFloat2(t3);
          mid = v128.or(mid, v128.or(v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))), v128.or(v128.or(midpoints2(t0), midpoints2(t1)), v128.or(midpoints2(t2), midpoints2(t3)))));
        }
        for (; k < K; k++, a += rowStep) {
          const we = f64x2.splat(<f64>load<f32>(w + <usize>k * 4));
          const s0 = f64x2.add(f64x2.mul(v128.load(a), we), e0);
          const s1 = f64x2.add(f64x2.mul(v128.load(a + 16), we), e1);
          const s2 = f64x2.add(f64x2.mul(v128.load(a + 32), we), e2);
          const s3 = f64x2.add(f64x2.mul(v128.load(a + 48), we), e3);
          e0 = toFloat2(s0);
          e1 = toFloat2(s1);
          e2 = toFloat2(s2);
          e3 = toFloat2(s3);
          mid = v128.or(mid, v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))));
        }
        d0 = toFloat2(f64x2.add(e0, o0));
        d1 = toFloat2(f64x2.add(e1, o1));
        d2 = toFloat2(f64x2.add(e2, o2));
        d3 = toFloat2(f64x2.add(e3, o3));
      } else {
        let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
        let a = base;
        for (let k = 0; k < K; k++, a += rowStep) {
          const wk = f64x2.splat(<f64>load<f32>(w + <usize>k * 4));
          const s0 = f64x2.add(f64x2.mul(v128.load(a), wk), c0);
          const s1 = f64x2.add(f64x2.mul(v128.load(a + 16), wk), c1);
          const s2 = f64x2.add(f64x2.mul(v128.load(a + 32), wk), c2);
          const s3 = f64x2.add(f64x2.mul(v128.load(a + 48), wk), c3);
          c0 = toFloat2(s0);
          c1 = toFloat2(s1);
          c2 = toFloat2(s2);
          c3 = toFloat2(s3);
          mid = v128.or(mid, v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))));
        }
        d0 = c0;
        d1 = c1;
        d2 = c2;
        d3 = c3;
      }
      if (alwaysRedo || v128.any_true(mid)) {
        d0 = f64x2(neuronInputExact(cols, M, K, w, q, isSplit), neuronInputExact(cols, M, K, w, q + 1, isSplit));
        d1 = f64x2(neuronInputExact(cols, M, K, w, q + 2, isSplit), neuronInputExact(cols, M, K, w, q + 3, isSplit));
        d2 = f64x2(neuronInputExact(cols, M, K, w, q + 4, isSplit), neuronInputExact(cols, M, K, w, q + 5, isSplit));
        d3 = f64x2(neuronInputExact(cols, M, K, w, q + 6, isSplit), neuronInputExact(cols, M, K, w, q + 7, isSplit));
      }
      activate2(acc + <usize>q * 8, d0, ta);
      activate2(acc + <usize>(q + 2) * 8, d1, ta);
      activate2(acc + <usize>(q + 4) * 8, d2, ta);
      activate2(acc + <usize>(q + 6) * 8, d3, ta);
    }
    for (; q < M; q++) {
      const d = neuronInputExact(cols, M, K, w, q, load<u8>(maskRow + q) != 0);
      const at = acc + <usize>q * 8;
      store<f64>(at, <f64>(<f32>(load<f64>(at) + ta / (1 + ccnfExp(-d)))));
    }
  }
}

/**
 * Step 4 of ccnfResponse, emulated FMA: out = map · Sigma (one chain per
 * row), sixteen rows at a time (eight chains), then eight; a block where a
 * step landed on a float midpoint is redone row by row with the exact fmaf.
 */
function sigmaProductEmulated(map: usize, sigmaT: usize, M: i32, out: usize): void {
  let r = 0;
  for (; r + 15 < M; r += 16) {
    let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
    let c4 = f64x2.splat(0), c5 = f64x2.splat(0), c6 = f64x2.splat(0), c7 = f64x2.splat(0);
    let mid = i64x2.splat(0);
    let a = sigmaT + <usize>r * 4;
    for (let k = 0; k < M; k++, a += <usize>M * 4) {
      const mk = f64x2.splat(<f64>load<f32>(map + <usize>k * 4));
      const s0 = f64x2.add(f64x2.mul(mk, load2(a)), c0);
      const s1 = f64x2.add(f64x2.mul(mk, load2(a + 8)), c1);
      const s2 = f64x2.add(f64x2.mul(mk, load2(a + 16)), c2);
      const s3 = f64x2.add(f64x2.mul(mk, load2(a + 24)), c3);
      const s4 = f64x2.add(f64x2.mul(mk, load2(a + 32)), c4);
      const s5 = f64x2.add(f64x2.mul(mk, load2(a + 40)), c5);
      const s6 = f64x2.add(f64x2.mul(mk, load2(a + 48)), c6);
      const s7 = f64x2.add(f64x2.mul(mk, load2(a + 56)), c7);
      c0 = toFloat2(s0);
      c1 = toFloat2(s1);
      c2 = toFloat2(s2);
      c3 = toFloat2(s3);
      c4 = toFloat2(s4);
      c5 = toFloat2(s5);
      c6 = toFloat2(s6);
      c7 = toFloat2(s7);
      mid = v128.or(mid, v128.or(v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))), v128.or(v128.or(midpoints2(s4), midpoints2(s5)), v128.or(midpoints2(s6), midpoints2(s7)))));
    }
    if (alwaysRedo || v128.any_true(mid)) {
      for (let t = 0; t < 16; t++) store<f32>(out + <usize>(r + t) * 4, <f32>sigmaRowExact(map, sigmaT, M, r + t));
    } else {
      storeRows2(out + <usize>r * 4, c0);
      storeRows2(out + <usize>(r + 2) * 4, c1);
      storeRows2(out + <usize>(r + 4) * 4, c2);
      storeRows2(out + <usize>(r + 6) * 4, c3);
      storeRows2(out + <usize>(r + 8) * 4, c4);
      storeRows2(out + <usize>(r + 10) * 4, c5);
      storeRows2(out + <usize>(r + 12) * 4, c6);
      storeRows2(out + <usize>(r + 14) * 4, c7);
    }
  }
  for (; r + 7 < M; r += 8) {
    let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
    let mid = i64x2.splat(0);
    let a = sigmaT + <usize>r * 4;
    for (let k = 0; k < M; k++, a += <usize>M * 4) {
      const mk = f64x2.splat(<f64>load<f32>(map + <usize>k * 4));
      const s0 = f64x2.add(f64x2.mul(mk, load2(a)), c0);
      const s1 = f64x2.add(f64x2.mul(mk, load2(a + 8)), c1);
      const s2 = f64x2.add(f64x2.mul(mk, load2(a + 16)), c2);
      const s3 = f64x2.add(f64x2.mul(mk, load2(a + 24)), c3);
      c0 = toFloat2(s0);
      c1 = toFloat2(s1);
      c2 = toFloat2(s2);
      c3 = toFloat2(s3);
      mid = v128.or(mid, v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))));
    }
    if (alwaysRedo || v128.any_true(mid)) {
      for (let t = 0; t < 8; t++) store<f32>(out + <usize>(r + t) * 4, <f32>sigmaRowExact(map, sigmaT, M, r + t));
    } else {
      storeRows2(out + <usize>r * 4, c0);
      storeRows2(out + <usize>(r + 2) * 4, c1);
      storeRows2(out + <usize>(r + 4) * 4, c2);
      storeRows2(out + <usize>(r + 6) * 4, c3);
    }
  }
  for (; r < M; r++) store<f32>(out + <usize>r * 4, <f32>sigmaRowExact(map, sigmaT, M, r));
}

/** activate2 on four float lanes (positions at acc `at` .. `at` + 3) */
@inline function activate4(at: usize, d: v128, ta: f64): void {
  activate2(at, f64x2.promote_low_f32x4(d), ta);
  activate2(at + 16, f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1)), ta);
}

/**
 * Steps 2-3 of ccnfResponse, fused FMA: each neuron input is sgemm's chain
 * (or its even/odd pair) of float FMAs, four positions per vector, the
 * activations added in neuron order. Two neurons at a time over the same
 * positions (their patch loads shared, eight chains to hide the FMA
 * latency); the last M mod 8 positions one by one (neuronTailFused).
 */
function neuronSumsFused(cols: usize, M: i32, K: i32, weights: usize, weightsT: usize, used: usize, twoAlpha: usize, usedCount: i32, split: usize, acc: usize): void {
  const rowStep = <usize>M * 4;
  const whole = M & ~7;
  let u = 0;
  for (; u + 1 < usedCount; u += 2) {
    const n0 = load<i32>(used + <usize>u * 4), n1 = load<i32>(used + <usize>(u + 1) * 4);
    const ta0 = load<f64>(twoAlpha + <usize>u * 8), ta1 = load<f64>(twoAlpha + <usize>(u + 1) * 8);
    const w0 = weights + <usize>(n0 * K) * 4, w1 = weights + <usize>(n1 * K) * 4;
    const mask0 = split + <usize>(n0 * M), mask1 = split + <usize>(n1 * M);
    for (let q = 0; q < whole; q += 8) {
      const a = cols + <usize>q * 4, at = acc + <usize>q * 8;
      const s0 = load<u8>(mask0 + q) != 0, s1 = load<u8>(mask1 + q) != 0;
      if (s0 && s1) splitPair8(a, rowStep, K, w0, w1, at, ta0, ta1);
      else if (!s0 && !s1) {
        if (q + 16 <= whole && load<u8>(mask0 + q + 8) == 0 && load<u8>(mask1 + q + 8) == 0) {
          chainPair16(a, rowStep, K, w0, w1, at, ta0, ta1);
          q += 8;
        } else {
          chainPair8(a, rowStep, K, w0, w1, at, ta0, ta1);
        }
      } else {
        single8(a, rowStep, K, w0, s0, at, ta0);
        single8(a, rowStep, K, w1, s1, at, ta1);
      }
    }
  }
  if (u < usedCount) {
    const n = load<i32>(used + <usize>u * 4);
    const ta = load<f64>(twoAlpha + <usize>u * 8);
    const w = weights + <usize>(n * K) * 4;
    const mask = split + <usize>(n * M);
    for (let q = 0; q < whole; q += 8) single8(cols + <usize>q * 4, rowStep, K, w, load<u8>(mask + q) != 0, acc + <usize>q * 8, ta);
  }
  for (let q = whole; q < M; q++) neuronTailFused(cols, M, K, weightsT, twoAlpha, usedCount, q, acc);
}

/**
 * The used neurons' inputs at one position q (single chains: positions
 * past the last whole 8-block are never split), eight neurons per two
 * vectors with the weights transposed (weightsT, see transposeWeights),
 * then their activations in neuron order.
 */
function neuronTailFused(cols: usize, M: i32, K: i32, weightsT: usize, twoAlpha: usize, usedCount: i32, q: i32, acc: usize): void {
  const rowStep = <usize>M * 4;
  const wStep = <usize>((usedCount + 7) & ~7) * 4;
  const at = acc + <usize>q * 8;
  for (let g = 0; g < usedCount; g += 8) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
    let a = cols + <usize>q * 4;
    let w = weightsT + <usize>g * 4;
    for (let k = 0; k < K; k++, a += rowStep, w += wStep) {
      const x = splatF(a);
      c0 = madd4(x, v128.load(w), c0);
      c1 = madd4(x, v128.load(w + 16), c1);
    }
    v128.store(lanes, c0);
    v128.store(lanes + 16, c1);
    const count = min(8, usedCount - g);
    for (let t = 0; t < count; t++) {
      const d = <f64>load<f32>(lanes + <usize>t * 4);
      const ta = load<f64>(twoAlpha + <usize>(g + t) * 8);
      store<f64>(at, <f64>(<f32>(load<f64>(at) + ta / (1 + ccnfExp(-d)))));
    }
  }
}

/**
 * weightsT f32 [K][U] (U = usedCount rounded up to 8, zeros after the
 * used ones): the used neurons' weights (rows of weights f32
 * [numNeurons][K]) transposed, for neuronTailFused.
 */
export function transposeWeights(weights: usize, K: i32, used: usize, usedCount: i32, weightsT: usize): void {
  const U = (usedCount + 7) & ~7;
  memory.fill(weightsT, 0, <usize>(K * U) * 4);
  for (let u = 0; u < usedCount; u++) {
    const w = weights + <usize>(load<i32>(used + <usize>u * 4) * K) * 4;
    for (let k = 0; k < K; k++) store<f32>(weightsT + <usize>(k * U + u) * 4, load<f32>(w + <usize>k * 4));
  }
}

@inline function splatF(at: usize): v128 {
  return f32x4.splat(load<f32>(at));
}

/** two neurons (weights w0, w1) at eight positions (patches from a), both split into even/odd chains; activations into acc at `at` */
@inline function splitPair8(a0: usize, rowStep: usize, K: i32, w0: usize, w1: usize, at: usize, ta0: f64, ta1: f64): void {
  const paired = K - (K % 8);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), o0 = f32x4.splat(0), o1 = f32x4.splat(0);
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), p0 = f32x4.splat(0), p1 = f32x4.splat(0);
  let a = a0;
  let k = 0;
  for (; k < paired; k += 2, a += 2 * rowStep) {
    const x0 = v128.load(a), x1 = v128.load(a + 16), y0 = v128.load(a + rowStep), y1 = v128.load(a + rowStep + 16);
    const we0 = splatF(w0 + <usize>k * 4), wo0 = splatF(w0 + <usize>k * 4 + 4);
    const we1 = splatF(w1 + <usize>k * 4), wo1 = splatF(w1 + <usize>k * 4 + 4);
    e0 = madd4(x0, we0, e0);
    e1 = madd4(x1, we0, e1);
    o0 = madd4(y0, wo0, o0);
    o1 = madd4(y1, wo0, o1);
    f0 = madd4(x0, we1, f0);
    f1 = madd4(x1, we1, f1);
    p0 = madd4(y0, wo1, p0);
    p1 = madd4(y1, wo1, p1);
  }
  for (; k < K; k++, a += rowStep) {
    const x0 = v128.load(a), x1 = v128.load(a + 16);
    const we0 = splatF(w0 + <usize>k * 4), we1 = splatF(w1 + <usize>k * 4);
    e0 = madd4(x0, we0, e0);
    e1 = madd4(x1, we0, e1);
    f0 = madd4(x0, we1, f0);
    f1 = madd4(x1, we1, f1);
  }
  activate4(at, f32x4.add(e0, o0), ta0);
  activate4(at + 32, f32x4.add(e1, o1), ta0);
  activate4(at, f32x4.add(f0, p0), ta1);
  activate4(at + 32, f32x4.add(f1, p1), ta1);
}

/** two neurons at eight positions, single chains */
@inline function chainPair8(a0: usize, rowStep: usize, K: i32, w0: usize, w1: usize, at: usize, ta0: f64, ta1: f64): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let a = a0;
  for (let k = 0; k < K; k++, a += rowStep) {
    const x0 = v128.load(a), x1 = v128.load(a + 16);
    const v0 = splatF(w0 + <usize>k * 4), v1 = splatF(w1 + <usize>k * 4);
    c0 = madd4(x0, v0, c0);
    c1 = madd4(x1, v0, c1);
    d0 = madd4(x0, v1, d0);
    d1 = madd4(x1, v1, d1);
  }
  activate4(at, c0, ta0);
  activate4(at + 32, c1, ta0);
  activate4(at, d0, ta1);
  activate4(at + 32, d1, ta1);
}

/** two neurons at sixteen positions, single chains */
@inline function chainPair16(a0: usize, rowStep: usize, K: i32, w0: usize, w1: usize, at: usize, ta0: f64, ta1: f64): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  let a = a0;
  for (let k = 0; k < K; k++, a += rowStep) {
    const x0 = v128.load(a), x1 = v128.load(a + 16), x2 = v128.load(a + 32), x3 = v128.load(a + 48);
    const v0 = splatF(w0 + <usize>k * 4), v1 = splatF(w1 + <usize>k * 4);
    c0 = madd4(x0, v0, c0);
    c1 = madd4(x1, v0, c1);
    c2 = madd4(x2, v0, c2);
    c3 = madd4(x3, v0, c3);
    d0 = madd4(x0, v1, d0);
    d1 = madd4(x1, v1, d1);
    d2 = madd4(x2, v1, d2);
    d3 = madd4(x3, v1, d3);
  }
  for (let t = 0; t < 2; t++) {
    const ta = t == 0 ? ta0 : ta1;
    activate4(at, t == 0 ? c0 : d0, ta);
    activate4(at + 32, t == 0 ? c1 : d1, ta);
    activate4(at + 64, t == 0 ? c2 : d2, ta);
    activate4(at + 96, t == 0 ? c3 : d3, ta);
  }
}

/** one neuron at eight positions: its even/odd pair (isSplit) or a single chain */
function single8(a0: usize, rowStep: usize, K: i32, w: usize, isSplit: bool, at: usize, ta: f64): void {
  let a = a0;
  let d0: v128, d1: v128;
  if (isSplit) {
    const paired = K - (K % 8);
    let e0 = f32x4.splat(0), e1 = f32x4.splat(0), o0 = f32x4.splat(0), o1 = f32x4.splat(0);
    let k = 0;
    for (; k < paired; k += 2, a += 2 * rowStep) {
      const we = splatF(w + <usize>k * 4), wo = splatF(w + <usize>k * 4 + 4);
      e0 = madd4(v128.load(a), we, e0);
      e1 = madd4(v128.load(a + 16), we, e1);
      o0 = madd4(v128.load(a + rowStep), wo, o0);
      o1 = madd4(v128.load(a + rowStep + 16), wo, o1);
    }
    for (; k < K; k++, a += rowStep) {
      const we = splatF(w + <usize>k * 4);
      e0 = madd4(v128.load(a), we, e0);
      e1 = madd4(v128.load(a + 16), we, e1);
    }
    d0 = f32x4.add(e0, o0);
    d1 = f32x4.add(e1, o1);
  } else {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
    for (let k = 0; k < K; k++, a += rowStep) {
      const wk = splatF(w + <usize>k * 4);
      c0 = madd4(v128.load(a), wk, c0);
      c1 = madd4(v128.load(a + 16), wk, c1);
    }
    d0 = c0;
    d1 = c1;
  }
  activate4(at, d0, ta);
  activate4(at + 32, d1, ta);
}

/**
 * Step 4 of ccnfResponse, fused FMA: out = map · Sigma, one chain of float
 * FMAs per row, four rows per vector; sixteen rows at a time, then four,
 * then one by one.
 */
function sigmaProductFused(map: usize, sigmaT: usize, M: i32, out: usize): void {
  const rowStep = <usize>M * 4;
  let r = 0;
  for (; r + 16 <= M; r += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let a = sigmaT + <usize>r * 4;
    for (let k = 0; k < M; k++, a += rowStep) {
      const mk = f32x4.splat(load<f32>(map + <usize>k * 4));
      c0 = madd4(mk, v128.load(a), c0);
      c1 = madd4(mk, v128.load(a + 16), c1);
      c2 = madd4(mk, v128.load(a + 32), c2);
      c3 = madd4(mk, v128.load(a + 48), c3);
    }
    const at = out + <usize>r * 4;
    v128.store(at, c0);
    v128.store(at + 16, c1);
    v128.store(at + 32, c2);
    v128.store(at + 48, c3);
  }
  for (; r + 4 <= M; r += 4) {
    let c = f32x4.splat(0);
    let a = sigmaT + <usize>r * 4;
    for (let k = 0; k < M; k++, a += rowStep) c = madd4(f32x4.splat(load<f32>(map + <usize>k * 4)), v128.load(a), c);
    v128.store(out + <usize>r * 4, c);
  }
  for (; r < M; r++) store<f32>(out + <usize>r * 4, <f32>sigmaRowExact(map, sigmaT, M, r));
}

// --- 3D shape (src/core/clnf/pdmFloat.ts shape3dF) --------------------------

/**
 * PDM::CalcShape3D as shape3dF: out[r] = float(sgemm chain Σ_k loc[k]·V[r][k]
 * + mean[r]) for r < rows. VT: f32 [m][R] the principal components
 * transposed, R = rows rounded up to 4 (zeros beyond rows); mean f32 [R];
 * loc f32 [m]; out f32 [R]. Fused build: four rows per vector.
 */
export function shape3d(VT: usize, mean: usize, rows: i32, m: i32, loc: usize, out: usize): void {
  const R = (rows + 3) & ~3;
  if (ASC_FEATURE_RELAXED_SIMD) {
    const step = <usize>R * 4;
    for (let r = 0; r < R; r += 4) {
      let c = f32x4.splat(0);
      let v = VT + <usize>r * 4;
      for (let k = 0; k < m; k++, v += step) c = madd4(splatF(loc + <usize>k * 4), v128.load(v), c);
      v128.store(out + <usize>r * 4, f32x4.add(c, v128.load(mean + <usize>r * 4)));
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    let acc: f64 = 0;
    for (let k = 0; k < m; k++) acc = fmaf(<f64>load<f32>(loc + <usize>k * 4), <f64>load<f32>(VT + <usize>(k * R + r) * 4), acc);
    store<f32>(out + <usize>r * 4, <f32>(acc + <f64>load<f32>(mean + <usize>r * 4)));
  }
}

// --- Hessian (src/core/clnf/pdmFloat.ts hessianF) ---------------------------

@inline function storeH2(H: usize, j: i32, P: i32, i: i32, v: v128, reg: usize, hasReg: i32): void {
  for (let lane = 0; lane < 2; lane++) {
    const ii = i + lane;
    const acc = lane == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1);
    const c: f64 = hasReg != 0 && ii == j && ii >= 6 ? load<f64>(reg + <usize>(ii - 6) * 8) : 0;
    store<f64>(H + <usize>(j * P + ii) * 8, <f64>(<f32>(acc + c)));
  }
}

/** one Hessian entry Σ_k J[k][i]·JwT[j][k] with the exact fmaf (sgemm's single chain or even/odd pair) */
function hessianEntryExact(J: usize, wrow: usize, rows: i32, P: i32, i: i32, isSplit: bool): f64 {
  const paired = rows - (rows % 8);
  if (isSplit) {
    let even: f64 = 0, odd: f64 = 0;
    let k = 0;
    for (; k < paired; k += 2) {
      even = fmaf(<f64>load<f32>(J + <usize>(k * P + i) * 4), <f64>load<f32>(wrow + <usize>k * 4), even);
      odd = fmaf(<f64>load<f32>(J + <usize>((k + 1) * P + i) * 4), <f64>load<f32>(wrow + <usize>(k + 1) * 4), odd);
    }
    for (; k < rows; k++) even = fmaf(<f64>load<f32>(J + <usize>(k * P + i) * 4), <f64>load<f32>(wrow + <usize>k * 4), even);
    return <f64>(<f32>(even + odd));
  }
  let acc: f64 = 0;
  for (let k = 0; k < rows; k++) acc = fmaf(<f64>load<f32>(J + <usize>(k * P + i) * 4), <f64>load<f32>(wrow + <usize>k * 4), acc);
  return acc;
}

@inline function storeH(H: usize, j: i32, P: i32, i: i32, acc: f64, reg: usize, hasReg: i32): void {
  const c: f64 = hasReg != 0 && i == j && i >= 6 ? load<f64>(reg + <usize>(i - 6) * 8) : 0;
  store<f64>(H + <usize>(j * P + i) * 8, <f64>(<f32>(acc + c)));
}

/**
 * The lower triangle (columns i ≤ row j, what the Cholesky solve reads) of
 * H[j][i] = float(sgemm's Σ_k J[k][i]·JwT[j][k] + reg) for a P-parameter
 * fit: J: f32 [rows][P] (the Jacobian, row-major), JwT: f32
 * [P][rows], reg: f64 [P - 6] regularisation on the modes' diagonal
 * (ignored when hasReg is 0), split: u8 mask [i + j·P], H: f64 [P][P]
 * (float values).
 */
export function hessian(J: usize, JwT: usize, rows: i32, P: i32, reg: usize, hasReg: i32, split: usize, H: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) hessianFused(J, JwT, rows, P, reg, hasReg, split, H);
  else hessianEmulated(J, JwT, rows, P, reg, hasReg, split, H);
}

/**
 * `hessian`, fused FMA: eight columns at a time as two vectors of float FMA
 * chains (or their even/odd pairs; one split status per 8-aligned block).
 * A row's last block is computed whole and stored up to the diagonal (the
 * columns beyond it read the next Jacobian row, unused).
 */
function hessianFused(J: usize, JwT: usize, rows: i32, P: i32, reg: usize, hasReg: i32, split: usize, H: usize): void {
  const paired = rows - (rows % 8);
  const rowStep = <usize>P * 4;
  for (let j = 0; j < P; j++) {
    const wrow = JwT + <usize>(j * rows) * 4;
    const maskRow = split + <usize>(j * P);
    for (let i = 0; i <= j; i += 8) {
      let a = J + <usize>i * 4;
      let d0: v128, d1: v128;
      if (load<u8>(maskRow + i) != 0) {
        let e0 = f32x4.splat(0), e1 = f32x4.splat(0), o0 = f32x4.splat(0), o1 = f32x4.splat(0);
        let k = 0;
        for (; k < paired; k += 2, a += 2 * rowStep) {
          const we = f32x4.splat(load<f32>(wrow + <usize>k * 4)), wo = f32x4.splat(load<f32>(wrow + <usize>(k + 1) * 4));
          e0 = madd4(v128.load(a), we, e0);
          e1 = madd4(v128.load(a + 16), we, e1);
          o0 = madd4(v128.load(a + rowStep), wo, o0);
          o1 = madd4(v128.load(a + rowStep + 16), wo, o1);
        }
        for (; k < rows; k++, a += rowStep) {
          const we = f32x4.splat(load<f32>(wrow + <usize>k * 4));
          e0 = madd4(v128.load(a), we, e0);
          e1 = madd4(v128.load(a + 16), we, e1);
        }
        d0 = f32x4.add(e0, o0);
        d1 = f32x4.add(e1, o1);
      } else {
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
        for (let k = 0; k < rows; k++, a += rowStep) {
          const wk = f32x4.splat(load<f32>(wrow + <usize>k * 4));
          c0 = madd4(v128.load(a), wk, c0);
          c1 = madd4(v128.load(a + 16), wk, c1);
        }
        d0 = c0;
        d1 = c1;
      }
      v128.store(lanes, d0);
      v128.store(lanes + 16, d1);
      const last = min(i + 7, j);
      for (let t = i; t <= last; t++) storeH(H, j, P, t, <f64>load<f32>(lanes + <usize>(t - i) * 4), reg, hasReg);
    }
  }
}

/**
 * `hessian`, emulated FMA: eight columns at a time (one split status per
 * 8-aligned block), each step the double sum rounded to float; a block
 * where a step landed on a float midpoint is redone with the exact fmaf.
 */
function hessianEmulated(J: usize, JwT: usize, rows: i32, P: i32, reg: usize, hasReg: i32, split: usize, H: usize): void {
  const paired = rows - (rows % 8);
  const rowStep = <usize>P * 4;
  for (let j = 0; j < P; j++) {
    const wrow = JwT + <usize>(j * rows) * 4;
    const maskRow = split + <usize>(j * P);
    let i = 0;
    for (; i + 7 <= j; i += 8) {
      const base = J + <usize>i * 4;
      let d0: v128, d1: v128, d2: v128, d3: v128;
      let mid = i64x2.splat(0);
      const isSplit = load<u8>(maskRow + i) != 0;
      if (isSplit) {
        let e0 = f64x2.splat(0), e1 = f64x2.splat(0), e2 = f64x2.splat(0), e3 = f64x2.splat(0);
        let o0 = f64x2.splat(0), o1 = f64x2.splat(0), o2 = f64x2.splat(0), o3 = f64x2.splat(0);
        let k = 0;
        let a = base;
        for (; k < paired; k += 2, a += 2 * rowStep) {
          const b = a + rowStep;
          const we = f64x2.splat(<f64>load<f32>(wrow + <usize>k * 4)), wo = f64x2.splat(<f64>load<f32>(wrow + <usize>(k + 1) * 4));
          const s0 = f64x2.add(f64x2.mul(load2(a), we), e0);
          const s1 = f64x2.add(f64x2.mul(load2(a + 8), we), e1);
          const s2 = f64x2.add(f64x2.mul(load2(a + 16), we), e2);
          const s3 = f64x2.add(f64x2.mul(load2(a + 24), we), e3);
          const t0 = f64x2.add(f64x2.mul(load2(b), wo), o0);
          const t1 = f64x2.add(f64x2.mul(load2(b + 8), wo), o1);
          const t2 = f64x2.add(f64x2.mul(load2(b + 16), wo), o2);
          const t3 = f64x2.add(f64x2.mul(load2(b + 24), wo), o3);
          e0 = toFloat2(s0);
          e1 = toFloat2(s1);
          e2 = toFloat2(s2);
          e3 = toFloat2(s3);
          o0 = toFloat2(t0);
          o1 = toFloat2(t1);
          o2 = toFloat2(t2);
          o3 = toFloat2(t3);
          mid = v128.or(mid, v128.or(v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))), v128.or(v128.or(midpoints2(t0), midpoints2(t1)), v128.or(midpoints2(t2), midpoints2(t3)))));
        }
        for (; k < rows; k++, a += rowStep) {
          const we = f64x2.splat(<f64>load<f32>(wrow + <usize>k * 4));
          const s0 = f64x2.add(f64x2.mul(load2(a), we), e0);
          const s1 = f64x2.add(f64x2.mul(load2(a + 8), we), e1);
          const s2 = f64x2.add(f64x2.mul(load2(a + 16), we), e2);
          const s3 = f64x2.add(f64x2.mul(load2(a + 24), we), e3);
          e0 = toFloat2(s0);
          e1 = toFloat2(s1);
          e2 = toFloat2(s2);
          e3 = toFloat2(s3);
          mid = v128.or(mid, v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))));
        }
        d0 = toFloat2(f64x2.add(e0, o0));
        d1 = toFloat2(f64x2.add(e1, o1));
        d2 = toFloat2(f64x2.add(e2, o2));
        d3 = toFloat2(f64x2.add(e3, o3));
      } else {
        let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
        let a = base;
        for (let k = 0; k < rows; k++, a += rowStep) {
          const wk = f64x2.splat(<f64>load<f32>(wrow + <usize>k * 4));
          const s0 = f64x2.add(f64x2.mul(load2(a), wk), c0);
          const s1 = f64x2.add(f64x2.mul(load2(a + 8), wk), c1);
          const s2 = f64x2.add(f64x2.mul(load2(a + 16), wk), c2);
          const s3 = f64x2.add(f64x2.mul(load2(a + 24), wk), c3);
          c0 = toFloat2(s0);
          c1 = toFloat2(s1);
          c2 = toFloat2(s2);
          c3 = toFloat2(s3);
          mid = v128.or(mid, v128.or(v128.or(midpoints2(s0), midpoints2(s1)), v128.or(midpoints2(s2), midpoints2(s3))));
        }
        d0 = c0;
        d1 = c1;
        d2 = c2;
        d3 = c3;
      }
      if (alwaysRedo || v128.any_true(mid)) {
        for (let t = 0; t < 8; t++) storeH(H, j, P, i + t, hessianEntryExact(J, wrow, rows, P, i + t, isSplit), reg, hasReg);
      } else {
        storeH(H, j, P, i, f64x2.extract_lane(d0, 0), reg, hasReg);
        storeH(H, j, P, i + 1, f64x2.extract_lane(d0, 1), reg, hasReg);
        storeH(H, j, P, i + 2, f64x2.extract_lane(d1, 0), reg, hasReg);
        storeH(H, j, P, i + 3, f64x2.extract_lane(d1, 1), reg, hasReg);
        storeH(H, j, P, i + 4, f64x2.extract_lane(d2, 0), reg, hasReg);
        storeH(H, j, P, i + 5, f64x2.extract_lane(d2, 1), reg, hasReg);
        storeH(H, j, P, i + 6, f64x2.extract_lane(d3, 0), reg, hasReg);
        storeH(H, j, P, i + 7, f64x2.extract_lane(d3, 1), reg, hasReg);
      }
    }
    for (; i <= j; i++) storeH(H, j, P, i, hessianEntryExact(J, wrow, rows, P, i, load<u8>(maskRow + i) != 0), reg, hasReg);
  }
}

/** dst f32 [cols][rows] = src f32 [rows][cols] transposed (the Hessian's Jacobian, laid out by parameter) */
export function transposeFloats(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>(r * cols) * 4;
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>(c * rows + r) * 4, load<f32>(from + <usize>c * 4));
  }
}

// tests: redo every block with the exact fmaf (checks the redo paths, which real data rarely takes)
let alwaysRedo = false;

/** Makes every SIMD block take its exact redo path (1) or only blocks with a float midpoint (0, the default). */
export function setAlwaysRedo(on: i32): void {
  alwaysRedo = on != 0;
}

/** Where the module's own static data ends: the TypeScript side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

// --- float Cholesky solve (src/core/pdm/linalg.ts choleskySolveF32) ----------

/**
 * choleskySolveF32 (OpenCV's CholImpl<float> for the NU-RLMS / CalcParams
 * update): the same double sums with each product of two stored floats
 * rounded to float, two off-diagonal entries of a row at a time. a: f64
 * [n][n] (its lower triangle read, overwritten by the factor), b: f64 [n]
 * overwritten by the solution. Returns 0 when a pivot is below FLT_EPSILON.
 */
export function choleskySolve(a: usize, b: usize, n: i32): i32 {
  const FLT_EPS: f64 = 1.1920928955078125e-7;
  const rowBytes = <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const ri = a + <usize>i * rowBytes;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rj = a + <usize>j * rowBytes, rj1 = rj + rowBytes;
      let s0 = load<f64>(ri + <usize>j * 8), s1 = load<f64>(ri + <usize>j * 8 + 8);
      for (let k = 0; k < j; k++) {
        const x = load<f64>(ri + <usize>k * 8);
        s0 -= <f64>(<f32>(x * load<f64>(rj + <usize>k * 8)));
        s1 -= <f64>(<f32>(x * load<f64>(rj1 + <usize>k * 8)));
      }
      const l0 = <f64>(<f32>(s0 * load<f64>(rj + <usize>j * 8)));
      store<f64>(ri + <usize>j * 8, l0);
      s1 -= <f64>(<f32>(l0 * load<f64>(rj1 + <usize>j * 8)));
      store<f64>(ri + <usize>j * 8 + 8, <f64>(<f32>(s1 * load<f64>(rj1 + <usize>j * 8 + 8))));
    }
    for (; j < i; j++) {
      const rj = a + <usize>j * rowBytes;
      let s = load<f64>(ri + <usize>j * 8);
      for (let k = 0; k < j; k++) s -= <f64>(<f32>(load<f64>(ri + <usize>k * 8) * load<f64>(rj + <usize>k * 8)));
      store<f64>(ri + <usize>j * 8, <f64>(<f32>(s * load<f64>(rj + <usize>j * 8))));
    }
    let s = load<f64>(ri + <usize>i * 8);
    for (let k = 0; k < i; k++) {
      const t = load<f64>(ri + <usize>k * 8);
      s -= t * t;
    }
    if (!(s >= FLT_EPS)) return 0;
    store<f64>(ri + <usize>i * 8, <f64>(<f32>(1 / Math.sqrt(s))));
  }
  for (let i = 0; i < n; i++) {
    const ri = a + <usize>i * rowBytes;
    let s = load<f64>(b + <usize>i * 8);
    for (let k = 0; k < i; k++) s -= <f64>(<f32>(load<f64>(ri + <usize>k * 8) * load<f64>(b + <usize>k * 8)));
    store<f64>(b + <usize>i * 8, <f64>(<f32>(s * load<f64>(ri + <usize>i * 8))));
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = load<f64>(b + <usize>i * 8);
    for (let k = n - 1; k > i; k--) s -= <f64>(<f32>(load<f64>(a + <usize>k * rowBytes + <usize>i * 8) * load<f64>(b + <usize>k * 8)));
    store<f64>(b + <usize>i * 8, <f64>(<f32>(s * load<f64>(a + <usize>i * rowBytes + <usize>i * 8))));
  }
  return 1;
}

// --- Sigma inverse (src/core/clnf/smallLinalg.ts invertCholeskyF32) -----------

/**
 * OpenCV's CholImpl<float> with the identity as right-hand side, the same
 * operations as invertCholeskyF32: a: f64 [n][n] float values (overwritten
 * by the factor), b: f64 [n][n] receives the inverse, row: f64 [n] and
 * lt: f64 [n][n] scratch.
 * Returns 0 when a pivot falls below FLT_EPSILON.
 *
 * The two substitutions run a whole row of right-hand sides at once (two
 * columns per SIMD instruction): each entry still subtracts the same float
 * products in the same k order as OpenCV's column-by-column loop. The forward
 * pass skips the products with the zeros above the diagonal of L⁻¹ (b[k][j]
 * for k < j): they are exact zeros met while the running sum is still +0,
 * so leaving them out changes no bit.
 */
export function invertCholesky(a: usize, n: i32, b: usize, row: usize, lt: usize): i32 {
  const FLT_EPS: f64 = 1.1920928955078125e-7;
  const rowBytes = <usize>n * 8;
  // the factor column by column (each entry the same operations in the same
  // k order as OpenCV's row-by-row loop), kept transposed in lt (lt[k][i] =
  // L[i][k]) so that a column below the diagonal is contiguous, then copied
  // into the lower triangle of a
  for (let j = 0; j < n; j++) {
    const ltj = lt + <usize>(j * n) * 8;
    let d = load<f64>(a + <usize>(j * n + j) * 8);
    for (let k = 0; k < j; k++) {
      const t = load<f64>(lt + <usize>(k * n + j) * 8);
      d -= t * t;
    }
    if (d < FLT_EPS) return 0;
    const ljj = <f64>(<f32>(1 / Math.sqrt(d)));
    store<f64>(ltj + <usize>j * 8, ljj);
    const first = j + 1;
    if (first == n) break;
    for (let i = first; i < n; i++) store<f64>(row + <usize>i * 8, load<f64>(a + <usize>(i * n + j) * 8));
    for (let k = 0; k < j; k++) {
      const l = load<f64>(lt + <usize>(k * n + j) * 8);
      subtractScaledRange(row, lt + <usize>(k * n) * 8, l, first, n);
    }
    for (let i = first; i < n; i++) store<f64>(ltj + <usize>i * 8, <f64>(<f32>(load<f64>(row + <usize>i * 8) * ljj)));
  }
  for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) store<f64>(a + <usize>(i * n + k) * 8, load<f64>(lt + <usize>(k * n + i) * 8));
  memory.fill(b, 0, <usize>(n * n) * 8);
  // L y = I: row i of y is non-zero up to the diagonal only
  for (let i = 0; i < n; i++) {
    const ri = a + <usize>(i * n) * 8, bi = b + <usize>(i * n) * 8;
    memory.fill(row, 0, rowBytes);
    for (let k = 0; k < i; k++) {
      const l = load<f64>(ri + <usize>k * 8);
      subtractScaledRow(row, b + <usize>(k * n) * 8, l, k + 1);
    }
    const lii = load<f64>(ri + <usize>i * 8);
    for (let j = 0; j < i; j++) store<f64>(bi + <usize>j * 8, <f64>(<f32>(load<f64>(row + <usize>j * 8) * lii)));
    store<f64>(bi + <usize>i * 8, <f64>(<f32>(lii)));
  }
  // Lᵀ x = y, from the last row up
  for (let i = n - 1; i >= 0; i--) {
    const bi = b + <usize>(i * n) * 8;
    memory.copy(row, bi, rowBytes);
    for (let k = n - 1; k > i; k--) {
      const l = load<f64>(a + <usize>(k * n + i) * 8);
      subtractScaledRow(row, b + <usize>(k * n) * 8, l, n);
    }
    const lii = load<f64>(a + <usize>(i * n + i) * 8);
    for (let j = 0; j < n; j++) store<f64>(bi + <usize>j * 8, <f64>(<f32>(load<f64>(row + <usize>j * 8) * lii)));
  }
  return 1;
}

/** row[j] -= float(l · src[j]) for from ≤ j < to (as subtractScaledRow) */
@inline function subtractScaledRange(row: usize, src: usize, l: f64, from: i32, to: i32): void {
  const lv = f64x2.splat(l);
  let j = from;
  for (; j + 1 < to; j += 2) {
    const at = row + <usize>j * 8;
    const p = toFloat2(f64x2.mul(lv, v128.load(src + <usize>j * 8)));
    v128.store(at, f64x2.sub(v128.load(at), p));
  }
  if (j < to) {
    const at = row + <usize>j * 8;
    store<f64>(at, load<f64>(at) - <f64>(<f32>(l * load<f64>(src + <usize>j * 8))));
  }
}

/** row[j] -= float(l · src[j]) for j < count (doubles; the product rounded to float as OpenCV's float code does) */
@inline function subtractScaledRow(row: usize, src: usize, l: f64, count: i32): void {
  const lv = f64x2.splat(l);
  let j = 0;
  for (; j + 1 < count; j += 2) {
    const at = row + <usize>j * 8;
    const p = toFloat2(f64x2.mul(lv, v128.load(src + <usize>j * 8)));
    v128.store(at, f64x2.sub(v128.load(at), p));
  }
  if (j < count) {
    const at = row + <usize>j * 8;
    store<f64>(at, load<f64>(at) - <f64>(<f32>(l * load<f64>(src + <usize>j * 8))));
  }
}
