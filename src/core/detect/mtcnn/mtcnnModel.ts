/**
 * Reads OpenFace 2.2's MTCNN face detector from a user's model folder:
 * `model/mtcnn_detector/MTCNN_detector.txt` names the three networks
 * (`PNet PNet.dat`, `RNet RNet.dat`, `ONet ONet.dat`, paths relative to it),
 * each a little-endian binary file (OpenFace's CNN::Read):
 *
 *   int32 layer count, then per layer an int32 type and its data:
 *   0 convolution   int32 input maps, int32 kernels, float32 bias per kernel,
 *                   then for each input map, for each kernel, a matrix
 *                   (int32 rows, cols, OpenCV type, row-major data)
 *   1 max pooling   int32 kernel x, kernel y, stride x, stride y
 *   2 fully connected   bias matrix (n x 1), weight matrix (inputs x n)
 *   3 PReLU         slope matrix (one per map)
 *   4 sigmoid       (no data)
 *
 * Weights are float32 in the file and stay float32 here: OpenFace runs the
 * networks in float.
 */

import { ModelFormatError } from '../../errors.ts';
import { BinaryReader } from '../../clnf/binaryReader.ts';
import type { ModelFileReader } from '../../model/openfaceModels.ts';

export const MTCNN_MAIN_FILE = 'model/mtcnn_detector/MTCNN_detector.txt';

export interface ConvolutionLayer {
  readonly kind: 'convolution';
  readonly inputMaps: number;
  readonly outputMaps: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly bias: Float32Array;
  /** kernel (input map i, output map k) is kernels[i * outputMaps + k], kernelHeight x kernelWidth row-major */
  readonly kernels: readonly Float32Array[];
}

export interface MaxPoolingLayer {
  readonly kind: 'maxPooling';
  readonly kernelX: number;
  readonly kernelY: number;
  readonly strideX: number;
  readonly strideY: number;
}

export interface FullyConnectedLayer {
  readonly kind: 'fullyConnected';
  readonly inputs: number;
  readonly outputs: number;
  /** outputs x inputs, row-major (the file stores the transpose) */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface PReluLayer {
  readonly kind: 'prelu';
  /** the slope for negative inputs, one per map (or per output of a fully connected layer) */
  readonly slopes: Float32Array;
}

export interface SigmoidLayer {
  readonly kind: 'sigmoid';
}

export type MtcnnLayer = ConvolutionLayer | MaxPoolingLayer | FullyConnectedLayer | PReluLayer | SigmoidLayer;

export interface MtcnnNetworkFile {
  readonly layers: readonly MtcnnLayer[];
}

export interface MtcnnModelFiles {
  readonly pnet: MtcnnNetworkFile;
  readonly rnet: MtcnnNetworkFile;
  readonly onet: MtcnnNetworkFile;
  /** the files read, relative to the model folder */
  readonly files: readonly string[];
}

const MAX_LAYERS = 64;
const MAX_MAPS = 4096;

/** Parses one network file (PNet.dat, RNet.dat, ONet.dat). */
export function parseMtcnnNetwork(bytes: Uint8Array, source: string): MtcnnNetworkFile {
  const r = new BinaryReader(bytes, source);
  const depth = r.int32('layer count');
  if (depth <= 0 || depth > MAX_LAYERS) throw new ModelFormatError(`${source}: not an MTCNN network file (${depth} layers)`);
  const layers: MtcnnLayer[] = [];
  for (let l = 0; l < depth; l++) {
    const type = r.int32(`layer ${l} type`);
    if (type === 0) {
      const inputMaps = r.int32(`layer ${l} input maps`);
      const outputMaps = r.int32(`layer ${l} kernels`);
      if (inputMaps <= 0 || outputMaps <= 0 || inputMaps > MAX_MAPS || outputMaps > MAX_MAPS) {
        throw new ModelFormatError(`${source}: layer ${l} has ${inputMaps} input maps and ${outputMaps} kernels`);
      }
      const bias = new Float32Array(outputMaps);
      for (let k = 0; k < outputMaps; k++) bias[k] = r.float32(`layer ${l} bias ${k}`);
      const kernels: Float32Array[] = [];
      let kernelHeight = -1;
      let kernelWidth = -1;
      for (let i = 0; i < inputMaps * outputMaps; i++) {
        const m = r.matrix(`layer ${l} kernel ${i}`);
        if (kernelHeight < 0) {
          kernelHeight = m.rows;
          kernelWidth = m.cols;
        } else if (m.rows !== kernelHeight || m.cols !== kernelWidth) {
          throw new ModelFormatError(`${source}: layer ${l} mixes ${kernelHeight}x${kernelWidth} and ${m.rows}x${m.cols} kernels`);
        }
        kernels.push(Float32Array.from(m.data));
      }
      if (kernelHeight <= 0 || kernelWidth <= 0) throw new ModelFormatError(`${source}: layer ${l} has empty kernels`);
      layers.push({ kind: 'convolution', inputMaps, outputMaps, kernelHeight, kernelWidth, bias, kernels });
    } else if (type === 1) {
      const kernelX = r.int32(`layer ${l} pooling width`);
      const kernelY = r.int32(`layer ${l} pooling height`);
      const strideX = r.int32(`layer ${l} stride x`);
      const strideY = r.int32(`layer ${l} stride y`);
      if (kernelX <= 0 || kernelY <= 0 || strideX <= 0 || strideY <= 0) throw new ModelFormatError(`${source}: layer ${l} has a bad max pooling (${kernelX}x${kernelY}, stride ${strideX}x${strideY})`);
      layers.push({ kind: 'maxPooling', kernelX, kernelY, strideX, strideY });
    } else if (type === 2) {
      const b = r.matrix(`layer ${l} bias`);
      const w = r.matrix(`layer ${l} weights`);
      const outputs = w.cols;
      const inputs = w.rows;
      if (b.data.length !== outputs) throw new ModelFormatError(`${source}: layer ${l} has ${b.data.length} biases for ${outputs} outputs`);
      // stored inputs x outputs; kept as outputs x inputs, the order a dot product per output reads
      const weights = new Float32Array(inputs * outputs);
      for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) weights[o * inputs + i] = w.data[i * outputs + o];
      layers.push({ kind: 'fullyConnected', inputs, outputs, weights, bias: Float32Array.from(b.data) });
    } else if (type === 3) {
      layers.push({ kind: 'prelu', slopes: Float32Array.from(r.matrix(`layer ${l} PReLU slopes`).data) });
    } else if (type === 4) {
      layers.push({ kind: 'sigmoid' });
    } else {
      throw new ModelFormatError(`${source}: layer ${l} has unknown type ${type}`);
    }
  }
  return { layers };
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
  const networks = new Map<string, MtcnnNetworkFile>();
  for (const line of text.split(/\r?\n/)) {
    const [module, file] = line.trim().split(/\s+/);
    if (module !== 'PNet' && module !== 'RNet' && module !== 'ONet') continue;
    if (!file) throw new ModelFormatError(`${folderName}/${mainPath}: ${module} names no file`);
    const path = besideFile(mainPath, file);
    networks.set(module, parseMtcnnNetwork(await require(path), `${folderName}/${path}`));
  }
  const get = (name: string): MtcnnNetworkFile => {
    const net = networks.get(name);
    if (!net) throw new ModelFormatError(`${folderName}/${mainPath}: no ${name} line`);
    return net;
  };
  return { pnet: get('PNet'), rnet: get('RNet'), onet: get('ONet'), files };
}
