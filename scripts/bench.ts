/**
 * Throughput of the AU engine on the shared videos, with OpenFace's own
 * landmarks (issue #4's path: decode → align → FHOG → AU). Prints a table, or
 * JSON with --json. Needs ../shared; says so and exits 0 without it.
 *
 *   npm run bench            npm run bench -- --json
 */
import { cpus, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processVideo } from '../src/cli/processVideo.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const VIDEOS = [
  ['lab_640x480_h264.mp4', 'lab_640x480_h264'],
  ['lab_1080p60_h264.mp4', 'lab_1080p60_h264'],
  ['2015-10-15-15-14.avi', '2015-10-15-15-14'],
] as const;

const json = process.argv.includes('--json');
if (!existsSync(join(SHARED, 'reference'))) {
  console.log(json ? JSON.stringify({ skipped: 'needs ../shared (videos, OpenFace models and reference CSVs)' }) : 'bench: skipped, ../shared is not present');
  process.exit(0);
}

const out = mkdtempSync(join(tmpdir(), 'splitface-bench-'));
const hardware = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}`;
const results = [];
for (const [video, reference] of VIDEOS) {
  const summary = await processVideo({
    video: join(SHARED, 'videos', video),
    models: join(SHARED, 'openface'),
    landmarksFrom: join(SHARED, 'reference', `${reference}.csv`),
    out: join(out, `${reference}.csv`),
    hogOut: undefined,
    alignedOut: undefined,
    fps: 30,
    allFaces: false,
  });
  const perFrame = Object.fromEntries(Object.entries(summary.stageMs).map(([stage, ms]) => [stage, Number((ms / summary.frames).toFixed(3))]));
  results.push({
    video,
    size: `${summary.video.width}x${summary.video.height}`,
    frames: summary.frames,
    seconds: Number(summary.seconds.toFixed(2)),
    fps: Number((summary.frames / summary.seconds).toFixed(1)),
    ms_per_frame: perFrame,
  });
}
rmSync(out, { recursive: true, force: true });
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

if (json) {
  console.log(JSON.stringify({ hardware, landmarks: 'OpenFace CSV (--landmarks-from)', peak_rss_mb: peakRssMb, results }, null, 2));
} else {
  console.log(`AU engine with OpenFace landmarks — ${hardware}`);
  console.log('| video | size | frames | fps | decode | align | FHOG | AU | ms/frame total |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const m = r.ms_per_frame;
    const total = Object.values(m).reduce((a, b) => a + b, 0);
    console.log(`| ${r.video} | ${r.size} | ${r.frames} | ${r.fps} | ${m.decode} | ${m.align} | ${m.hog} | ${m.au} | ${total.toFixed(2)} |`);
  }
  console.log(`peak RSS ${peakRssMb} MB`);
}
