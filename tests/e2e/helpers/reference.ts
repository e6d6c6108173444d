/**
 * What the page's frames are compared with: the CLI's own decode
 * (src/cli/ffmpegDecode.ts: the system ffmpeg with OpenCV's colour
 * conversion, byte-identical to what OpenFace reads), hashed frame by frame.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { decodeImageSequence } from '../../../src/cli/imageSequence.ts';

export interface ReferenceFrames {
  readonly sha256: readonly string[];
  readonly timestamps: readonly number[];
  readonly width: number;
  readonly height: number;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every frame of a video as the CLI decodes it. */
export async function cliFrames(path: string): Promise<ReferenceFrames> {
  const hashes: string[] = [];
  const timestamps: number[] = [];
  let size = { width: 0, height: 0 };
  for await (const frame of decodeVideo(path)) {
    hashes.push(sha256(frame.image.data));
    timestamps.push(frame.timestamp);
    size = { width: frame.image.width, height: frame.image.height };
  }
  return { sha256: hashes, timestamps, ...size };
}

/** Every image of a folder as the CLI decodes it (30 fps). */
export async function cliImageFrames(folder: string): Promise<ReferenceFrames> {
  const hashes: string[] = [];
  const timestamps: number[] = [];
  let size = { width: 0, height: 0 };
  for await (const frame of decodeImageSequence(folder, 30)) {
    hashes.push(sha256(frame.image.data));
    timestamps.push(frame.timestamp);
    size = { width: frame.image.width, height: frame.image.height };
  }
  return { sha256: hashes, timestamps, ...size };
}

/**
 * The BGR frames of `ffmpeg [inputArgs] -i path` with the CLI's conversion
 * (BT.601, limited range, no autorotation unless asked), as raw buffers, one
 * callback per frame. Used to measure how far ffmpeg's bit-exact C decoders
 * (what ffmpeg.wasm runs) are from its x86 SIMD ones (what OpenCV runs).
 */
export async function forEachFfmpegFrame(path: string, inputArgs: readonly string[], width: number, height: number, onFrame: (bgr: Uint8Array) => void): Promise<number> {
  const frameBytes = width * height * 3;
  const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', ...inputArgs, '-i', path, '-map', '0:v:0', '-vf', 'scale=in_color_matrix=bt601:in_range=tv', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let pending: Buffer = Buffer.alloc(0);
  let count = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= frameBytes) {
      onFrame(pending.subarray(at, at + frameBytes));
      at += frameBytes;
      count++;
    }
    pending = pending.subarray(at);
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} on ${path}`);
  return count;
}

export { sha256 };
