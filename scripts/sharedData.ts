/**
 * Where the scripts find ../shared: the videos, OpenFace 2.2's model folder
 * and its outputs on every video (the target SplitFace reproduces), and the
 * speed OpenFace 2.2 itself measured on this machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
export const OPENFACE_MODELS = join(SHARED, 'openface-2.2');
export const REFERENCE = join(SHARED, 'reference-2.2');

export const hasSharedData = existsSync(REFERENCE) && existsSync(OPENFACE_MODELS);

/** OpenFace 2.2's CSV for a video, by name without extension. */
export function referenceCsv(name: string): string {
  return join(REFERENCE, `${name}.csv`);
}

/**
 * OpenFace 2.2's own fps on a video, as reference-2.2/README.txt's speed
 * table gives it (a range over two runs, e.g. "23-32"), or null when the
 * table does not list it.
 */
export function openFaceFps(video: string): string | null {
  const readme = join(REFERENCE, 'README.txt');
  if (!existsSync(readme)) return null;
  for (const line of readFileSync(readme, 'utf8').split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (cells[0] === video && /^\d+-\d+$/.test(cells[cells.length - 1])) return cells[cells.length - 1];
  }
  return null;
}
