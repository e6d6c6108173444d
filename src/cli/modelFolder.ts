import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelFormatError } from '../core/errors.ts';
import { loadOpenFaceModels, type OpenFaceModels } from '../core/model/openfaceModels.ts';

/** Loads an OpenFace model folder from disk through the shared (browser and Node) loader. */
export async function loadModelFolder(dir: string): Promise<OpenFaceModels> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new ModelFormatError(`${dir}: no such folder (--openface-models takes the folder that holds AU_predictors/ and model/)`);
  return loadOpenFaceModels(async (relativePath) => {
    try {
      return new Uint8Array(await readFile(join(root, relativePath)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }, dir);
}
