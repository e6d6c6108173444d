/**
 * One output video written by the system ffmpeg from frames handed over in
 * memory: a Matroska stream of raw BGR frames with their own timestamps goes
 * into ffmpeg's stdin (see src/core/mirror/rawBgrMatroska.ts), so the output keeps the
 * source's frame count and presentation times, variable rates included.
 * H.264 (libx264, yuv420p; 4:4:4 where a dimension is odd) in MP4 by
 * default, or FFV1 in MKV (lossless RGB: decoding gives back exactly the
 * bytes written).
 *
 * Three of these run beside the trackers on the same cores, so the H.264
 * settings are chosen for CPU time: preset ultrafast and one thread (x264's
 * frame threads only add overhead when three encoders already share two
 * cores). At CRF 18 that costs less than half the CPU of veryfast, with an
 * SSIM to the written frames as high or higher, for files about 4 times as
 * large (docs/mirror.md, "Speed").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { VideoInputError } from '../core/errors.ts';
import type { BgrImage } from '../core/image.ts';
import { matroskaFrame, matroskaHeader } from '../core/mirror/rawBgrMatroska.ts';

export type VideoCodecChoice = 'h264' | 'ffv1';

export function encoderArguments(codec: VideoCodecChoice, width: number, height: number, out: string): string[] {
  const input = ['-v', 'error', '-nostdin', '-f', 'matroska', '-i', 'pipe:0', '-map', '0:v:0', '-fps_mode', 'passthrough'];
  if (codec === 'ffv1') return [...input, '-c:v', 'ffv1', '-level', '3', '-pix_fmt', 'bgr0', '-y', out];
  const chroma = width % 2 || height % 2 ? 'yuv444p' : 'yuv420p';
  return [...input, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-threads', '1', '-pix_fmt', chroma,
    '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m', '-color_range', 'tv',
    '-movflags', '+faststart', '-y', out];
}

/**
 * Frames that may wait in the pipe's queue before `write` waits for ffmpeg:
 * the loop goes on while ffmpeg encodes, and only a run that is ahead of an
 * encoder by more than this many frames is held back (bounded memory).
 */
const QUEUED_FRAMES = 2;

export class MirrorVideoWriter {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number>;
  private stderr = '';
  private lastMicroseconds = -1;
  /** milliseconds spent waiting for ffmpeg to take frames */
  waitMs = 0;

  constructor(readonly path: string, codec: VideoCodecChoice, private readonly width: number, private readonly height: number) {
    this.child = spawn('ffmpeg', encoderArguments(codec, width, height, path), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-2000)));
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve(-1));
      this.child.on('close', (code) => resolve(code ?? 1));
    });
    // a failed ffmpeg closes its stdin: the error surfaces at close()
    this.child.stdin?.on('error', () => {});
    this.child.stdin?.write(matroskaHeader(width, height));
  }

  /** Queues one frame (copied) at `seconds` from the start; waits only when ffmpeg is more than QUEUED_FRAMES behind. */
  async write(image: BgrImage, seconds: number): Promise<void> {
    // timestamps must rise: a frame without a usable time gets the next microsecond
    let us = Number.isFinite(seconds) ? Math.round(seconds * 1e6) : this.lastMicroseconds + 1;
    if (us <= this.lastMicroseconds) us = this.lastMicroseconds + 1;
    this.lastMicroseconds = us;
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) return;
    const packet = matroskaFrame(image.data, this.width, this.height, us);
    // write() says false as soon as more than 16 kB wait, i.e. after every frame: wait only for a longer queue
    if (!stdin.write(packet) && stdin.writableLength > QUEUED_FRAMES * packet.length) {
      const start = performance.now();
      await Promise.race([once(stdin, 'drain'), this.exited]);
      this.waitMs += performance.now() - start;
    }
  }

  /** Ends the stream and waits for ffmpeg; throws with ffmpeg's message if it failed. */
  async close(): Promise<void> {
    this.child.stdin?.end();
    const code = await this.exited;
    if (code !== 0) throw new VideoInputError(`${this.path}: ffmpeg could not write the video (${this.stderr.trim().split('\n').pop() || `exit ${code}`})`);
  }

  /** Stops ffmpeg (a run that failed midway). */
  abort(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
