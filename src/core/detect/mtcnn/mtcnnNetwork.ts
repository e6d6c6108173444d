/**
 * Runs one of MTCNN's three networks the way OpenFace's CNN::Inference does:
 * the interleaved BGR input is split into planes and handed to the first
 * layer in reverse order (R, G, B: the networks were trained on RGB), then
 * the layers (src/core/cnn) run in file order, all in float32.
 */

import { runCnn, type CnnLayer, type RunCnnOptions, type Tensor3 } from '../../cnn/index.ts';
import type { FloatImage } from './proposalCrop.ts';

/** The channels of an interleaved image as planes, last channel first. */
export function reversedPlanes(image: FloatImage): Tensor3 {
  const n = image.width * image.height;
  const c = image.channels;
  const data = new Float32Array(n * c);
  for (let plane = 0; plane < c; plane++) {
    const ch = c - 1 - plane;
    for (let i = 0, j = ch, o = plane * n; i < n; i++, j += c) data[o + i] = image.data[j];
  }
  return { channels: c, height: image.height, width: image.width, data };
}

/** The network's output for one input image. */
export function runMtcnnNetwork(layers: readonly CnnLayer[], image: FloatImage, options?: RunCnnOptions): Tensor3 {
  return runCnn(layers, reversedPlanes(image), options);
}
