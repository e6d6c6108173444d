import type { BgrImage } from '../image.ts';
import { swsScaledYuvToBgr, swsTakesScaledPath, type PlanarYuvFrame } from './swsScaledToBgr.ts';
import { yuv420ToBgr, yuv422ToBgr } from './yuvToBgr.ts';

/**
 * Any planar Y'CbCr frame → BGR24 the way libswscale converts it at the same
 * size: its special converter (8-bit 4:2:0 / 4:2:2 with an even height,
 * yuvToBgr.ts) where swscale takes it, its general path otherwise
 * (swsScaledToBgr.ts). The choice is swscale's own, so the bytes are those of
 * `ffmpeg -pix_fmt bgr24` (and OpenCV's reader) for every layout.
 */
export function planarYuvToBgr(frame: PlanarYuvFrame, out?: Uint8Array): BgrImage {
  if (swsTakesScaledPath(frame.bitDepth, frame.chromaShiftX, frame.height)) return swsScaledYuvToBgr(frame, out);
  const { y, u, v } = frame;
  if (!(y instanceof Uint8Array) || !(u instanceof Uint8Array) || !(v instanceof Uint8Array)) throw new RangeError('planarYuvToBgr: 8-bit frames need byte planes');
  const planes = { y, u, v, width: frame.width, height: frame.height, yStride: frame.yStride, uvStride: frame.uvStride, matrix: frame.matrix, fullRange: frame.fullRange };
  return frame.chromaShiftY === 1 ? yuv420ToBgr(planes, out) : yuv422ToBgr(planes, out);
}
