// AssemblyScript: the hot layers of src/core/cnn (src/core/cnn/wasmLayers.ts
// loads the compiled module; scripts/build-wasm.ts compiles it at install).
//
// Every kernel gives the bits of its TypeScript twin (convolution.ts,
// activation.ts, pooling.ts, fullyConnected.ts); tests/core/cnn/
// wasmLayers.test.ts compares them on random shapes and values.
//
// Convolution: every output is the same chain of roundings as in the
// TypeScript, acc = float(double(input · weight) + acc) term by term in
// im2col order (input map, kernel column x, kernel row y), then
// float(acc + bias). A product of two floats is exact in double, and the
// double sum is rounded once to double and once to float, exactly as
// Math.fround(v * w + acc) does. That is why the lanes are f64x2, not f32x4:
// a float multiply would round the product, which neither the TypeScript nor
// OpenBLAS's fused multiply-add does.
//
// SIMD runs two output maps side by side (one lane each); each lane keeps its
// own sequential sum. A block of 4 maps x 4 positions (8 vectors) gives the
// CPU 8 independent chains to overlap: one chain step is an add and two
// conversions, latency-bound on its own. No im2col matrix: the windows are
// read in place through a table of offsets, one per im2col column.
//
// No AssemblyScript runtime objects: raw pointers into linear memory, laid
// out by the TypeScript side.

/** Where the module's own static data ends: the TypeScript side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

// --- weights ---------------------------------------------------------------

/** Bytes of a weight matrix as `arrangeWeights` lays it out (f64, rows padded to an even count). */
export function arrangedWeightsBytes(rows: i32, len: i32): i32 {
  return ((rows + 1) & ~1) * len * 8;
}

/**
 * Lays out a weight matrix, src f32 [rows][len] (one row per output map or
 * output), as dst f64 in groups of `group` rows while they fill one, then
 * groups of 2: group by group, [j][row in group], so that one column's
 * weights for a group are adjacent. An odd row count is padded with a row
 * of zeros (whose results are never stored).
 */
export function arrangeWeights(src: usize, rows: i32, len: i32, group: i32, dst: usize): void {
  const padded = (rows + 1) & ~1;
  let k0 = 0;
  while (k0 < padded) {
    const size = k0 + group <= padded ? group : 2;
    const at = dst + <usize>(k0 * len) * 8;
    for (let j = 0; j < len; j++) {
      for (let m = 0; m < size; m++) {
        const k = k0 + m;
        const w: f64 = k < rows ? <f64>load<f32>(src + <usize>(k * len + j) * 4) : 0;
        store<f64>(at + <usize>(j * size + m) * 8, w);
      }
    }
    k0 += size;
  }
}

// --- convolution -----------------------------------------------------------

/** Output maps per convolution weight group: the main block's maps (two vectors). */
export const CONVOLUTION_GROUP: i32 = 4;

/** What the convolution does to each output as it stores it (activation.ts). */
const STORE_PLAIN = 0;
const STORE_RELU = 1;
const STORE_PRELU = 2;

/** float(x) for both lanes, held in double */
@inline function toFloat2(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/** one sum step for both lanes: float(double(s · w) + acc) */
@inline function step(acc: v128, s: v128, w: v128): v128 {
  return toFloat2(f64x2.add(f64x2.mul(s, w), acc));
}

/**
 * Stores float(acc + bias) of maps k, k + 1 at position p (k + 1 only when
 * it exists), after relu (v > 0 ? v : 0) or prelu (v >= 0 ? v :
 * float(v · slope)) when asked.
 */
@inline function store2(out: usize, acc: v128, bias: v128, activation: i32, slopes: v128, k: i32, outputMaps: i32, positions: i32, p: i32): void {
  let v = f32x4.demote_f64x2_zero(f64x2.add(acc, bias));
  if (activation == STORE_RELU) {
    v = v128.and(v, f32x4.gt(v, f32x4.splat(0)));
  } else if (activation == STORE_PRELU) {
    const scaled = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v), slopes));
    v = v128.bitselect(v, scaled, f32x4.ge(v, f32x4.splat(0)));
  }
  store<f32>(out + <usize>(k * positions + p) * 4, f32x4.extract_lane(v, 0));
  if (k + 1 < outputMaps) store<f32>(out + <usize>((k + 1) * positions + p) * 4, f32x4.extract_lane(v, 1));
}

/**
 * Valid cross-correlation plus bias, as convolution.ts computes it, then the
 * activation (0 none, 1 relu, 2 prelu with f64 slopes per map).
 * input: f64 [inputMaps][height][width]; weights: arrangeWeights with group
 * CONVOLUTION_GROUP; biases and slopes: f64 [outputMaps padded to even];
 * offsets: i32 scratch [len]; out: f32 [outputMaps][oh][ow], oh = height -
 * kh + 1, ow = width - kw + 1.
 */
export function convolve(
  input: usize, width: i32, height: i32, inputMaps: i32, kh: i32, kw: i32,
  weights: usize, biases: usize, outputMaps: i32, activation: i32, slopes: usize, offsets: usize, out: usize,
): void {
  const len = inputMaps * kh * kw;
  const oh = height - kh + 1, ow = width - kw + 1;
  const positions = oh * ow;
  // byte offset of each im2col column inside a window, in the order the sums run
  let j = 0;
  for (let c = 0; c < inputMaps; c++) {
    for (let x = 0; x < kw; x++) {
      for (let y = 0; y < kh; y++, j++) store<i32>(offsets + <usize>j * 4, ((c * height + y) * width + x) * 8);
    }
  }
  const padded = (outputMaps + 1) & ~1;
  let k = 0;
  for (; k + CONVOLUTION_GROUP <= padded; k += CONVOLUTION_GROUP) {
    group4(input, width, ow, positions, len, weights + <usize>(k * len) * 8, biases + <usize>k * 8, activation, slopes + <usize>k * 8, k, outputMaps, offsets, out);
  }
  if (k < padded) group2(input, width, ow, positions, len, weights + <usize>(k * len) * 8, biases + <usize>k * 8, activation, slopes + <usize>k * 8, k, outputMaps, offsets, out);
}

/** Window origin (byte address in input) of output position p; positions past the end repeat the last one. */
@inline function windowAt(input: usize, width: i32, ow: i32, positions: i32, p: i32): usize {
  const q = min(p, positions - 1);
  const oy = q / ow;
  return input + <usize>((oy * width + q - oy * ow) * 8);
}

/** Maps k..k+3 (weights w: [len][4]), four positions at a time. */
function group4(
  input: usize, width: i32, ow: i32, positions: i32, len: i32, w: usize, biases: usize,
  activation: i32, slopes: usize, k: i32, outputMaps: i32, offsets: usize, out: usize,
): void {
  const biasLo = v128.load(biases), biasHi = v128.load(biases, 16);
  const slopesLo = v128.load(slopes), slopesHi = v128.load(slopes, 16);
  for (let p = 0; p < positions; p += 4) {
    const i0 = windowAt(input, width, ow, positions, p);
    const i1 = windowAt(input, width, ow, positions, p + 1);
    const i2 = windowAt(input, width, ow, positions, p + 2);
    const i3 = windowAt(input, width, ow, positions, p + 3);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let wj = w;
    const end = offsets + <usize>len * 4;
    for (let o = offsets; o < end; o += 4, wj += 32) {
      const off = <usize>load<i32>(o);
      const lo = v128.load(wj), hi = v128.load(wj, 16);
      const s0 = v128.load64_splat(i0 + off), s1 = v128.load64_splat(i1 + off);
      const s2 = v128.load64_splat(i2 + off), s3 = v128.load64_splat(i3 + off);
      a0 = step(a0, s0, lo);
      b0 = step(b0, s0, hi);
      a1 = step(a1, s1, lo);
      b1 = step(b1, s1, hi);
      a2 = step(a2, s2, lo);
      b2 = step(b2, s2, hi);
      a3 = step(a3, s3, lo);
      b3 = step(b3, s3, hi);
    }
    store2(out, a0, biasLo, activation, slopesLo, k, outputMaps, positions, p);
    store2(out, b0, biasHi, activation, slopesHi, k + 2, outputMaps, positions, p);
    if (p + 1 < positions) {
      store2(out, a1, biasLo, activation, slopesLo, k, outputMaps, positions, p + 1);
      store2(out, b1, biasHi, activation, slopesHi, k + 2, outputMaps, positions, p + 1);
    }
    if (p + 2 < positions) {
      store2(out, a2, biasLo, activation, slopesLo, k, outputMaps, positions, p + 2);
      store2(out, b2, biasHi, activation, slopesHi, k + 2, outputMaps, positions, p + 2);
    }
    if (p + 3 < positions) {
      store2(out, a3, biasLo, activation, slopesLo, k, outputMaps, positions, p + 3);
      store2(out, b3, biasHi, activation, slopesHi, k + 2, outputMaps, positions, p + 3);
    }
  }
}

/** Maps k, k+1 (weights w: [len][2]), eight positions at a time. */
function group2(
  input: usize, width: i32, ow: i32, positions: i32, len: i32, w: usize, biases: usize,
  activation: i32, slopes: usize, k: i32, outputMaps: i32, offsets: usize, out: usize,
): void {
  const bias = v128.load(biases), slope = v128.load(slopes);
  for (let p = 0; p < positions; p += 8) {
    const i0 = windowAt(input, width, ow, positions, p);
    const i1 = windowAt(input, width, ow, positions, p + 1);
    const i2 = windowAt(input, width, ow, positions, p + 2);
    const i3 = windowAt(input, width, ow, positions, p + 3);
    const i4 = windowAt(input, width, ow, positions, p + 4);
    const i5 = windowAt(input, width, ow, positions, p + 5);
    const i6 = windowAt(input, width, ow, positions, p + 6);
    const i7 = windowAt(input, width, ow, positions, p + 7);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    let wj = w;
    const end = offsets + <usize>len * 4;
    for (let o = offsets; o < end; o += 4, wj += 16) {
      const off = <usize>load<i32>(o);
      const wv = v128.load(wj);
      a0 = step(a0, v128.load64_splat(i0 + off), wv);
      a1 = step(a1, v128.load64_splat(i1 + off), wv);
      a2 = step(a2, v128.load64_splat(i2 + off), wv);
      a3 = step(a3, v128.load64_splat(i3 + off), wv);
      a4 = step(a4, v128.load64_splat(i4 + off), wv);
      a5 = step(a5, v128.load64_splat(i5 + off), wv);
      a6 = step(a6, v128.load64_splat(i6 + off), wv);
      a7 = step(a7, v128.load64_splat(i7 + off), wv);
    }
    store2(out, a0, bias, activation, slope, k, outputMaps, positions, p);
    if (p + 1 < positions) store2(out, a1, bias, activation, slope, k, outputMaps, positions, p + 1);
    if (p + 2 < positions) store2(out, a2, bias, activation, slope, k, outputMaps, positions, p + 2);
    if (p + 3 < positions) store2(out, a3, bias, activation, slope, k, outputMaps, positions, p + 3);
    if (p + 4 < positions) store2(out, a4, bias, activation, slope, k, outputMaps, positions, p + 4);
    if (p + 5 < positions) store2(out, a5, bias, activation, slope, k, outputMaps, positions, p + 5);
    if (p + 6 < positions) store2(out, a6, bias, activation, slope, k, outputMaps, positions, p + 6);
    if (p + 7 < positions) store2(out, a7, bias, activation, slope, k, outputMaps, positions, p + 7);
  }
}

// --- max pooling (pooling.ts) ------------------------------------------------

const LOWEST_FLOAT: f32 = -3.4028234663852886e38;

/**
 * Max pooling as pooling.ts computes it: out f32 [channels][oh][ow] (sizes
 * from pooledSize; outputs whose window would start outside the map stay
 * 0), each the largest value of its window clipped at the map's edges,
 * starting from the lowest float; a value replaces the best only when
 * greater (NaN never does). Stride 2 windows inside the map go four outputs
 * at a time: f32x4.pmax(best, v) is exactly `v > best ? v : best`.
 * input: f32 [channels][height][width], readable 16 bytes past its end.
 */
export function maxPool(input: usize, channels: i32, height: i32, width: i32, kx: i32, ky: i32, sx: i32, sy: i32, oh: i32, ow: i32, out: usize): void {
  memory.fill(out, 0, <usize>(channels * oh * ow) * 4);
  const plane = <usize>(height * width) * 4;
  // outputs ox < inner have their whole window inside the row
  const inner = sx == 2 && width >= kx ? min(ow, (width - kx) / 2 + 1) : 0;
  for (let c = 0; c < channels; c++) {
    const src = input + <usize>c * plane;
    const dst = out + <usize>(c * oh * ow) * 4;
    for (let oy = 0, y = 0; oy < oh && y < height; oy++, y += sy) {
      const yEnd = min(height, y + ky);
      const row = dst + <usize>(oy * ow) * 4;
      let ox = 0;
      for (; ox + 4 <= inner; ox += 4) {
        let best = f32x4.splat(LOWEST_FLOAT);
        for (let yy = y; yy < yEnd; yy++) {
          const line = src + <usize>(yy * width + 2 * ox) * 4;
          for (let xx = 0; xx < kx; xx++) {
            const at = line + <usize>xx * 4;
            // x = 2·ox + xx for the four outputs: the even lanes of eight floats
            const even = i8x16.shuffle(v128.load(at), v128.load(at, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
            best = f32x4.pmax(best, even);
          }
        }
        v128.store(row + <usize>ox * 4, best);
      }
      for (let x = ox * sx; ox < ow && x < width; ox++, x += sx) {
        const xEnd = min(width, x + kx);
        let best = LOWEST_FLOAT;
        for (let yy = y; yy < yEnd; yy++) {
          const line = src + <usize>(yy * width) * 4;
          for (let xx = x; xx < xEnd; xx++) {
            const v = load<f32>(line + <usize>xx * 4);
            if (v > best) best = v;
          }
        }
        store<f32>(row + <usize>ox * 4, best);
      }
    }
  }
}

// --- fully connected, sums in double (fullyConnected.ts) ----------------------

/** Outputs per fully connected weight group (eight vectors: eight chains). */
export const FULLY_CONNECTED_GROUP: i32 = 16;

/**
 * fullyConnected.ts with double sums: for each position p and output o,
 * s = Σ_i double(w[o][i] · v_p[i]) in i order (each product exact, each
 * sum rounded to double), stored as float(s + bias), or as
 * float(float(s) + bias) when roundSum (the per-pixel form).
 * v_p[i] is the f64 at vectors + p·positionStep + i·inputStep (bytes);
 * weights: arrangeWeights with group FULLY_CONNECTED_GROUP; biases: f64
 * [outputs padded to even]; out: f32 [outputs][positions].
 */
export function fullyConnected(
  vectors: usize, positions: i32, positionStep: usize, inputs: i32, inputStep: usize,
  weights: usize, biases: usize, outputs: i32, roundSum: i32, out: usize,
): void {
  const padded = (outputs + 1) & ~1;
  let k = 0;
  for (; k + FULLY_CONNECTED_GROUP <= padded; k += FULLY_CONNECTED_GROUP) {
    const w = weights + <usize>(k * inputs) * 8;
    for (let p = 0; p < positions; p++) {
      const v = vectors + <usize>p * positionStep;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      let wi = w, vi = v;
      for (let i = 0; i < inputs; i++, wi += 128, vi += inputStep) {
        const s = v128.load64_splat(vi);
        a0 = f64x2.add(a0, f64x2.mul(v128.load(wi), s));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(wi, 16), s));
        a2 = f64x2.add(a2, f64x2.mul(v128.load(wi, 32), s));
        a3 = f64x2.add(a3, f64x2.mul(v128.load(wi, 48), s));
        a4 = f64x2.add(a4, f64x2.mul(v128.load(wi, 64), s));
        a5 = f64x2.add(a5, f64x2.mul(v128.load(wi, 80), s));
        a6 = f64x2.add(a6, f64x2.mul(v128.load(wi, 96), s));
        a7 = f64x2.add(a7, f64x2.mul(v128.load(wi, 112), s));
      }
      storeSums2(out, a0, biases, roundSum, k, outputs, positions, p);
      storeSums2(out, a1, biases, roundSum, k + 2, outputs, positions, p);
      storeSums2(out, a2, biases, roundSum, k + 4, outputs, positions, p);
      storeSums2(out, a3, biases, roundSum, k + 6, outputs, positions, p);
      storeSums2(out, a4, biases, roundSum, k + 8, outputs, positions, p);
      storeSums2(out, a5, biases, roundSum, k + 10, outputs, positions, p);
      storeSums2(out, a6, biases, roundSum, k + 12, outputs, positions, p);
      storeSums2(out, a7, biases, roundSum, k + 14, outputs, positions, p);
    }
  }
  // the remaining outputs two at a time, four positions at a time
  for (; k < padded; k += 2) {
    const w = weights + <usize>(k * inputs) * 8;
    for (let p = 0; p < positions; p += 4) {
      const v0 = vectors + <usize>p * positionStep;
      const v1 = vectors + <usize>min(p + 1, positions - 1) * positionStep;
      const v2 = vectors + <usize>min(p + 2, positions - 1) * positionStep;
      const v3 = vectors + <usize>min(p + 3, positions - 1) * positionStep;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let wi = w, off: usize = 0;
      for (let i = 0; i < inputs; i++, wi += 16, off += inputStep) {
        const wv = v128.load(wi);
        a0 = f64x2.add(a0, f64x2.mul(wv, v128.load64_splat(v0 + off)));
        a1 = f64x2.add(a1, f64x2.mul(wv, v128.load64_splat(v1 + off)));
        a2 = f64x2.add(a2, f64x2.mul(wv, v128.load64_splat(v2 + off)));
        a3 = f64x2.add(a3, f64x2.mul(wv, v128.load64_splat(v3 + off)));
      }
      storeSums2(out, a0, biases, roundSum, k, outputs, positions, p);
      if (p + 1 < positions) storeSums2(out, a1, biases, roundSum, k, outputs, positions, p + 1);
      if (p + 2 < positions) storeSums2(out, a2, biases, roundSum, k, outputs, positions, p + 2);
      if (p + 3 < positions) storeSums2(out, a3, biases, roundSum, k, outputs, positions, p + 3);
    }
  }
}

/** Stores outputs k, k + 1 (k + 1 when it exists) at position p: float(s + bias), or float(float(s) + bias) when roundSum. */
@inline function storeSums2(out: usize, sums: v128, biases: usize, roundSum: i32, k: i32, outputs: i32, positions: i32, p: i32): void {
  const s = roundSum ? toFloat2(sums) : sums;
  const v = f32x4.demote_f64x2_zero(f64x2.add(s, v128.load(biases + <usize>k * 8)));
  store<f32>(out + <usize>(k * positions + p) * 4, f32x4.extract_lane(v, 0));
  if (k + 1 < outputs) store<f32>(out + <usize>((k + 1) * positions + p) * 4, f32x4.extract_lane(v, 1));
}
