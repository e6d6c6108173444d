import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { VideoInputError } from '../core/errors.ts';
import type { DecodedFrame, VideoInfo } from './ffmpegDecode.ts';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|bmp|tiff?|webp)$/i;

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

function probeImage(path: string): ImageSize {
  const run = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const [width, height] = run.stdout.trim().split(',').map(Number);
  if (run.status !== 0 || !(width > 0) || !(height > 0)) throw new VideoInputError(`${path}: not a readable image`);
  return { width, height };
}

export function probeImageSequence(folder: string): VideoInfo & { files: string[] } {
  const files = listImages(folder);
  const { width, height } = probeImage(files[0]);
  return { files, width, height, rotation: 0, codec: 'images', frameCountHint: files.length, durationSeconds: null };
}

/**
 * Decodes a folder of images as one sequence, as OpenFace's `-fdir ... -asvid`
 * does: every image must have the first one's size; frame times are index / fps.
 */
export async function* decodeImageSequence(folder: string, fps: number, info = probeImageSequence(folder)): AsyncGenerator<DecodedFrame> {
  const frameBytes = info.width * info.height * 3;
  for (let index = 0; index < info.files.length; index++) {
    const path = info.files[index];
    const run = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: frameBytes + 1024 });
    if (run.status !== 0) throw new VideoInputError(`${path}: not a readable image (${run.stderr.toString().trim().split('\n').pop() ?? ''})`);
    if (run.stdout.length !== frameBytes) {
      throw new VideoInputError(`${path}: every image of a sequence must be ${info.width}x${info.height} like the first one`);
    }
    yield { index, timestamp: index / fps, image: { width: info.width, height: info.height, data: new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.length) } };
  }
}
