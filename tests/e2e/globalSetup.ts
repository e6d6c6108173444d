/**
 * Builds the app (vite.config.ts) plus its e2e test pages into a temporary folder and
 * serves it with vite preview (same headers as production: COOP/COEP and
 * the CSP) on a free localhost port, for the whole e2e run. Tests read the
 * address with inject('baseUrl').
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = mkdtempSync(join(tmpdir(), 'splitface-e2e-build-'));
  const started = Date.now();
  // The app's own build (vite.config.ts) plus the test pages as extra inputs.
  const input = { main: 'index.html', decode: 'tests/e2e/pages/decode.html' };
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, rolldownOptions: { input } } });
  const port = await freePort();
  const server: PreviewServer = await preview({ logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  const baseUrl = `http://127.0.0.1:${port}`;
  console.log(`e2e: built and serving ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('baseUrl', baseUrl);
  return async () => {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  };
}
