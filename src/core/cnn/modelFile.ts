/**
 * Reads the CNNs in OpenFace's binary model files: the detection validator
 * (`detection_validation/validator_cnn.txt`, one network per view) and the
 * MTCNN face detector (`mtcnn_detector/{PNet,RNet,ONet}.dat`). Both store a
 * network as an int32 layer count, then per layer an int32 type and its data:
 *
 *   0 convolution      int32 input maps, int32 output maps, one float32 bias
 *                      per output map, then for each input map, for each
 *                      output map, its kernel as a matrix
 *   1 max pooling      MTCNN: int32 kernel x, kernel y, stride x, stride y;
 *                      validator: nothing (always 2x2, stride 2)
 *   2 fully connected  bias matrix (outputs x 1), weight matrix (inputs x outputs)
 *   3 MTCNN: PReLU, a slope matrix (one per map); validator: ReLU, nothing
 *   4 sigmoid          nothing
 *
 * A matrix is OpenFace's ReadMatBin layout (int32 rows, cols, OpenCV type,
 * then the row-major elements); the values are kept as float32, the
 * precision the networks run in.
 */

import { ModelFormatError } from '../errors.ts';
import type { BinaryReader } from '../clnf/binaryReader.ts';
import { prepareConvolution, type ConvolutionWeights } from './convolution.ts';
import { fullyConnectedFromFile, type FullyConnectedWeights } from './fullyConnected.ts';
import type { CnnLayer } from './network.ts';

/** Which of OpenFace's two CNN file dialects (they differ in layer types 1 and 3). */
export type CnnFileDialect = 'mtcnn' | 'validator';

export interface FloatMatrix {
  readonly rows: number;
  readonly cols: number;
  /** row-major */
  readonly data: Float32Array;
}

const MAX_LAYERS = 256;
const MAX_MAPS = 4096;

/** A ReadMatBin matrix with its values as float32. */
export function readFloatMatrix(r: BinaryReader, what: string): FloatMatrix {
  const m = r.matrix(what);
  return { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) };
}

/** A convolution layer's data (after its type code). */
export function readConvolution(r: BinaryReader, what: string): ConvolutionWeights {
  const inputMaps = r.int32(`${what}: input maps`);
  const outputMaps = r.int32(`${what}: output maps`);
  if (inputMaps <= 0 || outputMaps <= 0 || inputMaps > MAX_MAPS || outputMaps > MAX_MAPS) {
    throw new ModelFormatError(`${what}: ${inputMaps} input and ${outputMaps} output maps is not a convolution layer`);
  }
  const biases = new Float32Array(outputMaps);
  for (let k = 0; k < outputMaps; k++) biases[k] = r.float32(`${what}: bias ${k}`);
  const kernels: Float32Array[] = [];
  let kh = -1, kw = -1;
  for (let i = 0; i < inputMaps; i++) {
    for (let k = 0; k < outputMaps; k++) {
      const m = readFloatMatrix(r, `${what}: kernel ${i}/${k}`);
      if (kh < 0) {
        kh = m.rows;
        kw = m.cols;
      }
      if (m.rows !== kh || m.cols !== kw || kh === 0 || kw === 0) throw new ModelFormatError(`${what}: kernel ${i}/${k} is ${m.rows}x${m.cols}, expected ${kh}x${kw}`);
      kernels.push(m.data);
    }
  }
  return prepareConvolution(inputMaps, outputMaps, kh, kw, kernels, biases);
}

/** A fully connected layer's data (after its type code). */
export function readFullyConnected(r: BinaryReader, what: string): FullyConnectedWeights {
  const bias = readFloatMatrix(r, `${what}: biases`);
  const w = readFloatMatrix(r, `${what}: weights`);
  if (bias.data.length !== w.cols || bias.cols !== 1) throw new ModelFormatError(`${what}: ${bias.rows}x${bias.cols} biases for ${w.rows}x${w.cols} weights`);
  return fullyConnectedFromFile(w.rows, w.cols, w.data, bias.data);
}

/** A whole network: the int32 layer count, then the layers. */
export function readCnn(r: BinaryReader, dialect: CnnFileDialect, what: string): CnnLayer[] {
  const depth = r.int32(`${what}: layer count`);
  if (depth <= 0 || depth > MAX_LAYERS) throw new ModelFormatError(`${what}: ${depth} layers is not a network`);
  const layers: CnnLayer[] = [];
  for (let l = 0; l < depth; l++) {
    const at = `${what}, layer ${l}`;
    const type = r.int32(`${at}: type`);
    switch (type) {
      case 0:
        layers.push({ kind: 'convolution', weights: readConvolution(r, at) });
        break;
      case 1:
        if (dialect === 'validator') {
          layers.push({ kind: 'maxPooling', kernelX: 2, kernelY: 2, strideX: 2, strideY: 2 });
        } else {
          const kernelX = r.int32(`${at}: kernel x`), kernelY = r.int32(`${at}: kernel y`);
          const strideX = r.int32(`${at}: stride x`), strideY = r.int32(`${at}: stride y`);
          if ([kernelX, kernelY, strideX, strideY].some((v) => v <= 0 || v > 64)) throw new ModelFormatError(`${at}: bad max pooling ${kernelX}x${kernelY} stride ${strideX}x${strideY}`);
          layers.push({ kind: 'maxPooling', kernelX, kernelY, strideX, strideY });
        }
        break;
      case 2:
        layers.push({ kind: 'fullyConnected', weights: readFullyConnected(r, at) });
        break;
      case 3:
        if (dialect === 'validator') layers.push({ kind: 'relu' });
        else layers.push({ kind: 'prelu', slopes: readFloatMatrix(r, `${at}: PReLU slopes`).data });
        break;
      case 4:
        layers.push({ kind: 'sigmoid' });
        break;
      default:
        throw new ModelFormatError(`${at}: unknown layer type ${type}`);
    }
  }
  return layers;
}
