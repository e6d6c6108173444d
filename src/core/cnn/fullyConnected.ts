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

function dot(w: Float32Array, wo: number, v: Float32Array, n: number, sums: DotAccumulation): number {
  let s = 0;
  if (sums === 'double') {
    for (let i = 0; i < n; i++) s += w[wo + i] * v[i];
  } else {
    for (let i = 0; i < n; i++) s = fr(w[wo + i] * v[i] + s);
  }
  return s;
}

export function fullyConnected(input: Tensor3, layer: FullyConnectedWeights, sums: DotAccumulation = 'double'): Tensor3 {
  const { inputs, outputs, weights, biases } = layer;
  const { channels, height, width, data } = input;
  const plane = height * width;
  if (channels > 1 && channels === inputs) {
    const out = new Float32Array(outputs * plane);
    const pixel = new Float32Array(channels);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) pixel[c] = data[c * plane + p];
      for (let o = 0; o < outputs; o++) out[o * plane + p] = fr(dot(weights, o * inputs, pixel, inputs, sums)) + biases[o];
    }
    return { channels: outputs, height, width, data: out };
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
  const out = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) out[o] = dot(weights, o * inputs, vector, inputs, sums) + biases[o];
  return channels > 1 ? { channels: 1, height: outputs, width: 1, data: out } : { channels: 1, height: 1, width: outputs, data: out };
}
