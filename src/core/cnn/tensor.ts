/**
 * A stack of equally sized float32 feature maps: `channels` planes of
 * `height` x `width`, each plane row-major, planes one after another. It is
 * how OpenFace's CNN code holds a layer's data (a std::vector of
 * cv::Mat_<float>), so each layer can follow OpenCV's memory order.
 */
export interface Tensor3 {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** channels * height * width values: data[(c * height + y) * width + x] */
  readonly data: Float32Array;
}

/** A zero-filled tensor. */
export function createTensor3(channels: number, height: number, width: number): Tensor3 {
  return { channels, height, width, data: new Float32Array(channels * height * width) };
}

/** A tensor around existing data (not copied); throws when the length does not fit the shape. */
export function tensor3(channels: number, height: number, width: number, data: Float32Array): Tensor3 {
  if (data.length !== channels * height * width) {
    throw new RangeError(`tensor of ${channels}x${height}x${width} needs ${channels * height * width} values, got ${data.length}`);
  }
  return { channels, height, width, data };
}

/** One channel's plane, a view into the tensor's data (not a copy). */
export function channelPlane(t: Tensor3, channel: number): Float32Array {
  const n = t.height * t.width;
  return t.data.subarray(channel * n, (channel + 1) * n);
}
