import { SplitFaceError } from '../errors.ts';
import { FHOG_CHANNELS, type FhogFeatures } from './fhog.ts';

/**
 * OpenFace's `.hog` file (FeatureExtraction -hogalign), written frame after frame
 * with no file header. Per frame, little-endian (OpenFace writes native x86 bytes):
 *
 *   int32   num_cols   (12 for the 112x112 face)
 *   int32   num_rows   (12)
 *   int32   channels   (31)
 *   float32 success    (1 tracked, -1 not tracked)
 *   float32 values[num_rows * num_cols * 31], in the descriptor order of
 *           `FhogFeatures.values`: cell row by cell row, cell by cell, 31 channels.
 *
 * OpenFace writes every frame, tracked or not: on a frame where tracking failed
 * it still computes the FHOG of whatever aligned face it produced and only sets
 * the flag to -1. Readers (OpenFace's own and ../shared/tools/hog-compare.mjs)
 * ignore the values of such frames.
 */

export const HOG_FRAME_HEADER_BYTES = 16;

/** A `.hog` file holds something other than whole frames of the layout above. */
export class HogFormatError extends SplitFaceError {}

export interface HogFrame {
  rows: number;
  cols: number;
  channels: number;
  /** the success flag: true when OpenFace wrote 1 (tracked), false for -1 */
  success: boolean;
  /** rows * cols * channels values, descriptor order */
  values: Float32Array;
}

export interface EncodeHogFrameOptions {
  /**
   * The flag to write. Defaults to true when features are given, false for null.
   * Pass false with features to mirror OpenFace on a frame it did not track but
   * still aligned and described.
   */
  success?: boolean;
  /** Grid written for a null (failed) frame: OpenFace's 12 x 12 by default. */
  rows?: number;
  cols?: number;
}

/** Bytes of one frame with the given grid. */
export function hogFrameByteLength(rows: number, cols: number, channels: number = FHOG_CHANNELS): number {
  return HOG_FRAME_HEADER_BYTES + rows * cols * channels * 4;
}

/**
 * One frame of a `.hog` file. `null` stands for a frame without features (no
 * face): it is written with flag -1 and zero values on a 12 x 12 grid (or
 * options.rows/cols), so that the file keeps one frame per video frame.
 */
export function encodeHogFrame(features: FhogFeatures | null, options: EncodeHogFrameOptions = {}): Uint8Array {
  const rows = features ? features.rows : options.rows ?? 12;
  const cols = features ? features.cols : options.cols ?? 12;
  const success = options.success ?? features !== null;
  const valueCount = rows * cols * FHOG_CHANNELS;
  if (features && features.values.length !== valueCount) {
    throw new RangeError(`FHOG of ${rows}x${cols} cells needs ${valueCount} values, got ${features.values.length}`);
  }
  const bytes = new Uint8Array(hogFrameByteLength(rows, cols));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, cols, true);
  view.setInt32(4, rows, true);
  view.setInt32(8, FHOG_CHANNELS, true);
  view.setFloat32(12, success ? 1 : -1, true);
  if (features) {
    const values = features.values;
    for (let i = 0; i < valueCount; i++) view.setFloat32(HOG_FRAME_HEADER_BYTES + 4 * i, values[i], true);
  }
  return bytes;
}

/** Concatenates encoded frames into one file's bytes. */
export function concatHogFrames(frames: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const frame of frames) total += frame.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/** Reads every frame of a `.hog` file; throws HogFormatError on a malformed or truncated file. */
export function readHogFile(bytes: Uint8Array, source = '.hog file'): HogFrame[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: HogFrame[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + HOG_FRAME_HEADER_BYTES > bytes.byteLength) {
      throw new HogFormatError(`${source}: ${bytes.byteLength - offset} trailing bytes after frame ${frames.length}, too few for a frame header`);
    }
    const cols = view.getInt32(offset, true);
    const rows = view.getInt32(offset + 4, true);
    const channels = view.getInt32(offset + 8, true);
    const flag = view.getFloat32(offset + 12, true);
    if (!(rows > 0 && cols > 0 && channels > 0) || rows * cols * channels > 1 << 24) {
      throw new HogFormatError(`${source}: frame ${frames.length} at byte ${offset} has an impossible grid ${cols}x${rows}x${channels}`);
    }
    const count = rows * cols * channels;
    const end = offset + HOG_FRAME_HEADER_BYTES + 4 * count;
    if (end > bytes.byteLength) {
      throw new HogFormatError(`${source}: frame ${frames.length} at byte ${offset} is truncated (${count} values announced)`);
    }
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + HOG_FRAME_HEADER_BYTES + 4 * i, true);
    frames.push({ rows, cols, channels, success: flag > 0, values });
    offset = end;
  }
  return frames;
}
