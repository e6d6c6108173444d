/**
 * Agreement with OpenFace 2.2 (C++) on every reference video in ../shared: runs
 * `process` end to end (our own tracker), or with OpenFace's landmarks
 * (--given), and compares with ../shared/tools/au-compare.mjs. Prints a
 * Markdown table per video and one per AU (the README's), or JSON with --json.
 *
 *   npm run accuracy [-- --given] [-- --json] [-- --only NAME]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processVideo } from '../src/cli/processVideo.ts';
import { OPENFACE_MODELS, REFERENCE, SHARED, hasSharedData, referenceCsv } from './sharedData.ts';
import { gazeAgreement } from './accuracy/gazeAgreement.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const given = args.includes('--given');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
if (!hasSharedData) {
  console.log('accuracy: skipped, ../shared is not present');
  process.exit(0);
}

interface AuIntensity {
  r: number;
  counted: boolean;
}

interface AuPresence {
  agreement: number;
}

interface CompareReport {
  summary: Summary;
  frames: { reference_success: number; candidate_success: number };
  intensity: Record<string, AuIntensity>;
  presence: Record<string, AuPresence>;
}

/** One AU over the videos: its Pearson r where it moves in the reference, its presence agreement everywhere. */
interface AuAcrossVideos {
  au: string;
  /** videos where the AU moves (reference sd >= au-compare's --min-sd) */
  videos: number;
  mean_r: number | null;
  min_r: number | null;
  min_r_video: string | null;
  mean_presence: number | null;
  min_presence: number | null;
}

function auName(column: string): string {
  return column.slice(0, column.lastIndexOf('_'));
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function acrossVideos(reports: readonly { video: string; report: CompareReport }[]): AuAcrossVideos[] {
  const aus = new Set<string>();
  for (const { report } of reports) for (const column of [...Object.keys(report.intensity), ...Object.keys(report.presence)]) aus.add(auName(column));
  return [...aus].sort().map((au) => {
    const rs = reports
      .map(({ video, report }) => ({ video, value: report.intensity[`${au}_r`] }))
      .filter((x): x is { video: string; value: AuIntensity } => x.value !== undefined && x.value.counted && Number.isFinite(x.value.r));
    const lowest = rs.reduce<{ video: string; value: AuIntensity } | null>((low, x) => (low === null || x.value.r < low.value.r ? x : low), null);
    const presence = reports.map(({ report }) => report.presence[`${au}_c`]?.agreement).filter((a): a is number => a !== undefined && Number.isFinite(a));
    return {
      au,
      videos: rs.length,
      mean_r: mean(rs.map((x) => x.value.r)),
      min_r: lowest?.value.r ?? null,
      min_r_video: lowest?.video ?? null,
      mean_presence: mean(presence),
      min_presence: presence.length === 0 ? null : Math.min(...presence),
    };
  });
}

const fixed = (value: number | null): string => (value === null ? '–' : value.toFixed(3));

interface Summary {
  mean_r: number;
  min_r: number;
  aus: number;
  min_presence: number;
  landmark_error_iod: number;
}

const videos = readdirSync(join(SHARED, 'videos'));
const names = readdirSync(REFERENCE)
  .filter((f) => f.endsWith('.csv') && !f.endsWith('.raw.csv'))
  .map((f) => f.slice(0, -4))
  .filter((name) => only === null || name === only);
const out = mkdtempSync(join(tmpdir(), 'splitface-accuracy-'));
const results = [];
const reports: { video: string; report: CompareReport }[] = [];
for (const name of names) {
  const video = videos.find((v) => v === name || v.startsWith(`${name}.`));
  if (!video) continue;
  const csv = join(out, `${name}.csv`);
  const run = await processVideo({
    video: join(SHARED, 'videos', video),
    models: OPENFACE_MODELS,
    landmarksFrom: given ? referenceCsv(name) : undefined,
    out: csv,
    hogOut: undefined,
    alignedOut: undefined,
    fps: 30,
    allFaces: false,
  });
  const compare = spawnSync(process.execPath, [join(SHARED, 'tools/au-compare.mjs'), run.out, referenceCsv(name), '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const report = JSON.parse(compare.stdout) as CompareReport;
  reports.push({ video, report });
  const gaze = gazeAgreement(run.out, referenceCsv(name));
  results.push({ video, frames: run.frames, fps: Number((run.frames / run.seconds).toFixed(1)), ...report.frames, ...report.summary, gaze });
  if (!json) process.stderr.write(`${video}: mean r ${report.summary.mean_r.toFixed(3)}\n`);
}
if (json) {
  console.log(JSON.stringify({ landmarks: given ? 'openface-csv' : 'splitface-tracker', results, per_au: acrossVideos(reports) }, null, 2));
} else {
  console.log('| video | frames | tracked (OpenFace) | mean r | lowest AU r | AUs | lowest presence | landmark error (% IOD) | gaze angle error x / y (rad) | eye landmarks (px) | fps |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const gaze = r.gaze ? `${r.gaze.gazeAngleX.toFixed(4)} / ${r.gaze.gazeAngleY.toFixed(4)}` : '–';
    const eyes = r.gaze ? r.gaze.eyeLandmarksPx.toFixed(3) : '–';
    console.log(`| ${r.video} | ${r.frames} | ${r.candidate_success} (${r.reference_success}) | ${r.mean_r.toFixed(3)} | ${r.min_r.toFixed(3)} | ${r.aus} | ${r.min_presence.toFixed(3)} | ${(100 * r.landmark_error_iod).toFixed(2)} | ${gaze} | ${eyes} | ${r.fps} |`);
  }
  console.log(`\nmean over ${results.length} videos: mean r ${fixed(mean(results.map((r) => r.mean_r)))}; lowest video ${Math.min(...results.map((r) => r.mean_r)).toFixed(3)}`);
  console.log('\n| AU | videos where it moves | mean r | lowest r (video) | mean presence agreement | lowest presence |');
  console.log('|---|---|---|---|---|---|');
  for (const a of acrossVideos(reports)) {
    const lowest = a.min_r === null ? '–' : `${fixed(a.min_r)} (${a.min_r_video})`;
    console.log(`| ${a.au} | ${a.videos} | ${fixed(a.mean_r)} | ${lowest} | ${fixed(a.mean_presence)} | ${fixed(a.min_presence)} |`);
  }
}
