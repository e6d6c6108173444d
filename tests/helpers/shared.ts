import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

/** The read-only test data folder that sits beside the repository (../shared). */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** The OpenFace 2.2 model folder and 2.2's outputs on every shared video: the target SplitFace reproduces. */
export const OPENFACE_DIR = 'openface-2.2';
export const REFERENCE_DIR = 'reference-2.2';

export const hasShared = existsSync(`${SHARED_DIR}${REFERENCE_DIR}`) && existsSync(`${SHARED_DIR}${OPENFACE_DIR}`);
export const SKIP_NO_SHARED = 'needs ../shared (OpenFace models, videos and reference outputs), which is not present';

export const hasFfmpeg = !spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error;
export const SKIP_NO_FFMPEG = 'needs the system ffmpeg (apt-get install ffmpeg)';

export function sharedPath(relative: string): string {
  return `${SHARED_DIR}${relative}`;
}

/** The OpenFace 2.2 model folder in ../shared. */
export function openfaceModelsPath(): string {
  return sharedPath(OPENFACE_DIR);
}

/** OpenFace 2.2's CSV (10 significant digits) for a shared video, by name without extension. */
export function referenceCsvPath(name: string): string {
  return sharedPath(`${REFERENCE_DIR}/${name}.csv`);
}

/** A suite title that says why it was skipped, when it is. */
export function suiteTitle(name: string, skipReason: string | null): string {
  return skipReason ? `${name} (skipped: ${skipReason})` : name;
}

/** Why a suite needing ../shared (and optionally ffmpeg) cannot run here, or null. */
export function sharedSkipReason(needsFfmpeg = false): string | null {
  if (!hasShared) return SKIP_NO_SHARED;
  if (needsFfmpeg && !hasFfmpeg) return SKIP_NO_FFMPEG;
  return null;
}
