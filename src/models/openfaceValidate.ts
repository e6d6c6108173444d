/**
 * Checks a picked OpenFace model folder with the loaders the CLI uses, so a
 * folder the browser accepts is one the CLI accepts, with the same messages.
 */
import { loadOpenFaceModels } from '../core/model/openfaceModels.ts';
// the loaders' own modules, not the tracker: the main thread only validates
import { loadTrackingModels } from '../core/track/trackingModels.ts';
import { hasCenWeights } from '../core/model/landmarkModel.ts';
import type { ImportedFolder } from './openfaceImport.ts';
import { recordingBlobReader } from './openfaceReader.ts';

/** A folder the loaders accepted, reduced to the files they read. */
export interface ValidatedOpenFaceFolder {
  readonly name: string;
  /** path relative to the model folder -> bytes; exactly the files the AU, CLNF and MTCNN loaders read */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** the picked folder also holds CE-CLM's CEN weights (2.2's default model, which SplitFace does not run) */
  readonly cenWeights: boolean;
}

/**
 * Loads the AU models and the tracking models (CLNF, MTCNN) from the picked files.
 * Throws the loaders' ModelFormatError (it names the missing or damaged
 * file) when the folder cannot be used.
 */
export async function validateOpenFaceFolder(folder: ImportedFolder): Promise<ValidatedOpenFaceFolder> {
  const { read, filesRead } = recordingBlobReader(folder.files, folder.folderName);
  await loadOpenFaceModels(read, folder.folderName);
  await loadTrackingModels(read, folder.folderName);
  return { name: folder.folderName, files: filesRead, cenWeights: hasCenWeights(folder.files.keys()) };
}
