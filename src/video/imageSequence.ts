/**
 * A folder of JPEG images as one video, as OpenFace's `-fdir DIR -asvid`
 * reads it and as the CLI does (src/cli/imageSequence.ts): name order with
 * numbers compared as numbers, every image the first one's size, frame
 * times index / fps. Each image is decoded by the core's own JPEG decoder,
 * which gives cv::imread's bytes exactly (the browser's decoder does not),
 * and handed over already as BGR.
 */
import { VideoInputError } from '../core/errors.ts';
import { decodeJpegBgr, isJpeg, JpegFormatError, JpegUnsupportedError, readJpegSize } from '../core/jpeg/decodeJpeg.ts';
import type { RawVideoFrame, VideoInfo, VideoSource } from './types.ts';

/** The CLI's image extensions; in the browser only JPEG content is decoded (see below). */
const IMAGE_NAME = /\.(jpe?g|png|bmp|tiff?|webp)$/i;
const USE_CLI = 'use the command line (npm run splitface -- process FOLDER), which decodes it as OpenCV does';

/** The images among `files`, in the CLI's order ("frame2" before "frame10"). */
export function orderImages(files: readonly File[]): File[] {
  return files.filter((file) => IMAGE_NAME.test(file.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

async function jpegBytes(file: File): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Recognised by content, as OpenCV does; other formats would need a decoder that matches OpenCV's.
  if (!isJpeg(bytes)) throw new VideoInputError(`${file.name}: not a JPEG image; in the browser, image sequences must be JPEG (${USE_CLI})`);
  return bytes;
}

function decode(file: File, bytes: Uint8Array, width: number, height: number): Uint8Array {
  try {
    const size = readJpegSize(bytes);
    if (size.width !== width || size.height !== height) {
      throw new VideoInputError(`${file.name}: every image of a sequence must be ${width}x${height} like the first one (this one is ${size.width}x${size.height})`);
    }
    return decodeJpegBgr(bytes).data;
  } catch (error) {
    if (error instanceof JpegFormatError) throw new VideoInputError(`${file.name}: not a readable JPEG (${error.message})`);
    if (error instanceof JpegUnsupportedError) throw new VideoInputError(`${file.name}: ${error.message}, which SplitFace's exact JPEG decoder does not handle; ${USE_CLI}`);
    throw error;
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
  try {
    size = readJpegSize(await jpegBytes(first));
  } catch (error) {
    if (error instanceof JpegFormatError) throw new VideoInputError(`${first.name}: not a readable JPEG (${error.message})`);
    throw error;
  }
  const { width, height } = size;
  const info: VideoInfo = {
    name: folderName(first),
    sizeBytes: images.reduce((sum, file) => sum + file.size, 0),
    width,
    height,
    durationSeconds: images.length / fps,
    frameCountHint: images.length,
    codec: 'jpeg',
    decoder: 'images',
    rotation: 0,
  };

  async function* frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame> {
    for (let index = 0; index < images.length; index++) {
      if (signal?.aborted) return;
      const file = images[index];
      const bgr = decode(file, await jpegBytes(file), width, height);
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
