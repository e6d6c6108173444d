import { spawn, spawnSync } from 'node:child_process';
import { VideoInputError } from '../core/errors.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import { createShowinfoParser } from '../video/showinfoLog.ts';
import { hdrFromTags } from '../video/ffprobeInfo.ts';
import type { HdrSource } from '../video/types.ts';
import type { Readable } from 'node:stream';

/** whole frames read ahead of the analysis: enough to keep ffmpeg busy while a frame is tracked, few enough for memory (1080p: 4.7 MB each) */
const READ_AHEAD_FRAMES = 4;

/** What a video holds, in display orientation (rotation already applied). */
export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  /** degrees the stored frames are turned for display (0, 90, 180, 270) */
  readonly rotation: number;
  readonly codec: string;
  /** the decoder's pixel format, e.g. yuv420p, or yuvj420p for full-range H.264 */
  readonly pixelFormat: string;
  /** frame count from the container, when it knows; decoding is the truth */
  readonly frameCountHint: number | null;
  readonly durationSeconds: number | null;
  /** HLG or PQ transfer tags: an HDR source, read (as OpenCV reads it) without tone mapping; null for SDR */
  readonly hdr?: HdrSource | null;
}


interface ProbeStream {
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  nb_frames?: string;
  duration?: string;
  color_transfer?: string;
  color_primaries?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

/** Fails with a one-line message when ffmpeg/ffprobe are not installed. */
function requireTool(tool: 'ffmpeg' | 'ffprobe'): void {
  const probe = spawnSync(tool, ['-version'], { stdio: 'ignore' });
  if (probe.error) throw new VideoInputError(`${tool} is not installed (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)`);
}

export function probeVideo(path: string): VideoInfo {
  requireTool('ffprobe');
  const run = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-of', 'json', path], { encoding: 'utf8' });
  if (run.status !== 0) {
    const reason = (run.stderr || '').trim().split('\n').pop() ?? 'unknown error';
    throw new VideoInputError(`${path}: not a readable video (${reason})`);
  }
  const streams = (JSON.parse(run.stdout) as { streams?: ProbeStream[] }).streams ?? [];
  const stream = streams[0];
  if (!stream || !stream.width || !stream.height) throw new VideoInputError(`${path}: no video stream`);
  const sideRotation = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation;
  const rotation = (((Math.round(sideRotation ?? Number(stream.tags?.rotate ?? 0)) % 360) + 360) % 360);
  const turned = rotation === 90 || rotation === 270;
  const frames = Number(stream.nb_frames);
  const duration = Number(stream.duration);
  return {
    width: turned ? stream.height : stream.width,
    height: turned ? stream.width : stream.height,
    rotation,
    codec: stream.codec_name ?? 'unknown',
    pixelFormat: stream.pix_fmt ?? 'unknown',
    frameCountHint: Number.isFinite(frames) && frames > 0 ? frames : null,
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : null,
    hdr: hdrFromTags(stream.color_transfer, stream.color_primaries),
  };
}

/**
 * Decodes every frame of a video with the system ffmpeg, streamed through a
 * pipe (never a temporary file), as `-pix_fmt bgr24` with default flags: those
 * bytes are exactly what OpenCV (and so OpenFace) sees, and AU intensities
 * move visibly with one-level rounding differences in the YUV→BGR step.
 * OpenCV ignores a stream's colour tags: it converts with BT.601 and treats
 * only the decoders' "yuvj" formats as full range. The ffmpeg command line
 * would honour a BT.709 tag (most phone videos carry one), so the matrix and
 * range are pinned to what OpenCV uses, and so are the scaler's flags.
 * ffmpeg applies the display rotation, so frames arrive upright. `showinfo`
 * reports each frame's presentation time on stderr; `-fps_mode passthrough`
 * keeps exactly one output frame per decoded frame (no duplicates or drops for
 * variable frame rates).
 */
export async function* decodeVideo(path: string, info: VideoInfo = probeVideo(path)): AsyncGenerator<DecodedFrame> {
  requireTool('ffmpeg');
  const frameBytes = info.width * info.height * 3;
  const range = info.pixelFormat.startsWith('yuvj') ? 'pc' : 'tv';
  // flags=bicubic: OpenCV's SWS_BICUBIC, pinned rather than left to the ffmpeg build's default
  // (it decides the chroma filters of 10-bit, 4:4:4 and odd-size conversions).
  const filters = `showinfo,scale=in_color_matrix=bt601:in_range=${range}:flags=bicubic`;
  const child = spawn('ffmpeg', ['-v', 'info', '-nostdin', '-i', path, '-map', '0:v:0', '-vf', filters, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ptsTimes: number[] = [];
  const showinfo = createShowinfoParser();
  // stdout and stderr are separate pipes: a frame can arrive before its showinfo line.
  let wakePts: (() => void) | null = null;
  let stderrClosed = false;
  let stderrTail = '';
  let stderrBuffer = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrBuffer += chunk;
    let newline: number;
    while ((newline = stderrBuffer.indexOf('\n')) >= 0) {
      const line = stderrBuffer.slice(0, newline);
      stderrBuffer = stderrBuffer.slice(newline + 1);
      const time = showinfo.line(line);
      if (time !== null) ptsTimes.push(time);
      else if (line.trim() && !line.includes('showinfo')) stderrTail = line.trim();
    }
    wakePts?.();
  });
  child.stderr.on('close', () => {
    stderrClosed = true;
    wakePts?.();
  });
  const ptsOf = async (frameIndex: number): Promise<number | undefined> => {
    while (ptsTimes.length <= frameIndex && !stderrClosed) {
      await new Promise<void>((resolve) => (wakePts = resolve));
      wakePts = null;
    }
    return ptsTimes[frameIndex];
  };
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));

  let index = 0;
  let firstPts: number | null = null;
  const frameFrom = async (data: Uint8Array): Promise<DecodedFrame> => {
    const pts = await ptsOf(index);
    if (firstPts === null) firstPts = pts ?? 0;
    const timestamp = pts === undefined ? Number.NaN : pts - firstPts;
    return { index: index++, timestamp, image: { width: info.width, height: info.height, data } };
  };
  for await (const data of readAheadFrames(child.stdout, frameBytes)) yield await frameFrom(data);
  const code = await exited;
  if (code !== 0) throw new VideoInputError(`${path}: ffmpeg could not decode the video (${stderrTail || `exit ${code}`})`);
  if (index === 0) throw new VideoInputError(`${path}: the video has no decodable frames`);
}

/**
 * Whole frames of `frameBytes` from a raw video pipe, read ahead of the
 * consumer. Pulling the pipe only when the next frame is wanted would stall
 * ffmpeg on the OS pipe buffer (64 KB) while a frame is analysed, so decoding
 * and analysis would take turns instead of running on both cores. A trailing
 * partial frame (the pipe ended mid-frame) is dropped.
 */
export async function* readAheadFrames(pipe: Readable, frameBytes: number, ahead = READ_AHEAD_FRAMES): AsyncGenerator<Uint8Array> {
  const ready: Uint8Array[] = [];
  let filling = new Uint8Array(frameBytes);
  let filled = 0;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const onData = (chunk: Buffer): void => {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frameBytes - filled, chunk.length - offset);
      filling.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === frameBytes) {
        ready.push(filling);
        filling = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
    if (ready.length >= ahead) pipe.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (error: Error): void => {
    failure = error;
    notify();
  };
  pipe.on('data', onData);
  pipe.once('end', onEnd);
  pipe.once('close', onEnd);
  pipe.once('error', onError);
  try {
    for (;;) {
      const frame = ready.shift();
      if (frame) {
        if (ready.length < ahead && pipe.isPaused()) pipe.resume();
        yield frame;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      if (pipe.isPaused()) pipe.resume();
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    pipe.off('data', onData);
    pipe.off('end', onEnd);
    pipe.off('close', onEnd);
    pipe.off('error', onError);
    // the consumer stopped early (an error, Ctrl-C): close the pipe, so ffmpeg stops instead of decoding the rest for nobody
    if (!ended) pipe.destroy();
  }
}
