/**
 * Reads OpenFace's CLNF landmark model from a user's model folder, through
 * the same `ModelFileReader` the AU loader uses (Node: disk; browser: folder
 * picker or IndexedDB). Nothing here touches the file system.
 *
 * The folder layout is OpenFace's: `model/main_clnf_general.txt` lists the
 * modules, each path relative to the file that names it:
 *
 *   LandmarkDetector clnf_general.txt           the main model (PDM, patch experts)
 *   LandmarkDetector_part <file> <name> <main index> <part index> ...
 *                                              a hierarchical part model and
 *                                              which main landmark is which part landmark
 *   DetectionValidator <file>                  the landmark validator (2.2: a CNN per view,
 *                                              detection_validation/validator_cnn.txt)
 *   FaceDetConversion <file>                   (Haar detector box conversion, not used)
 *
 * A CLNF model file (`clnf_general.txt`, or a part's) lists `PDM <file>`,
 * `Triangulations <file>` and one `PatchesCCNF <file>` per scale.
 */

import { ModelFormatError } from '../errors.ts';
import type { ModelFileReader } from '../model/openfaceModels.ts';
import { parsePdm, type Pdm } from '../pdm/pdm.ts';
import { parseCcnfPatchExperts, type CcnfScale } from './ccnfModel.ts';
import { parseValidator, type ValidatorModel } from './validator.ts';

/** One CLNF model: a PDM and its CCNF patch experts, one entry per scale (coarse to fine). */
export interface ClnfModelData {
  readonly pdm: Pdm;
  readonly scales: readonly CcnfScale[];
}

/** A hierarchical part model (inner face, eyes) refining some of the main landmarks. */
export interface ClnfPartData {
  /** OpenFace's part name: 'inner', 'left_eye_28', 'right_eye_28', ... (it selects the fitting parameters) */
  readonly name: string;
  readonly model: ClnfModelData;
  /** pairs (main landmark, part landmark), flattened */
  readonly mapping: Int32Array;
}

export interface ClnfModels {
  readonly main: ClnfModelData;
  readonly parts: readonly ClnfPartData[];
  readonly validator: ValidatorModel | null;
  /** the files read, relative to the model folder */
  readonly files: readonly string[];
}

export const CLNF_MAIN_MODEL = 'model/main_clnf_general.txt';

const decoder = new TextDecoder();

/** Joins a path relative to the folder of `from` (forward slashes, '.' and '..' resolved). */
function resolveRelative(from: string, relative: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of relative.replace(/\\/g, '/').split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

interface ModuleLine {
  readonly module: string;
  readonly args: readonly string[];
}

function moduleLines(text: string): ModuleLine[] {
  const out: ModuleLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const tokens = raw.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length < 2 || tokens[0].startsWith('#')) continue;
    out.push({ module: tokens[0], args: tokens.slice(1) });
  }
  return out;
}

/**
 * Loads the main CLNF model, its part models and the validator. `folderName`
 * names the folder in error messages.
 */
export async function loadClnfModels(read: ModelFileReader, folderName = 'OpenFace model folder', mainPath = CLNF_MAIN_MODEL): Promise<ClnfModels> {
  const files: string[] = [];
  const require = async (path: string): Promise<Uint8Array> => {
    const bytes = await read(path);
    if (bytes === undefined) throw new ModelFormatError(`${folderName}: ${path} is missing (the CLNF landmark model needs OpenFace's model/ folder)`);
    files.push(path);
    return bytes;
  };
  const mainText = decoder.decode(await require(mainPath));
  let main: ClnfModelData | null = null;
  const parts: ClnfPartData[] = [];
  let validator: ValidatorModel | null = null;
  for (const { module, args } of moduleLines(mainText)) {
    const path = resolveRelative(mainPath, args[0]);
    if (module === 'LandmarkDetector') {
      main = await loadClnfModel(require, path, folderName);
    } else if (module === 'LandmarkDetector_part') {
      const name = args[1];
      if (name === undefined) throw new ModelFormatError(`${folderName}/${mainPath}: part ${args[0]} has no name`);
      const nums = args.slice(2).map(Number);
      if (nums.length % 2 !== 0 || nums.some((v) => !Number.isInteger(v) || v < 0)) throw new ModelFormatError(`${folderName}/${mainPath}: bad landmark mapping for part ${name}`);
      // a part file is itself a main file naming one LandmarkDetector
      const partMain = decoder.decode(await require(path));
      const detector = moduleLines(partMain).find((l) => l.module === 'LandmarkDetector');
      if (!detector) throw new ModelFormatError(`${folderName}/${path}: no LandmarkDetector line`);
      const model = await loadClnfModel(require, resolveRelative(path, detector.args[0]), folderName);
      const mapping = Int32Array.from(nums);
      for (let k = 0; k < mapping.length; k += 2) {
        if (mapping[k + 1] >= model.pdm.numPoints) throw new ModelFormatError(`${folderName}/${mainPath}: part ${name} maps to landmark ${mapping[k + 1]}, its PDM has ${model.pdm.numPoints}`);
      }
      parts.push({ name, model, mapping });
    } else if (module === 'DetectionValidator') {
      validator = parseValidator(await require(path), `${folderName}/${path}`);
    }
  }
  if (!main) throw new ModelFormatError(`${folderName}/${mainPath}: no LandmarkDetector line`);
  for (const part of parts) {
    for (let k = 0; k < part.mapping.length; k += 2) {
      if (part.mapping[k] >= main.pdm.numPoints) throw new ModelFormatError(`${folderName}/${mainPath}: part ${part.name} maps main landmark ${part.mapping[k]}, the main PDM has ${main.pdm.numPoints}`);
    }
  }
  return { main, parts, validator, files };
}

async function loadClnfModel(require: (path: string) => Promise<Uint8Array>, path: string, folderName: string): Promise<ClnfModelData> {
  const text = decoder.decode(await require(path));
  let pdm: Pdm | null = null;
  const scales: CcnfScale[] = [];
  let svr = false;
  for (const { module, args } of moduleLines(text)) {
    const file = resolveRelative(path, args[0]);
    if (module === 'PDM') pdm = parsePdm(decoder.decode(await require(file)), `${folderName}/${file}`);
    else if (module === 'PatchesCCNF') scales.push(parseCcnfPatchExperts(await require(file), `${folderName}/${file}`));
    else if (module === 'PatchesIntensity' || module === 'PatchesDepth') svr = true;
  }
  if (!pdm) throw new ModelFormatError(`${folderName}/${path}: no PDM line`);
  if (scales.length === 0) {
    throw new ModelFormatError(`${folderName}/${path}: no CCNF patch experts${svr ? ' (SVR patch experts are not supported; use the CLNF model, main_clnf_general.txt)' : ''}`);
  }
  for (const s of scales) {
    if (s.numPoints !== pdm.numPoints) throw new ModelFormatError(`${folderName}/${path}: patch experts for ${s.numPoints} landmarks, PDM has ${pdm.numPoints}`);
  }
  return { pdm, scales };
}
