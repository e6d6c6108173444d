/**
 * Reads OpenFace 2.2's MTCNN face detector from a user's model folder:
 * `model/mtcnn_detector/MTCNN_detector.txt` names the three networks
 * (`PNet PNet.dat`, `RNet RNet.dat`, `ONet ONet.dat`, paths relative to it),
 * each in OpenFace's binary CNN layer format (read by src/core/cnn's
 * readCnn, MTCNN dialect: convolutions, max pooling, fully connected, PReLU).
 */

import { ModelFormatError } from '../../errors.ts';
import { BinaryReader } from '../../clnf/binaryReader.ts';
import { readCnn, type CnnLayer } from '../../cnn/index.ts';
import type { ModelFileReader } from '../../model/openfaceModels.ts';

export const MTCNN_MAIN_FILE = 'model/mtcnn_detector/MTCNN_detector.txt';

export interface MtcnnModelFiles {
  readonly pnet: readonly CnnLayer[];
  readonly rnet: readonly CnnLayer[];
  readonly onet: readonly CnnLayer[];
  /** the files read, relative to the model folder */
  readonly files: readonly string[];
}

/** One network file (PNet.dat, RNet.dat, ONet.dat); the whole file must be the network. */
export function parseMtcnnNetwork(bytes: Uint8Array, source: string): CnnLayer[] {
  const reader = new BinaryReader(bytes, source);
  const layers = readCnn(reader, 'mtcnn', source);
  if (reader.remaining !== 0) throw new ModelFormatError(`${source}: ${reader.remaining} bytes after the last layer (not an MTCNN network file)`);
  return layers;
}

/** Joins a path relative to the folder of `from`. */
function besideFile(from: string, relative: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of relative.replace(/\\/g, '/').split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

/**
 * Loads the three networks named by MTCNN_detector.txt. `folderName` names
 * the folder in error messages.
 */
export async function loadMtcnnModel(read: ModelFileReader, folderName = 'OpenFace model folder', mainPath = MTCNN_MAIN_FILE): Promise<MtcnnModelFiles> {
  const files: string[] = [];
  const require = async (path: string): Promise<Uint8Array> => {
    const bytes = await read(path);
    if (bytes === undefined) throw new ModelFormatError(`${folderName}: ${path} is missing (the MTCNN face detector needs OpenFace's model/mtcnn_detector/ folder)`);
    files.push(path);
    return bytes;
  };
  const text = new TextDecoder().decode(await require(mainPath));
  const networks = new Map<string, CnnLayer[]>();
  for (const line of text.split(/\r?\n/)) {
    const [module, file] = line.trim().split(/\s+/);
    if (module !== 'PNet' && module !== 'RNet' && module !== 'ONet') continue;
    if (!file) throw new ModelFormatError(`${folderName}/${mainPath}: ${module} names no file`);
    const path = besideFile(mainPath, file);
    networks.set(module, parseMtcnnNetwork(await require(path), `${folderName}/${path}`));
  }
  const get = (name: string): CnnLayer[] => {
    const net = networks.get(name);
    if (!net) throw new ModelFormatError(`${folderName}/${mainPath}: no ${name} line`);
    return net;
  };
  return { pnet: get('PNet'), rnet: get('RNet'), onet: get('ONet'), files };
}
