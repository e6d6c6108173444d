/**
 * How the e2e tests start the browser: the system's Debian Chromium
 * (never a browser download), headless, with nothing that phones home, in
 * a fresh profile per run. Shared by tests/e2e/helpers/browser.ts; the
 * runner itself is vitest (vitest.e2e.config.ts): @playwright/test is not a
 * dependency.
 */
export const chromiumExecutable = process.env.SPLITFACE_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
