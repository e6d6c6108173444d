/**
 * Issue #15, point 8: after one visit the app opens and analyses a video
 * with the network cut. The page says when it is ready for offline use (the
 * service worker stored every file of the precache manifest); then the
 * browser goes offline, the page reloads from the service worker (still
 * cross-origin isolated: the stored responses keep their headers), and a
 * clip is processed with the OpenFace folder kept in IndexedDB.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, importOpenFaceFolder, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import { launchBrowser, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { parseCsv } from './helpers/csvRows.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

describe.skipIf(skip !== null)(suiteTitle('offline after the first visit', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;

  beforeAll(async () => {
    clips = clipFolder();
    browser = await launchBrowser(baseUrl);
    recorded = await browser.open('/');
  });

  afterAll(async () => {
    await recorded?.page.context().setOffline(false);
    await browser?.close();
    clips?.remove();
  });

  test('the page says when it is ready for offline use', async () => {
    const status = recorded.page.getByTestId('offline-status');
    const deadline = Date.now() + 120_000;
    let state = '';
    while (Date.now() < deadline && !['ready', 'failed'].includes(state)) {
      await recorded.page.waitForTimeout(500);
      state = (await status.getAttribute('data-state')) ?? '';
    }
    const registration = await recorded.page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      return `installing ${r?.installing?.state}, waiting ${r?.waiting?.state}, active ${r?.active?.state}, caches ${(await caches.keys()).join(' ')}`;
    });
    expect(state, `${await status.textContent()} (${registration})`).toBe('ready');
    expect(await status.textContent()).toMatch(/Ready for offline use/);
  });

  test('with the network cut it reloads, stays isolated and processes a clip', async () => {
    const page = recorded.page;
    await importOpenFaceFolder(page, openfaceModelsPath());
    const clip = clips.encode('offline.mp4', sharedPath('videos/lab_640x480_h264.mp4'), 90, H264_MP4);
    await page.context().setOffline(true);
    // the network is really gone: a request the service worker does not answer fails
    expect(await page.evaluate(() => fetch('/not-stored-anywhere.txt').then(() => 'reached', () => 'failed'))).toBe('failed');
    await page.reload();
    await page.waitForFunction(() => (window.__splitface?.models().computePath ?? null) !== null, undefined, { timeout: 120_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-testid="offline-status"]')?.getAttribute('data-state') === 'ready', undefined, { timeout: 30_000 });
    const models = await page.evaluate(() => window.__splitface!.models());
    expect(models.openface).not.toBeNull();
    await addVideos(page, [clip]);
    const [job] = await waitForJobs(page, 1);
    expect(job?.state, job?.message ?? '').toBe('done');
    expect(job?.result?.tracked).toBe(90);
    const csv = parseCsv(await jobCsv(page, 'offline.mp4'));
    expect(csv.rows).toHaveLength(90);
    expect(csv.header).toContain('AU12_r');
  });
});
