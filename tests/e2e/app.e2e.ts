/**
 * The app's start page as served by vite preview: the security headers
 * (cross-origin isolation, the Content-Security-Policy), the same policy as
 * a <meta> tag for hosts that cannot set headers, no request to another
 * origin, no console error.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { contentSecurityPolicy } from '../../vite.config.ts';
import { foreignRequests, launchBrowser, type E2EBrowser } from './helpers/browser.ts';

const baseUrl = inject('baseUrl');
let browser: E2EBrowser;

describe('the built app', () => {
  beforeAll(async () => {
    browser = await launchBrowser(baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('is served isolated and under the CSP, loads only from its own origin, logs no error', async () => {
    const response = await fetch(baseUrl);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(contentSecurityPolicy).toContain("connect-src 'self'");
    expect(contentSecurityPolicy).not.toMatch(/https?:/);

    const { page, requests, consoleErrors } = await browser.open('/');
    await page.waitForLoadState('networkidle');
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(contentSecurityPolicy);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(foreignRequests(requests, baseUrl)).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
