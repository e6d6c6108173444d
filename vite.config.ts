/// <reference types="vitest/config" />
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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

/** Files the service worker does not store ahead: source maps, other pages (the e2e harness's), text, itself. */
const NOT_PRECACHED = /\.map$|\.md$|^sw\.js$|^precache-manifest\.json$|(^|\/)(?!index\.html$)[^/]*\.html$|asyncify/;

function filesUnder(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, root) : [relative(root, path).split('\\').join('/')];
  });
}

/**
 * Writes precache-manifest.json next to the build: every file the offline
 * app needs (the bundle's chunks and assets, including the WebAssembly, and
 * public/, including the detection models) and a version that changes when
 * any of them does. public/sw.js stores them at install (see there).
 */
function precacheManifest(): Plugin {
  let publicDir = '';
  return {
    name: 'splitface-precache-manifest',
    apply: 'build',
    // after vite's own plugins, so the pages (index.html) are in the bundle
    enforce: 'post',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    generateBundle(_options, bundle) {
      const hash = createHash('sha256');
      const fromBundle = Object.keys(bundle).filter((file) => !NOT_PRECACHED.test(file));
      for (const file of fromBundle) hash.update(file); // bundle names carry their content hash
      const fromPublic = publicDir ? filesUnder(publicDir).filter((file) => !NOT_PRECACHED.test(file)) : [];
      for (const file of fromPublic) hash.update(file).update(readFileSync(join(publicDir, file)));
      const files = [...fromBundle, ...fromPublic].sort();
      const version = hash.digest('hex').slice(0, 16);
      this.emitFile({ type: 'asset', fileName: 'precache-manifest.json', source: JSON.stringify({ version, files }, null, 1) });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), cspMeta(), precacheManifest()],
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
    setupFiles: ['src/cli/relaxedSimd.ts'],
    reporters: ['default', './tests/summaryReporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
