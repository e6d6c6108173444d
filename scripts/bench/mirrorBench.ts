/**
 * Face Mirror's throughput in the CLI (issue 13, bar: >= 20 fps of source
 * video on lab_640x480_h264.mp4): the whole run of `splitface mirror`, i.e.
 * source tracking, both sides' tracking and AUs, the three encoded videos and
 * every output file, in fps of source frames; the process's RSS sampled
 * through the run (start, peak, end).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mirrorVideo } from '../../src/cli/mirrorVideo.ts';
import { descendants } from './processMemory.ts';

export interface MirrorBenchFigures {
  readonly video: string;
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  /** ms per source frame by stage (source_*, right_*, left_*: the three trackers and AU engines) */
  readonly ms_per_frame: Record<string, number>;
  /** user + system time per frame of this process and its tracking threads (the ffmpeg decoders and encoders not included) */
  readonly cpu_ms_per_frame: number;
  readonly rss_mb: { readonly start: number; readonly peak: number; readonly end: number };
}

export const MIRROR_BENCH_VIDEO = 'lab_640x480_h264.mp4';

export async function runMirrorBench(shared: string, models: string): Promise<MirrorBenchFigures> {
  const out = mkdtempSync(join(tmpdir(), 'splitface-mirror-bench-'));
  const rss = () => Math.round(process.memoryUsage().rss / 1048576);
  const start = rss();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 250);
  const cpuBefore = process.cpuUsage();
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
      cpu_ms_per_frame: cpuMsPerFrame(process.cpuUsage(cpuBefore), summary.frames),
      rss_mb: { start, peak: Math.max(peak, rss()), end: rss() },
    };
  } finally {
    clearInterval(sampler);
    rmSync(out, { recursive: true, force: true });
  }
}

function cpuMsPerFrame(cpu: NodeJS.CpuUsage, frames: number): number {
  return Number(((cpu.user + cpu.system) / 1000 / frames).toFixed(2));
}

export function mirrorBenchLines(figures: MirrorBenchFigures): string[] {
  const stages = Object.entries(figures.ms_per_frame).map(([stage, ms]) => `${stage} ${ms}`).join(', ');
  return [
    'Face Mirror (CLI, `splitface mirror`: source tracking, both sides tracked with AUs, right/left/QA videos in H.264)',
    '| video | frames | seconds | fps (bar >= 20) | RSS MB start / peak / end |',
    '|---|---|---|---|---|',
    `| ${figures.video} | ${figures.frames} | ${figures.seconds} | ${figures.fps} | ${figures.rss_mb.start} / ${figures.rss_mb.peak} / ${figures.rss_mb.end} |`,
    `ms per source frame: ${stages}`,
    `CPU ms per source frame (user + system of the CLI and its tracking threads; ffmpeg not included): ${figures.cpu_ms_per_frame}`,
  ];
}

/**
 * Face Mirror's memory over a long video (`npm run bench -- --long`): the
 * real CLI (`splitface mirror`) in a child process, watched from outside
 * through /proc once a second. Each reading is the kernel's high-water mark
 * of the child's resident memory since the previous reading (VmHWM, reset
 * through /proc/PID/clear_refs, so a short peak between readings is not
 * missed; VmRSS where the reset is not allowed). The run's phases are told
 * apart by the ffmpeg processes below it: one decoder in pass 1 (source
 * tracking), a decoder and the encoders in pass 2 (mirroring, both sides
 * tracked with AUs), none while the tables are written. Idle is the resident
 * memory at the first reading of pass 1 (models loaded, first frames read);
 * "flat" compares the highest reading above idle in the first and the last
 * tenth of each pass (by time: each pass runs at an even rate).
 */
export interface MirrorMemoryFigures {
  readonly video: string;
  readonly frames: number;
  readonly seconds: number;
  readonly qa_video: boolean;
  /** how the peaks were read: VmHWM reset each second, or VmRSS sampled each second */
  readonly peak_reading: 'VmHWM' | 'VmRSS';
  readonly idle_mb: number;
  /** per pass: peak above idle in its first and last tenth, and over the whole pass */
  readonly source_pass: PassMemory;
  readonly mirror_pass: PassMemory;
  /** peak above idle while the CSVs and the summary are written */
  readonly tables_growth_mb: number;
  /** peak above idle in each tenth of the mirror pass */
  readonly mirror_tenths_growth_mb: readonly number[];
  /** the ffmpeg processes' resident memory summed, highest reading */
  readonly ffmpeg_peak_mb: number;
}

export interface PassMemory {
  readonly seconds: number;
  readonly first_tenth_growth_mb: number;
  readonly last_tenth_growth_mb: number;
  readonly peak_growth_mb: number;
}

interface MemoryReading {
  readonly at: number;
  readonly phase: 'setup' | 'source' | 'mirror' | 'tables';
  readonly mb: number;
  readonly ffmpegMb: number;
}

function statusMb(pid: number, field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null; // the process ended between listing and reading
  }
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function passMemory(readings: readonly MemoryReading[], idle: number): PassMemory {
  if (readings.length === 0) return { seconds: 0, first_tenth_growth_mb: Number.NaN, last_tenth_growth_mb: Number.NaN, peak_growth_mb: Number.NaN };
  const start = readings[0].at, end = readings[readings.length - 1].at;
  const tenth = (end - start) / 10;
  const peak = (from: number, to: number) => Math.max(...readings.filter((r) => r.at >= from && r.at <= to).map((r) => r.mb)) - idle;
  const round = (mb: number) => Math.round(mb * 10) / 10;
  return {
    seconds: Math.round((end - start) / 1000),
    first_tenth_growth_mb: round(peak(start, start + tenth)),
    last_tenth_growth_mb: round(peak(end - tenth, end)),
    peak_growth_mb: round(peak(start, end)),
  };
}

/** Runs `splitface mirror` on `video` in a child process and reads its memory through the run. */
export async function measureMirrorMemory(video: string, models: string, qaVideo: boolean): Promise<MirrorMemoryFigures> {
  const out = mkdtempSync(join(tmpdir(), 'splitface-mirror-memory-'));
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const args = ['--import', 'tsx', main, 'mirror', video, '--openface-models', models, '--out-dir', out, ...(qaVideo ? [] : ['--no-qa-video'])];
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));
  const pid = child.pid!;
  const readings: MemoryReading[] = [];
  let peakReading: 'VmHWM' | 'VmRSS' = 'VmHWM';
  const read = () => {
    let mb: number | null = null;
    if (peakReading === 'VmHWM') {
      mb = statusMb(pid, 'VmHWM');
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        peakReading = 'VmRSS';
      }
    }
    if (peakReading === 'VmRSS') mb = statusMb(pid, 'VmRSS');
    if (mb === null) return;
    const ffmpeg = descendants(pid).filter((p) => processName(p) === 'ffmpeg');
    const last = readings.length ? readings[readings.length - 1].phase : 'setup';
    // phases only move forward: a moment without ffmpeg between the passes stays in pass 1
    const phase: MemoryReading['phase'] = ffmpeg.length > 1 || (last === 'mirror' && ffmpeg.length === 1) ? 'mirror' : last === 'mirror' || last === 'tables' ? 'tables' : ffmpeg.length === 1 || last === 'source' ? 'source' : 'setup';
    readings.push({ at: performance.now(), phase, mb, ffmpegMb: ffmpeg.reduce((sum, p) => sum + (statusMb(p, 'VmRSS') ?? 0), 0) });
  };
  const sampler = setInterval(read, 1000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`splitface mirror on ${basename(video)} exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
    const csv = readdirSync(out).find((name) => name.endsWith('_mirror.csv'));
    const frames = csv ? readFileSync(join(out, csv), 'utf8').trim().split('\n').length - 1 : 0;
    const phase = (p: MemoryReading['phase']) => readings.filter((r) => r.phase === p);
    const source = phase('source');
    if (source.length === 0) throw new Error('no memory reading during the source pass');
    const idle = source[0].mb;
    const mirror = phase('mirror');
    const mirrorPass = passMemory(mirror, idle);
    const tenths: number[] = [];
    if (mirror.length > 0) {
      const start = mirror[0].at, step = (mirror[mirror.length - 1].at - start) / 10;
      for (let k = 0; k < 10; k++) {
        const inTenth = mirror.filter((r) => r.at >= start + k * step && r.at <= start + (k + 1) * step);
        tenths.push(Math.round((Math.max(...inTenth.map((r) => r.mb)) - idle) * 10) / 10);
      }
    }
    const tables = phase('tables');
    return {
      video: basename(video),
      frames,
      seconds: Math.round((performance.now() - started) / 1000),
      qa_video: qaVideo,
      peak_reading: peakReading,
      idle_mb: Math.round(idle * 10) / 10,
      source_pass: passMemory(source, idle),
      mirror_pass: mirrorPass,
      tables_growth_mb: tables.length ? Math.round((Math.max(...tables.map((r) => r.mb)) - idle) * 10) / 10 : Number.NaN,
      mirror_tenths_growth_mb: tenths,
      ffmpeg_peak_mb: Math.round(Math.max(0, ...readings.map((r) => r.ffmpegMb))),
    };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill();
    rmSync(out, { recursive: true, force: true });
  }
}

export function mirrorMemoryLines(figures: MirrorMemoryFigures): string[] {
  const pass = (name: string, p: PassMemory) => `| ${name} | ${p.seconds} | ${p.first_tenth_growth_mb} | ${p.last_tenth_growth_mb} | ${p.peak_growth_mb} |`;
  return [
    `Face Mirror memory (CLI, \`splitface mirror\`${figures.qa_video ? '' : ' --no-qa-video'} on ${figures.video}, ${figures.frames} frames, ${figures.seconds} s; ${figures.peak_reading} each second, MB above idle ${figures.idle_mb} MB)`,
    '| pass | seconds | peak growth, first tenth | peak growth, last tenth | peak growth |',
    '|---|---|---|---|---|',
    pass('1: source tracking', figures.source_pass),
    pass('2: mirroring, sides tracked with AUs, encoding', figures.mirror_pass),
    `writing the tables: peak growth ${figures.tables_growth_mb} MB; pass 2 by tenths: ${figures.mirror_tenths_growth_mb.join(', ')} MB; ffmpeg processes at most ${figures.ffmpeg_peak_mb} MB`,
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // tsx scripts/bench/mirrorBench.ts --memory VIDEO MODELS [--no-qa-video]   (prints the table and one JSON line)
  const [flag, video, models] = process.argv.slice(2);
  if (flag !== '--memory' || !video || !models) {
    console.error('usage: tsx scripts/bench/mirrorBench.ts --memory VIDEO OPENFACE_MODELS [--no-qa-video]');
    process.exit(2);
  }
  const figures = await measureMirrorMemory(video, models, !process.argv.includes('--no-qa-video'));
  console.log(mirrorMemoryLines(figures).join('\n'));
  console.log(JSON.stringify(figures));
}
