/**
 * A WebCodecs VideoFrame → RawVideoFrame: the decoder's own planes, copied
 * in their native format (never converted to RGB by the browser), into a
 * buffer of their own that can be transferred to a worker.
 */
import { openCvColorInfo } from '../core/color/yuvToBgr.ts';
import { VideoInputError } from '../core/errors.ts';
import { assertConvertible } from './frameSupport.ts';
import { webCodecsPixelFormat } from './pixelFormats.ts';
import type { RawVideoFrame } from './types.ts';

export interface FrameContext {
  readonly name: string;
  /** the track's codec string (avc1..., vp09..., av01...), for OpenCV's choice of range */
  readonly codec: string;
  readonly rotation: 0 | 90 | 180 | 270;
  readonly mirrored: boolean;
}

/**
 * Copies the visible part of `frame` and closes it (decoders hold only a few
 * frames, so a frame kept open stalls decoding). `timestamp`: seconds from
 * the first frame. `buffer(bytes)` gives the buffer to copy into (a recycled
 * one, see FramePool); a new one by default.
 */
export async function copyVideoFrame(
  frame: VideoFrame,
  index: number,
  timestamp: number,
  context: FrameContext,
  buffer: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
): Promise<RawVideoFrame> {
  try {
    // An RGB-coded stream (H.264/HEVC 4:4:4 with the identity matrix, ffmpeg's gbrp) comes out of
    // WebCodecs in a YUV layout; reading it as Y'CbCr would give wrong colours, so it is refused.
    const rgbCoded = frame.colorSpace.matrix === 'rgb';
    const format = rgbCoded ? null : webCodecsPixelFormat(frame.format);
    const rect = frame.visibleRect;
    if (!rect) throw new VideoInputError(`${context.name}: frame ${index + 1} has no visible area`);
    assertConvertible(context.name, format, rgbCoded ? 'gbrp (RGB-coded)' : (frame.format ?? 'unknown'), { width: rect.width, height: rect.height, rotation: context.rotation });
    if (!format) throw new Error('unreachable: assertConvertible accepts only known formats');
    const data = buffer(frame.allocationSize());
    // The default layout is tight (stride = plane width) and covers visibleRect only, crop included.
    const layouts = await frame.copyTo(data);
    return {
      index,
      timestamp,
      format,
      width: rect.width,
      height: rect.height,
      data,
      planes: layouts.map(({ offset, stride }) => ({ offset, stride })),
      rotation: context.rotation,
      mirrored: context.mirrored,
      // OpenCV's matrix (BT.601 always) and range (full only for H.264/HEVC's full-range flag), not the stream's tags.
      color: openCvColorInfo(context.codec, frame.colorSpace.fullRange ?? false),
    };
  } finally {
    frame.close();
  }
}
