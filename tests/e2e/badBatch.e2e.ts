/**
 * Issue #6's bad-input bar in the real app: one batch holding a text file
 * named .mp4, a truncated MP4, an unknown codec, a video without a face, a
 * 4 GB file and a good clip; each bad file gets a clear message in its own
 * row and the others finish. Then a wrong folder given as the OpenFace
 * models, cancelling mid-run (the partial CSV is kept), and reloading the
 * tab mid-run and mid-import (the stored folder stays whole and usable).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Download, Page } from 'playwright-core';
import type { JobSnapshot } from '../../src/app/batch/controller.svelte.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, importOpenFaceFolder, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import { foreignRequests, launchBrowser, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { auColumns, parseCsv } from './helpers/csvRows.ts';
import { rendererRssBytes } from './helpers/processMemory.ts';
import { importIdsWithFiles, openFaceDbProblem, openFaceDbState } from './helpers/openfaceDbState.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

const LAB = sharedPath('videos/lab_640x480_h264.mp4');
const LAB_FRAMES = 842;
const GOOD_FRAMES = 60;
const HUGE_PADDING = 4 * 1024 ** 3;
const MiB = 1024 ** 2;

function row(page: Page, name: string) {
  return page.locator(`[data-testid="job-row"][data-name="${name}"]`);
}

function jobNamed(jobs: readonly JobSnapshot[], name: string): JobSnapshot {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job ${name} in ${jobs.map((j) => j.name).join(', ')}`);
  return job;
}

/** The row as the user sees it agrees with the job: same state, same message. */
async function expectRowShows(page: Page, job: JobSnapshot): Promise<void> {
  const r = row(page, job.name);
  expect(await r.getAttribute('data-state')).toBe(job.state);
  // the row leads with a plain sentence; the message itself is under "Technical details" and in data-message
  expect(await r.getByTestId('job-message').getAttribute('data-message')).toBe(job.message ?? '');
}

/** Waits until the app has looked up the stored folder and started its engine. */
async function waitForModels(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const models = window.__splitface?.models();
    return !!models && models.computePath !== null;
  }, undefined, { timeout: 120_000 });
}

/** The JS heap the page uses (Chromium's performance.memory), or null elsewhere. */
function heapBytes(page: Page): Promise<number | null> {
  return page.evaluate(() => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null);
}

/**
 * Imports the shared OpenFace folder and reloads the page while the import's
 * files are being written (an import id other than the current one has files),
 * or as soon as the import is seen to have ended; then waits for the app to
 * come back up.
 */
async function reloadDuringImport(page: Page): Promise<void> {
  const current = (await openFaceDbState(page)).current;
  const before = await page.evaluate(() => window.__splitface!.models().openface?.importedAt ?? null);
  await page.getByTestId('openface-folder-input').setInputFiles(openfaceModelsPath());
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await importIdsWithFiles(page)).some((id) => id !== current)) break;
    if ((await page.evaluate(() => window.__splitface!.models().openface?.importedAt ?? null)) !== before) break;
  }
  await page.reload();
  await waitForModels(page);
}

describe.skipIf(skip !== null)(suiteTitle('bad input in the app: a clear message per row, the rest of the batch goes on', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;
  /** a 2 s H.264 cut of the lab clip with a face throughout */
  let good: string;
  /** another copy under another name, for later batches */
  const goodCopy = (name: string) => {
    const path = join(clips.dir, name);
    copyFileSync(good, path);
    return path;
  };

  beforeAll(async () => {
    clips = clipFolder();
    good = clips.encode('good.mp4', LAB, GOOD_FRAMES, H264_MP4);
    browser = await launchBrowser(baseUrl);
    recorded = await browser.open('/');
    await importOpenFaceFolder(recorded.page, openfaceModelsPath());
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('one batch: each bad file fails in its own row with a clear message, the others finish', async () => {
    const page = recorded.page;
    const files = {
      huge: clips.paddedMp4('huge.mp4', good, HUGE_PADDING),
      text: clips.text('notes.mp4', 'These are my notes, not a video.\n'.repeat(50)),
      truncated: clips.truncated('cut.mp4', clips.encode('uncut.mp4', LAB, 90, H264_MP4), 0.5),
      codec: clips.patched('unknown.avi', sharedPath('videos/0417_02_003_bill_clinton.avi'), 'FMP4', 'QQQ1'),
      noFace: clips.testPattern('pattern.mp4', 2),
      good,
    };
    const names = Object.values(files).map((p) => p.split('/').pop()!);
    const rssBefore = rendererRssBytes();
    let maxRss = 0;
    const started = Date.now();
    await addVideos(page, Object.values(files));

    // Watch the run: the page's JS heap, the renderers' resident memory, when the 4 GB file gave its first frame and when it ended.
    let maxHeap = 0;
    let hugeFirstFrameMs: number | null = null;
    let hugeEndedMs: number | null = null;
    let jobs: JobSnapshot[] = [];
    for (;;) {
      jobs = await page.evaluate(() => window.__splitface!.jobs());
      maxHeap = Math.max(maxHeap, (await heapBytes(page)) ?? 0);
      maxRss = Math.max(maxRss, rendererRssBytes() ?? 0);
      const huge = jobs.find((j) => j.name === 'huge.mp4');
      if (hugeFirstFrameMs === null && huge && (huge.framesDone > 0 || !['queued', 'decoding'].includes(huge.state))) hugeFirstFrameMs = Date.now() - started;
      if (hugeEndedMs === null && huge && ['done', 'failed', 'cancelled'].includes(huge.state)) hugeEndedMs = Date.now() - started;
      if (jobs.length === names.length && jobs.every((j) => ['done', 'failed', 'cancelled'].includes(j.state))) break;
      if (Date.now() - started > 150_000) throw new Error(`the batch did not finish: ${JSON.stringify(jobs.map((j) => [j.name, j.state, j.framesDone]))}`);
      await page.waitForTimeout(250);
    }
    expect(jobs.map((j) => j.name)).toEqual(names);
    for (const job of jobs) await expectRowShows(page, job);

    const text = jobNamed(jobs, 'notes.mp4');
    expect(text.state).toBe('failed');
    expect(text.message).toMatch(/^notes\.mp4: not a video file/);
    expect(text.csvName).toBeNull();

    const codec = jobNamed(jobs, 'unknown.avi');
    expect(codec.state).toBe('failed');
    expect(codec.message).toMatch(/^unknown\.avi: the video codec "QQQ1" is not supported/);
    expect(codec.csvName).toBeNull();

    // the frames before the cut are analysed and kept
    const cut = jobNamed(jobs, 'cut.mp4');
    expect(cut.state).toBe('failed');
    expect(cut.message).toMatch(/^cut\.mp4: the file is truncated: its index lists 90 frames/);
    expect(cut.message).toMatch(/The \d+ frames before it are kept as a partial result\.$/);
    expect(cut.csvName).toBe('cut.partial.csv');
    expect(cut.result?.partial).toBe(true);
    expect(cut.result?.frames).toBeGreaterThan(10);
    expect(cut.result?.frames).toBeLessThan(90);
    const cutCsv = parseCsv(await jobCsv(page, 'cut.mp4'));
    expect(cutCsv.rows).toHaveLength(cut.result!.frames);
    expect(await row(page, 'cut.mp4').getByTestId('download-csv').getAttribute('download')).toBe('cut.partial.csv');

    // no face: done, every row success=0, and a note saying so
    const noFace = jobNamed(jobs, 'pattern.mp4');
    expect(noFace.state).toBe('done');
    expect(noFace.csvName).toBe('pattern.csv');
    expect(noFace.result?.tracked).toBe(0);
    expect(noFace.message).toMatch(/^60 frames without a tracked face \(success=0\): no face found/);
    expect(noFace.result?.note).toBe(noFace.message);
    const noFaceCsv = parseCsv(await jobCsv(page, 'pattern.mp4'));
    expect(noFaceCsv.rows).toHaveLength(60);
    expect(noFaceCsv.rows.every((r) => r.success === '0')).toBe(true);
    expect(auColumns(noFaceCsv.header).length).toBeGreaterThan(0);

    const ok = jobNamed(jobs, 'good.mp4');
    expect(ok.state, ok.message ?? '').toBe('done');
    expect(ok.message).toBeNull();
    expect(ok.csvName).toBe('good.csv');
    expect(ok.result?.partial).toBe(false);
    expect(ok.result?.frames).toBe(GOOD_FRAMES);
    expect(ok.result?.tracked).toBe(GOOD_FRAMES);
    const okCsv = parseCsv(await jobCsv(page, 'good.mp4'));
    expect(okCsv.rows).toHaveLength(GOOD_FRAMES);
    expect(okCsv.rows.every((r) => r.success === '1')).toBe(true);
    expect(auColumns(okCsv.header)).toHaveLength(35);

    // 4 GB: streamed, not read whole. It is the good clip plus padding, so it gives the same CSV.
    const huge = jobNamed(jobs, 'huge.mp4');
    expect(huge.sizeBytes).toBeGreaterThan(HUGE_PADDING);
    expect(hugeFirstFrameMs).not.toBeNull();
    expect(hugeFirstFrameMs!).toBeLessThan(30_000);
    expect(hugeEndedMs!).toBeLessThan(60_000);
    if (maxHeap > 0) expect(maxHeap).toBeLessThan(256 * MiB);
    // the renderer (page, workers, WASM) grows by a few hundred MB for the whole batch; reading the 4 GB file whole would add 4 GB
    if (rssBefore !== null) expect(maxRss - rssBefore).toBeLessThan(1024 * MiB);
    if (huge.state === 'done') {
      expect(huge.result?.frames).toBe(GOOD_FRAMES);
      expect(await jobCsv(page, 'huge.mp4')).toBe(await jobCsv(page, 'good.mp4'));
    } else {
      expect(huge.state).toBe('failed');
      expect(huge.message).toMatch(/^huge\.mp4: /);
    }

    expect(foreignRequests(recorded.requests, baseUrl)).toEqual([]);
    expect(recorded.consoleErrors).toEqual([]);
  });

  test('a wrong folder as the OpenFace models: the validator names the missing file, the imported folder stays in use', async () => {
    const page = recorded.page;
    const before = await page.evaluate(() => window.__splitface!.models().openface);
    expect(before).not.toBeNull();
    const stateBefore = await openFaceDbState(page);

    // a folder of videos, and one shaped like the models but holding junk
    const junk = join(clips.dir, 'junk-models');
    mkdirSync(join(junk, 'AU_predictors'), { recursive: true });
    mkdirSync(join(junk, 'model'), { recursive: true });
    writeFileSync(join(junk, 'AU_predictors', 'AU_all_best.txt'), 'not a model list\n');
    writeFileSync(join(junk, 'model', 'main_clnf_general.txt'), 'junk\n');
    const wrong = [
      // no AU_predictors/ or model/ at all: the first file the loaders need is named as missing
      { folder: sharedPath('videos'), message: /^videos: not an OpenFace model folder: AU_predictors\/AU_all_best\.txt is missing \(choose the folder that holds AU_predictors\/ and model\// },
      // the right layout, junk inside: the damaged file and line are named
      { folder: junk, message: /^junk-models\/AU_predictors\/AU_all_best\.txt, line 1: / },
    ];
    for (const { folder, message: expected } of wrong) {
      await page.getByTestId('openface-folder-input').setInputFiles(folder);
      const error = page.getByTestId('model-error');
      await error.waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid="model-status"]')?.textContent?.includes('Checking'), undefined, { timeout: 30_000 });
      const message = (await error.textContent())?.trim() ?? '';
      expect(message).toMatch(expected);
      const hook = await page.evaluate(() => window.__splitface!.models());
      expect(hook.error).toBe(message);
      expect(hook.openface).toEqual(before);
      expect(await page.getByTestId('model-status').getAttribute('data-imported')).toBe('true');
      expect(await page.getByTestId('model-status').textContent()).toContain(before!.name);
    }
    const stateAfter = await openFaceDbState(page);
    expect(openFaceDbProblem(stateAfter)).toBeNull();
    expect(stateAfter.current).toBe(stateBefore.current);

    // a batch still runs, with the AU models of the folder kept
    const again = goodCopy('good-after-wrong-folder.mp4');
    const count = (await page.evaluate(() => window.__splitface!.jobs())).length + 1;
    await addVideos(page, [again]);
    const jobs = await waitForJobs(page, count, 120_000);
    const job = jobNamed(jobs, 'good-after-wrong-folder.mp4');
    expect(job.state, job.message ?? '').toBe('done');
    expect(job.result?.auColumns?.intensityNames.length).toBeGreaterThan(0);
    expect(job.result?.tracked).toBe(GOOD_FRAMES);
    // the same models as before: the same CSV as the first batch's copy of this clip (when that ran)
    const earlier = await page.evaluate(() => window.__splitface!.csv('good.mp4'));
    if (earlier !== null) expect(await jobCsv(page, 'good-after-wrong-folder.mp4')).toBe(earlier);
    expect(recorded.consoleErrors).toEqual([]);
  });

  test('cancelling mid-run keeps the frames computed: NAME.partial.csv, the row says cancelled', async () => {
    const page = recorded.page;
    await addVideos(page, [LAB]);
    const name = 'lab_640x480_h264.mp4';
    await page.waitForFunction((n) => (window.__splitface?.jobs() ?? []).some((j) => j.name === n && j.state === 'processing' && j.framesDone >= 20), name, { timeout: 60_000 });
    await row(page, name).getByTestId('cancel-job').click();
    await page.waitForFunction((n) => window.__splitface?.jobs().find((j) => j.name === n)?.state === 'cancelled', name, { timeout: 30_000 });
    const job = jobNamed(await page.evaluate(() => window.__splitface!.jobs()), name);
    await expectRowShows(page, job);
    expect(job.result?.partial).toBe(true);
    const frames = job.result!.frames;
    expect(frames).toBeGreaterThanOrEqual(20);
    expect(frames).toBeLessThan(LAB_FRAMES);
    expect(job.framesTotal).toBe(LAB_FRAMES);
    expect(job.message).toBe(`Cancelled after ${frames} frames; they are kept as a partial result.`);
    expect(job.csvName).toBe('lab_640x480_h264.partial.csv');
    expect(await row(page, name).getByTestId('job-progress').textContent()).toBe(`${frames} of ${LAB_FRAMES} frames`);

    const [download] = await Promise.all([page.waitForEvent('download') as Promise<Download>, row(page, name).getByTestId('download-csv').click()]);
    expect(download.suggestedFilename()).toBe('lab_640x480_h264.partial.csv');
    const saved = join(clips.dir, 'downloaded.partial.csv');
    await download.saveAs(saved);
    const csv = parseCsv(readFileSync(saved, 'utf8'));
    expect(csv.rows).toHaveLength(frames);
    expect(csv.rows.map((r) => Number(r.frame))).toEqual(Array.from({ length: frames }, (_, i) => i + 1));
    expect(auColumns(csv.header)).toHaveLength(35);
    expect(recorded.consoleErrors).toEqual([]);
  });

  test('reloading the tab mid-run: the stored folder is still listed and usable, nothing corrupt is left', async () => {
    const page = recorded.page;
    const before = await page.evaluate(() => window.__splitface!.models().openface);
    const stateBefore = await openFaceDbState(page);
    await addVideos(page, [LAB]);
    await page.waitForFunction(() => {
      const last = window.__splitface?.jobs().at(-1);
      return last?.name === 'lab_640x480_h264.mp4' && last.state === 'processing' && last.framesDone >= 10;
    }, undefined, { timeout: 60_000 });
    // the app asks before leaving while a video runs (tests/e2e/persistence.e2e.ts): leave
    page.once('dialog', (dialog) => void dialog.accept());
    await page.reload();
    await waitForModels(page);

    const models = await page.evaluate(() => window.__splitface!.models());
    expect(models.openface).toEqual(before);
    expect(models.error).toBe('');
    // finished results come back after a reload (issue #15.2); the interrupted run does not
    const restored = await page.evaluate(() => window.__splitface!.jobs());
    expect(restored.filter((j) => !['done', 'failed', 'cancelled'].includes(j.state))).toEqual([]);
    const state = await openFaceDbState(page);
    expect(openFaceDbProblem(state)).toBeNull();
    expect(state.current).toBe(stateBefore.current);

    await addVideos(page, [goodCopy('good-after-reload.mp4')]);
    const job = (await waitForJobs(page, restored.length + 1, 120_000)).find((j) => j.name === 'good-after-reload.mp4');
    expect(job?.state, job?.message ?? '').toBe('done');
    expect(job?.result?.tracked).toBe(GOOD_FRAMES);
    expect(auColumns(parseCsv(await jobCsv(page, 'good-after-reload.mp4')).header)).toHaveLength(35);
    expect(recorded.consoleErrors).toEqual([]);
  });

  test('reloading the tab in the middle of an OpenFace folder import: the old folder or the new one, never a broken one', async () => {
    const page = recorded.page;
    const stateBefore = await openFaceDbState(page);
    expect(stateBefore.current).not.toBeNull();
    await reloadDuringImport(page);

    const models = await page.evaluate(() => window.__splitface!.models());
    expect(models.openface).not.toBeNull();
    expect(models.error).toBe('');
    const state = await openFaceDbState(page);
    expect(openFaceDbProblem(state)).toBeNull();
    expect(state.current).not.toBeNull();

    const restored = (await page.evaluate(() => window.__splitface!.jobs())).length; // finished results kept across the reload
    await addVideos(page, [goodCopy('good-after-import-reload.mp4')]);
    const job = (await waitForJobs(page, restored + 1, 120_000)).find((j) => j.name === 'good-after-import-reload.mp4');
    expect(job?.state, job?.message ?? '').toBe('done');
    expect(auColumns(parseCsv(await jobCsv(page, 'good-after-import-reload.mp4')).header)).toHaveLength(35);
    expect(recorded.consoleErrors).toEqual([]);
  });

  test('reloading in the middle of the first import (fresh browser profile): no folder or the whole one, and a run works', async () => {
    const fresh = await launchBrowser(baseUrl);
    try {
      const opened = await fresh.open('/');
      const page = opened.page;
      await waitForModels(page);
      expect(await page.evaluate(() => window.__splitface!.models().openface)).toBeNull();
      await reloadDuringImport(page);

      const models = await page.evaluate(() => window.__splitface!.models());
      expect(models.error).toBe('');
      const state = await openFaceDbState(page);
      expect(openFaceDbProblem(state)).toBeNull();
      expect(state.current === null).toBe(models.openface === null);

      await addVideos(page, [goodCopy('good-fresh-profile.mp4')]);
      const [job] = await waitForJobs(page, 1, 120_000);
      expect(job?.state, job?.message ?? '').toBe('done');
      expect(job?.result?.tracked).toBe(GOOD_FRAMES);
      const header = parseCsv(await jobCsv(page, 'good-fresh-profile.mp4')).header;
      // without a folder the CSV has landmarks only
      expect(auColumns(header)).toHaveLength(models.openface ? 35 : 0);
      expect(opened.consoleErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
