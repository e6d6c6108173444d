/**
 * Issue #6's browser figures, measured in the real app as a user runs it:
 * the production build served under its production headers, headless
 * Chromium (the e2e harness's launcher and app driver), the OpenFace folder
 * imported through the folder input, the video added through the file input.
 *
 * - throughput: frames / wall time from adding lab_640x480_h264.mp4 to its
 *   job being done, with the compute path the app names;
 * - memory: the page's renderer process (which holds its dedicated workers)
 *   before, at its peak during and after lab_1080p60_h264.mp4, on a fresh
 *   page with the folder already stored, as a returning user opens the app;
 * - with `long`, the same memory figures over a 9-minute and a 30-minute
 *   video (the 640x480 clip looped by ffmpeg: 16 840 and 54 000 frames), with
 *   the peak above the start (issue #14: under 250 MB, the 30-minute peak
 *   within 50 MB of the 9-minute one) and the CSV's rows counted.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { chromiumExecutable } from '../../playwright.config.ts';
import { launchBrowser, type E2EBrowser } from '../../tests/e2e/helpers/browser.ts';
import { addVideos, importOpenFaceFolder, waitForJobs } from '../../tests/e2e/helpers/appDriver.ts';
import type { JobSnapshot } from '../../src/app/batch/controller.svelte.ts';
import { buildAndServe } from './serveApp.ts';
import { watchOtherCpu } from './cpuShare.ts';
import { longVideos } from './longVideos.ts';
import {
  PeakSampler,
  isAlive,
  procAvailable,
  chromiumProcesses,
  processMemory,
  readMemory,
  sumMemory,
  workerRenderer,
  ZERO_MEMORY,
  type MemoryReading,
  type ProcessMemory,
  type SamplerResult,
} from './processMemory.ts';

export const THROUGHPUT_VIDEO = 'lab_640x480_h264.mp4';
export const MEMORY_VIDEO = 'lab_1080p60_h264.mp4';
/** issue #6's bars */
/** the long run's video: THROUGHPUT_VIDEO played this many times in a row */
export const LONG_LOOPS = 20;
export const TARGET_FPS = 30;
export const MEMORY_LIMIT_MB = 300;

/**
 * Chromium answers measureUserAgentSpecificMemory lazily: V8 measures during
 * a garbage collection of each isolate, which it forces itself after a
 * randomised delay (10-20 s on this idle page); past this wait it is
 * reported as null.
 */
const UA_MEMORY_TIMEOUT_MS = 25_000;
/**
 * How often the peak samplers read: the renderer often enough for a peak
 * that lasts a few frames; all of Chromium's processes (a reading costs
 * about ten times more, so 10 ms or so) only for context, less often.
 */
const RENDERER_INTERVAL_MS = 250;
const CHROMIUM_INTERVAL_MS = 1000;
/** how often a run logs its progress and the renderer's memory so far */
const PROGRESS_INTERVAL_MS = 60_000;
/**
 * After the collections the renderer keeps shrinking for several seconds, in
 * steps with pauses of a second or two between them (V8 shrinks its heaps
 * and the allocators hand pages back to the kernel later, on their own
 * timers): a reading counts as settled when PSS stayed within SETTLED_MB for
 * SETTLE_WINDOW_MS, and is taken anyway after SETTLE_TIMEOUT_MS.
 */
const SETTLED_MB = 2;
const SETTLE_STEP_MS = 1000;
const SETTLE_WINDOW_MS = 5000;
const SETTLE_TIMEOUT_MS = 30_000;
/** how long a closed page's renderer may take to exit before the next page opens */
const RENDERER_EXIT_TIMEOUT_MS = 60_000;

/** What the app said about one finished video. */
export interface RunFigures {
  readonly video: string;
  /** upright size as the app decoded it, e.g. '640x480' */
  readonly size: string | null;
  /** the app's decoder: webcodecs or ffmpeg.wasm */
  readonly decoder: string | null;
  readonly state: string;
  readonly frames: number;
  readonly tracked: number;
  readonly seconds: number;
  readonly fps: number;
  /** share of the machine's CPUs that processes other than the bench and its Chromium used meanwhile (null without /proc) */
  readonly other_cpu_percent: number | null;
}

export interface Throughput extends RunFigures {
  readonly target_fps: number;
  readonly meets_target: boolean;
}

/** Memory at one moment (after a forced GC of the page). */
export interface MemoryPoint extends MemoryReading {
  /** the page's main-thread JS heap in use (CDP Runtime.getHeapUsage); workers' heaps are not in it */
  readonly page_js_heap_mb: number;
  /** performance.measureUserAgentSpecificMemory(): JS and DOM of the page and its workers; null when it did not resolve in time */
  readonly ua_specific_mb: number | null;
  /** how long the renderer took to settle after the GC before it was read */
  readonly settle_seconds: number;
}

export type Sampling = Omit<SamplerResult, 'peak'>;

export interface MemoryFigures {
  readonly run: RunFigures;
  readonly renderer_pid: number;
  /** how the peaks were sampled, and what it cost */
  readonly sampling: { readonly renderer: Sampling; readonly chromium: Sampling };
  readonly start: MemoryPoint;
  readonly peak: MemoryReading;
  readonly end: MemoryPoint;
  /** end - start of the renderer (what issue #6 bounds) and of all Chromium processes */
  readonly growth: MemoryReading;
  /** peak - start: what the page needed above idle from adding the video to the CSV's last byte (issue #14 bounds the renderer's) */
  readonly peak_growth: MemoryReading;
  /** data rows of the CSV the app wrote (counted from its file in OPFS), null when not counted */
  readonly csv_rows: number | null;
  readonly limit_mb: number;
  /** renderer PSS growth within the limit */
  readonly within_limit: boolean;
}

export interface BrowserFigures {
  readonly chromium: string;
  /** as the app reports it in its model panel, e.g. 'onnxruntime-web (WASM SIMD, 1 thread), 2 workers' */
  readonly compute_path: string;
  readonly workers: number | null;
  readonly cross_origin_isolated: boolean;
  readonly throughput: Throughput;
  readonly memory: MemoryFigures | { readonly skipped: string };
  /** with `long`: the memory figures over THROUGHPUT_VIDEO looped to 9 and to 30 minutes (scripts/bench/longVideos.ts) */
  readonly memory_long?: LongMemory[];
}

export type LongMemory = { readonly label: string; readonly frames: number } & (MemoryFigures | { readonly skipped: string });

export type BrowserOutcome = BrowserFigures | { readonly skipped: string };

export interface BrowserBenchOptions {
  /** folder holding videos/ and openface-2.2/ (../shared) */
  readonly shared: string;
  /** progress lines (stderr in the human mode, nothing with --json) */
  readonly log: (line: string) => void;
  /** also measure memory over a long video (adds about 5 minutes) */
  readonly long?: boolean;
}

/** Why the browser section cannot run here, or null. */
export function browserSkipReason(shared: string): string | null {
  if (!existsSync(chromiumExecutable)) return `needs Chromium at ${chromiumExecutable} (apt-get install chromium, or set SPLITFACE_CHROMIUM)`;
  for (const needed of [`videos/${THROUGHPUT_VIDEO}`, `videos/${MEMORY_VIDEO}`, 'openface-2.2']) {
    if (!existsSync(`${shared}${needed}`)) return `needs ../shared/${needed}`;
  }
  return null;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function roundMemory(m: ProcessMemory): ProcessMemory {
  return { rss_mb: round1(m.rss_mb), pss_mb: round1(m.pss_mb), uss_mb: round1(m.uss_mb) };
}

function roundReading(r: MemoryReading): MemoryReading {
  return { renderer: roundMemory(r.renderer), chromium: roundMemory(r.chromium) };
}

function difference(a: ProcessMemory, b: ProcessMemory): ProcessMemory {
  return { rss_mb: a.rss_mb - b.rss_mb, pss_mb: a.pss_mb - b.pss_mb, uss_mb: a.uss_mb - b.uss_mb };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it gives a value, or fails with `what` after `timeoutMs`. */
async function poll<T>(probe: () => T | null, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

/** Size and decoder from the job's provenance (plain JSON there, so checked rather than cast). */
function videoInfo(job: JobSnapshot): { size: string | null; decoder: string | null } {
  const video = job.result?.provenance['video'];
  if (typeof video !== 'object' || video === null) return { size: null, decoder: null };
  const { width, height, decoder } = video as Record<string, unknown>;
  return {
    size: typeof width === 'number' && typeof height === 'number' ? `${width}x${height}` : null,
    decoder: typeof decoder === 'string' ? decoder : null,
  };
}

/**
 * Adds one video and waits for its job: the wall time runs from the file
 * input's change to the job's end, as a user would time it. waitForJobs
 * polls every 250 ms, which the figure may include (under 1% of these runs).
 */
async function timeVideo(page: Page, path: string, timeoutMs = 600_000): Promise<RunFigures> {
  const video = basename(path);
  const before = (await page.evaluate(() => window.__splitface!.jobs())).length;
  const started = performance.now();
  const cpu = watchOtherCpu();
  await addVideos(page, [path]);
  const jobs = await waitForJobs(page, before + 1, timeoutMs);
  const seconds = (performance.now() - started) / 1000;
  const otherCpu = cpu.stop();
  const job = jobs.find((j) => j.name === video);
  if (!job) throw new Error(`the app shows no job for ${video}`);
  if (job.state !== 'done') throw new Error(`${video} ended ${job.state}: ${job.message ?? 'no message'}`);
  const frames = job.result?.frames ?? job.framesDone;
  return {
    video,
    ...videoInfo(job),
    state: job.state,
    frames,
    tracked: job.result?.tracked ?? 0,
    seconds: Math.round(seconds * 100) / 100,
    fps: round1(frames / seconds),
    other_cpu_percent: otherCpu,
  };
}

/** Waits until the app's analysis pool is up with the OpenFace folder (stored from an earlier page). */
async function waitForEngine(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const models = window.__splitface?.models();
      return !!models && ((models.openface !== null && models.computePath !== null) || models.engineError !== '');
    },
    undefined,
    { timeout: 120_000 },
  );
  const models = await page.evaluate(() => window.__splitface!.models());
  if (!models.openface || models.computePath === null) throw new Error(`the analysis engine did not start with the stored OpenFace folder: ${models.engineError || models.error}`);
}

interface UaMemoryResult {
  readonly bytes: number;
}

/** performance.measureUserAgentSpecificMemory() (it needs cross-origin isolation), in MiB; null when unsupported or late. */
async function uaSpecificMemoryMb(page: Page): Promise<number | null> {
  const bytes = await page.evaluate(async (timeoutMs) => {
    const perf = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<UaMemoryResult> };
    if (!crossOriginIsolated || typeof perf.measureUserAgentSpecificMemory !== 'function') return null;
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
    const measured = await Promise.race([perf.measureUserAgentSpecificMemory(), timeout]);
    return measured === null ? null : measured.bytes;
  }, UA_MEMORY_TIMEOUT_MS);
  return bytes === null ? null : round1(bytes / 2 ** 20);
}

/** Waits until the renderer's PSS holds still (see SETTLED_MB); returns how long that took. */
async function settle(rendererPid: number): Promise<number> {
  const started = performance.now();
  const window: number[] = [];
  const needed = SETTLE_WINDOW_MS / SETTLE_STEP_MS + 1;
  for (;;) {
    window.push(processMemory(rendererPid)?.pss_mb ?? 0);
    if (window.length > needed) window.shift();
    const still = window.length === needed && Math.max(...window) - Math.min(...window) < SETTLED_MB;
    if (still || performance.now() - started >= SETTLE_TIMEOUT_MS) return performance.now() - started;
    await delay(SETTLE_STEP_MS);
  }
}

/**
 * The memory after garbage collection everywhere it can be had. CDP collects
 * the page's heap only; the workers' heaps are collected by the
 * user-agent-specific measurement, which has V8 collect every isolate of the
 * page (the workers too), so it goes first (without it, the renderer reads
 * some 50 MB higher: the workers' garbage). Then the renderer is read once
 * it has settled.
 */
async function memoryPoint(page: Page, session: CDPSession, rendererPid: number): Promise<MemoryPoint> {
  const uaSpecific = await uaSpecificMemoryMb(page);
  await session.send('HeapProfiler.collectGarbage');
  const settleMs = await settle(rendererPid);
  const heap = await session.send('Runtime.getHeapUsage');
  return {
    ...roundReading(readMemory(rendererPid)),
    page_js_heap_mb: round1(heap.usedSize / 2 ** 20),
    ua_specific_mb: uaSpecific,
    settle_seconds: round1(settleMs / 1000),
  };
}

/** The data rows of the newest CSV in the app's OPFS results folder, read in pieces (never the whole text). */
async function newestCsvRows(page: Page): Promise<number | null> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('splitface-results').catch(() => null);
    if (!folder) return null;
    let newest: File | null = null;
    for await (const handle of (folder as FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (handle.kind !== 'file' || !handle.name.endsWith('.csv')) continue;
      const file = await (handle as FileSystemFileHandle).getFile();
      if (!newest || file.lastModified >= newest.lastModified) newest = file;
    }
    if (!newest) return null;
    const reader = newest.stream().getReader();
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
    }
    return lines - 1;
  });
}

export async function measureMemory(browser: E2EBrowser, path: string, log: (line: string) => void, timeoutMs = 600_000): Promise<MemoryFigures> {
  const video = basename(path);
  const { page } = await browser.open('/');
  await waitForEngine(page);
  const rendererPid = await poll(() => workerRenderer(), 'exactly one renderer with dedicated workers', 10_000);
  const session = await page.context().newCDPSession(page);
  await page.waitForLoadState('networkidle');
  const start = await memoryPoint(page, session, rendererPid);
  log(`memory: renderer ${rendererPid} PSS ${start.renderer.pss_mb} MB at start (settled in ${start.settle_seconds} s), adding ${video}`);
  // the process list is read once: a reading of /proc's every process each time would cost the page more
  const chromiumPids = chromiumProcesses().map((p) => p.pid);
  const samplers = {
    renderer: new PeakSampler(() => processMemory(rendererPid) ?? ZERO_MEMORY, RENDERER_INTERVAL_MS),
    chromium: new PeakSampler(() => sumMemory(chromiumPids), CHROMIUM_INTERVAL_MS),
  };
  // a long run says where it stands now and then: frames done, the renderer now and its peak so far
  const progress = setInterval(() => {
    void page
      .evaluate(() => window.__splitface!.jobs().at(-1)?.framesDone ?? 0)
      .then((frames) => {
        const now = processMemory(rendererPid)?.pss_mb ?? 0;
        const peak = samplers.renderer.peak.pss_mb;
        log(`memory: ${video}: ${frames} frames, renderer PSS ${round1(now)} MB now, peak ${round1(peak)} MB (+${round1(peak - start.renderer.pss_mb)} above the start)`);
      })
      .catch(() => {});
  }, PROGRESS_INTERVAL_MS);
  let run: RunFigures;
  let sampled: { readonly renderer: SamplerResult; readonly chromium: SamplerResult };
  try {
    run = await timeVideo(page, path, timeoutMs);
  } finally {
    clearInterval(progress);
    sampled = { renderer: samplers.renderer.stop(), chromium: samplers.chromium.stop() };
  }
  // after the samplers: counting reads the CSV back
  const csvRows = await newestCsvRows(page).catch(() => null);
  const { peak: rendererPeak, ...rendererSampling } = sampled.renderer;
  const { peak: chromiumPeak, ...chromiumSampling } = sampled.chromium;
  log(`memory: ${video}: ${run.frames} frames in ${run.seconds} s, ${run.fps} fps; renderer PSS peak ${round1(rendererPeak.pss_mb)} MB`);
  const end = await memoryPoint(page, session, rendererPid);
  log(`memory: renderer PSS ${end.renderer.pss_mb} MB at end (settled in ${end.settle_seconds} s)`);
  await session.detach();
  await page.close();
  // the next page's renderer must be the only one with workers
  await poll(() => (isAlive(rendererPid) ? null : true), `renderer ${rendererPid} to exit`, RENDERER_EXIT_TIMEOUT_MS);
  const growth = roundReading({ renderer: difference(end.renderer, start.renderer), chromium: difference(end.chromium, start.chromium) });
  const peakGrowth = roundReading({ renderer: difference(rendererPeak, start.renderer), chromium: difference(chromiumPeak, start.chromium) });
  return {
    run,
    renderer_pid: rendererPid,
    sampling: { renderer: rendererSampling, chromium: chromiumSampling },
    start,
    peak: roundReading({ renderer: rendererPeak, chromium: chromiumPeak }),
    end,
    growth,
    peak_growth: peakGrowth,
    csv_rows: csvRows,
    limit_mb: MEMORY_LIMIT_MB,
    within_limit: growth.renderer.pss_mb <= MEMORY_LIMIT_MB,
  };
}

/** The pool's size from the compute path the app shows ('…, 2 workers'). */
function workerCount(computePath: string): number | null {
  const match = /(\d+) workers?$/.exec(computePath);
  return match ? Number(match[1]) : null;
}

/** The full build number: navigator.userAgent is reduced (156.0.0.0), CDP's Browser.getVersion is not. */
async function chromiumVersion(page: Page): Promise<string> {
  const session = await page.context().newCDPSession(page);
  const { product } = await session.send('Browser.getVersion');
  await session.detach();
  return product.replace(/^[^/]*\//, '');
}

/** Closes the page and waits for its renderer to exit, so the next page's renderer is the only one with workers. */
async function closeAndWaitForRenderer(page: Page): Promise<void> {
  const pid = procAvailable ? workerRenderer() : null;
  await page.close();
  if (pid !== null) await poll(() => (isAlive(pid) ? null : true), `renderer ${pid} to exit`, RENDERER_EXIT_TIMEOUT_MS);
}

/** hours a long video may take in the app (54 000 frames at a few fps on a busy machine) */
const LONG_TIMEOUT_MS = 4 * 3600 * 1000;

/** Memory over `clip` looped to 9 and to 30 minutes (made once, scripts/bench/longVideos.ts); `labels`: only those. */
async function measureLongVideos(browser: E2EBrowser, clip: string, log: (line: string) => void, labels?: readonly string[]): Promise<LongMemory[]> {
  const figures: LongMemory[] = [];
  for (const video of longVideos(clip)) {
    if (labels && !('skipped' in video) && !labels.includes(video.label)) continue;
    if ('skipped' in video) {
      figures.push({ label: 'long video', frames: 0, skipped: video.skipped });
      continue;
    }
    log(`memory: ${video.label} video, ${video.frames} frames (${basename(video.path)})`);
    figures.push({ label: video.label, frames: video.frames, ...(await measureMemory(browser, video.path, log, LONG_TIMEOUT_MS)) });
  }
  return figures;
}

/**
 * The page's memory over the long videos alone (the last part of the browser
 * section with `--long`), for a run of its own: `npx tsx scripts/bench/pageMemory.ts`.
 */
export async function runLongPageMemory(options: { readonly shared: string; readonly log: (line: string) => void; readonly labels?: readonly string[] }): Promise<LongMemory[] | { readonly skipped: string }> {
  const skip = browserSkipReason(options.shared) ?? (procAvailable ? null : 'the renderer memory needs Linux /proc (smaps_rollup)');
  if (skip) return { skipped: skip };
  const { shared, log } = options;
  const app = await buildAndServe({ tempPrefix: 'splitface-bench-build-' });
  const browser = await launchBrowser(app.baseUrl, { serviceWorkers: 'block' });
  try {
    // the folder is stored by a first page, as in the whole bench; the measured pages find it there
    const { page } = await browser.open('/');
    await importOpenFaceFolder(page, `${shared}openface-2.2`);
    log(`browser: Chromium ${await chromiumVersion(page)}, ${(await page.evaluate(() => window.__splitface!.models())).computePath ?? 'unknown'}`);
    await closeAndWaitForRenderer(page);
    return await measureLongVideos(browser, `${shared}videos/${THROUGHPUT_VIDEO}`, log, options.labels);
  } finally {
    await browser.close();
    await app.close();
  }
}

export async function runBrowserBench(options: BrowserBenchOptions): Promise<BrowserOutcome> {
  const skip = browserSkipReason(options.shared);
  if (skip) return { skipped: skip };
  const { shared, log } = options;
  const served = Date.now();
  const app = await buildAndServe({ tempPrefix: 'splitface-bench-build-' });
  log(`browser: built and serving ${app.baseUrl} in ${((Date.now() - served) / 1000).toFixed(1)} s`);
  const browser = await launchBrowser(app.baseUrl, { serviceWorkers: 'block' });
  try {
    const { page } = await browser.open('/');
    await importOpenFaceFolder(page, `${shared}openface-2.2`);
    const models = await page.evaluate(() => window.__splitface!.models());
    const computePath = models.computePath ?? 'unknown';
    const chromium = await chromiumVersion(page);
    const isolated = await page.evaluate(() => crossOriginIsolated);
    log(`browser: Chromium ${chromium}, ${computePath}; adding ${THROUGHPUT_VIDEO}`);
    const run = await timeVideo(page, `${shared}videos/${THROUGHPUT_VIDEO}`);
    log(`browser: ${THROUGHPUT_VIDEO}: ${run.frames} frames in ${run.seconds} s, ${run.fps} fps`);
    await closeAndWaitForRenderer(page);
    const noProc = { skipped: 'the renderer memory needs Linux /proc (smaps_rollup)' };
    const memory = procAvailable ? await measureMemory(browser, `${shared}videos/${MEMORY_VIDEO}`, log) : noProc;
    let memoryLong: LongMemory[] | undefined;
    if (options.long) {
      memoryLong = procAvailable ? await measureLongVideos(browser, `${shared}videos/${THROUGHPUT_VIDEO}`, log) : [{ label: 'long videos', frames: 0, ...noProc }];
    }
    return {
      chromium,
      compute_path: computePath,
      workers: workerCount(computePath),
      cross_origin_isolated: isolated,
      throughput: { ...run, target_fps: TARGET_FPS, meets_target: run.fps >= TARGET_FPS },
      memory,
      ...(memoryLong ? { memory_long: memoryLong } : {}),
    };
  } finally {
    await browser.close();
    await app.close();
  }
}
