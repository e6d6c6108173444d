/**
 * The network inputs of MTCNN, as OpenFace 2.2 builds them (DetectFaces):
 *
 * - a frame (or crop) resized with OpenCV's float bilinear resize, then
 *   mapped to about [-1, 1] by (v - 127.5) * 0.0078125, which OpenCV
 *   evaluates as one float multiply-add v * 0.0078125 - 0.99609375 (the
 *   product is exact, so there is a single rounding);
 * - for RNet and ONet, the proposal box's pixels: OpenFace's box (x, y, w, h)
 *   takes the (w + 1) x (h + 1) pixels starting at (x - 1, y - 1) (the
 *   detector came from 1-based MATLAB code), with zeros where the box
 *   leaves the frame; that patch is then resized to the network's input.
 */

import { resizeFloatLikeOpenCv } from './resizeFloat.ts';
import type { FloatBox } from './boxes.ts';

const f32 = Math.fround;

/** A float32 image with interleaved channels (OpenCV's CV_32FC3 layout). */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** (v - 127.5) * 0.0078125 in float, in place. */
export function normaliseForMtcnn(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = f32(data[i] * 0.0078125 - 0.99609375);
  return data;
}

/** The frame resized to width x height and normalised (a PNet input). */
export function pyramidImage(frame: FloatImage, width: number, height: number): FloatImage {
  const data = resizeFloatLikeOpenCv(frame.data, frame.width, frame.height, frame.channels, width, height);
  return { width, height, channels: frame.channels, data: normaliseForMtcnn(data) };
}

/**
 * The pixels of an (integer, square) proposal box: (w + 1) x (h + 1) values
 * from (x - 1, y - 1), zero outside the frame. Returns null when OpenFace's
 * copy would be empty (a box wholly outside the frame).
 */
export function proposalPatch(frame: FloatImage, box: FloatBox): FloatImage | null {
  const targetW = Math.trunc(box.width + 1);
  const targetH = Math.trunc(box.height + 1);
  if (targetW <= 0 || targetH <= 0) return null;
  // OpenFace's index arithmetic, in its float and int steps
  const inX0 = Math.max(Math.trunc(f32(box.x - 1)), 0);
  const inY0 = Math.max(Math.trunc(f32(box.y - 1)), 0);
  const inX1 = Math.min(Math.trunc(f32(f32(box.x + targetW) - 1)), frame.width);
  const inY1 = Math.min(Math.trunc(f32(f32(box.y + targetH) - 1)), frame.height);
  const outX0 = Math.max(Math.trunc(f32(-box.x + 1)), 0);
  const outY0 = Math.max(Math.trunc(f32(-box.y + 1)), 0);
  const copyW = inX1 - inX0;
  const copyH = inY1 - inY0;
  if (copyW <= 0 || copyH <= 0 || outX0 + copyW > targetW || outY0 + copyH > targetH) return null;
  const c = frame.channels;
  const data = new Float32Array(targetW * targetH * c);
  for (let y = 0; y < copyH; y++) {
    const src = ((inY0 + y) * frame.width + inX0) * c;
    data.set(frame.data.subarray(src, src + copyW * c), ((outY0 + y) * targetW + outX0) * c);
  }
  return { width: targetW, height: targetH, channels: c, data };
}

/**
 * A proposal box as a size x size normalised network input (RNet: 24,
 * ONet: 48). A box wholly outside the frame (which OpenFace never produces:
 * its copy would fail) gives an all-zero patch.
 */
export function proposalInput(frame: FloatImage, box: FloatBox, size: number): FloatImage {
  let patch = proposalPatch(frame, box);
  if (!patch) {
    const side = Math.max(1, Math.trunc(box.width + 1));
    patch = { width: side, height: side, channels: frame.channels, data: new Float32Array(side * side * frame.channels) };
  }
  const data = resizeFloatLikeOpenCv(patch.data, patch.width, patch.height, patch.channels, size, size);
  return { width: size, height: size, channels: frame.channels, data: normaliseForMtcnn(data) };
}
