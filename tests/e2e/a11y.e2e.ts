/**
 * Issue #15, point 9: an automated accessibility audit (axe-core, WCAG 2.x
 * A and AA rules) on the empty page, mid-run and on the results view, with
 * no serious or critical violation; the batch started from the keyboard
 * alone; every control reachable with Tab; the chart's values readable as
 * a table.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { FileChooser, Page } from 'playwright-core';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { importOpenFaceFolder, waitForJobs } from './helpers/appDriver.ts';
import { foreignRequests, launchBrowser, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { audit, serious } from './helpers/axe.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
/** Presses Tab until `predicate` holds for the focused element, at most `limit` times; returns the presses. */
async function tabUntil(page: Page, predicate: string, limit = 80): Promise<number> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((p) => new Function('el', `return ${p}`)(document.activeElement) as boolean, predicate)) return presses;
  }
  throw new Error(`no element with ${predicate} within ${limit} Tab presses`);
}

describe.skipIf(skip !== null)(suiteTitle('accessibility: axe-core audits and the keyboard', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;
  let clip: string;

  beforeAll(async () => {
    clips = clipFolder();
    clip = clips.encode('keyboard.mp4', sharedPath('videos/lab_640x480_h264.mp4'), 240, H264_MP4);
    browser = await launchBrowser(baseUrl);
    recorded = await browser.open('/');
    await recorded.page.setViewportSize({ width: 1280, height: 900 });
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('the empty page has no serious or critical violation', async () => {
    const page = recorded.page;
    await page.waitForFunction(() => (window.__splitface?.models().computePath ?? null) !== null, undefined, { timeout: 120_000 });
    const violations = await audit(page);
    console.log(`empty page: ${violations.length} axe violation(s) in all: ${violations.map((v) => `${v.id} (${v.impact})`).join(', ') || 'none'}`);
    expect(serious(violations)).toEqual([]);
  });

  test('every control is reachable with Tab', async () => {
    const page = recorded.page;
    await page.locator('body').focus();
    const wanted = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('button:not([disabled]), a[href], input:not([disabled]), summary, select, textarea'))
        .filter((el) => el.tabIndex >= 0 && el.getClientRects().length > 0)
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    const reached = new Set<string>();
    for (let i = 0; i < wanted.length + 10; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80) ?? ''));
    }
    expect(wanted.filter((w) => !reached.has(w))).toEqual([]);
  });

  test('a batch starts from the keyboard alone, and the page mid-run has no serious violation', async () => {
    const page = recorded.page;
    await importOpenFaceFolder(page, openfaceModelsPath());
    await page.locator('body').focus();
    await tabUntil(page, "el?.dataset?.testid === 'video-input'");
    const [chooser] = await Promise.all([page.waitForEvent('filechooser') as Promise<FileChooser>, page.keyboard.press('Space')]);
    await chooser.setFiles(clip);
    await page.waitForFunction(() => (window.__splitface?.jobs() ?? []).some((j) => j.state === 'processing' && j.framesDone > 30), undefined, { timeout: 120_000 });
    const violations = await audit(page);
    console.log(`mid-run: ${violations.length} axe violation(s) in all: ${violations.map((v) => `${v.id} (${v.impact})`).join(', ') || 'none'}`);
    expect(serious(violations)).toEqual([]);
    const [job] = await waitForJobs(page, 1);
    expect(job?.state, job?.message ?? '').toBe('done');
  });

  test('the results view has no serious violation, and its chart reads as a table from the keyboard', async () => {
    const page = recorded.page;
    await page.getByTestId('au-chart').waitFor();
    const violations = await audit(page);
    console.log(`results: ${violations.length} axe violation(s) in all: ${violations.map((v) => `${v.id} (${v.impact})`).join(', ') || 'none'}`);
    expect(serious(violations)).toEqual([]);

    await page.locator('body').focus();
    await tabUntil(page, "el?.tagName === 'SUMMARY' && el.closest('[data-testid=\"au-chart-table\"]') !== null");
    await page.keyboard.press('Enter');
    const table = page.getByTestId('au-chart-table').locator('table');
    await table.waitFor();
    const headers = await table.locator('thead th').allTextContents();
    expect(headers[0]).toBe('Time (s)');
    expect(headers.length).toBeGreaterThan(1);
    const rows = await table.locator('tbody tr').count();
    expect(rows).toBe(8); // 240 frames at 30 fps: eight one-second rows
    const firstRow = await table.locator('tbody tr').first().locator('td').allTextContents();
    for (const cell of firstRow) expect(cell).toMatch(/^\d\.\d\d$|^—$/);
    // an open table is audited too
    expect(serious(await audit(page))).toEqual([]);
    expect(foreignRequests(recorded.requests, baseUrl)).toEqual([]);
    expect(recorded.consoleErrors).toEqual([]);
  });
});
