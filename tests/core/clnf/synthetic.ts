/**
 * Small synthetic CLNF models for the self-contained tests: a writer for
 * OpenFace's binary CCNF patch-expert layout, a toy PDM and a PDM text
 * writer. Nothing here comes from OpenFace's model files.
 */
import type { Pdm } from '../../../src/core/pdm/pdm.ts';
import { orthonormalComponents, rng } from '../pdm/syntheticPdm.ts';

export { rng };

class Writer {
  private readonly bytes: number[] = [];
  int32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.bytes.push(...b);
    return this;
  }
  float64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes.push(...b);
    return this;
  }
  /** OpenFace's WriteMatBin: rows, cols, OpenCV type, data */
  matrix(rows: number, cols: number, type: 4 | 5 | 6, data: ArrayLike<number>): this {
    this.int32(rows).int32(cols).int32(type);
    const size = type === 6 ? 8 : 4;
    const b = new Uint8Array(rows * cols * size);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < rows * cols; i++) {
      if (type === 6) dv.setFloat64(i * 8, data[i], true);
      else if (type === 5) dv.setFloat32(i * 4, data[i], true);
      else dv.setInt32(i * 4, data[i], true);
    }
    this.bytes.push(...b);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export interface SyntheticNeuron {
  normWeights: number;
  bias: number;
  alpha: number;
  /** height x width, row-major */
  weights: ArrayLike<number>;
}

export interface SyntheticExpert {
  width: number;
  height: number;
  /** empty: the view cannot see the landmark */
  neurons: SyntheticNeuron[];
  betas: number[];
  confidence: number;
}

export interface SyntheticCcnf {
  scaling: number;
  /** per view, degrees */
  centers: [number, number, number][];
  visibilities: number[][];
  /** window size → sigma components (size² x size² each) */
  windows: { size: number; components: ArrayLike<number>[] }[];
  /** [view][landmark] */
  experts: SyntheticExpert[][];
}

/** Serialises patch experts in OpenFace's binary CCNF layout (Patch_experts::Read_CCNF_patch_experts). */
export function writeCcnf(model: SyntheticCcnf): Uint8Array {
  const w = new Writer();
  w.float64(model.scaling).int32(model.centers.length);
  for (const c of model.centers) w.matrix(3, 1, 6, c);
  for (const v of model.visibilities) w.matrix(v.length, 1, 4, v);
  w.int32(model.windows.length);
  for (const win of model.windows) {
    w.int32(win.size).int32(win.components.length);
    for (const c of win.components) w.matrix(win.size * win.size, win.size * win.size, 5, c);
  }
  for (const view of model.experts) {
    for (const e of view) {
      w.int32(5).int32(e.width).int32(e.height).int32(e.neurons.length);
      if (e.neurons.length === 0) {
        w.int32(0);
        continue;
      }
      for (const n of e.neurons) {
        w.int32(2).int32(0).float64(n.normWeights).float64(n.bias).float64(n.alpha);
        w.matrix(e.height, e.width, 5, n.weights);
      }
      for (const b of e.betas) w.float64(b);
      w.float64(e.confidence);
    }
  }
  return w.done();
}

/** A PDM in OpenFace's text layout (three matrices: mean, components, eigenvalues). */
export function writePdmText(pdm: Pdm): string {
  const mat = (rows: number, cols: number, data: ArrayLike<number>): string => {
    const lines = [`${rows}`, `${cols}`, '6'];
    for (let r = 0; r < rows; r++) lines.push(Array.from({ length: cols }, (_, c) => data[r * cols + c]).join(' '));
    return lines.join('\n');
  };
  return [
    '# The mean values of the components (in mm)',
    mat(3 * pdm.numPoints, 1, pdm.meanShape),
    '# The principal components (eigenvectors)',
    mat(3 * pdm.numPoints, pdm.numModes, pdm.princComp),
    '# The variances of the components (eigenvalues)',
    mat(1, pdm.numModes, pdm.eigenValues),
    '',
  ].join('\n');
}

/**
 * A toy face-like PDM: `n` points on an ellipse-ish layout (mm, x/y ±40, z
 * ±10), `eig.length` orthonormal modes.
 */
export function toyPdm(n = 8, eig: readonly number[] = [30, 10], seed = 3): Pdm {
  const random = rng(seed);
  const rows = 3 * n, m = eig.length;
  const meanShape = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    meanShape[i] = 40 * Math.cos(a) + (random() - 0.5) * 6;
    meanShape[i + n] = 40 * Math.sin(a) + (random() - 0.5) * 6;
    meanShape[i + 2 * n] = (random() - 0.5) * 20;
  }
  return { numPoints: n, numModes: m, meanShape, princComp: orthonormalComponents(rows, m, random), eigenValues: Float64Array.from(eig) };
}

/** A size x size Gaussian blob (σ in pixels), centred, float32 values. */
export function gaussianTemplate(size: number, sigma: number): Float32Array {
  const t = new Float32Array(size * size);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) t[y * size + x] = Math.exp(-((x - c) ** 2 + (y - c) ** 2) / (2 * sigma * sigma));
  return t;
}

/** A gray image (background `bg`) with bright Gaussian dots at the given points. */
export function dotsImage(width: number, height: number, points: ArrayLike<number>, n: number, sigma = 1.5, bg = 60): Uint8Array {
  const img = new Float64Array(width * height).fill(bg);
  for (let i = 0; i < n; i++) {
    const px = points[i], py = points[i + n];
    for (let y = Math.max(0, Math.floor(py - 6)); y <= Math.min(height - 1, Math.ceil(py + 6)); y++) {
      for (let x = Math.max(0, Math.floor(px - 6)); x <= Math.min(width - 1, Math.ceil(px + 6)); x++) {
        img[y * width + x] += 180 * Math.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  return Uint8Array.from(img, (v) => Math.max(0, Math.min(255, Math.round(v))));
}
