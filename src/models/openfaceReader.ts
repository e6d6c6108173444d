/**
 * ModelFileReaders over an OpenFace model folder held in memory, for the
 * loaders the CLI uses (loadOpenFaceModels, loadTrackingModels): over the files a
 * user picked (validation) and over the bytes kept in IndexedDB (analysis).
 */
import { ModelFormatError } from '../core/errors.ts';
import type { ModelFileReader } from '../core/model/openfaceModels.ts';
import { normalizeModelPath } from './openfaceLayout.ts';

/** Reads a stored folder (OpenFaceStore.readAll) the way the disk reader reads a folder. */
export function bytesReader(files: ReadonlyMap<string, Uint8Array>): ModelFileReader {
  return async (path) => files.get(normalizeModelPath(path));
}

/** A reader over picked files that remembers every file it read, and reads each once. */
export interface RecordingReader {
  readonly read: ModelFileReader;
  /** the files read so far, by normalised path, in reading order */
  readonly filesRead: ReadonlyMap<string, Uint8Array>;
}

/**
 * Reads picked files (`File`s are references to the disk until read). What
 * the loaders read is exactly what the engine needs, so it is all that gets
 * stored. `folderName` names the folder in messages.
 */
export function recordingBlobReader(files: ReadonlyMap<string, Blob>, folderName: string): RecordingReader {
  const filesRead = new Map<string, Uint8Array>();
  const read: ModelFileReader = async (raw) => {
    const path = normalizeModelPath(raw);
    const known = filesRead.get(path);
    if (known) return known;
    const blob = files.get(path);
    if (!blob) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await blob.arrayBuffer());
    } catch {
      // Browsers refuse (NotReadableError) once a picked file was moved, changed or deleted.
      throw new ModelFormatError(`${folderName}/${path} could not be read (was it moved or changed after the folder was chosen?); choose the folder again`);
    }
    filesRead.set(path, bytes);
    return bytes;
  };
  return { read, filesRead };
}
