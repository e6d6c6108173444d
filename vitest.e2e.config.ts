import { defineConfig } from 'vitest/config';

/**
 * `npm run e2e`: the browser tests. The global setup builds the app with
 * its test pages (scripts/bench/serveApp.ts) and serves it with vite preview on
 * a free localhost port; each test file drives the system Chromium through
 * playwright-core. One file at a time: CI has two cores, and Chromium's
 * decoders and ffmpeg.wasm each want one.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['tests/e2e/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default', './tests/summaryReporter.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
