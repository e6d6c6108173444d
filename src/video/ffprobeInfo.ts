/**
 * What ffprobe's JSON (`-show_streams -show_format -of json`, run inside
 * ffmpeg.wasm) says about a file's first video stream, checked into the
 * facts the decoder needs, with a user-facing message for each way a file
 * can fail to be a usable video. Pure: unit-tested in Node.
 */
import { VideoInputError } from '../core/errors.ts';
import { clockwiseTurnForDisplayRotation } from '../core/color/yuvRotate.ts';

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  codec_long_name?: string;
  codec_tag_string?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  nb_frames?: string;
  duration?: string;
  time_base?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; format_name?: string };
}

export interface FfmpegStreamInfo {
  /** ffmpeg's decoder name, e.g. 'mpeg4', 'hevc', 'wmv2' */
  readonly codec: string;
  /** the decoder's output format, e.g. 'yuv420p' */
  readonly pixelFormat: string;
  /** stored size (before rotation) */
  readonly width: number;
  readonly height: number;
  /** clockwise turn that makes the frames upright (ffmpeg's autorotation) */
  readonly rotation: 0 | 90 | 180 | 270;
  readonly frameCountHint: number | null;
  readonly durationSeconds: number | null;
  /** frames per second when the container says (for frames without a timestamp) */
  readonly frameRate: number | null;
  /** ffmpeg's demuxer names, e.g. 'avi', 'mov,mp4,m4a,3gp,3g2,mj2' */
  readonly container: string;
}

function positive(text: string | undefined): number | null {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : null;
}

function ratio(text: string | undefined): number | null {
  const [num, den] = (text ?? '').split('/').map(Number);
  return num > 0 && den > 0 ? num / den : null;
}

/**
 * The first video stream's facts, or a VideoInputError saying why the file
 * cannot be analysed: not a media file, no video stream, a codec no decoder
 * here knows (named by its tag), no frame size.
 */
export function parseProbe(name: string, json: string | null, lastLogLine: string): FfmpegStreamInfo {
  let probe: ProbeJson | null = null;
  try {
    probe = json ? (JSON.parse(json) as ProbeJson) : null;
  } catch {
    probe = null;
  }
  if (!probe || !probe.format) {
    // ffmpeg prefixes the reason with the path ("file:/input/x.mp4: Invalid data..."): keep the reason.
    const reason = (lastLogLine.split(': ').pop() ?? '').trim();
    throw new VideoInputError(`${name}: not a video file, or a damaged one${reason ? ` (ffmpeg: ${reason})` : ''}`);
  }
  const stream = (probe.streams ?? []).find((s) => s.codec_type === 'video');
  if (!stream) throw new VideoInputError(`${name}: the file has no video stream`);
  const tag = stream.codec_tag_string && !/^\[\d+\]/.test(stream.codec_tag_string) ? stream.codec_tag_string : null;
  if (!stream.codec_name || stream.codec_name === 'none' || stream.codec_name === 'unknown') {
    throw new VideoInputError(`${name}: the video codec${tag ? ` "${tag}"` : ''} is not supported (neither the browser nor ffmpeg.wasm can decode it)`);
  }
  const codecLabel = `${stream.codec_name}${stream.codec_long_name ? ` (${stream.codec_long_name})` : ''}`;
  if (!stream.width || !stream.height || !stream.pix_fmt || stream.pix_fmt === 'none') {
    throw new VideoInputError(`${name}: the ${codecLabel} video stream cannot be decoded here (no frame size or pixel format: the decoder is missing or the stream is damaged)`);
  }
  const sideRotation = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation;
  // ffprobe's rotation (display matrix and the old `rotate` tag alike) is counter-clockwise.
  const counterClockwise = sideRotation ?? -Number(stream.tags?.rotate ?? 0);
  return {
    codec: stream.codec_name,
    pixelFormat: stream.pix_fmt,
    width: stream.width,
    height: stream.height,
    rotation: clockwiseTurnForDisplayRotation(counterClockwise),
    frameCountHint: positive(stream.nb_frames),
    durationSeconds: positive(stream.duration) ?? positive(probe.format.duration),
    frameRate: ratio(stream.avg_frame_rate) ?? ratio(stream.r_frame_rate),
    container: probe.format.format_name ?? '',
  };
}
