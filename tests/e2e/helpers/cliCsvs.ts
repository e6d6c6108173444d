/**
 * The command line's CSVs for several videos from one child process
 * (cliProcessMany.ts): the model folder is read once instead of once per
 * video, which is most of a short clip's time in `splitface process`.
 * Each video goes through processVideo with the CLI's own tracker and
 * defaults (--ep wasm, stock precision), as `splitface process VIDEO
 * --openface-models DIR --out OUT.csv` runs it.
 */
import { spawn } from 'node:child_process';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openfaceModelsPath } from '../../helpers/shared.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./cliProcessMany.ts', import.meta.url));

/** Video path → the CSV the CLI wrote for it into `outDir`; rejects with the child's error output when it fails. */
export function cliCsvsOf(videos: readonly string[], outDir: string): Promise<Map<string, string>> {
  const outs = videos.map((video, i) => join(outDir, `${i}-${basename(video)}.cli.csv`));
  const args = ['--import', 'tsx', SCRIPT, openfaceModelsPath(), ...videos.flatMap((video, i) => [video, outs[i]!])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(new Map(videos.map((video, i) => [video, outs[i]!])));
      else reject(new Error(`the CLI run exited with ${code}: ${errors.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}
