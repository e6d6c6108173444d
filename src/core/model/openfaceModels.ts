import { ModelFormatError } from '../errors.ts';
import { parsePdm, parseTriangulation, type Pdm } from '../pdm/pdm.ts';
import { parseAuModelList, parseAuModelSet, type AuModelSet } from '../au/auModels.ts';

/**
 * Reads one file of a model folder by its path relative to the folder
 * ('AU_predictors/AU_all_best.txt'); undefined when there is no such file.
 * Node reads from disk, the browser from a folder picker or IndexedDB.
 */
export type ModelFileReader = (relativePath: string) => Promise<Uint8Array | undefined>;

/** Where OpenFace keeps each file, relative to its model folder (OpenFace's bin/ layout). */
export const OPENFACE_MODEL_PATHS = {
  auList: 'AU_predictors/AU_all_best.txt',
  pdm: 'model/pdms/In-the-wild_aligned_PDM_68.txt',
  triangulation: 'model/tris_68_full.txt',
} as const;

/** Everything the AU engine needs from a user's OpenFace model folder. */
export interface OpenFaceModels {
  readonly pdm: Pdm;
  readonly triangulation: Int32Array;
  readonly au: AuModelSet;
  /** the files used, for the provenance written beside every result */
  readonly files: readonly string[];
}

const decoder = new TextDecoder();

/**
 * Loads and validates an OpenFace model folder (the one holding
 * `AU_predictors/` and `model/`). A missing or malformed file is reported by
 * its path, so a user can tell a wrong folder from a damaged one.
 */
export async function loadOpenFaceModels(read: ModelFileReader, folderName: string): Promise<OpenFaceModels> {
  const require = async (path: string): Promise<Uint8Array> => {
    const bytes = await read(path);
    if (bytes === undefined) {
      throw new ModelFormatError(`${folderName}: not an OpenFace model folder: ${path} is missing (choose the folder that holds AU_predictors/ and model/, e.g. OpenFace's bin folder)`);
    }
    return bytes;
  };
  const listText = decoder.decode(await require(OPENFACE_MODEL_PATHS.auList));
  const listDir = OPENFACE_MODEL_PATHS.auList.slice(0, OPENFACE_MODEL_PATHS.auList.lastIndexOf('/') + 1);
  const modelBytes = new Map<string, Uint8Array>();
  for (const entry of parseAuModelList(listText, `${folderName}/${OPENFACE_MODEL_PATHS.auList}`)) {
    modelBytes.set(entry.path, await require(listDir + entry.path));
  }
  const au = parseAuModelSet(listText, (path) => modelBytes.get(path), `${folderName}/${OPENFACE_MODEL_PATHS.auList}`);
  const pdm = parsePdm(decoder.decode(await require(OPENFACE_MODEL_PATHS.pdm)), `${folderName}/${OPENFACE_MODEL_PATHS.pdm}`);
  if (pdm.numPoints !== 68) throw new ModelFormatError(`${folderName}/${OPENFACE_MODEL_PATHS.pdm}: a 68-point model is needed, this one has ${pdm.numPoints} points`);
  const triangulation = parseTriangulation(decoder.decode(await require(OPENFACE_MODEL_PATHS.triangulation)), `${folderName}/${OPENFACE_MODEL_PATHS.triangulation}`);
  return {
    pdm,
    triangulation,
    au,
    files: [OPENFACE_MODEL_PATHS.auList, ...[...modelBytes.keys()].map((p) => listDir + p), OPENFACE_MODEL_PATHS.pdm, OPENFACE_MODEL_PATHS.triangulation],
  };
}
