/**
 * Messages between the main thread and the ffmpeg.wasm worker
 * (ffmpegWorker.ts). One worker serves one opened file: it probes it once,
 * then runs one decode at a time whose frames stream back through a
 * shared byte ring (byteRing.ts), each frame preceded by an 8-byte header.
 */
import type { ByteRingBuffers } from './byteRing.ts';

/** Bytes before each frame in the ring: its presentation time in seconds (float64, NaN when unknown). */
export const FRAME_HEADER_BYTES = 8;

export interface CoreUrls {
  /** ffmpeg-core.js (ES module) and ffmpeg-core.wasm, both served from the app's own origin */
  readonly coreUrl: string;
  readonly wasmUrl: string;
}

export type FfmpegRequest =
  | { readonly id: number; readonly type: 'probe'; readonly file: File; readonly urls: CoreUrls }
  | {
      readonly id: number;
      readonly type: 'decode';
      readonly ring: ByteRingBuffers;
      /** ffmpeg options for the input (before -i) */
      readonly inputArgs: readonly string[];
      /** ffmpeg arguments after the input, ending with OUTPUT_DEVICE */
      readonly outputArgs: readonly string[];
      /** bytes of one frame's planes, so the worker can put a header before each */
      readonly frameBytes: number;
    };

export type FfmpegResponse =
  | { readonly id: number; readonly type: 'probed'; readonly json: string | null; readonly lastLogLine: string }
  | { readonly id: number; readonly type: 'decoded'; readonly exitCode: number; readonly cancelled: boolean; readonly logTail: readonly string[] }
  | { readonly id: number; readonly type: 'failed'; readonly message: string };

/** The character device, inside the worker's file system, that ffmpeg writes raw frames to. */
export const OUTPUT_DEVICE = '/dev/splitface-frames';
