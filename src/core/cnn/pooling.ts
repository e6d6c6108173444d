/**
 * OpenFace's max pooling (CNN_utils max_pooling): windows of kernelX x
 * kernelY stepped by the strides, clipped at the map's right and bottom
 * edges. The output size is round((size - kernel) / stride) + 1 per axis
 * (the division in float, rounded half away from zero, "caffe style"), so a
 * last, partial window is kept when the division ends in .5 or more.
 */

import type { Tensor3 } from './tensor.ts';
import { wasmLayers } from './wasmLayers.ts';

const LOWEST_FLOAT = -3.4028234663852886e38;

/** C's round(): half away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** The pooled size of one axis. */
export function pooledSize(size: number, kernel: number, stride: number): number {
  return roundHalfAway(Math.fround(Math.fround(size - kernel) / stride)) + 1;
}

/** Max pooling; in WebAssembly SIMD (wasmLayers.ts) where it loads, else `maxPoolTypeScript`: the same values. */
export function maxPool(input: Tensor3, kernelX: number, kernelY: number, strideX: number, strideY: number): Tensor3 {
  const { oh, ow } = pooledShape(input, kernelX, kernelY, strideX, strideY);
  const kernels = wasmLayers();
  return kernels ? kernels.maxPool(input, kernelX, kernelY, strideX, strideY, oh, ow) : maxPoolTypeScript(input, kernelX, kernelY, strideX, strideY);
}

function pooledShape(input: Tensor3, kernelX: number, kernelY: number, strideX: number, strideY: number): { oh: number; ow: number } {
  const ow = pooledSize(input.width, kernelX, strideX), oh = pooledSize(input.height, kernelY, strideY);
  if (ow <= 0 || oh <= 0) throw new RangeError(`a ${kernelX}x${kernelY} pooling window does not fit a ${input.height}x${input.width} map`);
  return { oh, ow };
}

/** `maxPool` in TypeScript: where WebAssembly is unavailable, and the reference its tests compare with. */
export function maxPoolTypeScript(input: Tensor3, kernelX: number, kernelY: number, strideX: number, strideY: number): Tensor3 {
  const { channels, height, width, data } = input;
  const { oh, ow } = pooledShape(input, kernelX, kernelY, strideX, strideY);
  const out = new Float32Array(channels * oh * ow);
  const plane = height * width;
  for (let c = 0; c < channels; c++) {
    const src = c * plane, dst = c * oh * ow;
    for (let oy = 0, y = 0; oy < oh && y < height; oy++, y += strideY) {
      const yEnd = Math.min(height, y + kernelY);
      for (let ox = 0, x = 0; ox < ow && x < width; ox++, x += strideX) {
        const xEnd = Math.min(width, x + kernelX);
        let best = LOWEST_FLOAT;
        for (let yy = y; yy < yEnd; yy++) {
          const row = src + yy * width;
          for (let xx = x; xx < xEnd; xx++) if (data[row + xx] > best) best = data[row + xx];
        }
        out[dst + oy * ow + ox] = best;
      }
    }
  }
  return { channels, height: oh, width: ow, data: out };
}
