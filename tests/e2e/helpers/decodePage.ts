/**
 * Runs the decode test page (pages/decode.ts) on local files and checks
 * what every e2e page must satisfy: nothing fetched from another origin, no
 * console error, cross-origin isolation on.
 */
import { expect } from 'vitest';
import type { DecodeReport, DecodeRequest } from '../pages/decodeApi.ts';
import { foreignRequests, type E2EBrowser } from './browser.ts';

export async function decodeInPage(browser: E2EBrowser, baseUrl: string, paths: string[], request: DecodeRequest = {}): Promise<DecodeReport> {
  const { page, requests, consoleErrors } = await browser.open('/tests/e2e/pages/decode.html');
  try {
    await page.setInputFiles('#files', paths);
    const report = await page.evaluate((r) => {
      if (!window.splitfaceE2E) throw new Error('decode page not loaded');
      return window.splitfaceE2E.decode(r);
    }, request);
    expect(foreignRequests(requests, baseUrl)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(report.crossOriginIsolated).toBe(true);
    return report;
  } finally {
    await page.close();
  }
}
