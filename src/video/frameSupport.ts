/**
 * Which decoded videos the in-browser conversion reproduces exactly, and
 * the message for the others. ffmpeg (so OpenCV, so OpenFace) converts YUV
 * with its fast exact path only when the output height is even; for odd
 * heights it takes its general scaler, which the core does not reproduce
 * (src/core/color/yuvToBgr.ts). Rather than hand the AU engine pixels that
 * differ from OpenFace's, such videos are refused with a way out: the
 * command line, whose system ffmpeg converts them as OpenCV does.
 */
import { VideoInputError } from '../core/errors.ts';
import type { YuvPixelFormat } from './pixelFormats.ts';

const USE_CLI = 'use the command line (npm run splitface -- process VIDEO), which reads it exactly as OpenFace does';

export interface DecodedGeometry {
  /** stored (coded visible) size, before rotation */
  readonly width: number;
  readonly height: number;
  readonly rotation: 0 | 90 | 180 | 270;
}

/** Throws a VideoInputError naming the problem when frames of this shape and format cannot be converted exactly. */
export function assertConvertible(name: string, format: YuvPixelFormat | null, pixelFormatName: string, geometry: DecodedGeometry): void {
  if (format === null) {
    throw new VideoInputError(`${name}: pixel format ${pixelFormatName} is not supported in the browser (only 8-bit 4:2:0 and 4:2:2 YUV are converted exactly like OpenCV); ${USE_CLI}`);
  }
  const turned = geometry.rotation === 90 || geometry.rotation === 270;
  const uprightWidth = turned ? geometry.height : geometry.width;
  const uprightHeight = turned ? geometry.width : geometry.height;
  if (uprightHeight % 2 !== 0) {
    throw new VideoInputError(
      `${name}: ${uprightWidth}x${uprightHeight} frames have an odd height, which the in-browser colour conversion does not reproduce exactly (OpenCV takes a different path for odd heights, and AU intensities follow one-level pixel differences); ${USE_CLI}`,
    );
  }
  if (format === 'I422' && geometry.rotation !== 0) {
    throw new VideoInputError(`${name}: rotated 4:2:2 video is not supported in the browser (ffmpeg converts it through its general scaler before turning it); ${USE_CLI}`);
  }
}
