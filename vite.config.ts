/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Everything the app loads comes from its own origin: code, WebAssembly
 * (onnxruntime-web, ffmpeg.wasm: 'wasm-unsafe-eval' allows compiling it, not
 * JS eval), workers and models. Nothing else may be fetched: videos never
 * leave the machine. Sent as a header by the dev and preview servers and put
 * into every built page as a <meta> tag (a production host that can should
 * send it as a header too, with the two isolation headers below).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

// Cross-origin isolation lets onnxruntime-web use WASM threads and the
// ffmpeg.wasm decoder stream frames (both need SharedArrayBuffer).
const headers = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Content-Security-Policy': contentSecurityPolicy,
};

/** The same policy as a <meta> tag in each HTML page, for hosts that cannot set headers. */
function cspMeta(): Plugin {
  return {
    name: 'splitface-csp-meta',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [svelte(), cspMeta()],
  server: { headers },
  preview: { headers },
  // ES module workers: the ffmpeg.wasm worker imports @ffmpeg/core (an ES module) at run time.
  worker: { format: 'es' },
  build: {
    rolldownOptions: {
      // (the e2e harness, tests/e2e/globalSetup.ts, adds its test pages to the inputs)
      // Error classes name themselves after their class (src/core/errors.ts:
      // new.target.name); minified names would turn "VideoInputError" into "r".
      output: { keepNames: true },
    },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['tests/helpers/relaxedSimd.ts'],
    reporters: ['default', './tests/summaryReporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
