/**
 * One Chromium per test file (system binary, fresh temporary profile) and
 * pages that record what they do: every network request (the app must
 * fetch nothing from anywhere but its own origin) and every console error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumExecutable } from '../../../playwright.config.ts';

export interface RecordedPage {
  readonly page: Page;
  /** every request URL the page and its workers made, in order */
  readonly requests: string[];
  /** console errors and uncaught exceptions */
  readonly consoleErrors: string[];
}

export interface E2EBrowser {
  /** opens `path` (e.g. '/tests/e2e/pages/decode.html') on the preview server */
  open(path: string): Promise<RecordedPage>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * 'block' keeps the app's service worker out: the benchmark needs each closed
   * page's renderer to exit, and a registered service worker keeps it alive.
   */
  readonly serviceWorkers?: 'allow' | 'block';
}

export async function launchBrowser(baseUrl: string, options: LaunchOptions = {}): Promise<E2EBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'splitface-e2e-profile-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumExecutable,
    headless: true,
    args: [...chromiumArgs],
    serviceWorkers: options.serviceWorkers ?? 'allow',
  });
  const recorders = new Map<Page, string[]>();
  // Context-wide, so requests from dedicated workers (ffmpeg.wasm's core) and the service worker are seen too.
  context.on('request', (request) => {
    // a service worker's requests have no frame (frame() throws): they count for every page
    const page = request.serviceWorker() ? null : (request.frame()?.page() ?? null);
    const target = page ? recorders.get(page) : undefined;
    if (target) target.push(request.url());
    else for (const list of recorders.values()) list.push(request.url());
  });
  return {
    async open(path) {
      const page = await context.newPage();
      const requests: string[] = [];
      const consoleErrors: string[] = [];
      recorders.set(page, requests);
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
      page.on('close', () => recorders.delete(page));
      await page.goto(new URL(path, baseUrl).href);
      return { page, requests, consoleErrors };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The requests that went anywhere but `baseUrl`'s origin (blob: and data: URLs of the page itself are local). */
export function foreignRequests(requests: readonly string[], baseUrl: string): string[] {
  const origin = new URL(baseUrl).origin;
  return requests.filter((url) => {
    if (url.startsWith('data:')) return false;
    if (url.startsWith('blob:')) return !url.startsWith(`blob:${origin}/`);
    return new URL(url).origin !== origin;
  });
}
