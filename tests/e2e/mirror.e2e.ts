/**
 * Issue #13, bar 4 (and 5 in part): Face Mirror in the app on the first 40
 * frames of lab_640x480_h264.mp4 (stream-copied, the same coded pictures),
 * lossless, every output downloaded through its link:
 * - the mirrored and QA frames decode to exactly the bytes of the CLI's
 *   `--lossless` run on the same clip;
 * - the per-side CSVs and NAME_mirror.csv equal the CLI's (1e-4);
 * - every video has the source's frame count and timestamps (ffprobe).
 * A second, shorter clip runs with the default (compressed) videos: they
 * keep the frame count and timestamps too, in a codec a browser plays.
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

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const LAB = sharedPath('videos/lab_640x480_h264.mp4');
const FRAMES = 40;
const SHORT_FRAMES = 12;

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

/** Largest difference between two CSVs' numeric cells (same header and row count required). */
function maxCsvDifference(a: string, b: string): number {
  const x = parseCsv(a), y = parseCsv(b);
  expect(x.header).toEqual(y.header);
  expect(x.rows.length).toBe(y.rows.length);
  let worst = 0;
  x.rows.forEach((row, i) => {
    for (const name of x.header) {
      const u = row[name]!, v = y.rows[i]![name]!;
      if (u === v) continue;
      const du = Number(u), dv = Number(v);
      if (Number.isNaN(du) || Number.isNaN(dv)) throw new Error(`row ${i + 1}, ${name}: '${u}' against '${v}'`);
      worst = Math.max(worst, Math.abs(du - dv));
    }
  });
  return worst;
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
  let shortClip: string;

  beforeAll(async () => {
    clips = clipFolder();
    work = mkdtempSync(join(tmpdir(), 'splitface-e2e-mirror-'));
    clip = clips.cut('lab40.mp4', LAB, FRAMES);
    shortClip = clips.cut('lab12.mp4', LAB, SHORT_FRAMES);
    // the CLI's lossless run, while the browser starts
    const cli = promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'mirror', clip, '--openface-models', openfaceModelsPath(), '--out-dir', join(work, 'cli'), '--lossless']);
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 900 }, openfaceModelsPath()));
    await cli;
    const page = recorded.page;
    await page.getByTestId('face-mirror').check();
    await page.getByTestId('mirror-lossless').check();
    await addVideos(page, [clip]);
    await page.getByTestId('mirror-lossless').uncheck();
    await addVideos(page, [shortClip]);
    const jobs = await waitForJobs(page, 2, 300_000);
    for (const job of jobs) expect(job.state, `${job.name}: ${job.message}`).toBe('done');
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
    if (work && !process.env.SPLITFACE_E2E_KEEP) rmSync(work, { recursive: true, force: true });
  });

  test('lossless: every output downloads; mirrored and QA frames are the CLI\'s bytes; the CSVs equal the CLI\'s (1e-4)', async () => {
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

  test('compressed: the videos play in Chromium\'s codecs with the source\'s frame count and timestamps', async () => {
    const page = recorded.page;
    await showResults(page, 'lab12.mp4');
    const files = await downloadAll(page, join(work, 'short'));
    const videos = files.filter((f) => !/\.(csv|json)$/.test(f));
    expect(videos.map((f) => basename(f).replace(/\.\w+$/, '')).sort()).toEqual(['lab12_debug', 'lab12_left_mirrored', 'lab12_right_mirrored']);
    const source = frameTimes(shortClip).map(Number);
    for (const video of videos) {
      expect(['h264', 'vp9', 'av1']).toContain(codecOf(video));
      const times = frameTimes(video).map(Number);
      expect(times.length, video).toBe(SHORT_FRAMES);
      times.forEach((t, i) => expect(Math.abs(t - source[i]!), `${basename(video)} frame ${i + 1}`).toBeLessThan(1e-3));
    }
    // the chart (with its table open) and the summary tables are there, with no serious axe violation, and fit 360 px
    await expect(page.getByTestId('mirror-chart').count()).resolves.toBe(1);
    await expect(page.getByTestId('mirror-au-summary').count()).resolves.toBe(1);
    await page.getByTestId('mirror-results').getByText('Chart values as a table').click();
    expect(serious(await audit(page))).toEqual([]);
    await page.setViewportSize({ width: 360, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
