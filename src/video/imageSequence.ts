/**
 * A folder of JPEG, PNG or BMP images as one video, as OpenFace's
 * `-fdir DIR -asvid` reads it and as the CLI does (src/cli/imageSequence.ts):
 * name order with numbers compared as numbers, every image the first one's
 * size, frame times index / fps. Each image is decoded by the core's own
 * decoders, which give cv::imread's bytes exactly (the browser's decoders do
 * not), and handed over already as BGR. TIFF and WebP are left to the CLI.
 */
import { VideoInputError } from '../core/errors.ts';
import { decodeJpegBgr, isJpeg, JpegFormatError, JpegUnsupportedError, readJpegSize } from '../core/jpeg/decodeJpeg.ts';
import { decodePngBgr, isPng, PngFormatError, readPngSize } from '../core/png/decodePng.ts';
import { BmpFormatError, BmpUnsupportedError, decodeBmpBgr, isBmp, readBmpSize } from '../core/bmp/decodeBmp.ts';
import type { RawVideoFrame, VideoInfo, VideoSource } from './types.ts';

/** The CLI's image extensions; in the browser JPEG, PNG and BMP content is decoded (see below). */
const IMAGE_NAME = /\.(jpe?g|png|bmp|tiff?|webp)$/i;
const USE_CLI = 'the SplitFace command line reads it (see the README: splitface process FOLDER)';

type ImageFormat = 'jpeg' | 'png' | 'bmp';

/** Recognised by content, as OpenCV does, not by the name's extension. */
function imageFormat(bytes: Uint8Array): ImageFormat | null {
  return isJpeg(bytes) ? 'jpeg' : isPng(bytes) ? 'png' : isBmp(bytes) ? 'bmp' : null;
}

/** The images among `files`, in the CLI's order ("frame2" before "frame10"). */
export function orderImages(files: readonly File[]): File[] {
  return files.filter((file) => IMAGE_NAME.test(file.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

async function imageBytes(file: File): Promise<{ bytes: Uint8Array; format: ImageFormat }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const format = imageFormat(bytes);
  if (!format) throw new VideoInputError(`${file.name} is not a JPEG, PNG or BMP image. The browser reads those three; for TIFF or WebP, ${USE_CLI}.`);
  return { bytes, format };
}

/** Maps a decoder's own error to a message for the user. */
function asInputError(file: File, error: unknown): unknown {
  if (error instanceof JpegFormatError || error instanceof PngFormatError || error instanceof BmpFormatError) {
    return new VideoInputError(`${file.name} could not be read: the image looks damaged (${error.message}).`);
  }
  if (error instanceof JpegUnsupportedError || error instanceof BmpUnsupportedError) {
    return new VideoInputError(`${file.name} uses an image variant the browser version cannot read exactly (${error.message}); ${USE_CLI}.`);
  }
  return error;
}

function imageSize(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } {
  return format === 'jpeg' ? readJpegSize(bytes) : format === 'png' ? readPngSize(bytes) : readBmpSize(bytes);
}

function decode(file: File, { bytes, format }: { bytes: Uint8Array; format: ImageFormat }, width: number, height: number): Uint8Array {
  try {
    const size = imageSize(bytes, format);
    if (size.width !== width || size.height !== height) {
      throw new VideoInputError(`${file.name}: every image of a sequence must be ${width}x${height} like the first one (this one is ${size.width}x${size.height})`);
    }
    return (format === 'jpeg' ? decodeJpegBgr(bytes) : format === 'png' ? decodePngBgr(bytes) : decodeBmpBgr(bytes)).data;
  } catch (error) {
    throw asInputError(file, error);
  }
}

/** The folder's name when the files come from a folder picker, else the first image's. */
function folderName(file: File): string {
  // Only a folder picker sets webkitRelativePath ("folder/img001.jpg"); some File implementations lack it.
  const path: string | undefined = file.webkitRelativePath;
  return path?.split('/')[0] || file.name;
}

/** Opens the images of a folder (e.g. from `<input webkitdirectory>`) as one video of `fps` frames per second. */
export async function openImageSequence(files: readonly File[], fps = 30): Promise<VideoSource> {
  const images = orderImages(files);
  const first = images[0];
  if (!first) throw new VideoInputError('the folder holds no images (.jpg, .png, .bmp, .tif, .webp)');
  if (!(fps > 0)) throw new RangeError(`openImageSequence: fps ${fps}`);
  let size: { width: number; height: number };
  const firstImage = await imageBytes(first);
  try {
    size = imageSize(firstImage.bytes, firstImage.format);
  } catch (error) {
    throw asInputError(first, error);
  }
  const { width, height } = size;
  const info: VideoInfo = {
    name: folderName(first),
    sizeBytes: images.reduce((sum, file) => sum + file.size, 0),
    width,
    height,
    durationSeconds: images.length / fps,
    frameCountHint: images.length,
    codec: firstImage.format,
    decoder: 'images',
    rotation: 0,
  };

  async function* frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame> {
    for (let index = 0; index < images.length; index++) {
      if (signal?.aborted) return;
      const file = images[index];
      const bgr = decode(file, await imageBytes(file), width, height);
      yield {
        index,
        timestamp: index / fps,
        format: 'BGR',
        width,
        height,
        data: bgr.buffer as ArrayBuffer,
        planes: [{ offset: bgr.byteOffset, stride: width * 3 }],
        rotation: 0,
        color: { matrix: 'bt601', fullRange: false },
      };
    }
  }

  return { info, frames, close: async () => {} };
}
