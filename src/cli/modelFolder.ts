import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelFormatError } from '../core/errors.ts';
import { loadOpenFaceModels, type ModelFileReader, type OpenFaceModels } from '../core/model/openfaceModels.ts';
import { loadTrackingModels, type TrackingModels } from '../core/track/trackingModels.ts';
import { CEN_PATCH_EXPERTS, describeLandmarkModel, type LandmarkModelInfo } from '../core/model/landmarkModel.ts';

/** A model folder on disk, read through the loaders the browser shares. */
export interface ModelFolder {
  readonly au: OpenFaceModels;
  /** CLNF and MTCNN, loaded on first use (only our own tracker needs them) */
  tracking(): Promise<TrackingModels>;
  /** the landmark model our tracker runs from this folder (and whether it also holds CE-CLM's weights) */
  readonly landmarkModel: LandmarkModelInfo;
}

function diskReader(root: string): ModelFileReader {
  return async (relativePath) => {
    try {
      return new Uint8Array(await readFile(join(root, relativePath)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
}

/** Loads an OpenFace model folder from disk through the shared (browser and Node) loaders. */
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new ModelFormatError(`${dir}: no such folder (--openface-models takes the folder that holds AU_predictors/ and model/)`);
  const read = diskReader(root);
  const au = await loadOpenFaceModels(read, dir);
  let tracking: Promise<TrackingModels> | null = null;
  const cenWeights = (await Promise.all(CEN_PATCH_EXPERTS.map((path) => stat(join(root, path)).catch(() => null)))).some((s) => s?.isFile());
  return {
    au,
    tracking: () => (tracking ??= loadTrackingModels(read, dir)),
    landmarkModel: describeLandmarkModel(cenWeights),
  };
}
