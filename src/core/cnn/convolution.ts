/**
 * OpenFace's convolution layer as its CNN code runs it (convolution_direct_blas):
 * a "valid" cross-correlation (kernels are not flipped, no padding, stride 1)
 * computed as an im2col matrix times a weight matrix in float32.
 *
 * The numerics that matter for bit-exactness:
 * - each output is a dot product over the input maps' windows in im2col's
 *   column order: input map by input map, and inside a window column by
 *   column (x outer, y inner);
 * - the bias is the last term of that dot product (OpenFace appends a
 *   column of ones to the im2col matrix and the bias to the weights);
 * - BLAS sgemm sums it in float32, one fused multiply-add per term in index
 *   order: acc = float(a * b + acc). A float32 product is exact in double,
 *   so float(acc + a * b) computed in double is that fused multiply-add
 *   (except for double-rounding ties, which a float sum of this kind all but
 *   never meets).
 */

import { prelu, relu } from './activation.ts';
import type { Tensor3 } from './tensor.ts';
import { wasmLayers } from './wasmLayers.ts';

const fr = Math.fround;

/** A convolution layer's weights, arranged for the im2col product. */
export interface ConvolutionWeights {
  readonly inputMaps: number;
  readonly outputMaps: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  /**
   * outputMaps rows of inputMaps * kernelHeight * kernelWidth values: row k
   * holds output map k's kernels in im2col's column order (input map, then
   * kernel column x, then kernel row y).
   */
  readonly weights: Float32Array;
  /** one bias per output map */
  readonly biases: Float32Array;
}

/**
 * Arranges kernels for `convolve`. `kernels[i * outputMaps + k]` is the
 * kernel that input map i contributes to output map k, kernelHeight x
 * kernelWidth row-major (the order OpenFace's files store them in).
 */
export function prepareConvolution(
  inputMaps: number,
  outputMaps: number,
  kernelHeight: number,
  kernelWidth: number,
  kernels: readonly ArrayLike<number>[],
  biases: ArrayLike<number>,
): ConvolutionWeights {
  const area = kernelHeight * kernelWidth;
  if (kernels.length !== inputMaps * outputMaps) throw new RangeError(`convolution needs ${inputMaps * outputMaps} kernels, got ${kernels.length}`);
  if (biases.length !== outputMaps) throw new RangeError(`convolution needs ${outputMaps} biases, got ${biases.length}`);
  const len = inputMaps * area;
  const weights = new Float32Array(outputMaps * len);
  for (let i = 0; i < inputMaps; i++) {
    for (let k = 0; k < outputMaps; k++) {
      const kernel = kernels[i * outputMaps + k];
      if (kernel.length !== area) throw new RangeError(`kernel ${i}/${k} has ${kernel.length} values, expected ${kernelHeight}x${kernelWidth}`);
      const row = k * len + i * area;
      for (let x = 0; x < kernelWidth; x++) {
        for (let y = 0; y < kernelHeight; y++) weights[row + x * kernelHeight + y] = kernel[y * kernelWidth + x];
      }
    }
  }
  return { inputMaps, outputMaps, kernelHeight, kernelWidth, weights, biases: Float32Array.from(biases) };
}

/** Reusable working memory for `convolve` (the im2col matrix); one per thread of calls. */
export interface ConvolutionScratch {
  im2col: Float32Array;
}

export function createConvolutionScratch(): ConvolutionScratch {
  return { im2col: new Float32Array(0) };
}

/**
 * The im2col matrix of `input` for a kh x kw window: one row per output
 * position (row-major over the output), inputMaps * kh * kw columns in the
 * order of `ConvolutionWeights.weights`.
 */
export function im2col(input: Tensor3, kernelHeight: number, kernelWidth: number, out?: Float32Array): Float32Array {
  const { channels, height, width, data } = input;
  const oh = height - kernelHeight + 1, ow = width - kernelWidth + 1;
  const area = kernelHeight * kernelWidth;
  const len = channels * area;
  const m = out && out.length >= oh * ow * len ? out : new Float32Array(oh * ow * len);
  const plane = height * width;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let o = (oy * ow + ox) * len;
      for (let c = 0; c < channels; c++) {
        const base = c * plane + oy * width + ox;
        for (let x = 0; x < kernelWidth; x++) {
          let s = base + x;
          for (let y = 0; y < kernelHeight; y++, s += width) m[o++] = data[s];
        }
      }
    }
  }
  return m;
}

/** An element-wise layer that follows the convolution (activation.ts), applied to its output. */
export type ConvolutionActivation = { readonly kind: 'relu' } | { readonly kind: 'prelu'; readonly slopes: Float32Array };

/**
 * Valid cross-correlation of `input` (inputMaps channels) with the layer's
 * kernels, plus biases: outputMaps channels of (height - kh + 1) x
 * (width - kw + 1), float32 as OpenFace computes it; then `activation`, as
 * relu / prelu would apply it to the result. Runs in WebAssembly SIMD
 * (wasmLayers.ts, the activation applied as the outputs are stored) where it
 * loads, else `convolveTypeScript`: the same bits either way.
 */
export function convolve(input: Tensor3, layer: ConvolutionWeights, scratch?: ConvolutionScratch, activation?: ConvolutionActivation): Tensor3 {
  checkShapes(input, layer);
  const kernels = wasmLayers();
  if (!kernels) return activate(convolveTypeScript(input, layer, scratch), activation);
  // prelu over a single map treats it as a vector (a slope per row), and too few slopes throw: left to activation.ts
  const storable = activation && (activation.kind === 'relu' || (layer.outputMaps > 1 && activation.slopes.length >= layer.outputMaps));
  return storable ? kernels.convolve(input, layer, activation) : activate(kernels.convolve(input, layer, null), activation);
}

function activate(t: Tensor3, activation: ConvolutionActivation | undefined): Tensor3 {
  if (!activation) return t;
  return activation.kind === 'relu' ? relu(t) : prelu(t, activation.slopes);
}

function checkShapes(input: Tensor3, layer: ConvolutionWeights): void {
  const { inputMaps, kernelHeight, kernelWidth } = layer;
  if (input.channels !== inputMaps) throw new RangeError(`convolution expects ${inputMaps} input maps, got ${input.channels}`);
  if (input.height < kernelHeight || input.width < kernelWidth) throw new RangeError(`a ${kernelHeight}x${kernelWidth} kernel does not fit a ${input.height}x${input.width} map`);
}

/** `convolve` in TypeScript: where WebAssembly is unavailable, and the reference its tests compare with. */
export function convolveTypeScript(input: Tensor3, layer: ConvolutionWeights, scratch?: ConvolutionScratch): Tensor3 {
  checkShapes(input, layer);
  const { inputMaps, outputMaps, kernelHeight, kernelWidth, weights, biases } = layer;
  const oh = input.height - kernelHeight + 1, ow = input.width - kernelWidth + 1;
  const positions = oh * ow;
  const len = inputMaps * kernelHeight * kernelWidth;
  const cols = im2col(input, kernelHeight, kernelWidth, scratch?.im2col);
  if (scratch) scratch.im2col = cols;
  const out = new Float32Array(outputMaps * positions);
  let p = 0;
  for (; p + 4 <= positions; p += 4) productBlock4(cols, p, len, weights, biases, outputMaps, positions, out);
  for (; p < positions; p++) productRow(cols, p, len, weights, biases, outputMaps, positions, out);
  return { channels: outputMaps, height: oh, width: ow, data: out };
}

/*
 * The matrix product, out[k][p] = float sum over j of cols[p][j] * weights[k][j],
 * then + bias. Each sum is a chain of dependent float roundings, so the work
 * is arranged in blocks of independent chains (4 positions x 2 output maps)
 * that the CPU can overlap; every chain still runs in index order.
 */

/** Positions p..p+3, all output maps. */
function productBlock4(cols: Float32Array, p: number, len: number, weights: Float32Array, biases: Float32Array, outputMaps: number, positions: number, out: Float32Array): void {
  const r0 = p * len, r1 = r0 + len, r2 = r1 + len, r3 = r2 + len;
  let k = 0;
  for (; k + 2 <= outputMaps; k += 2) {
    const w0 = k * len, w1 = w0 + len;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let j = 0; j < len; j++) {
      const x = weights[w0 + j], y = weights[w1 + j];
      const v0 = cols[r0 + j], v1 = cols[r1 + j], v2 = cols[r2 + j], v3 = cols[r3 + j];
      a0 = fr(v0 * x + a0);
      a1 = fr(v1 * x + a1);
      a2 = fr(v2 * x + a2);
      a3 = fr(v3 * x + a3);
      b0 = fr(v0 * y + b0);
      b1 = fr(v1 * y + b1);
      b2 = fr(v2 * y + b2);
      b3 = fr(v3 * y + b3);
    }
    const o = k * positions + p, q = o + positions, bk = biases[k], bk1 = biases[k + 1];
    // the Float32Array store rounds the bias term's sum
    out[o] = a0 + bk;
    out[o + 1] = a1 + bk;
    out[o + 2] = a2 + bk;
    out[o + 3] = a3 + bk;
    out[q] = b0 + bk1;
    out[q + 1] = b1 + bk1;
    out[q + 2] = b2 + bk1;
    out[q + 3] = b3 + bk1;
  }
  if (k < outputMaps) {
    const w0 = k * len;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let j = 0; j < len; j++) {
      const x = weights[w0 + j];
      a0 = fr(cols[r0 + j] * x + a0);
      a1 = fr(cols[r1 + j] * x + a1);
      a2 = fr(cols[r2 + j] * x + a2);
      a3 = fr(cols[r3 + j] * x + a3);
    }
    const o = k * positions + p, bk = biases[k];
    out[o] = a0 + bk;
    out[o + 1] = a1 + bk;
    out[o + 2] = a2 + bk;
    out[o + 3] = a3 + bk;
  }
}

/** One position, all output maps. */
function productRow(cols: Float32Array, p: number, len: number, weights: Float32Array, biases: Float32Array, outputMaps: number, positions: number, out: Float32Array): void {
  const r = p * len;
  for (let k = 0; k < outputMaps; k++) {
    const w0 = k * len;
    let a = 0;
    for (let j = 0; j < len; j++) a = fr(cols[r + j] * weights[w0 + j] + a);
    out[k * positions + p] = a + biases[k];
  }
}
