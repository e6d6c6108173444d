/**
 * A lone video tracks in a nested tracker worker (src/worker/trackerThread.ts),
 * one frame ahead of its AU analysis: the CSV is still the CLI's, byte for
 * byte. A tracker worker that dies mid-video ends that video with a clear
 * message and the frames before it; the next video gets a new tracker worker
 * and the same CSV as before. Face Mirror on a lone video tracks one of the
 * two streams of each step in the nested worker, at once: its tables are still
 * the CLI's.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Worker as PageWorker } from 'playwright-core';
import { launchBrowser, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { addVideos, importOpenFaceFolder, jobCsv } from './helpers/appDriver.ts';
import { clipFolder } from './helpers/clips.ts';
import { runCli } from '../helpers/cli.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import type { JobSnapshot } from '../../src/app/batch/controller.svelte.ts';
import { TRACKER_CRASH } from '../../src/worker/trackerThread.ts';

const baseUrl = inject('baseUrl');
const skip = sharedSkipReason(true);
const SHORT_FRAMES = 20;
const LONG_FRAMES = 200;
const MIRROR_FRAMES = 8;

async function jobEnded(page: RecordedPage['page'], name: string): Promise<JobSnapshot> {
  await page.waitForFunction((n) => ['done', 'failed', 'cancelled'].includes(window.__splitface?.jobs().find((j) => j.name === n)?.state ?? ''), name, { timeout: 120_000, polling: 100 });
  return (await page.evaluate(() => window.__splitface!.jobs())).find((j) => j.name === name)!;
}

describe.skipIf(skip !== null)(suiteTitle('tracking in a nested worker', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  const clips = clipFolder();
  const lab = sharedPath('videos/lab_640x480_h264.mp4');
  let shortCsv = '';

  beforeAll(async () => {
    browser = await launchBrowser(baseUrl);
    recorded = await browser.open('/');
    await importOpenFaceFolder(recorded.page, openfaceModelsPath());
  });

  afterAll(async () => {
    await browser?.close();
    clips.remove();
  });

  it(`a lone video (${SHORT_FRAMES} frames) tracks in the nested worker and writes the CLI's CSV byte for byte`, async () => {
    const clip = clips.cut('short.mp4', lab, SHORT_FRAMES);
    await addVideos(recorded.page, [clip]);
    const job = await jobEnded(recorded.page, 'short.mp4');
    expect(job.state, job.message ?? '').toBe('done');
    expect(job.result?.frames).toBe(SHORT_FRAMES);
    expect(String(job.result?.provenance.tracking_thread)).toMatch(/nested tracker worker/);
    // the landmark provenance comes from the nested worker's own source, as the in-worker one would say it
    expect(job.result?.provenance.landmarks).toMatchObject({ source: 'splitface-tracker' });
    shortCsv = await jobCsv(recorded.page, 'short.mp4');
    const cliCsv = join(mkdtempSync(join(tmpdir(), 'splitface-e2e-tracker-')), 'short.csv');
    const cli = runCli(['process', clip, '--openface-models', openfaceModelsPath(), '--out', cliCsv]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(shortCsv === readFileSync(cliCsv, 'utf8'), 'app CSV byte-identical to the CLI CSV').toBe(true);
  });

  it('a tracker worker that dies ends its video with a clear message and the frames before; the next video runs', async () => {
    const page = recorded.page;
    const crashing = clips.cut('crashing.mp4', lab, LONG_FRAMES);
    await addVideos(page, [crashing]);
    await page.waitForFunction(() => (window.__splitface?.jobs() ?? []).some((j) => j.name === 'crashing.mp4' && j.framesDone >= 10), undefined, { timeout: 60_000 });
    const tracker: PageWorker | undefined = page.workers().find((w) => w.url().includes('trackerWorker'));
    expect(tracker, `the page's workers: ${page.workers().map((w) => w.url()).join(', ')}`).toBeDefined();
    // an uncaught error in the tracker worker's own scope, as a crash inside it would raise
    await tracker!.evaluate(() => void setTimeout(() => { throw new Error('tracker crash for the test'); }));
    const crashed = await jobEnded(page, 'crashing.mp4');
    expect(crashed.result?.partial, crashed.message ?? '').toBe(true);
    expect(crashed.result?.stoppedBy).toContain(TRACKER_CRASH);
    expect(crashed.result?.stoppedBy).toContain('tracker crash for the test');
    expect(crashed.result!.frames).toBeGreaterThanOrEqual(10);
    expect(crashed.result!.frames).toBeLessThan(LONG_FRAMES);
    expect(crashed.result!.rows).toBe(crashed.result!.frames);

    const again = clips.cut('again.mp4', lab, SHORT_FRAMES);
    await addVideos(page, [again]);
    const job = await jobEnded(page, 'again.mp4');
    expect(job.state, job.message ?? '').toBe('done');
    expect(String(job.result?.provenance.tracking_thread)).toMatch(/nested tracker worker/);
    expect(await jobCsv(page, 'again.mp4')).toBe(shortCsv);
  });

  it(`Face Mirror on a lone video (${MIRROR_FRAMES} frames, lossless) tracks a stream of each step in the nested worker and writes the CLI's tables byte for byte`, async () => {
    const page = recorded.page;
    const clip = clips.cut('mirror8.mp4', lab, MIRROR_FRAMES);
    const work = mkdtempSync(join(tmpdir(), 'splitface-e2e-tracker-mirror-'));
    const cli = promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'mirror', clip, '--openface-models', openfaceModelsPath(), '--out-dir', join(work, 'cli'), '--lossless']);
    await page.getByTestId('face-mirror').check();
    await page.getByTestId('mirror-lossless').check();
    await addVideos(page, [clip]);
    const job = await jobEnded(page, 'mirror8.mp4');
    expect(job.state, job.message ?? '').toBe('done');
    expect(page.workers().filter((w) => w.url().includes('trackerWorker')), 'tracker workers in the page').toHaveLength(1);
    await page.locator('[data-testid="job-row"]', { hasText: 'mirror8.mp4' }).getByTestId('show-results').click();
    const links = page.getByTestId('mirror-results').getByTestId('mirror-file');
    await links.first().waitFor();
    const appDir = join(work, 'app');
    mkdirSync(appDir, { recursive: true });
    for (let i = 0; i < (await links.count()); i++) {
      const [download] = await Promise.all([page.waitForEvent('download') as Promise<Download>, links.nth(i).click()]);
      await download.saveAs(join(appDir, download.suggestedFilename()));
    }
    await cli;
    for (const table of ['mirror8_right_mirrored.csv', 'mirror8_left_mirrored.csv', 'mirror8_mirror.csv']) {
      expect(readFileSync(join(appDir, table), 'utf8') === readFileSync(join(work, 'cli', table), 'utf8'), `${table}: app byte-identical to the CLI`).toBe(true);
    }
    for (const video of ['mirror8_right_mirrored.mkv', 'mirror8_left_mirrored.mkv']) {
      expect(readFileSync(join(appDir, video)).length, video).toBeGreaterThan(MIRROR_FRAMES * 640 * 480 * 3);
    }
  });
});
