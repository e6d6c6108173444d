/**
 * Builds the app plus its e2e test pages and serves them with vite preview
 * (same headers as production: COOP/COEP and the CSP) on a free localhost
 * port, for the whole e2e run. Tests read the address with inject('baseUrl').
 */
import type { TestProject } from 'vitest/node';
import { buildAndServe } from '../../scripts/bench/serveApp.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const app = await buildAndServe({
    input: { main: 'index.html', decode: 'tests/e2e/pages/decode.html' },
    tempPrefix: 'splitface-e2e-build-',
  });
  console.log(`e2e: built and serving ${app.baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('baseUrl', app.baseUrl);
  return () => app.close();
}
