/**
 * Small test videos made on the fly with the system ffmpeg from the shared
 * lab clip (codecs and layouts the shared folder lacks) or from ffmpeg's
 * test sources (a video without any face), and damaged files for the error
 * messages. Everything goes into one temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** H.264 in MP4, index at the front, 8-bit 4:2:0: what the app decodes with WebCodecs. */
export const H264_MP4: readonly string[] = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];

export interface ClipFolder {
  readonly dir: string;
  /** encodes the first `frames` frames of `source` with `codecArgs` into `name` */
  encode(name: string, source: string, frames: number, codecArgs: readonly string[]): string;
  /** the first `frames` frames of `source`'s video, stream-copied (no re-encoding: the same coded pictures, the same container flavour) */
  cut(name: string, source: string, frames: number): string;
  /** `seconds` of ffmpeg's moving test pattern (colour bars, a clock, no face), 640x480 at 30 fps, H.264 MP4 */
  testPattern(name: string, seconds: number): string;
  /** the first `share` (0..1) of `source`'s bytes */
  truncated(name: string, source: string, share: number): string;
  /** `source` with every occurrence of `from` replaced by `to` (same length) */
  patched(name: string, source: string, from: string, to: string): string;
  /** a text file */
  text(name: string, content: string): string;
  /** `source` (an MP4) followed by a `paddingBytes` 'free' box: a huge file, nearly all of it sparse */
  paddedMp4(name: string, source: string, paddingBytes: number): string;
  remove(): void;
}

export function clipFolder(): ClipFolder {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-e2e-clips-'));
  return {
    dir,
    encode(name, source, frames, codecArgs) {
      const out = join(dir, name);
      execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', source, '-map', '0:v:0', '-frames:v', String(frames), ...codecArgs, out]);
      return out;
    },
    cut(name, source, frames) {
      const out = join(dir, name);
      execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', source, '-map', '0:v:0', '-frames:v', String(frames), '-c', 'copy', out]);
      return out;
    },
    testPattern(name, seconds) {
      const out = join(dir, name);
      execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=640x480:rate=30:duration=${seconds}`, ...H264_MP4, out]);
      return out;
    },
    truncated(name, source, share) {
      const bytes = readFileSync(source);
      const out = join(dir, name);
      writeFileSync(out, bytes.subarray(0, Math.floor(bytes.length * share)));
      return out;
    },
    patched(name, source, from, to) {
      if (from.length !== to.length) throw new Error('patched: same-length strings only');
      const bytes = readFileSync(source);
      const needle = Buffer.from(from, 'latin1');
      for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) bytes.write(to, at, 'latin1');
      const out = join(dir, name);
      writeFileSync(out, bytes);
      return out;
    },
    text(name, content) {
      const out = join(dir, name);
      writeFileSync(out, content);
      return out;
    },
    paddedMp4(name, source, paddingBytes) {
      const out = join(dir, name);
      const bytes = readFileSync(source);
      // A 64-bit-size box: size field 1, type, then the real size (header included).
      const header = Buffer.alloc(16);
      header.writeUInt32BE(1, 0);
      header.write('free', 4, 'latin1');
      header.writeBigUInt64BE(BigInt(16 + paddingBytes), 8);
      const fd = openSync(out, 'w');
      writeSync(fd, bytes);
      writeSync(fd, header);
      closeSync(fd);
      truncateSync(out, bytes.length + 16 + paddingBytes);
      return out;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
