import { ModelFormatError } from '../errors.ts';
import { BinaryReader } from './binaryReader.ts';

/**
 * The CCNF patch experts of one scale, as OpenFace stores them in
 * `ccnf_patches_<scale>_<name>.txt` (a binary file, Patch_experts::
 * Read_CCNF_patch_experts):
 *
 *   float64 patch scaling, int32 number of views,
 *   per view: a 3x1 matrix, the view's head orientation in degrees,
 *   per view: an n x 1 int matrix, which landmarks the view can see,
 *   int32 number of window sizes, per window size: int32 size, int32
 *     number of sigma components, the (size² x size²) float components,
 *   per view, per landmark: one CCNF patch expert.
 *
 * A patch expert (CCNF_patch_expert::Read) is int32 5, width, height,
 * number of neurons (0 and one more int32 for a landmark the view cannot
 * see), the neurons, one float64 beta per sigma component (the count of the
 * first window size's list), and a float64 patch confidence. A neuron
 * (CCNF_neuron::Read) is int32 2, int32 neuron type, float64 norm_weights,
 * bias, alpha and the weight matrix.
 */
export interface CcnfNeuron {
  /** 0: raw intensity with normalised cross-correlation (the only type these models use) */
  readonly neuronType: number;
  readonly normWeights: number;
  readonly bias: number;
  readonly alpha: number;
  readonly width: number;
  readonly height: number;
  /** row-major height x width; float32 in the file */
  readonly weights: Float32Array;
}

export interface CcnfPatchExpert {
  readonly width: number;
  readonly height: number;
  /** empty when the view cannot see this landmark */
  readonly neurons: readonly CcnfNeuron[];
  readonly betas: Float64Array;
  readonly confidence: number;
}

export interface CcnfScale {
  /** scale of the reference shape the experts were trained at (PDM units to pixels) */
  readonly scaling: number;
  /** per view: (rx, ry, rz) in radians */
  readonly centers: readonly Float64Array[];
  /** per view: 1 where the landmark is visible */
  readonly visibilities: readonly Uint8Array[];
  /** window size → its sigma components (each size² x size², row-major float32) */
  readonly sigmaComponents: ReadonlyMap<number, readonly Float32Array[]>;
  /** [view][landmark] */
  readonly experts: readonly (readonly CcnfPatchExpert[])[];
  readonly numPoints: number;
}

const CV_32F = 5;

export function parseCcnfPatchExperts(bytes: Uint8Array, source = 'CCNF patch experts'): CcnfScale {
  const r = new BinaryReader(bytes, source);
  const scaling = r.float64('the patch scaling');
  const numViews = r.int32('the number of views');
  if (!(scaling > 0) || numViews <= 0 || numViews > 1000) throw new ModelFormatError(`${source}: not a CCNF patch expert file (scaling ${scaling}, ${numViews} views)`);
  const centers: Float64Array[] = [];
  for (let v = 0; v < numViews; v++) {
    const m = r.matrix(`view ${v} orientation`);
    if (m.data.length !== 3) throw new ModelFormatError(`${source}: view ${v} orientation is ${m.rows}x${m.cols}, expected 3x1`);
    // OpenFace: centers[i] * M_PI / 180.0
    centers.push(Float64Array.from(m.data, (d) => (d * Math.PI) / 180.0));
  }
  const visibilities: Uint8Array[] = [];
  for (let v = 0; v < numViews; v++) {
    const m = r.matrix(`view ${v} visibilities`);
    visibilities.push(Uint8Array.from(m.data, (d) => (d !== 0 ? 1 : 0)));
  }
  const numPoints = visibilities[0].length;
  if (visibilities.some((vis) => vis.length !== numPoints)) throw new ModelFormatError(`${source}: views disagree on the number of landmarks`);

  const numWindows = r.int32('the number of window sizes');
  if (numWindows < 0 || numWindows > 100) throw new ModelFormatError(`${source}: bad number of window sizes ${numWindows}`);
  const sigmaComponents = new Map<number, Float32Array[]>();
  let numBetas = 0;
  for (let w = 0; w < numWindows; w++) {
    const size = r.int32('a window size');
    const count = r.int32('the number of sigma components');
    const list: Float32Array[] = [];
    for (let s = 0; s < count; s++) {
      const m = r.matrix(`sigma component ${s} of window ${size}`);
      if (m.rows !== size * size || m.cols !== size * size || m.type !== CV_32F) {
        throw new ModelFormatError(`${source}: sigma component ${s} of window ${size} is ${m.rows}x${m.cols}, expected ${size * size}x${size * size} float`);
      }
      list.push(Float32Array.from(m.data));
    }
    // OpenFace reads as many betas per expert as the first window size has components.
    if (w === 0) numBetas = count;
    sigmaComponents.set(size, list);
  }

  const experts: CcnfPatchExpert[][] = [];
  for (let v = 0; v < numViews; v++) {
    const row: CcnfPatchExpert[] = [];
    for (let p = 0; p < numPoints; p++) row.push(readPatchExpert(r, numBetas, `${source}: view ${v} landmark ${p}`));
    experts.push(row);
  }
  if (r.remaining !== 0) throw new ModelFormatError(`${source}: ${r.remaining} unexpected bytes after the last patch expert`);
  return { scaling, centers, visibilities, sigmaComponents, experts, numPoints };
}

function readPatchExpert(r: BinaryReader, numBetas: number, what: string): CcnfPatchExpert {
  const tag = r.int32(`${what}: patch tag`);
  if (tag !== 5) throw new ModelFormatError(`${what}: patch expert tag ${tag}, expected 5`);
  const width = r.int32(`${what}: width`);
  const height = r.int32(`${what}: height`);
  const numNeurons = r.int32(`${what}: number of neurons`);
  if (numNeurons === 0) {
    // A landmark this view cannot see: an empty expert, followed by one unused int.
    r.int32(`${what}: empty patch filler`);
    return { width, height, neurons: [], betas: new Float64Array(0), confidence: 0 };
  }
  if (numNeurons < 0 || numNeurons > 1000 || width <= 0 || height <= 0) throw new ModelFormatError(`${what}: bad patch expert (${width}x${height}, ${numNeurons} neurons)`);
  const neurons: CcnfNeuron[] = [];
  for (let k = 0; k < numNeurons; k++) {
    const ntag = r.int32(`${what}: neuron tag`);
    if (ntag !== 2) throw new ModelFormatError(`${what}: neuron ${k} tag ${ntag}, expected 2`);
    const neuronType = r.int32(`${what}: neuron type`);
    const normWeights = r.float64(`${what}: neuron norm weights`);
    const bias = r.float64(`${what}: neuron bias`);
    const alpha = r.float64(`${what}: neuron alpha`);
    const m = r.matrix(`${what}: neuron ${k} weights`);
    if (neuronType !== 0) throw new ModelFormatError(`${what}: neuron type ${neuronType} (depth) is not supported; only intensity (0) experts are`);
    if (m.rows !== height || m.cols !== width) throw new ModelFormatError(`${what}: neuron ${k} weights are ${m.rows}x${m.cols}, the patch is ${height}x${width}`);
    neurons.push({ neuronType, normWeights, bias, alpha, width: m.cols, height: m.rows, weights: Float32Array.from(m.data) });
  }
  const betas = new Float64Array(numBetas);
  for (let b = 0; b < numBetas; b++) betas[b] = r.float64(`${what}: beta ${b}`);
  const confidence = r.float64(`${what}: patch confidence`);
  return { width, height, neurons, betas, confidence };
}
