/**
 * Issue #15, point 5: the page works from 360 px wide up (phones, a portrait
 * tablet). At 360, 390 and 768 px, mid-run and with the results view open:
 * no horizontal overflow (the page never scrolls sideways, no element sticks
 * out), job names readable, buttons whole. Takes the README's phone and
 * tablet screenshots (docs/screenshots/).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Page } from 'playwright-core';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, openAppWithOpenFace, waitForJobs } from './helpers/appDriver.ts';
import type { E2EBrowser, RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const WIDTHS = [360, 390, 768] as const;
const LONG_NAME = 'patient_0417_session_2_smile_and_frown_left_side.mp4';

/** What sticks out of the viewport sideways: the page's own scroll width and the elements past the right edge. */
async function overflow(page: Page): Promise<{ scrollWidth: number; viewport: number; outside: string[] }> {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const outside: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      // inside a scroll box (the provenance JSON, a wide table's wrapper) overflow is the box's business
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) {
          const box = p.getBoundingClientRect();
          if (box.right <= viewport + 0.5) clipped = true;
          break;
        }
      }
      // text wider than its box (a long file name that cannot wrap) overflows without moving the box
      const textRight = getComputedStyle(el).overflowX === 'visible' ? r.left + el.scrollWidth : r.right;
      if (!clipped && (Math.max(r.right, textRight) > viewport + 0.5 || r.left < -0.5)) {
        outside.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, viewport, outside: outside.slice(0, 12) };
  });
}

/** Every visible button or button-like link lies wholly inside the viewport. */
async function cutButtons(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll<HTMLElement>('button, a.btn, label.btn'))
      .filter((el) => el.getClientRects().length > 0 && !el.closest('.visually-hidden'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.left < -0.5 || r.right > viewport + 0.5 || el.scrollWidth > el.clientWidth + 1;
      })
      .map((el) => el.textContent?.trim() ?? '');
  });
}

describe.skipIf(skip !== null)(suiteTitle('layout from 360 px up', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    clips = clipFolder();
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 390, height: 844 }, openfaceModelsPath()));
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('mid-run at 390 px: nothing overflows, the job name and the progress line stay readable', async () => {
    const page = recorded.page;
    const lab = sharedPath('videos/lab_640x480_h264.mp4');
    await addVideos(page, [clips.encode(LONG_NAME, lab, 150, H264_MP4), clips.encode('short.mp4', lab, 60, H264_MP4)]);
    await page.waitForFunction(() => (window.__splitface?.jobs() ?? []).some((j) => j.state === 'processing' && j.framesDone > 20), undefined, { timeout: 120_000 });
    await page.screenshot({ path: join(SHOTS, 'phone-390-running.png') });
    const o = await overflow(page);
    expect(o.outside, o.outside.join('\n')).toEqual([]);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.viewport);
    expect(await cutButtons(page)).toEqual([]);
    const name = page.locator(`[data-testid="job-row"][data-name="${LONG_NAME}"] .name`);
    // the name shows at least its first 20 characters' worth of width, and the progress line is not a word per line
    expect((await name.boundingBox())!.width).toBeGreaterThan(150);
    const progress = page.locator(`[data-testid="job-row"][data-name="${LONG_NAME}"] [data-testid="job-progress"]`);
    const lineHeight = await progress.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 18);
    expect((await progress.boundingBox())!.height).toBeLessThanOrEqual(2.2 * lineHeight);
    for (const job of await waitForJobs(page, 2)) expect(job.state, `${job.name}: ${job.message}`).toBe('done');
  });

  for (const width of WIDTHS) {
    test(`results view at ${width} px: no horizontal overflow, buttons whole`, async () => {
      const page = recorded.page;
      await page.setViewportSize({ width, height: width < 700 ? 844 : 1024 });
      await page.locator(`[data-testid="job-row"][data-name="${LONG_NAME}"]`).getByTestId('show-results').click();
      await page.getByTestId('au-chart').waitFor();
      await page.waitForTimeout(300); // the chart follows its box's width
      await page.screenshot({ path: join(SHOTS, `results-${width}.png`), fullPage: true });
      const o = await overflow(page);
      expect(o.outside, o.outside.join('\n')).toEqual([]);
      expect(o.scrollWidth).toBeLessThanOrEqual(o.viewport);
      expect(await cutButtons(page)).toEqual([]);
    });
  }
});
