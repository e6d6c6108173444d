/**
 * Which decoder pixel formats reach the worker as they are, and how their
 * planes sit in one tightly packed buffer (ffmpeg's rawvideo layout:
 * planes back to back, each row exactly its samples wide; 16-bit words for
 * more than 8 bits per sample).
 */
import type { RawPixelFormat, RawPlaneLayout } from './types.ts';

/** A YUV layout the core converts exactly (src/core/color/yuvToBgr.ts, swsScaledToBgr.ts). */
export type YuvPixelFormat = Exclude<RawPixelFormat, 'BGR'>;

/** Bits per sample and chroma subsampling of a layout. */
export interface YuvLayout {
  readonly bitDepth: 8 | 10 | 12;
  /** log2 of the chroma subsampling across and down: 4:2:0 (1, 1), 4:2:2 (1, 0), 4:4:4 (0, 0) */
  readonly chromaShiftX: 0 | 1;
  readonly chromaShiftY: 0 | 1;
  /** NV12: one plane of interleaved U, V pairs */
  readonly interleavedChroma: boolean;
}

export function yuvLayout(format: YuvPixelFormat): YuvLayout {
  const depth = format.endsWith('P10') ? 10 : format.endsWith('P12') ? 12 : 8;
  const family = format.slice(0, 4);
  const chromaShiftX = family === 'I444' ? 0 : 1;
  const chromaShiftY = family === 'I420' || family === 'NV12' ? 1 : 0;
  return { bitDepth: depth, chromaShiftX, chromaShiftY, interleavedChroma: format === 'NV12' };
}

export interface FfmpegPixelFormat {
  readonly format: YuvPixelFormat;
  /** the "J" formats: full-range output of H.264/HEVC/MJPEG decoders, which OpenCV converts as full range */
  readonly fullRange: boolean;
}

/** ffmpeg's software decoders' planar YUV formats, by name (little-endian words above 8 bits). */
const FFMPEG_FORMATS: Readonly<Record<string, YuvPixelFormat>> = {
  yuv420p: 'I420',
  yuv422p: 'I422',
  yuv444p: 'I444',
  yuv420p10le: 'I420P10',
  yuv422p10le: 'I422P10',
  yuv444p10le: 'I444P10',
  yuv420p12le: 'I420P12',
  yuv422p12le: 'I422P12',
  yuv444p12le: 'I444P12',
};

/**
 * ffmpeg pix_fmt names the core converts as OpenCV would; anything else is
 * refused. Not nv12: a decoder that outputs NV12 to ffmpeg would have OpenCV
 * convert it through another swscale path. NV12 from a WebCodecs (hardware)
 * decoder is another matter: the same samples ffmpeg's software decoder
 * gives OpenCV as yuv420p.
 */
export function ffmpegPixelFormat(pixFmt: string): FfmpegPixelFormat | null {
  const fullRange = pixFmt.startsWith('yuvj');
  const format = FFMPEG_FORMATS[fullRange ? `yuv${pixFmt.slice(4)}` : pixFmt];
  if (!format || (fullRange && format.includes('P1'))) return null;
  return { format, fullRange };
}

/**
 * WebCodecs VideoFrame.format → ours. The alpha formats (I420A...) carry the
 * same three planes first, plus alpha: the first three are all we read.
 */
export function webCodecsPixelFormat(format: VideoPixelFormat | string | null): YuvPixelFormat | null {
  switch (format) {
    case 'I420':
    case 'I420A':
      return 'I420';
    case 'I420P10':
    case 'I420AP10':
      return 'I420P10';
    case 'I420P12':
    case 'I420AP12':
      return 'I420P12';
    case 'I422':
    case 'I422A':
      return 'I422';
    case 'I422P10':
    case 'I422AP10':
      return 'I422P10';
    case 'I422P12':
    case 'I422AP12':
      return 'I422P12';
    case 'I444':
    case 'I444A':
      return 'I444';
    case 'I444P10':
    case 'I444AP10':
      return 'I444P10';
    case 'I444P12':
    case 'I444AP12':
      return 'I444P12';
    case 'NV12':
      return 'NV12';
    default:
      return null;
  }
}

export interface PackedLayout {
  readonly planes: readonly RawPlaneLayout[];
  readonly byteLength: number;
}

/** Planes back to back with no row padding, as `ffmpeg -f rawvideo` writes them (strides in bytes). */
export function packedLayout(format: YuvPixelFormat, width: number, height: number): PackedLayout {
  const { bitDepth, chromaShiftX, chromaShiftY, interleavedChroma } = yuvLayout(format);
  const bytesPerSample = bitDepth > 8 ? 2 : 1;
  const cw = (width + (1 << chromaShiftX) - 1) >> chromaShiftX;
  const ch = (height + (1 << chromaShiftY) - 1) >> chromaShiftY;
  const lumaBytes = width * height * bytesPerSample;
  if (interleavedChroma) {
    const chromaBytes = 2 * cw * ch;
    return { planes: [{ offset: 0, stride: width }, { offset: lumaBytes, stride: 2 * cw }], byteLength: lumaBytes + chromaBytes };
  }
  const chromaBytes = cw * ch * bytesPerSample;
  const stride = cw * bytesPerSample;
  return {
    planes: [{ offset: 0, stride: width * bytesPerSample }, { offset: lumaBytes, stride }, { offset: lumaBytes + chromaBytes, stride }],
    byteLength: lumaBytes + 2 * chromaBytes,
  };
}
