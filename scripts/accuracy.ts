/**
 * Agreement with OpenFace C++ on every reference video in ../shared: runs
 * `process` end to end (our own tracker), or with OpenFace's landmarks
 * (--given), and compares with ../shared/tools/au-compare.mjs. Prints a
 * Markdown table (the README's), or JSON with --json.
 *
 *   npm run accuracy [-- --given] [-- --json] [-- --only NAME]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processVideo } from '../src/cli/processVideo.ts';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const given = args.includes('--given');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
if (!existsSync(join(SHARED, 'reference'))) {
  console.log('accuracy: skipped, ../shared is not present');
  process.exit(0);
}

interface Summary {
  mean_r: number;
  min_r: number;
  aus: number;
  min_presence: number;
  landmark_error_iod: number;
}

const videos = readdirSync(join(SHARED, 'videos'));
const names = readdirSync(join(SHARED, 'reference'))
  .filter((f) => f.endsWith('.csv') && !f.endsWith('.raw.csv'))
  .map((f) => f.slice(0, -4))
  .filter((name) => only === null || name === only);
const out = mkdtempSync(join(tmpdir(), 'splitface-accuracy-'));
const results = [];
for (const name of names) {
  const video = videos.find((v) => v === name || v.startsWith(`${name}.`));
  if (!video) continue;
  const csv = join(out, `${name}.csv`);
  const run = await processVideo({
    video: join(SHARED, 'videos', video),
    models: join(SHARED, 'openface'),
    landmarksFrom: given ? join(SHARED, 'reference', `${name}.csv`) : undefined,
    out: csv,
    hogOut: undefined,
    alignedOut: undefined,
    fps: 30,
    allFaces: false,
  });
  const compare = spawnSync(process.execPath, [join(SHARED, 'tools/au-compare.mjs'), run.out, join(SHARED, 'reference', `${name}.csv`), '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const report = JSON.parse(compare.stdout) as { summary: Summary; frames: { reference_success: number; candidate_success: number } };
  results.push({ video, frames: run.frames, fps: Number((run.frames / run.seconds).toFixed(1)), ...report.frames, ...report.summary });
  if (!json) process.stderr.write(`${video}: mean r ${report.summary.mean_r.toFixed(3)}\n`);
}
if (json) {
  console.log(JSON.stringify({ landmarks: given ? 'openface-csv' : 'splitface-tracker', results }, null, 2));
} else {
  console.log('| video | frames | tracked (OpenFace) | mean r | lowest AU r | AUs | lowest presence | landmark error (% IOD) | fps |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.video} | ${r.frames} | ${r.candidate_success} (${r.reference_success}) | ${r.mean_r.toFixed(3)} | ${r.min_r.toFixed(3)} | ${r.aus} | ${r.min_presence.toFixed(3)} | ${(100 * r.landmark_error_iod).toFixed(2)} | ${r.fps} |`);
  }
  const mean = results.reduce((s, r) => s + r.mean_r, 0) / results.length;
  console.log(`\nmean over ${results.length} videos: mean r ${mean.toFixed(3)}; lowest video ${Math.min(...results.map((r) => r.mean_r)).toFixed(3)}`);
}
