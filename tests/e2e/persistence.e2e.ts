/**
 * Issue #15.2, as a user meets it: leaving or reloading the page while a
 * video runs asks first; finished results (CSV and JSON) are listed again
 * after a reload, with their downloads, until the user clears them; the
 * page says whether the browser granted persistent storage.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialog, Download, Page } from 'playwright-core';
import { launchBrowser, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { addVideos, importOpenFaceFolder, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { parseCsv } from './helpers/csvRows.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

const baseUrl = inject('baseUrl');
const skip = sharedSkipReason(true);
const SHORT_FRAMES = 24;

function row(page: Page, name: string) {
  return page.locator(`[data-testid="job-row"][data-name="${name}"]`);
}

async function download(page: Page, name: string, testid: 'download-csv' | 'download-json', dir: string): Promise<{ file: string; text: string }> {
  const [event] = await Promise.all([page.waitForEvent('download') as Promise<Download>, row(page, name).getByTestId(testid).click()]);
  const path = join(dir, `${testid}-${event.suggestedFilename()}`);
  await event.saveAs(path);
  return { file: event.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** The files of one OPFS folder of the app, with their sizes. */
async function opfsFiles(page: Page, folder: string): Promise<{ name: string; size: number }[]> {
  return page.evaluate(async (name) => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(name).catch(() => null);
    const files: { name: string; size: number }[] = [];
    if (!dir) return files;
    for await (const handle of (dir as FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (handle.kind === 'file') files.push({ name: handle.name, size: (await (handle as FileSystemFileHandle).getFile()).size });
    }
    return files;
  }, folder);
}

/** Waits for the app after a (re)load: the engine up and the saved results read back. */
async function waitForApp(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const models = window.__splitface?.models();
    return !!models && models.openface !== null && models.computePath !== null;
  }, undefined, { timeout: 120_000 });
  await page.getByTestId('persistence').waitFor({ timeout: 30_000 });
}

describe.skipIf(skip !== null)(suiteTitle('results survive a reload; leaving mid-run asks first', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;
  let short: string;
  let csvBefore = '';

  beforeAll(async () => {
    clips = clipFolder();
    short = clips.encode('short.mp4', sharedPath('videos/lab_640x480_h264.mp4'), SHORT_FRAMES, H264_MP4);
    browser = await launchBrowser(baseUrl);
    recorded = await browser.open('/');
    await importOpenFaceFolder(recorded.page, openfaceModelsPath());
    await addVideos(recorded.page, [short]);
    const [job] = await waitForJobs(recorded.page, 1, 180_000);
    expect(job?.state, job?.message ?? '').toBe('done');
    csvBefore = await jobCsv(recorded.page, 'short.mp4');
  });

  it('keeps a finished video on disk (OPFS), not in the page: its CSV, description and series; no rows left spilled', async () => {
    const page = recorded.page;
    await page.waitForFunction(() => document.querySelector('[data-testid="persistence"]') !== null, undefined, { timeout: 30_000 });
    const results = await opfsFiles(page, 'splitface-results');
    const csv = results.find((f) => f.name.endsWith('.csv'));
    expect(csv?.size).toBe(new TextEncoder().encode(csvBefore).length);
    const id = csv!.name.slice(0, -'.csv'.length);
    await page.waitForFunction(async (key) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('splitface-results');
      return dir.getFileHandle(`${key}.json`).then(() => true, () => false);
    }, id, { timeout: 10_000 });
    expect((await opfsFiles(page, 'splitface-results')).map((f) => f.name).sort()).toEqual([`${id}.csv`, `${id}.json`, `${id}.series`]);
    expect(await opfsFiles(page, 'splitface-spill')).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  it('says whether persistent storage was granted', async () => {
    const status = recorded.page.getByTestId('persistence');
    expect(['granted', 'not granted']).toContain(await status.getAttribute('data-state'));
    expect(await status.textContent()).toMatch(/Persistent storage (granted|not granted)/);
  });

  it('asks before a reload while a video runs, and not when nothing runs', async () => {
    const page = recorded.page;
    // browsers show the prompt only on a page the user has interacted with
    await page.locator('h1').click();
    const dialogs: string[] = [];
    const onDialog = (dialog: Dialog) => {
      dialogs.push(dialog.type());
      void dialog.accept();
    };
    page.on('dialog', onDialog);
    try {
      await page.reload();
      await waitForApp(page);
      expect(dialogs).toEqual([]); // nothing was running

      await page.locator('h1').click();
      await addVideos(page, [sharedPath('videos/lab_640x480_h264.mp4')]);
      await page.waitForFunction(() => window.__splitface!.jobs().some((j) => j.name === 'lab_640x480_h264.mp4' && j.state === 'processing' && j.framesDone >= 5), undefined, {
        timeout: 120_000,
      });
      // the running video's rows wait on disk, not in the worker's memory
      const spilled = await opfsFiles(page, 'splitface-spill');
      expect(spilled).toHaveLength(1);
      expect(spilled[0]!.size).toBeGreaterThan(0);
      await page.reload();
      expect(dialogs).toEqual(['beforeunload']);
      await waitForApp(page);
    } finally {
      page.off('dialog', onDialog);
    }
  });

  it('lists the finished result again after the reload, with its CSV and JSON downloads; the interrupted run is not kept', async () => {
    const page = recorded.page;
    await page.waitForFunction(() => window.__splitface!.jobs().some((j) => j.name === 'short.mp4'), undefined, { timeout: 30_000 });
    const jobs = await page.evaluate(() => window.__splitface!.jobs());
    expect(jobs.map((j) => [j.name, j.state, j.csvName])).toEqual([['short.mp4', 'done', 'short.csv']]);
    expect(jobs[0]!.message).toMatch(/earlier session/);
    expect(jobs[0]!.result?.frames).toBe(SHORT_FRAMES);

    const csv = await download(page, 'short.mp4', 'download-csv', clips.dir);
    expect(csv.file).toBe('short.csv');
    expect(csv.text).toBe(csvBefore);
    expect(parseCsv(csv.text).rows).toHaveLength(SHORT_FRAMES);
    const json = await download(page, 'short.mp4', 'download-json', clips.dir);
    expect(json.file).toBe('short.json');
    expect(JSON.parse(json.text)).toMatchObject({ frames: SHORT_FRAMES, partial: false });
    expect(recorded.consoleErrors).toEqual([]);
  });

  it('forgets the results once cleared', async () => {
    const page = recorded.page;
    await page.getByRole('button', { name: /clear finished/i }).click();
    expect(await page.evaluate(() => window.__splitface!.jobs())).toEqual([]);
    // the saved copy is removed in the background: give it a moment before the reload
    await page.waitForTimeout(500);
    await page.reload();
    await waitForApp(page);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => window.__splitface!.jobs())).toEqual([]);
  });
});
