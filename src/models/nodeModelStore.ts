/**
 * Reads models built by scripts/prepare-models.ts from public/models/ (Node),
 * checking each file against the manifest's sha256.
 */
import { SplitFaceError } from '../core/errors.ts';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelFileEntry, ModelManifest } from './manifest.ts';
import { MODEL_MANIFEST_FILE } from './manifest.ts';

export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../public/models/', import.meta.url));

/** The prepared models (public/models) are missing or altered: a one-line message for the user. */
export class ModelFileError extends SplitFaceError {}

export function readModelManifest(dir: string = DEFAULT_MODEL_DIR): ModelManifest {
  const path = `${dir}/${MODEL_MANIFEST_FILE}`;
  if (!existsSync(path)) throw new ModelFileError(`${path} is missing: run npm run models`);
  return JSON.parse(readFileSync(path, 'utf8')) as ModelManifest;
}

/** Bytes of one model file plus its manifest entry; fails on a missing or altered file. */
export function readModelFile(file: string, dir: string = DEFAULT_MODEL_DIR): { bytes: Uint8Array; entry: ModelFileEntry } {
  const entry = readModelManifest(dir).models.find((m) => m.file === file);
  if (!entry) throw new ModelFileError(`${file} is not in ${dir}/${MODEL_MANIFEST_FILE}: run npm run models`);
  const path = `${dir}/${file}`;
  if (!existsSync(path)) throw new ModelFileError(`${path} is missing: run npm run models`);
  const bytes = new Uint8Array(readFileSync(path));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== entry.sha256) throw new ModelFileError(`${path} does not match its manifest sha256: run npm run models -- --force`);
  return { bytes, entry };
}

export function hasModels(dir: string = DEFAULT_MODEL_DIR): boolean {
  return existsSync(`${dir}/${MODEL_MANIFEST_FILE}`);
}
