import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { VideoInputError } from '../core/errors.ts';
import type { BgrImage } from '../core/image.ts';
import { decodeJpegBgr, isJpeg, JpegFormatError, JpegUnsupportedError, readJpegSize } from '../core/jpeg/decodeJpeg.ts';
import type { VideoInfo } from './ffmpegDecode.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';

/*
 * Image folders, as OpenFace's `FeatureExtraction -fdir DIR -asvid` reads
 * them: each image with cv::imread(path, IMREAD_UNCHANGED). AU intensities
 * move with one-level pixel differences, so the pixels must be OpenCV's:
 * - JPEG (recognised by content, as OpenCV does) goes through our own
 *   decoder, which reproduces libjpeg-turbo's ISLOW IDCT, fancy upsampling
 *   and YCbCr->BGR conversion byte for byte. ffmpeg cannot: its IDCTs and
 *   swscale's chroma handling differ by a level here and there (mean AU r
 *   0.947 against OpenFace on the shared image_sequence, 1.000 with this).
 *   EXIF orientation is ignored, as IMREAD_UNCHANGED ignores it.
 * - Lossless formats (PNG, BMP) go through `ffmpeg -pix_fmt bgr24`, which for
 *   8-bit images is exactly the stored samples, as OpenCV returns them.
 * - A JPEG feature our decoder does not reproduce (arithmetic coding, CMYK,
 *   ...) falls back to ffmpeg with a warning that the pixels may differ.
 */

const IMAGE_EXTENSIONS = /\.(jpe?g|png|bmp|tiff?|webp)$/i;

/** What decodes the images, recorded in the run's provenance JSON. */
export const IMAGE_DECODERS = 'JPEG: SplitFace decoder identical to OpenCV imread (libjpeg-turbo ISLOW IDCT, fancy upsampling); other formats: ffmpeg -pix_fmt bgr24';

/** The images of a folder in name order ("frame2" before "frame10"). */
export function listImages(folder: string): string[] {
  const names = readdirSync(folder).filter((name) => IMAGE_EXTENSIONS.test(name) && statSync(join(folder, name)).isFile());
  if (names.length === 0) throw new VideoInputError(`${folder}: the folder holds no images (.jpg, .png, .bmp, .tif, .webp)`);
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return names.map((name) => join(folder, name));
}

interface ImageSize {
  width: number;
  height: number;
}

function readImage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new VideoInputError(`${path}: cannot read the image (${(error as Error).message})`);
  }
}

function probeImage(path: string): ImageSize {
  const bytes = readImage(path);
  if (isJpeg(bytes)) {
    try {
      return readJpegSize(bytes);
    } catch (error) {
      if (error instanceof JpegFormatError) throw new VideoInputError(`${path}: not a readable JPEG (${error.message})`);
      throw error;
    }
  }
  const run = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  if (run.error) throw new VideoInputError('ffprobe is not installed (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)');
  const [width, height] = run.stdout.trim().split(',').map(Number);
  if (run.status !== 0 || !(width > 0) || !(height > 0)) throw new VideoInputError(`${path}: not a readable image`);
  return { width, height };
}

export function probeImageSequence(folder: string): VideoInfo & { files: string[]; decoders: string } {
  const files = listImages(folder);
  const { width, height } = probeImage(files[0]);
  return { files, width, height, rotation: 0, codec: 'images', pixelFormat: 'bgr24', frameCountHint: files.length, durationSeconds: null, decoders: IMAGE_DECODERS };
}

function decodeWithFfmpeg(path: string, frameBytes: number): Uint8Array {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: frameBytes + 1024 });
  if (run.error) throw new VideoInputError('ffmpeg is not installed (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)');
  if (run.status !== 0) throw new VideoInputError(`${path}: not a readable image (${run.stderr.toString().trim().split('\n').pop() ?? ''})`);
  return new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.length);
}

export interface ImageDecodeOptions {
  /** told once per distinct reason when an image cannot be decoded exactly like OpenCV; default: a line on stderr */
  warn?: (message: string) => void;
}

/**
 * One image as the BGR bytes cv::imread gives OpenFace. `size` is the size
 * every image of the sequence must have.
 */
export function decodeImage(path: string, size: ImageSize, warnOnce: (reason: string, message: string) => void): BgrImage {
  const bytes = readImage(path);
  const mismatch = (actual?: ImageSize): VideoInputError =>
    new VideoInputError(`${path}: every image of a sequence must be ${size.width}x${size.height} like the first one${actual ? ` (this one is ${actual.width}x${actual.height})` : ''}`);
  if (isJpeg(bytes)) {
    try {
      const actual = readJpegSize(bytes);
      if (actual.width !== size.width || actual.height !== size.height) throw mismatch(actual);
      return decodeJpegBgr(bytes);
    } catch (error) {
      if (error instanceof JpegFormatError) throw new VideoInputError(`${path}: not a readable JPEG (${error.message})`);
      if (!(error instanceof JpegUnsupportedError)) throw error;
      warnOnce(error.message, `${path}: ${error.message}: decoded with ffmpeg instead, whose pixels can differ slightly from OpenCV's (AU intensities may shift)`);
    }
  }
  const frameBytes = size.width * size.height * 3;
  const data = decodeWithFfmpeg(path, frameBytes);
  if (data.length !== frameBytes) throw mismatch();
  return { width: size.width, height: size.height, data };
}

/**
 * Decodes a folder of images as one sequence, as OpenFace's `-fdir ... -asvid`
 * does: every image must have the first one's size; frame times are index / fps.
 */
export async function* decodeImageSequence(folder: string, fps: number, info = probeImageSequence(folder), options: ImageDecodeOptions = {}): AsyncGenerator<DecodedFrame> {
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const warned = new Set<string>();
  const warnOnce = (reason: string, message: string): void => {
    if (warned.has(reason)) return;
    warned.add(reason);
    warn(message);
  };
  for (let index = 0; index < info.files.length; index++) {
    const image = decodeImage(info.files[index], info, warnOnce);
    yield { index, timestamp: index / fps, image };
  }
}
