import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

/** The read-only test data folder that sits beside the repository (../shared). */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));

export const hasShared = existsSync(`${SHARED_DIR}reference`) && existsSync(`${SHARED_DIR}openface`);
export const SKIP_NO_SHARED = 'needs ../shared (OpenFace models, videos and reference outputs), which is not present';

export const hasFfmpeg = !spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error;
export const SKIP_NO_FFMPEG = 'needs the system ffmpeg (apt-get install ffmpeg)';

export function sharedPath(relative: string): string {
  return `${SHARED_DIR}${relative}`;
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
