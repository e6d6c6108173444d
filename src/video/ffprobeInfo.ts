/**
 * What ffprobe's JSON (`-show_streams -show_format -of json`, run inside
 * ffmpeg.wasm) says about a file's first video stream, checked into the
 * facts the decoder needs, with a user-facing message for each way a file
 * can fail to be a usable video. Pure: unit-tested in Node.
 */
import { VideoInputError } from '../core/errors.ts';
import { clockwiseTurnForDisplayRotation, orientationForDisplayMatrix } from '../core/color/yuvRotate.ts';
import type { HdrSource } from './types.ts';

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
  color_transfer?: string;
  color_primaries?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number; displaymatrix?: string }[];
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
  /** then a left-right flip (a mirrored display matrix) */
  readonly mirrored: boolean;
  /** HLG or PQ transfer tags: an HDR source */
  readonly hdr: HdrSource | null;
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
  const matrix = parseDisplayMatrix(stream.side_data_list?.find((s) => typeof s.displaymatrix === 'string')?.displaymatrix);
  // ffprobe's rotation (display matrix and the old `rotate` tag alike) is counter-clockwise.
  const counterClockwise = sideRotation ?? -Number(stream.tags?.rotate ?? 0);
  const orientation = matrix ? orientationForDisplayMatrix(matrix) : { rotation: clockwiseTurnForDisplayRotation(counterClockwise), mirrored: false };
  return {
    codec: stream.codec_name,
    pixelFormat: stream.pix_fmt,
    width: stream.width,
    height: stream.height,
    rotation: orientation.rotation,
    mirrored: orientation.mirrored,
    hdr: hdrFromTags(stream.color_transfer, stream.color_primaries),
    frameCountHint: positive(stream.nb_frames),
    durationSeconds: positive(stream.duration) ?? positive(probe.format.duration),
    frameRate: ratio(stream.avg_frame_rate) ?? ratio(stream.r_frame_rate),
    container: probe.format.format_name ?? '',
  };
}

/** ffprobe's displaymatrix text ("\n00000000:  0  65536  0\n00000001: ...") → the nine numbers, or null. */
export function parseDisplayMatrix(text: string | undefined): number[] | null {
  if (!text) return null;
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    for (const word of line.slice(colon + 1).trim().split(/\s+/)) values.push(Number(word));
  }
  return values.length === 9 && values.every(Number.isFinite) ? values : null;
}

/**
 * An HDR source by its transfer tag: HLG (ffmpeg: arib-std-b67, WebCodecs: hlg)
 * or PQ (smpte2084, pq). OpenCV ignores these tags, so SplitFace converts the
 * samples as they are (no tone mapping); the tag only goes into the record.
 */
export function hdrFromTags(transfer: string | null | undefined, primaries: string | null | undefined): HdrSource | null {
  const t = (transfer ?? '').toLowerCase();
  const kind = t === 'arib-std-b67' || t === 'hlg' ? 'hlg' : t === 'smpte2084' || t === 'pq' ? 'pq' : null;
  return kind ? { transfer: kind, primaries: primaries && primaries !== 'unknown' ? primaries : null, toneMapping: 'none' } : null;
}

/** One plain line for the record and the results page: what HDR means for the numbers. */
export function hdrNote(hdr: HdrSource | null | undefined): string | null {
  if (!hdr) return null;
  const kind = hdr.transfer === 'hlg' ? 'HLG' : 'PQ';
  const primaries = hdr.primaries ? `, ${hdr.primaries.toUpperCase().replace('BT', 'BT.')}` : '';
  return `HDR source (${kind}${primaries}): converted without tone mapping, as OpenFace reads it`;
}
