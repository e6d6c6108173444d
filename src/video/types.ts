/**
 * The seam between decoding (main thread: WebCodecs or ffmpeg.wasm) and the
 * analysis workers. A decoder hands over the frame's own YUV planes, never the
 * browser's RGB conversion: the worker converts them with the core's
 * libswscale-exact routines, so the pixels equal `ffmpeg -pix_fmt bgr24`.
 */
import type { YuvColorInfo } from '../core/color/yuvToBgr.ts';

/**
 * Pixel layouts a decoder may hand over (WebCodecs' names). P10/P12: 10 or 12
 * bits per sample in little-endian 16-bit words. 'BGR' is already converted
 * (image sequences).
 */
export type RawPixelFormat =
  | 'I420'
  | 'I420P10'
  | 'I420P12'
  | 'I422'
  | 'I422P10'
  | 'I422P12'
  | 'I444'
  | 'I444P10'
  | 'I444P12'
  | 'NV12'
  | 'BGR';

/** One plane inside `RawVideoFrame.data`. */
export interface RawPlaneLayout {
  readonly offset: number;
  readonly stride: number;
}

/** One decoded frame, as transferable bytes. */
export interface RawVideoFrame {
  /** 0-based decode-order index of displayed frames */
  readonly index: number;
  /** seconds from the first frame, from the frame's own presentation time */
  readonly timestamp: number;
  readonly format: RawPixelFormat;
  /** coded visible size, before `rotation` is applied */
  readonly width: number;
  readonly height: number;
  /** all planes, one buffer (transferred to the worker, not copied) */
  readonly data: ArrayBuffer;
  readonly planes: readonly RawPlaneLayout[];
  /** clockwise quarter turns to apply to get the upright frame */
  readonly rotation: 0 | 90 | 180 | 270;
  /** after the turn, flip left-right (a mirrored display matrix, e.g. a front camera) */
  readonly mirrored?: boolean;
  /** how to convert YUV to BGR the way OpenCV (and so OpenFace) does */
  readonly color: Required<YuvColorInfo>;
}

/** What is known about a video before decoding it. */
export interface VideoInfo {
  readonly name: string;
  readonly sizeBytes: number;
  /** upright (displayed) size */
  readonly width: number;
  readonly height: number;
  readonly durationSeconds: number | null;
  /** frames the container announces, when it does */
  readonly frameCountHint: number | null;
  /** e.g. 'avc1.64001f', 'vp09.00.10.08', 'mpeg4' */
  readonly codec: string;
  readonly decoder: 'webcodecs' | 'ffmpeg.wasm' | 'images';
  readonly rotation: 0 | 90 | 180 | 270;
  /** the display matrix flips the picture left-right (after the turn) */
  readonly mirrored?: boolean;
  /** HLG or PQ transfer (HDR): converted as OpenFace does, without tone mapping; null for SDR or unknown */
  readonly hdr?: HdrSource | null;
}

/**
 * What the stream's colour tags say about an HDR source. OpenFace (OpenCV)
 * converts such frames without tone mapping, with BT.601 coefficients on the
 * coded samples, and so does SplitFace, for the same numbers: the record says so.
 */
export interface HdrSource {
  readonly transfer: 'hlg' | 'pq';
  /** colour primaries tag, e.g. 'bt2020' */
  readonly primaries: string | null;
  readonly toneMapping: 'none';
}

/** An opened video (or image sequence): frames in display order, read in pieces. */
export interface VideoSource {
  readonly info: VideoInfo;
  /** frames in order; stops early when `signal` aborts. Throws VideoInputError on a damaged stream. */
  frames(signal?: AbortSignal): AsyncGenerator<RawVideoFrame>;
  /**
   * Hands back a frame's `data` once nobody reads it (the analysis worker
   * returns it after converting the frame): later frames of the same size are
   * copied into it instead of into new buffers. Optional for sources and callers.
   */
  recycle?(buffer: ArrayBuffer): void;
  close(): Promise<void>;
}
