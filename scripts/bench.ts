/**
 * Throughput on the shared videos, per stage, with the hardware named:
 * end to end with SplitFace's own tracker, and the AU engine alone given
 * OpenFace's landmarks (--landmarks-from). Then the app in headless
 * Chromium (scripts/bench/browserBench.ts): fps end to end and the page's
 * memory over a 1080p video. Prints Markdown tables, or JSON with --json.
 * Needs ../shared; says so and exits 0 without it. The browser section
 * skips with its reason when Chromium is missing; --no-browser leaves it out.
 *
 *   npm run bench            npm run bench -- --json            npm run bench -- --no-browser
 *   npm run bench -- --long  (adds memory over a 9- and a 30-minute video, CLI and page, and Face Mirror's CLI over the 9-minute one: hours with the own tracker)
 *   npm run bench -- --long --long-landmarks=replay  (the CLI's long runs replay OpenFace's landmarks of the looped clip)
 */
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../src/cli/relaxedSimd.ts';
import { processVideo } from '../src/cli/processVideo.ts';
import { DEFAULT_EXECUTION_PROVIDER } from '../src/models/node.ts';
import { runBrowserBench, type BrowserOutcome } from './bench/browserBench.ts';
import { measureCliMemory, type CliMemoryFigures } from './bench/cliMemory.ts';
import { cliMemoryLines } from './bench/cliMemoryReport.ts';
import { longVideos } from './bench/longVideos.ts';
import { BROWSER_TITLE, browserLines } from './bench/browserReport.ts';
import { OPENFACE_MODELS, SHARED, hasSharedData, openFaceFps, referenceCsv } from './sharedData.ts';
import { measureMirrorMemory, mirrorBenchLines, mirrorMemoryLines, runMirrorBench, type MirrorMemoryFigures } from './bench/mirrorBench.ts';
import { phoneVideoLines, runPhoneVideoBench, type PhoneVideoFigures } from './bench/phoneVideo.ts';
import { mirrorBrowserLines, runMirrorBrowserBench, type MirrorBrowserOutcome } from './bench/mirrorBrowserBench.ts';


const RUNS = [
  { video: 'lab_640x480_h264.mp4', reference: 'lab_640x480_h264', own: true },
  { video: 'lab_1080p60_h264.mp4', reference: 'lab_1080p60_h264', own: true },
  { video: 'lab_640x480_h264.mp4', reference: 'lab_640x480_h264', own: false },
  { video: 'lab_1080p60_h264.mp4', reference: 'lab_1080p60_h264', own: false },
] as const;
const STAGE_ORDER = ['decode', 'detect', 'landmarks', 'clnf', 'pose', 'fit', 'align', 'hog', 'au'];

const json = process.argv.includes('--json');
const browser = !process.argv.includes('--no-browser');
const long = process.argv.includes('--long');
if (!hasSharedData) {
  console.log(json ? JSON.stringify({ skipped: 'needs ../shared (videos, OpenFace models and reference CSVs)' }) : 'bench: skipped, ../shared is not present');
  process.exit(0);
}

const out = mkdtempSync(join(tmpdir(), 'splitface-bench-'));
const hardware = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}`;
// The CLI's default --ep: onnxruntime-web's WASM kernels in Node, as in the app, so both write the same CSV.
const EXECUTION_PROVIDER_LABEL = `onnxruntime-web ${DEFAULT_EXECUTION_PROVIDER} in Node (the CLI's default --ep)`;
const results = [];
for (const run of RUNS) {
  const cpuBefore = process.cpuUsage();
  const summary = await processVideo({
    video: join(SHARED, 'videos', run.video),
    models: OPENFACE_MODELS,
    landmarksFrom: run.own ? undefined : referenceCsv(run.reference),
    out: join(out, `${run.reference}-${run.own ? 'own' : 'given'}.csv`),
    hogOut: undefined,
    alignedOut: undefined,
    fps: 30,
    allFaces: false,
    executionProvider: DEFAULT_EXECUTION_PROVIDER,
  });
  // user + system time of this process, its tracking thread included (ffmpeg's decoding is a child process: not included)
  const cpu = process.cpuUsage(cpuBefore);
  const perFrame: Record<string, number> = {};
  for (const stage of STAGE_ORDER) if (stage in summary.stageMs) perFrame[stage] = Number((summary.stageMs[stage] / summary.frames).toFixed(2));
  results.push({
    video: run.video,
    landmarks: run.own ? 'own tracker' : 'OpenFace CSV',
    size: `${summary.video.width}x${summary.video.height}`,
    frames: summary.frames,
    seconds: Number(summary.seconds.toFixed(2)),
    fps: Number((summary.frames / summary.seconds).toFixed(1)),
    ms_per_frame: perFrame,
    cpu_ms_per_frame: Number(((cpu.user + cpu.system) / 1000 / summary.frames).toFixed(2)),
    // OpenFace 2.2 always runs its own tracker: its figure stands beside ours
    openface_2_2_fps: run.own ? openFaceFps(run.video) : null,
  });
  if (!json) process.stderr.write(`${run.video} (${run.own ? 'own tracker' : 'OpenFace CSV'}): ${(summary.frames / summary.seconds).toFixed(1)} fps\n`);
}
rmSync(out, { recursive: true, force: true });
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
// Face Mirror's whole CLI run (scripts/bench/mirrorBench.ts), after the process runs
const faceMirror = await runMirrorBench(SHARED, OPENFACE_MODELS);

// Memory over long videos, each run in a child process of its own (scripts/bench/cliMemory.ts).
const cliLong: (CliMemoryFigures & { label: string })[] = [];
const cliLongSkipped: string[] = [];
if (long) {
  const mode = process.argv.includes('--long-landmarks=replay') ? 'replay' : 'own';
  for (const video of longVideos(join(SHARED, 'videos', 'lab_640x480_h264.mp4'))) {
    if ('skipped' in video) {
      cliLongSkipped.push(video.skipped);
      continue;
    }
    if (!json) process.stderr.write(`CLI memory: ${video.label} video (${video.frames} frames, landmarks: ${mode})\n`);
    cliLong.push({ label: video.label, ...(await measureCliMemory(video.path, mode, referenceCsv('lab_640x480_h264'))) });
  }
}

// Face Mirror's memory over the 9-minute video: the CLI in a child process, read from outside (scripts/bench/mirrorBench.ts)
let mirrorLong: MirrorMemoryFigures | { readonly skipped: string } | null = null;
if (long) {
  const nine = longVideos(join(SHARED, 'videos', 'lab_640x480_h264.mp4'))[0];
  if ('skipped' in nine) mirrorLong = nine;
  else {
    if (!json) process.stderr.write(`Face Mirror memory: ${nine.label} video (${nine.frames} frames)\n`);
    mirrorLong = await measureMirrorMemory(nine.path, OPENFACE_MODELS, true);
  }
}

// After the CLI runs, never beside them: on two cores they would slow each other down.
type BrowserSection = BrowserOutcome | { readonly error: string };
async function browserSection(): Promise<BrowserSection> {
  if (!browser) return { skipped: '--no-browser' };
  try {
    return await runBrowserBench({
      shared: SHARED,
      long,
      log: (line) => {
        if (!json) process.stderr.write(`${line}\n`);
      },
    });
  } catch (error) {
    // the CLI figures still print; the exit code says the browser part broke
    process.exitCode = 1;
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// A phone clip in the app (issue #14): 1080p60 HEVC Main 10 HLG made from the shared 1080p clip.
async function phoneSection(): Promise<PhoneVideoFigures | { readonly skipped: string } | { readonly error: string }> {
  if (!browser) return { skipped: '--no-browser' };
  try {
    return await runPhoneVideoBench({ shared: SHARED, frames: 120, log: (line) => { if (!json) process.stderr.write(`${line}\n`); } });
  } catch (error) {
    process.exitCode = 1;
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// Face Mirror's whole run in the app (scripts/bench/mirrorBrowserBench.ts), last
async function mirrorBrowserSection(): Promise<MirrorBrowserOutcome | { readonly error: string }> {
  if (!browser) return { skipped: '--no-browser' };
  try {
    return await runMirrorBrowserBench({ shared: SHARED, log: (line) => { if (!json) process.stderr.write(`${line}\n`); } });
  } catch (error) {
    process.exitCode = 1;
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

if (json) {
  const browserFigures = await browserSection();
  const phoneVideo = await phoneSection();
  const cliMemoryLong = long ? { cli_memory_long: cliLong, ...(cliLongSkipped.length ? { cli_memory_long_skipped: cliLongSkipped } : {}), face_mirror_memory_long: mirrorLong } : {};
  const faceMirrorBrowser = await mirrorBrowserSection();
  console.log(JSON.stringify({ hardware, execution_provider: EXECUTION_PROVIDER_LABEL, peak_rss_mb: peakRssMb, results, face_mirror: faceMirror, ...cliMemoryLong, browser: browserFigures, phone_video: phoneVideo, face_mirror_browser: faceMirrorBrowser }, null, 2));
} else {
  console.log(`${hardware}, ${EXECUTION_PROVIDER_LABEL}; ms per frame by stage (whole run, model loading included in fps; own tracker on a thread of its own, the default --threads 2)`);
  console.log(`| video | landmarks | size | frames | fps | OpenFace 2.2 fps | ${STAGE_ORDER.join(' | ')} |`);
  console.log(`|---|---|---|---|---|---|${STAGE_ORDER.map(() => '---').join('|')}|`);
  for (const r of results) {
    const cells = STAGE_ORDER.map((s) => (s in r.ms_per_frame ? String(r.ms_per_frame[s]) : '–'));
    console.log(`| ${r.video} | ${r.landmarks} | ${r.size} | ${r.frames} | ${r.fps} | ${r.openface_2_2_fps ?? '–'} | ${cells.join(' | ')} |`);
  }
  console.log(`CPU ms per frame (user + system, the tracking thread included, ffmpeg not): ${results.map((r) => `${r.video} ${r.landmarks} ${r.cpu_ms_per_frame}`).join(', ')}`);
  console.log(`peak RSS ${peakRssMb} MB`);
  console.log('');
  for (const line of mirrorBenchLines(faceMirror)) console.log(line);
  console.log('');
  if (long) {
    for (const line of [...cliMemoryLines(cliLong), ...cliLongSkipped.map((why) => `CLI memory: skipped, ${why}`)]) console.log(line);
    console.log('');
    if (mirrorLong) console.log('skipped' in mirrorLong ? `Face Mirror memory: skipped, ${mirrorLong.skipped}` : mirrorMemoryLines(mirrorLong).join('\n'));
    console.log('');
  }
  const browserFigures = await browserSection();
  console.log('error' in browserFigures ? `${BROWSER_TITLE}: failed, ${browserFigures.error}` : browserLines(browserFigures).join('\n'));
  const phoneVideo = await phoneSection();
  console.log('');
  console.log('skipped' in phoneVideo ? `Phone video: skipped, ${phoneVideo.skipped}` : 'error' in phoneVideo ? `Phone video: failed, ${phoneVideo.error}` : phoneVideoLines(phoneVideo).join('\n'));
  console.log('');
  console.log(mirrorBrowserLines(await mirrorBrowserSection()).join('\n'));
}
