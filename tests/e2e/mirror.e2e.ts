/**
 * Issue #13, bars 4 and 5 in the app: Face Mirror on the whole of
 * lab_640x480_h264.mp4 (842 frames, the default compressed videos), every
 * output downloaded through its link, and against the CLI:
 * - whole video: each video has the source's frame count and timestamps
 *   (ffprobe) in a codec Chromium plays; each table has a row per frame;
 * - first 40 frames (a stream-copied cut, the same coded pictures), run
 *   lossless in the app and with the CLI's `--lossless`: the mirrored and QA
 *   frames decode to exactly the CLI's bytes, and the CSVs equal the CLI's
 *   (1e-4);
 * - the whole run against that CLI cut: in its first 35 frames (the midline
 *   is smoothed over 5 frames each side, so the cut's last 5 differ) every
 *   per-frame column of the per-side CSVs (tracking, pose, gaze, landmarks)
 *   and of NAME_mirror.csv (midline, pose, flag, score, geometry) equals the
 *   CLI's. The AU intensities and the commissure excursion are calibrated
 *   over the whole video (person-specific medians, rest frames), so they can
 *   only be compared against a whole-video CLI run:
 *   SPLITFACE_E2E_MIRROR_CLI_WHOLE=1 adds it (every cell of the three CSVs,
 *   1e-4; about 150-200 s more of CLI on two cores, which is why it is off).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Download, Page } from 'playwright-core';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, openAppWithOpenFace, waitForJobs } from './helpers/appDriver.ts';
import type { E2EBrowser, RecordedPage } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';
import { parseCsv } from './helpers/csvRows.ts';
import { audit, serious } from './helpers/axe.ts';
import { OFFLINE_SIGMA_FRAMES } from '../../src/core/mirror/midlineSmoothing.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const LAB = sharedPath('videos/lab_640x480_h264.mp4');
/** the cut run lossless in the app and the CLI */
const FRAMES = 40;
/** its frames that do not depend on what follows the cut (the centred midline smoother's reach) */
const CAUSAL_FRAMES = FRAMES - Math.ceil(3 * OFFLINE_SIGMA_FRAMES);
/** also compare the whole video's CSVs with a whole-video CLI run (slow: see above) */
const CLI_WHOLE_VIDEO = process.env.SPLITFACE_E2E_MIRROR_CLI_WHOLE === '1';

/** Every frame's presentation time (seconds, as ffprobe prints them) of a file's video. */
function frameTimes(path: string): string[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', path], { encoding: 'utf8' });
  return (JSON.parse(out) as { frames: { pts_time?: string }[] }).frames.map((f) => f.pts_time ?? 'none');
}

/** The decoded frames as ffmpeg's BGR24 bytes. */
function bgrFrames(path: string): Buffer {
  // passthrough: one output frame per decoded frame (no frame-rate guess that duplicates or drops)
  return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 1 << 30 });
}

function codecOf(path: string): string {
  return execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim();
}

/**
 * Largest difference between two CSVs' numeric cells (same header required);
 * `rows`: only the first rows of each (else the same row count is required),
 * `column`: only the columns it accepts.
 */
function maxCsvDifference(a: string, b: string, rows?: number, column: (name: string) => boolean = () => true): number {
  const x = parseCsv(a), y = parseCsv(b);
  expect(x.header).toEqual(y.header);
  if (rows === undefined) expect(x.rows.length).toBe(y.rows.length);
  else expect(Math.min(x.rows.length, y.rows.length)).toBeGreaterThanOrEqual(rows);
  const names = x.header.filter(column);
  let worst = 0;
  x.rows.slice(0, rows).forEach((row, i) => {
    for (const name of names) {
      const u = row[name]!, v = y.rows[i]![name]!;
      if (u === v) continue;
      const du = Number(u), dv = Number(v);
      if (u === '' || v === '' || Number.isNaN(du) || Number.isNaN(dv)) throw new Error(`row ${i + 1}, ${name}: '${u}' against '${v}'`);
      worst = Math.max(worst, Math.abs(du - dv));
    }
  });
  return worst;
}

/** Columns of a frame that depend on the whole video: AUs (person-specific calibration), the excursion from the rest frames. */
const wholeVideoColumn = (name: string) => /^AU\d+_[rc]$/.test(name) || /_r_right_minus_left$/.test(name) || name.endsWith('commissure_excursion');

function rowCount(path: string): number {
  return parseCsv(readFileSync(path, 'utf8')).rows.length;
}

/** Clicks every file link of the Face Mirror results and saves the downloads into `dir`. */
async function downloadAll(page: Page, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const links = page.getByTestId('mirror-results').getByTestId('mirror-file');
  const count = await links.count();
  const saved: string[] = [];
  for (let i = 0; i < count; i++) {
    const [download] = await Promise.all([page.waitForEvent('download') as Promise<Download>, links.nth(i).click()]);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    saved.push(path);
  }
  return saved;
}

async function showResults(page: Page, name: string): Promise<void> {
  await page.locator('[data-testid="job-row"]', { hasText: name }).getByTestId('show-results').click();
  await page.getByTestId('mirror-results').waitFor();
}

describe.skipIf(skip !== null)(suiteTitle('Face Mirror in the app against the CLI', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;
  let work: string;
  let clip: string;
  let wholeFrames: number;
  let cliWhole: Promise<unknown> | null = null;

  beforeAll(async () => {
    clips = clipFolder();
    work = mkdtempSync(join(tmpdir(), 'splitface-e2e-mirror-'));
    clip = clips.cut('lab40.mp4', LAB, FRAMES);
    wholeFrames = frameTimes(LAB).length;
    const cliRun = (video: string, out: string, ...flags: string[]) => promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'mirror', video, '--openface-models', openfaceModelsPath(), '--out-dir', join(work, out), ...flags]);
    // the CLI's lossless run of the cut, while the browser starts
    const cli = cliRun(clip, 'cli', '--lossless');
    // (its CSVs do not depend on the videos: no QA video, compressed)
    if (CLI_WHOLE_VIDEO) (cliWhole = cliRun(LAB, 'cli-whole', '--no-qa-video')).catch(() => {});
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 900 }, openfaceModelsPath()));
    await cli;
    const page = recorded.page;
    await page.getByTestId('face-mirror').check();
    await page.getByTestId('mirror-lossless').check();
    await addVideos(page, [clip]);
    await page.getByTestId('mirror-lossless').uncheck();
    await addVideos(page, [LAB]);
    const started = performance.now();
    const jobs = await waitForJobs(page, 2, 1_500_000);
    console.log(`Face Mirror in the app: ${FRAMES}-frame cut (lossless) and the whole ${wholeFrames}-frame video (compressed) on two workers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const job of jobs) expect(job.state, `${job.name}: ${job.message}`).toBe('done');
  }, 1_800_000);

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
    if (work && !process.env.SPLITFACE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  });

  test('lossless cut: every output downloads; mirrored and QA frames are the CLI\'s bytes; the CSVs equal the CLI\'s (1e-4)', async () => {
    const page = recorded.page;
    await showResults(page, 'lab40.mp4');
    const files = await downloadAll(page, join(work, 'app'));
    const names = files.map((f) => basename(f)).sort();
    expect(names).toEqual(readdirSync(join(work, 'cli')).sort());
    for (const video of ['lab40_right_mirrored.mkv', 'lab40_left_mirrored.mkv', 'lab40_debug.mkv']) {
      const app = bgrFrames(join(work, 'app', video));
      const cli = bgrFrames(join(work, 'cli', video));
      expect(app.length, video).toBe(FRAMES * 640 * 480 * 3);
      expect(app.equals(cli), `${video}: decoded frames differ from the CLI's`).toBe(true);
      expect(frameTimes(join(work, 'app', video)), video).toEqual(frameTimes(clip));
    }
    for (const table of ['lab40_right_mirrored.csv', 'lab40_left_mirrored.csv', 'lab40_mirror.csv']) {
      const difference = maxCsvDifference(readFileSync(join(work, 'app', table), 'utf8'), readFileSync(join(work, 'cli', table), 'utf8'));
      expect(difference, table).toBeLessThanOrEqual(1e-4);
    }
    const app = JSON.parse(readFileSync(join(work, 'app', 'lab40_mirror.json'), 'utf8'));
    const cli = JSON.parse(readFileSync(join(work, 'cli', 'lab40_mirror.json'), 'utf8'));
    expect(app.flags).toEqual(cli.flags);
    expect(app.aus.frames).toBe(cli.aus.frames);
  });

  test('whole video: every output downloads; the videos play in Chromium\'s codecs with the source\'s frame count and timestamps; a row per frame', async () => {
    const page = recorded.page;
    await showResults(page, 'lab_640x480_h264.mp4');
    const files = await downloadAll(page, join(work, 'whole'));
    const stem = 'lab_640x480_h264';
    expect(files.map((f) => basename(f).replace(/\.(mp4|webm)$/, '.video')).sort()).toEqual(
      ['_debug.video', '_left_mirrored.csv', '_left_mirrored.video', '_mirror.csv', '_mirror.json', '_right_mirrored.csv', '_right_mirrored.video'].map((s) => stem + s),
    );
    const source = frameTimes(LAB).map(Number);
    for (const video of files.filter((f) => !/\.(csv|json)$/.test(f))) {
      expect(['h264', 'vp9', 'av1']).toContain(codecOf(video));
      const times = frameTimes(video).map(Number);
      expect(times.length, video).toBe(wholeFrames);
      times.forEach((t, i) => expect(Math.abs(t - source[i]!), `${basename(video)} frame ${i + 1}`).toBeLessThan(1e-3));
    }
    for (const table of files.filter((f) => f.endsWith('.csv'))) expect(rowCount(table), basename(table)).toBe(wholeFrames);
    const summary = JSON.parse(readFileSync(join(work, 'whole', `${stem}_mirror.json`), 'utf8'));
    expect(summary.frames).toBe(wholeFrames);
    // the chart (with its table open) and the summary tables are there, with no serious axe violation, and fit 360 px
    await expect(page.getByTestId('mirror-chart').count()).resolves.toBe(1);
    await expect(page.getByTestId('mirror-au-summary').count()).resolves.toBe(1);
    await page.getByTestId('mirror-results').getByText('Chart values as a table').click();
    expect(serious(await audit(page))).toEqual([]);
    await page.setViewportSize({ width: 360, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test(`whole video against the CLI: its first ${CAUSAL_FRAMES} frames' per-frame columns equal the CLI's cut (1e-4)${CLI_WHOLE_VIDEO ? ', every cell equals the CLI\'s whole run' : ''}`, async () => {
    const stem = 'lab_640x480_h264';
    for (const [table, cut] of [['_right_mirrored.csv', 'lab40_right_mirrored.csv'], ['_left_mirrored.csv', 'lab40_left_mirrored.csv'], ['_mirror.csv', 'lab40_mirror.csv']] as const) {
      const whole = readFileSync(join(work, 'whole', stem + table), 'utf8');
      const difference = maxCsvDifference(whole, readFileSync(join(work, 'cli', cut), 'utf8'), CAUSAL_FRAMES, (name) => !wholeVideoColumn(name));
      expect(difference, table).toBeLessThanOrEqual(1e-4);
      if (!cliWhole) continue;
      await cliWhole;
      expect(maxCsvDifference(whole, readFileSync(join(work, 'cli-whole', stem + table), 'utf8')), `${table}, whole video`).toBeLessThanOrEqual(1e-4);
    }
  }, 600_000);
});
