/**
 * Which decoded videos the in-browser conversion reproduces exactly, and
 * the message for the others. The core converts every planar 8, 10 and 12-bit
 * 4:2:0, 4:2:2 and 4:4:4 layout, at any size, as libswscale does
 * (src/core/color/planarYuvToBgr.ts). Two things stay refused, with a way out
 * (the command line, whose system ffmpeg reads them as OpenCV does): pixel
 * formats outside that set (RGB-coded streams, 16-bit, 4:1:1...), and 4:2:2
 * that must be turned a quarter, which ffmpeg first converts through its
 * general scaler to another format.
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
    throw new VideoInputError(
      `${name}: pixel format ${pixelFormatName} is not supported in the browser (8, 10 and 12-bit YUV 4:2:0, 4:2:2 and 4:4:4 are converted exactly like OpenCV); ${USE_CLI}`,
    );
  }
  if (format.startsWith('I422') && (geometry.rotation === 90 || geometry.rotation === 270)) {
    throw new VideoInputError(`${name}: 4:2:2 video turned a quarter is not supported in the browser (ffmpeg converts it through its general scaler before turning it); ${USE_CLI}`);
  }
}
