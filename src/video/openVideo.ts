/**
 * Opens a user's video file for analysis. WebCodecs first (mediabunny
 * demuxing MP4/MOV/WebM/MKV, the browser's decoder: fast, and for H.264,
 * VP9 and AV1 bit-exact with ffmpeg's), ffmpeg.wasm for everything else.
 * Either way the frames are the decoder's own YUV planes; the worker
 * converts them with rawFrameToBgr.
 */
import { VideoInputError } from '../core/errors.ts';
import { openWithFfmpeg } from './ffmpegSource.ts';
import type { VideoSource } from './types.ts';
import { openWithWebCodecs } from './webCodecsSource.ts';

export { openImageSequence } from './imageSequence.ts';
export { rawFrameToBgr } from './rawFrameToBgr.ts';

export async function openVideo(file: File): Promise<VideoSource> {
  if (file.size === 0) throw new VideoInputError(`${file.name}: the file is empty`);
  const opened = await openWithWebCodecs(file);
  if ('source' in opened) return opened.source;
  return openWithFfmpeg(file);
}
