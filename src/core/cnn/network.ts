/**
 * A CNN as a list of layers, run in order the way OpenFace's CNN code does
 * (each layer's output is the next one's input).
 */

import { relu, prelu, sigmoid } from './activation.ts';
import { convolve, type ConvolutionScratch, type ConvolutionWeights } from './convolution.ts';
import { fullyConnected, type DotAccumulation, type FullyConnectedWeights } from './fullyConnected.ts';
import { maxPool } from './pooling.ts';
import type { Tensor3 } from './tensor.ts';

export type CnnLayer =
  | { readonly kind: 'convolution'; readonly weights: ConvolutionWeights }
  | { readonly kind: 'maxPooling'; readonly kernelX: number; readonly kernelY: number; readonly strideX: number; readonly strideY: number }
  | { readonly kind: 'fullyConnected'; readonly weights: FullyConnectedWeights }
  | { readonly kind: 'relu' }
  | { readonly kind: 'prelu'; readonly slopes: Float32Array }
  | { readonly kind: 'sigmoid' };

export interface RunCnnOptions {
  /** reused im2col memory */
  readonly scratch?: ConvolutionScratch;
  /** how fully connected layers sum (default 'double', OpenCV's own gemm) */
  readonly fullyConnectedSums?: DotAccumulation;
}

/** Applies one layer. */
export function applyLayer(layer: CnnLayer, input: Tensor3, options: RunCnnOptions = {}): Tensor3 {
  switch (layer.kind) {
    case 'convolution':
      return convolve(input, layer.weights, options.scratch);
    case 'maxPooling':
      return maxPool(input, layer.kernelX, layer.kernelY, layer.strideX, layer.strideY);
    case 'fullyConnected':
      return fullyConnected(input, layer.weights, options.fullyConnectedSums);
    case 'relu':
      return relu(input);
    case 'prelu':
      return prelu(input, layer.slopes);
    case 'sigmoid':
      return sigmoid(input);
  }
}

/**
 * The network's output for one input. A convolution followed by a ReLU or
 * PReLU runs as one step (the activation applied as the convolution stores
 * its outputs): the same values, one pass and one array fewer.
 */
export function runCnn(layers: readonly CnnLayer[], input: Tensor3, options: RunCnnOptions = {}): Tensor3 {
  let x = input;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i], next = layers[i + 1];
    if (layer.kind === 'convolution' && next && (next.kind === 'relu' || next.kind === 'prelu')) {
      x = convolve(x, layer.weights, options.scratch, next);
      i++;
    } else {
      x = applyLayer(layer, x, options);
    }
  }
  return x;
}
