/**
 * Videos made from ffmpeg's test sources (no input file): for what the
 * shared folder has no clip of, such as a video without any face.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** H.264 in MP4, index at the front, 8-bit 4:2:0: what the app decodes with WebCodecs. */
export const H264_MP4: readonly string[] = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];

/**
 * `seconds` of ffmpeg's moving test pattern (colour bars, a clock, no face)
 * at `size` and 30 fps, into `dir/name`.
 */
export function testPatternClip(dir: string, name: string, seconds: number, size = '640x480'): string {
  const out = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`, ...H264_MP4, out]);
  return out;
}
