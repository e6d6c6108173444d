/**
 * Face Mirror's throughput in the CLI (issue 13, bar: >= 20 fps of source
 * video on lab_640x480_h264.mp4): the whole run of `splitface mirror`, i.e.
 * source tracking, both sides' tracking and AUs, the three encoded videos and
 * every output file, in fps of source frames; the process's RSS sampled
 * through the run (start, peak, end).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorVideo } from '../../src/cli/mirrorVideo.ts';

export interface MirrorBenchFigures {
  readonly video: string;
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  /** ms per source frame by stage (source_*, right_*, left_*: the three trackers and AU engines) */
  readonly ms_per_frame: Record<string, number>;
  readonly rss_mb: { readonly start: number; readonly peak: number; readonly end: number };
}

export const MIRROR_BENCH_VIDEO = 'lab_640x480_h264.mp4';

export async function runMirrorBench(shared: string, models: string): Promise<MirrorBenchFigures> {
  const out = mkdtempSync(join(tmpdir(), 'splitface-mirror-bench-'));
  const rss = () => Math.round(process.memoryUsage().rss / 1048576);
  const start = rss();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 250);
  try {
    const summary = await mirrorVideo({ video: join(shared, 'videos', MIRROR_BENCH_VIDEO), models, outDir: out, lossless: false, qaVideo: true, quiet: true });
    const ms: Record<string, number> = {};
    for (const [stage, total] of Object.entries(summary.stageMs)) ms[stage] = Number((total / summary.frames).toFixed(2));
    return {
      video: MIRROR_BENCH_VIDEO,
      frames: summary.frames,
      seconds: Number(summary.seconds.toFixed(2)),
      fps: Number((summary.frames / summary.seconds).toFixed(1)),
      ms_per_frame: ms,
      rss_mb: { start, peak: Math.max(peak, rss()), end: rss() },
    };
  } finally {
    clearInterval(sampler);
    rmSync(out, { recursive: true, force: true });
  }
}

export function mirrorBenchLines(figures: MirrorBenchFigures): string[] {
  const stages = Object.entries(figures.ms_per_frame).map(([stage, ms]) => `${stage} ${ms}`).join(', ');
  return [
    'Face Mirror (CLI, `splitface mirror`: source tracking, both sides tracked with AUs, right/left/QA videos in H.264)',
    '| video | frames | seconds | fps (bar >= 20) | RSS MB start / peak / end |',
    '|---|---|---|---|---|',
    `| ${figures.video} | ${figures.frames} | ${figures.seconds} | ${figures.fps} | ${figures.rss_mb.start} / ${figures.rss_mb.peak} / ${figures.rss_mb.end} |`,
    `ms per source frame: ${stages}`,
  ];
}
