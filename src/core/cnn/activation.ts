/**
 * The element-wise layers of OpenFace's CNNs, in float32. Each returns a new
 * tensor of the input's shape.
 */

import * as pm from '../math/portableMath.ts';
import type { Tensor3 } from './tensor.ts';

const fr = Math.fround;

/** max(v, 0), as cv::threshold(THRESH_TOZERO, 0) gives it: anything not above 0 (NaN too) becomes 0. */
export function relu(input: Tensor3): Tensor3 {
  const src = input.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] > 0 ? src[i] : 0;
  return { ...input, data: out };
}

/**
 * Parametric ReLU: v when v >= 0, otherwise float(v * slope). With several
 * channels, channel c takes slopes[c]. A single channel is a vector (a fully
 * connected layer's output, height values in a column): row r takes slopes[r],
 * the way OpenFace walks a one-map input row by row.
 */
export function prelu(input: Tensor3, slopes: Float32Array): Tensor3 {
  const { channels, height, width, data } = input;
  const out = new Float32Array(data.length);
  if (channels > 1) {
    if (slopes.length < channels) throw new RangeError(`PReLU has ${slopes.length} slopes for ${channels} maps`);
    const plane = height * width;
    for (let c = 0; c < channels; c++) {
      const s = slopes[c];
      for (let i = c * plane, end = i + plane; i < end; i++) out[i] = data[i] >= 0 ? data[i] : fr(data[i] * s);
    }
  } else {
    out.set(data);
    const rows = Math.min(height, slopes.length);
    for (let r = 0; r < rows; r++) {
      const s = slopes[r];
      for (let i = r * width, end = i + width; i < end; i++) out[i] = data[i] >= 0 ? data[i] : fr(data[i] * s);
    }
  }
  return { ...input, data: out };
}

/**
 * 1 / (1 + e^-v) in float32 steps, as OpenFace writes it with OpenCV
 * (cv::exp on the negated map, then 1 + ·, then 1 / ·). The exponential is
 * the project's portable one rounded to float; OpenCV's own float exp can
 * differ from it in the last bit.
 */
export function sigmoid(input: Tensor3): Tensor3 {
  const src = input.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = fr(1 / fr(1 + fr(pm.exp(-src[i]))));
  return { ...input, data: out };
}
