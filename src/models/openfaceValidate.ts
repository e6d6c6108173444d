/**
 * Checks a picked OpenFace model folder with the loaders the CLI uses, so a
 * folder the browser accepts is one the CLI accepts, with the same messages.
 */
import { loadOpenFaceModels } from '../core/model/openfaceModels.ts';
// the clnf index's loader, imported from its module so the main thread does not pull in the tracker
import { loadClnfModels } from '../core/clnf/modelLoader.ts';
import type { ImportedFolder } from './openfaceImport.ts';
import { recordingBlobReader } from './openfaceReader.ts';

/** A folder both loaders accepted, reduced to the files they read. */
export interface ValidatedOpenFaceFolder {
  readonly name: string;
  /** path relative to the model folder -> bytes; exactly the files the AU and CLNF loaders read */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Loads the AU models and the CLNF landmark models from the picked files.
 * Throws the loaders' ModelFormatError (it names the missing or damaged
 * file) when the folder cannot be used.
 */
export async function validateOpenFaceFolder(folder: ImportedFolder): Promise<ValidatedOpenFaceFolder> {
  const { read, filesRead } = recordingBlobReader(folder.files, folder.folderName);
  await loadOpenFaceModels(read, folder.folderName);
  await loadClnfModels(read, folder.folderName);
  return { name: folder.folderName, files: filesRead };
}
