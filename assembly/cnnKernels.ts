// AssemblyScript: the CNN convolution of src/core/cnn/convolution.ts
// (src/core/cnn/wasmConvolution.ts loads the compiled module;
// scripts/build-wasm.ts compiles it at install time).
//
// Same bits as the TypeScript: every output is the same chain of roundings,
// acc = float(double(input · weight) + acc) term by term in im2col order
// (input map, kernel column x, kernel row y), then float(acc + bias). A
// product of two floats is exact in double, the double sum is rounded once
// to double and once to float, exactly as Math.fround(v * w + acc) does.
// That is why the lanes are f64x2 and not f32x4: a float multiply would
// round the product, which the TypeScript (and OpenBLAS's fused
// multiply-add) does not.
//
// SIMD runs two output maps side by side (one lane each); each lane keeps
// its own sequential sum. A block of 4 maps x 4 positions (8 vectors) gives
// the CPU 8 independent chains to overlap: one chain step is an add and two
// conversions, latency-bound on its own.
//
// No im2col matrix: the positions' windows are read in place through a
// table of offsets (one per im2col column). No AssemblyScript runtime
// objects: raw pointers into linear memory, laid out by the TypeScript side.

/** Where the module's own static data ends: the TypeScript side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Output maps per weight group: the main block's maps (two vectors). */
const GROUP: i32 = 4;

/** Bytes of the weights as `arrangeWeights` lays them out (f64, maps padded to a multiple of 2). */
export function arrangedWeightsBytes(outputMaps: i32, len: i32): i32 {
  return ((outputMaps + 1) & ~1) * len * 8;
}

/**
 * Lays out a layer's weights for `convolve`: src f32 [outputMaps][len]
 * (ConvolutionWeights.weights) into dst f64, grouped by 4 maps (the last
 * group 2 when the padded count is not a multiple of 4): group by group,
 * [j][map in group], so one im2col column's weights for a group are
 * adjacent. An odd map count is padded with a map of zeros (never stored).
 */
export function arrangeWeights(src: usize, outputMaps: i32, len: i32, dst: usize): void {
  const padded = (outputMaps + 1) & ~1;
  for (let k0 = 0; k0 < padded; k0 += GROUP) {
    const size = min(GROUP, padded - k0);
    const group = dst + <usize>(k0 * len) * 8;
    for (let j = 0; j < len; j++) {
      for (let m = 0; m < size; m++) {
        const k = k0 + m;
        const w: f64 = k < outputMaps ? <f64>load<f32>(src + <usize>(k * len + j) * 4) : 0;
        store<f64>(group + <usize>(j * size + m) * 8, w);
      }
    }
  }
}

/** float(x) for both lanes, held in double */
@inline function toFloat2(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/** one sum step for both lanes: float(double(s · w) + acc) */
@inline function step(acc: v128, s: v128, w: v128): v128 {
  return toFloat2(f64x2.add(f64x2.mul(s, w), acc));
}

/** Stores lane values float(acc + bias) of maps k, k + 1 at position p (when those maps exist). */
@inline function store2(out: usize, acc: v128, bias: v128, k: i32, outputMaps: i32, positions: i32, p: i32): void {
  const v = f32x4.demote_f64x2_zero(f64x2.add(acc, bias));
  store<f32>(out + <usize>(k * positions + p) * 4, f32x4.extract_lane(v, 0));
  if (k + 1 < outputMaps) store<f32>(out + <usize>((k + 1) * positions + p) * 4, f32x4.extract_lane(v, 1));
}

/**
 * Valid cross-correlation plus bias, as convolution.ts computes it.
 * input: f64 [inputMaps][height][width]; weights: from arrangeWeights;
 * biases: f64 [outputMaps padded to even]; offsets: i32 scratch [len];
 * out: f32 [outputMaps][oh][ow] with oh = height - kh + 1, ow = width - kw + 1.
 */
export function convolve(
  input: usize, width: i32, height: i32, inputMaps: i32, kh: i32, kw: i32,
  weights: usize, biases: usize, outputMaps: i32, offsets: usize, out: usize,
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
  for (; k + GROUP <= padded; k += GROUP) {
    group4(input, width, ow, positions, len, weights + <usize>(k * len) * 8, biases + <usize>k * 8, k, outputMaps, offsets, out);
  }
  if (k < padded) group2(input, width, ow, positions, len, weights + <usize>(k * len) * 8, biases + <usize>k * 8, k, outputMaps, offsets, out);
}

/** Window origin (byte address in input) of output position p; positions past the end repeat the last one. */
@inline function windowAt(input: usize, width: i32, ow: i32, positions: i32, p: i32): usize {
  const q = min(p, positions - 1);
  const oy = q / ow;
  return input + <usize>((oy * width + q - oy * ow) * 8);
}

/** Maps k..k+3 (weights w: [len][4]), four positions at a time. */
function group4(input: usize, width: i32, ow: i32, positions: i32, len: i32, w: usize, biases: usize, k: i32, outputMaps: i32, offsets: usize, out: usize): void {
  const biasLo = v128.load(biases), biasHi = v128.load(biases, 16);
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
    store2(out, a0, biasLo, k, outputMaps, positions, p);
    store2(out, b0, biasHi, k + 2, outputMaps, positions, p);
    if (p + 1 < positions) {
      store2(out, a1, biasLo, k, outputMaps, positions, p + 1);
      store2(out, b1, biasHi, k + 2, outputMaps, positions, p + 1);
    }
    if (p + 2 < positions) {
      store2(out, a2, biasLo, k, outputMaps, positions, p + 2);
      store2(out, b2, biasHi, k + 2, outputMaps, positions, p + 2);
    }
    if (p + 3 < positions) {
      store2(out, a3, biasLo, k, outputMaps, positions, p + 3);
      store2(out, b3, biasHi, k + 2, outputMaps, positions, p + 3);
    }
  }
}

/** Maps k, k+1 (weights w: [len][2]), eight positions at a time. */
function group2(input: usize, width: i32, ow: i32, positions: i32, len: i32, w: usize, biases: usize, k: i32, outputMaps: i32, offsets: usize, out: usize): void {
  const bias = v128.load(biases);
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
    store2(out, a0, bias, k, outputMaps, positions, p);
    if (p + 1 < positions) store2(out, a1, bias, k, outputMaps, positions, p + 1);
    if (p + 2 < positions) store2(out, a2, bias, k, outputMaps, positions, p + 2);
    if (p + 3 < positions) store2(out, a3, bias, k, outputMaps, positions, p + 3);
    if (p + 4 < positions) store2(out, a4, bias, k, outputMaps, positions, p + 4);
    if (p + 5 < positions) store2(out, a5, bias, k, outputMaps, positions, p + 5);
    if (p + 6 < positions) store2(out, a6, bias, k, outputMaps, positions, p + 6);
    if (p + 7 < positions) store2(out, a7, bias, k, outputMaps, positions, p + 7);
  }
}
