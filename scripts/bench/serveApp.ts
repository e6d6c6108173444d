/**
 * Builds the app (vite.config.ts) into a temporary folder and serves it with
 * vite preview on a free localhost port: the production bundle under the
 * production headers (COOP/COEP, so the page is cross-origin isolated, and
 * the CSP), not the dev server's unbundled modules. Used by the browser
 * benchmark; the e2e global setup (tests/e2e/globalSetup.ts) does the same
 * with its test pages added as extra inputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

/** The project root: vite finds vite.config.ts and index.html there whatever the caller's cwd. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServedApp {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** stops the server and deletes the build */
  close(): Promise<void>;
}

export interface ServeOptions {
  /** rolldown inputs, relative to the project root; default: the app's index.html alone */
  readonly input?: Readonly<Record<string, string>>;
  /** prefix for the temporary build folder's name */
  readonly tempPrefix?: string;
}

/** A port nobody listens on right now (the OS picks it; preview then binds it with strictPort). */
export function freePort(): Promise<number> {
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

export async function buildAndServe(options: ServeOptions = {}): Promise<ServedApp> {
  const outDir = mkdtempSync(join(tmpdir(), options.tempPrefix ?? 'splitface-build-'));
  try {
    const input = options.input ?? { main: 'index.html' };
    await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true, rolldownOptions: { input: { ...input } } } });
    const port = await freePort();
    const server = await preview({ root: ROOT, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      async close() {
        await server.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}
