/**
 * Which decoder pixel formats reach the worker as they are, and how their
 * planes sit in one tightly packed buffer (ffmpeg's rawvideo layout:
 * planes back to back, each row exactly its samples wide).
 */
import type { RawPixelFormat, RawPlaneLayout } from './types.ts';

/** A YUV layout the core converts exactly (see src/core/color/yuvToBgr.ts). */
export type YuvPixelFormat = Exclude<RawPixelFormat, 'BGR'>;

export interface FfmpegPixelFormat {
  readonly format: YuvPixelFormat;
  /** the "J" formats: full-range output of H.264/HEVC/MJPEG decoders, which OpenCV converts as full range */
  readonly fullRange: boolean;
}

/**
 * ffmpeg pix_fmt names the core converts as OpenCV would; anything else is
 * refused. Not nv12: a decoder that outputs NV12 to ffmpeg would have OpenCV
 * convert it through swscale's general scaler (its fast exact path takes
 * only yuv420p/yuv422p). NV12 from a WebCodecs (hardware) decoder is another
 * matter: the same samples ffmpeg's software decoder gives OpenCV as yuv420p.
 */
export function ffmpegPixelFormat(pixFmt: string): FfmpegPixelFormat | null {
  switch (pixFmt) {
    case 'yuv420p':
      return { format: 'I420', fullRange: false };
    case 'yuvj420p':
      return { format: 'I420', fullRange: true };
    case 'yuv422p':
      return { format: 'I422', fullRange: false };
    case 'yuvj422p':
      return { format: 'I422', fullRange: true };
    default:
      return null;
  }
}

/**
 * WebCodecs VideoFrame.format → ours. I420A is I420 plus an alpha plane
 * (VP9/AV1 with alpha): the first three planes are all we read.
 */
export function webCodecsPixelFormat(format: VideoPixelFormat | null): YuvPixelFormat | null {
  switch (format) {
    case 'I420':
    case 'I420A':
      return 'I420';
    case 'NV12':
      return 'NV12';
    case 'I422':
      return 'I422';
    default:
      return null;
  }
}

export interface PackedLayout {
  readonly planes: readonly RawPlaneLayout[];
  readonly byteLength: number;
}

/** Planes back to back with no row padding, as `ffmpeg -f rawvideo` writes them. */
export function packedLayout(format: YuvPixelFormat, width: number, height: number): PackedLayout {
  const cw = (width + 1) >> 1;
  const lumaBytes = width * height;
  switch (format) {
    case 'I420': {
      const chromaBytes = cw * ((height + 1) >> 1);
      return { planes: [{ offset: 0, stride: width }, { offset: lumaBytes, stride: cw }, { offset: lumaBytes + chromaBytes, stride: cw }], byteLength: lumaBytes + 2 * chromaBytes };
    }
    case 'NV12': {
      const chromaBytes = 2 * cw * ((height + 1) >> 1);
      return { planes: [{ offset: 0, stride: width }, { offset: lumaBytes, stride: 2 * cw }], byteLength: lumaBytes + chromaBytes };
    }
    case 'I422': {
      const chromaBytes = cw * height;
      return { planes: [{ offset: 0, stride: width }, { offset: lumaBytes, stride: cw }, { offset: lumaBytes + chromaBytes, stride: cw }], byteLength: lumaBytes + 2 * chromaBytes };
    }
  }
}
