/**
 * The long videos of `npm run bench -- --long`: the 640x480 lab clip (842
 * frames, 28 s) looped by ffmpeg with stream copy (seconds to make, no
 * re-encoding), kept in a cache folder under the system's temp dir so they
 * are made once: 20 plays (16 840 frames, 9 min 21 s) and 54 000 frames
 * (30 min).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const LONG_CACHE_DIR = join(tmpdir(), 'splitface-bench-cache');

export interface LongVideo {
  readonly label: string;
  readonly path: string;
  /** frames the file holds */
  readonly frames: number;
}

/** `clip` looped to `frames` frames (whole plays when `plays` is given), made once. */
function looped(clip: string, label: string, name: string, loop: { plays: number } | { frames: number }): LongVideo | { skipped: string } {
  mkdirSync(LONG_CACHE_DIR, { recursive: true });
  const path = join(LONG_CACHE_DIR, name);
  const frames = 'frames' in loop ? loop.frames : loop.plays * clipFrames(clip);
  if (!existsSync(path) || statSync(path).size === 0) {
    const partial = `${path}.part.mp4`;
    const limit = 'frames' in loop ? ['-stream_loop', '-1', '-i', clip, '-frames:v', String(loop.frames)] : ['-stream_loop', String(loop.plays - 1), '-i', clip];
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', ...limit, '-c', 'copy', '-an', partial]);
    if (made.error || made.status !== 0) return { skipped: `ffmpeg could not make ${name} (${made.error?.message ?? made.stderr.toString().trim()})` };
    renameSync(partial, path);
  }
  return { label, path, frames };
}

function clipFrames(clip: string): number {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames', '-of', 'csv=p=0', clip]);
  const frames = Number(probe.stdout.toString().trim());
  if (!Number.isInteger(frames) || frames <= 0) throw new Error(`ffprobe gave no frame count for ${basename(clip)}`);
  return frames;
}

/** The 9-minute and the 30-minute videos (or why one could not be made). */
export function longVideos(clip: string): (LongVideo | { skipped: string })[] {
  const stem = basename(clip).replace(/\.[^.]+$/, '');
  return [
    looped(clip, '9 min', `${stem}_x20.mp4`, { plays: 20 }),
    looped(clip, '30 min', `${stem}_x54000.mp4`, { frames: 54_000 }),
  ];
}
