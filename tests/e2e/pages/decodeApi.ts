/** What the decode test page offers the e2e tests (through page.evaluate), shared by both sides. */
import type { VideoInfo } from '../../../src/video/types.ts';

export interface DecodeRequest {
  /** treat the selected files as one image sequence */
  readonly sequence?: boolean;
  /** stop after this many frames (then close the source) */
  readonly maxFrames?: number;
}

export interface DecodedFrameReport {
  readonly index: number;
  readonly timestamp: number;
  /** upright BGR size */
  readonly width: number;
  readonly height: number;
  readonly format: string;
  /** SHA-256 of the BGR bytes from rawFrameToBgr, hex */
  readonly sha256: string;
}

export interface DecodeReport {
  readonly info: VideoInfo | null;
  readonly frames: readonly DecodedFrameReport[];
  readonly error: { readonly name: string; readonly message: string } | null;
  /** wall time from openVideo to the last frame */
  readonly ms: number;
  /** JS heap in use at the end (Chromium's performance.memory), bytes */
  readonly heapBytes: number | null;
  readonly crossOriginIsolated: boolean;
}

export interface DecodePageApi {
  decode(request: DecodeRequest): Promise<DecodeReport>;
}

declare global {
  interface Window {
    splitfaceE2E?: DecodePageApi;
  }
}
