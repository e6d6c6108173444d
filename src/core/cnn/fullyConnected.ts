/**
 * OpenFace's fully connected layer (CNN_utils fully_connected), following
 * the three ways it treats its input:
 *
 * 1. several maps, as many as the layer has inputs: applied at every pixel
 *    (a 1x1 convolution); outputs maps of the input's size. The products go
 *    through cv::gemm, then the bias is added to each output map in float.
 * 2. several maps, any other count: the maps are flattened (each column by
 *    column, i.e. transposed, then one after another) into one vector;
 *    the output is a column vector (channels 1, height = outputs, width 1).
 *    The bias is the gemm's added term.
 * 3. one map: its values (in memory order) are the input vector; the output
 *    is a row vector (channels 1, height 1, width = outputs), as OpenFace
 *    transposes it. The bias is the gemm's added term.
 *
 * Sums: OpenCV's own gemm accumulates float products in double and stores
 * float(sum + bias) in one step ('double', the default). OpenCV hands
 * larger products (100 or more output rows) to BLAS when it was built with
 * one, which sums in float32 with fused multiply-adds ('float32'); which one
 * a given OpenFace build used is for its caller to establish.
 */

import type { Tensor3 } from './tensor.ts';
import { wasmLayers } from './wasmLayers.ts';

const fr = Math.fround;

export interface FullyConnectedWeights {
  readonly inputs: number;
  readonly outputs: number;
  /** outputs x inputs, row-major (OpenFace's files store the transpose: inputs x outputs) */
  readonly weights: Float32Array;
  readonly biases: Float32Array;
}

/** How the dot products are summed (see the module comment). */
export type DotAccumulation = 'double' | 'float32';

/** Builds the layer from the matrix as OpenFace's files store it: inputs rows x outputs columns, row-major. */
export function fullyConnectedFromFile(inputs: number, outputs: number, weightsInputsByOutputs: ArrayLike<number>, biases: ArrayLike<number>): FullyConnectedWeights {
  if (weightsInputsByOutputs.length !== inputs * outputs) throw new RangeError(`fully connected layer needs ${inputs}x${outputs} weights, got ${weightsInputsByOutputs.length}`);
  if (biases.length !== outputs) throw new RangeError(`fully connected layer needs ${outputs} biases, got ${biases.length}`);
  const weights = new Float32Array(inputs * outputs);
  for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) weights[o * inputs + i] = weightsInputsByOutputs[i * outputs + o];
  return { inputs, outputs, weights, biases: Float32Array.from(biases) };
}

/**
 * The layer's products for `positions` input vectors, vector p's input i at
 * data[p * positionStride + i * inputStride]: out[o * positions + p] =
 * float(sum + bias), or float(float(sum) + bias) when roundSum (OpenFace
 * adds the bias to the per-pixel form's float output maps). Double sums run
 * in WebAssembly SIMD (wasmLayers.ts) where it loads: the same bits.
 */
function products(layer: FullyConnectedWeights, data: Float32Array, positions: number, positionStride: number, inputStride: number, roundSum: boolean, sums: DotAccumulation): Float32Array {
  const kernels = sums === 'double' ? wasmLayers() : null;
  if (kernels) return kernels.fullyConnected(layer, data, positions, positionStride, inputStride, roundSum);
  return productsTypeScript(layer, data, positions, positionStride, inputStride, roundSum, sums);
}

/** `products` in TypeScript (float32 sums, and double sums where WebAssembly is unavailable). */
export function productsTypeScript(layer: FullyConnectedWeights, data: Float32Array, positions: number, positionStride: number, inputStride: number, roundSum: boolean, sums: DotAccumulation): Float32Array {
  const { inputs, outputs, weights, biases } = layer;
  const out = new Float32Array(outputs * positions);
  const vector = new Float32Array(inputs);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < inputs; i++) vector[i] = data[p * positionStride + i * inputStride];
    for (let o = 0; o < outputs; o++) {
      const wo = o * inputs;
      let s = 0;
      if (sums === 'double') {
        for (let i = 0; i < inputs; i++) s += weights[wo + i] * vector[i];
      } else {
        for (let i = 0; i < inputs; i++) s = fr(weights[wo + i] * vector[i] + s);
      }
      out[o * positions + p] = (roundSum ? fr(s) : s) + biases[o];
    }
  }
  return out;
}

export function fullyConnected(input: Tensor3, layer: FullyConnectedWeights, sums: DotAccumulation = 'double'): Tensor3 {
  const { inputs, outputs } = layer;
  const { channels, height, width, data } = input;
  const plane = height * width;
  if (channels > 1 && channels === inputs) {
    return { channels: outputs, height, width, data: products(layer, data, plane, 1, plane, true, sums) };
  }
  if (data.length !== inputs) throw new RangeError(`fully connected layer has ${inputs} inputs, got ${channels}x${height}x${width}`);
  let vector = data;
  if (channels > 1) {
    // each map column by column, the maps one after another
    vector = new Float32Array(inputs);
    let q = 0;
    for (let c = 0; c < channels; c++) {
      for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) vector[q++] = data[c * plane + y * width + x];
    }
  }
  const out = products(layer, vector, 1, 0, 1, false, sums);
  return channels > 1 ? { channels: 1, height: outputs, width: 1, data: out } : { channels: 1, height: 1, width: outputs, data: out };
}
