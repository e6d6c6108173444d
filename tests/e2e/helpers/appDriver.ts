/**
 * Drives the real app page the way a user does: the OpenFace folder through
 * its folder input, videos through the file input, then waits on the batch
 * rows. Reads results through the read-only test hook (src/app/testHook.ts).
 * Shared by the e2e tests and the browser benchmark (scripts/bench.ts).
 */
import type { Page } from 'playwright-core';
import { launchBrowser, type E2EBrowser, type RecordedPage } from './browser.ts';
import type { JobSnapshot } from '../../../src/app/batch/controller.svelte.ts';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** Feeds a folder to the hidden `<input webkitdirectory>` (what a user's folder pick gives the page). */
export async function importOpenFaceFolder(page: Page, folder: string): Promise<void> {
  const input = page.getByTestId('openface-folder-input');
  // setInputFiles with a directory gives webkitRelativePath = <folder name>/<path>, as Chromium does for a pick.
  await input.setInputFiles(folder);
  await page.waitForFunction(() => {
    const models = window.__splitface?.models();
    return !!models && (models.openface !== null || models.error !== '') && models.computePath !== null;
  }, undefined, { timeout: 120_000 });
  const models = await page.evaluate(() => window.__splitface!.models());
  if (!models.openface) throw new Error(`the OpenFace folder was not imported: ${models.error || models.engineError}`);
}

/** A fresh browser on the app's page at `viewport`, with the OpenFace folder imported: most app tests start here. */
export async function openAppWithOpenFace(baseUrl: string, viewport: { width: number; height: number }, folder: string): Promise<{ browser: E2EBrowser; recorded: RecordedPage }> {
  const browser = await launchBrowser(baseUrl);
  const recorded = await browser.open('/');
  await recorded.page.setViewportSize(viewport);
  await importOpenFaceFolder(recorded.page, folder);
  return { browser, recorded };
}

export async function addVideos(page: Page, paths: readonly string[]): Promise<void> {
  await page.getByTestId('video-input').setInputFiles([...paths]);
}

/** Waits until every job has ended (done, failed, cancelled) and returns them. */
export async function waitForJobs(page: Page, count: number, timeoutMs = 600_000): Promise<JobSnapshot[]> {
  await page.waitForFunction(
    ([n, terminal]) => {
      const jobs = window.__splitface?.jobs() ?? [];
      return jobs.length >= n && jobs.every((j) => (terminal as string[]).includes(j.state));
    },
    [count, [...TERMINAL]] as const,
    { timeout: timeoutMs, polling: 250 },
  );
  return page.evaluate(() => window.__splitface!.jobs());
}

export async function jobCsv(page: Page, name: string): Promise<string> {
  const csv = await page.evaluate((n) => window.__splitface!.csv(n), name);
  if (csv === null) throw new Error(`no CSV for ${name}`);
  return csv;
}
