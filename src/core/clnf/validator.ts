/**
 * OpenFace's landmark detection validator (DetectionValidator, file
 * `detection_validation/validator_general_68.txt`, binary): it warps the face
 * inside the detected landmarks to a fixed shape with a piecewise affine warp,
 * normalises it and scores it with a small classifier, one per head
 * orientation. The score ("detection certainty") runs from -1 (surely a face
 * well fitted) to 1; OpenFace calls the fit successful below -0.45 and
 * reports confidence = (1 - certainty) / 2.
 *
 * File layout: int32 validator type (0 SVR, 1 neural net, 2 CNN — the 68-point
 * model is a CNN), int32 number of views, the views' orientations (3x1, degrees),
 * then per view: the mean and standard deviation images (as rows), the
 * classifier, and the view's piecewise affine warp (PAW::Read).
 *
 * Numerics follow OpenFace/OpenCV: the warp map is float and OpenCV's
 * bilinear remap quantises it to 1/32 pixel; convolutions are float maps
 * computed in double (OpenFace uses a DFT) and rounded to float.
 */

import { ModelFormatError } from '../errors.ts';
import { BinaryReader } from './binaryReader.ts';
import type { GrayImage } from '../image.ts';
import type { WasmKernels } from './wasmKernels.ts';
import * as pm from '../math/portableMath.ts';

export interface PiecewiseAffineWarp {
  readonly numberOfPixels: number;
  readonly minX: number;
  readonly minY: number;
  /** rows x cols of the warped image */
  readonly rows: number;
  readonly cols: number;
  /** n x 3 landmark indices */
  readonly triangulation: Int32Array;
  /** rows x cols, -1 outside the face */
  readonly triangleId: Int32Array;
  readonly mask: Uint8Array;
  /** numTriangles x 3 each */
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly numLandmarks: number;
}

type CnnLayer =
  | { readonly kind: 'conv'; readonly inMaps: number; readonly kernels: number; readonly biases: Float64Array; readonly kh: number; readonly kw: number;
      /** [in][k] kernels, each kh*kw, already flipped (OpenFace flips them to convolve) */ readonly weights: readonly Float64Array[] }
  | { readonly kind: 'subsample'; readonly scale: number }
  | { readonly kind: 'fc'; readonly bias: number; readonly outputs: number; readonly inputs: number; readonly weights: Float64Array };

interface ValidatorView {
  readonly meanImage: Float64Array;
  readonly stdImage: Float64Array;
  readonly paw: PiecewiseAffineWarp;
  readonly cnn: readonly CnnLayer[] | null;
  readonly svr: { readonly bias: number; readonly weights: Float64Array } | null;
  readonly nn: { readonly activation: number; readonly output: number; readonly layers: readonly { rows: number; cols: number; data: Float64Array }[] } | null;
}

export interface ValidatorModel {
  readonly type: number;
  /** per view (rx, ry, rz) radians */
  readonly orientations: readonly Float64Array[];
  readonly views: readonly ValidatorView[];
}

export function parseValidator(bytes: Uint8Array, source = 'detection validator'): ValidatorModel {
  const r = new BinaryReader(bytes, source);
  const type = r.int32('validator type');
  const n = r.int32('number of views');
  if (type < 0 || type > 2 || n <= 0 || n > 100) throw new ModelFormatError(`${source}: not a detection validator (type ${type}, ${n} views)`);
  const orientations: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const m = r.matrix(`view ${i} orientation`);
    if (m.data.length !== 3) throw new ModelFormatError(`${source}: view ${i} orientation is ${m.rows}x${m.cols}`);
    orientations.push(Float64Array.from(m.data, (d) => (d * Math.PI) / 180.0));
  }
  const views: ValidatorView[] = [];
  for (let i = 0; i < n; i++) {
    const meanImage = r.matrix(`view ${i} mean image`).data;
    const stdImage = r.matrix(`view ${i} standard deviations`).data;
    let cnn: CnnLayer[] | null = null;
    let svr: ValidatorView['svr'] = null;
    let nn: ValidatorView['nn'] = null;
    if (type === 0) {
      const bias = r.float64('SVR bias');
      svr = { bias, weights: r.matrix('SVR weights').data };
    } else if (type === 1) {
      const depth = r.int32('NN depth');
      const activation = r.int32('NN activation');
      const output = r.int32('NN output');
      const layers: { rows: number; cols: number; data: Float64Array }[] = [];
      for (let l = 0; l < depth; l++) {
        const m = r.matrix(`NN layer ${l}`);
        layers.push({ rows: m.rows, cols: m.cols, data: m.data });
      }
      nn = { activation, output, layers };
    } else {
      cnn = [];
      const depth = r.int32('CNN depth');
      for (let l = 0; l < depth; l++) {
        const layerType = r.int32('CNN layer type');
        if (layerType === 0) {
          const inMaps = r.int32('input maps');
          const kernels = r.int32('kernels');
          const biases = new Float64Array(kernels);
          for (let k = 0; k < kernels; k++) biases[k] = r.float32('kernel bias');
          const weights: Float64Array[] = [];
          let kh = 0, kw = 0;
          for (let a = 0; a < inMaps; a++) {
            for (let k = 0; k < kernels; k++) {
              const m = r.matrix(`conv kernel ${a}/${k}`);
              kh = m.rows;
              kw = m.cols;
              // cv::flip(kernel, kernel, -1)
              const f = new Float64Array(m.data.length);
              for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) f[y * kw + x] = m.data[(kh - 1 - y) * kw + (kw - 1 - x)];
              weights.push(f);
            }
          }
          cnn.push({ kind: 'conv', inMaps, kernels, biases, kh, kw, weights });
        } else if (layerType === 1) {
          cnn.push({ kind: 'subsample', scale: r.int32('subsampling scale') });
        } else if (layerType === 2) {
          const bias = r.float32('fully connected bias');
          const m = r.matrix('fully connected weights');
          cnn.push({ kind: 'fc', bias, outputs: m.rows, inputs: m.cols, weights: m.data });
        } else {
          throw new ModelFormatError(`${source}: unknown CNN layer type ${layerType}`);
        }
      }
    }
    views.push({ meanImage, stdImage, paw: readPaw(r, `${source}: view ${i} warp`), cnn, svr, nn });
  }
  return { type, orientations, views };
}

function readPaw(r: BinaryReader, what: string): PiecewiseAffineWarp {
  const numberOfPixels = r.int32(`${what}: pixel count`);
  const minX = r.float64(`${what}: min x`);
  const minY = r.float64(`${what}: min y`);
  const dest = r.matrix(`${what}: destination landmarks`);
  const tri = r.matrix(`${what}: triangulation`);
  const triId = r.matrix(`${what}: triangle ids`);
  const mask = r.matrix(`${what}: pixel mask`);
  const alpha = r.matrix(`${what}: alpha`);
  const beta = r.matrix(`${what}: beta`);
  if (tri.cols !== 3 || alpha.rows !== tri.rows || beta.rows !== tri.rows || mask.rows !== triId.rows || mask.cols !== triId.cols) {
    throw new ModelFormatError(`${what}: inconsistent piecewise affine warp`);
  }
  return {
    numberOfPixels,
    minX,
    minY,
    rows: mask.rows,
    cols: mask.cols,
    triangulation: Int32Array.from(tri.data),
    triangleId: Int32Array.from(triId.data),
    mask: Uint8Array.from(mask.data, (v) => (v !== 0 ? 1 : 0)),
    alpha: alpha.data,
    beta: beta.data,
    numLandmarks: dest.rows / 2,
  };
}

/** round half to even, as cvRound / saturate_cast<int>(float) */
function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * PAW::Warp on the grayscale image: the face inside `landmarks` (x_0..x_n-1,
 * y_0..y_n-1) mapped onto the view's reference shape, rows x cols doubles
 * (only pixels inside the mask are meaningful).
 */
export function warpFace(paw: PiecewiseAffineWarp, image: GrayImage, landmarks: ArrayLike<number>): Float64Array {
  const p = paw.numLandmarks;
  const nt = paw.triangulation.length / 3;
  const coeff = new Float64Array(nt * 6);
  for (let l = 0; l < nt; l++) {
    const i = paw.triangulation[3 * l], j = paw.triangulation[3 * l + 1], k = paw.triangulation[3 * l + 2];
    const c1 = landmarks[i];
    const c2 = landmarks[j] - c1;
    const c3 = landmarks[k] - c1;
    const c4 = landmarks[i + p];
    const c5 = landmarks[j + p] - c4;
    const c6 = landmarks[k + p] - c4;
    const a = paw.alpha, b = paw.beta;
    coeff[6 * l] = c1 + c2 * a[3 * l] + c3 * b[3 * l];
    coeff[6 * l + 1] = c2 * a[3 * l + 1] + c3 * b[3 * l + 1];
    coeff[6 * l + 2] = c2 * a[3 * l + 2] + c3 * b[3 * l + 2];
    coeff[6 * l + 3] = c4 + c5 * a[3 * l] + c6 * b[3 * l];
    coeff[6 * l + 4] = c5 * a[3 * l + 1] + c6 * b[3 * l + 1];
    coeff[6 * l + 5] = c5 * a[3 * l + 2] + c6 * b[3 * l + 2];
  }
  const out = new Float64Array(paw.rows * paw.cols);
  const src = image.data, W = image.width, Hh = image.height;
  for (let y = 0; y < paw.rows; y++) {
    const yi = y + paw.minY;
    for (let x = 0; x < paw.cols; x++) {
      const idx = y * paw.cols + x;
      let mx = -1, my = -1;
      if (paw.mask[idx]) {
        const t = paw.triangleId[idx] * 6;
        const xi = x + paw.minX;
        mx = Math.fround(coeff[t] + coeff[t + 1] * xi + coeff[t + 2] * yi);
        my = Math.fround(coeff[t + 3] + coeff[t + 4] * xi + coeff[t + 5] * yi);
      }
      // cv::remap, INTER_LINEAR, BORDER_CONSTANT 0: positions quantised to 1/32
      const X = cvRound(mx * 32), Y = cvRound(my * 32);
      const sx = X >> 5, sy = Y >> 5;
      const fx = (X & 31) / 32, fy = (Y & 31) / 32;
      const w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
      let v: number;
      if (sx >= 0 && sy >= 0 && sx < W - 1 && sy < Hh - 1) {
        const o = sy * W + sx;
        v = src[o] * w00 + src[o + 1] * w01 + src[o + W] * w10 + src[o + W + 1] * w11;
      } else if (sx >= W || sx + 1 < 0 || sy >= Hh || sy + 1 < 0) {
        v = 0;
      } else {
        v = pixelOrZero(src, W, Hh, sx, sy) * w00 + pixelOrZero(src, W, Hh, sx + 1, sy) * w01 + pixelOrZero(src, W, Hh, sx, sy + 1) * w10 + pixelOrZero(src, W, Hh, sx + 1, sy + 1) * w11;
      }
      out[idx] = v;
    }
  }
  return out;
}

function pixelOrZero(src: Uint8Array, w: number, h: number, x: number, y: number): number {
  return x >= 0 && y >= 0 && x < w && y < h ? src[y * w + x] : 0;
}

/** DetectionValidator::GetViewId: nearest orientation (Euclidean on Euler angles). */
export function validatorViewIndex(model: ValidatorModel, rx: number, ry: number, rz: number): number {
  let id = 0, dbest = -1;
  model.orientations.forEach((o, i) => {
    const d = pm.hypot(rx - o[0], ry - o[1], rz - o[2]);
    if (i === 0 || d < dbest) {
      dbest = d;
      id = i;
    }
  });
  return id;
}

/**
 * DetectionValidator::Check: the detection certainty of `landmarks` in
 * `image` for a head at rotation (rx, ry, rz); -1 good … 1 bad.
 */
export function validateLandmarks(model: ValidatorModel, image: GrayImage, landmarks: ArrayLike<number>, rx: number, ry: number, rz: number, accel: ConvAccelerator | null = null): number {
  const id = validatorViewIndex(model, rx, ry, rz);
  const view = model.views[id];
  const warped = warpFace(view.paw, image, landmarks);
  const features = normaliseWarped(view, warped);
  if (view.cnn) return checkCnn(view, features, accel);
  if (view.svr) {
    let s = 0;
    for (let i = 0; i < features.length; i++) s += view.svr.weights[i] * features[i];
    return s + view.svr.bias;
  }
  if (view.nn) return checkNn(view.nn, features);
  return 1;
}

/** NormaliseWarpedToVector: masked pixels in column-major order, standardised, then (v - mean) / std per pixel. */
function normaliseWarped(view: ValidatorView, warped: Float64Array): Float64Array {
  const { rows, cols, mask } = view.paw;
  const vec = new Float64Array(view.paw.numberOfPixels);
  let n = 0;
  for (let x = 0; x < cols; x++) for (let y = 0; y < rows; y++) if (mask[y * cols + x]) vec[n++] = warped[y * cols + x];
  let s = 0, sq = 0;
  for (let i = 0; i < n; i++) {
    s += vec[i];
    sq += vec[i] * vec[i];
  }
  const mean = s / n;
  let std = Math.sqrt(Math.max(sq / n - mean * mean, 0));
  if (std === 0) std = 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((vec[i] - mean) / std - view.meanImage[i]) / view.stdImage[i];
  return out;
}

/** 1 / (1 + exp(t)) in float, t already negated (OpenFace: cv::exp(-x - bias), then 1 / (1 + ·)) */
function logisticOfNegated(t: number): number {
  return Math.fround(1 / Math.fround(1 + Math.fround(pm.exp(t))));
}

/**
 * The CNN's convolutions through the WebAssembly correlation kernel (same
 * sums in the same order, so the same bits): keeps each layer's kernels,
 * interleaved 8 per pixel, in the kernel module's memory.
 */
export class ConvAccelerator {
  private readonly stored = new Map<readonly Float64Array[], number[]>();
  private input = new Float64Array(0);
  private output = new Float64Array(0);

  constructor(private readonly wasm: WasmKernels) {}

  /**
   * For every kernel k of input map `a`: out[k] (oh x ow) = or += float(valid
   * correlation). Returns false when the geometry does not fit the kernel.
   */
  convolve(layer: Extract<CnnLayer, { kind: 'conv' }>, a: number, map: { data: Float32Array; h: number; w: number }, outs: readonly Float32Array[], oh: number, ow: number): boolean {
    if (layer.kernels > 8 || !this.wasm.fitsCorrelation(map.w, map.h, layer.kw, layer.kh, ow, oh)) return false;
    let offsets = this.stored.get(layer.weights);
    if (!offsets) {
      offsets = [];
      const area = layer.kh * layer.kw;
      for (let m = 0; m < layer.inMaps; m++) {
        const w8 = new Float64Array(area * 8);
        for (let k = 0; k < layer.kernels; k++) {
          const kern = layer.weights[m * layer.kernels + k];
          for (let q = 0; q < area; q++) w8[q * 8 + k] = kern[q];
        }
        offsets.push(this.wasm.store(w8));
      }
      this.stored.set(layer.weights, offsets);
    }
    const n = map.w * map.h;
    if (this.input.length < n) this.input = new Float64Array(n);
    this.input.set(map.data);
    const K = layer.kernels;
    if (this.output.length < oh * ow * K) this.output = new Float64Array(oh * ow * K);
    this.wasm.correlate(this.input, map.w, map.h, ow, oh, layer.kw, layer.kh, offsets[a], K, this.output);
    const fr = Math.fround;
    for (let k = 0; k < K; k++) {
      const o = outs[k];
      for (let p = 0, q = k; p < oh * ow; p++, q += K) o[p] = a === 0 ? fr(this.output[q]) : fr(o[p] + fr(this.output[q]));
    }
    return true;
  }
}

function checkCnn(view: ValidatorView, features: Float64Array, accel: ConvAccelerator | null): number {
  const { rows, cols, mask } = view.paw;
  const fr = Math.fround;
  // the features back into an image (zeros outside the mask)
  let maps: { data: Float32Array; h: number; w: number }[] = [];
  const img = new Float32Array(rows * cols);
  let f = 0;
  for (let x = 0; x < cols; x++) for (let y = 0; y < rows; y++) if (mask[y * cols + x]) img[y * cols + x] = features[f++];
  maps.push({ data: img, h: rows, w: cols });
  let result = 0;
  for (const layer of view.cnn ?? []) {
    if (layer.kind === 'conv') {
      const outs: { data: Float32Array; h: number; w: number }[] = [];
      for (let a = 0; a < maps.length; a++) {
        const m = maps[a];
        const oh = m.h - layer.kh + 1, ow = m.w - layer.kw + 1;
        if (a === 0) for (let k = 0; k < layer.kernels; k++) outs.push({ data: new Float32Array(oh * ow), h: oh, w: ow });
        if (accel?.convolve(layer, a, m, outs.map((o) => o.data), oh, ow)) continue;
        for (let k = 0; k < layer.kernels; k++) {
          const kern = layer.weights[a * layer.kernels + k];
          convolveValid(m.data, m.w, oh, ow, kern, layer.kh, layer.kw, outs[k].data, a === 0);
        }
      }
      for (let k = 0; k < outs.length; k++) {
        const d = outs[k].data, b = fr(layer.biases[k]);
        for (let i = 0; i < d.length; i++) d[i] = logisticOfNegated(fr(-d[i] - b));
      }
      maps = outs;
    } else if (layer.kind === 'subsample') {
      const sc = layer.scale;
      const kv = fr(1 / sc);
      maps = maps.map((m) => {
        // sepFilter2D with [1/s, 1/s] both ways (anchor 1), first row/column dropped, every s-th sample kept
        const h = m.h - 1, w = m.w - 1;
        const rh = Math.ceil(h / sc), rw = Math.ceil(w / sc);
        const out = new Float32Array(rh * rw);
        for (let y = 0; y < h; y += sc) {
          for (let x = 0; x < w; x += sc) {
            const r0 = fr(fr(m.data[y * m.w + x] * kv) + fr(m.data[y * m.w + x + 1] * kv));
            const r1 = fr(fr(m.data[(y + 1) * m.w + x] * kv) + fr(m.data[(y + 1) * m.w + x + 1] * kv));
            out[(y / sc) * rw + x / sc] = fr(fr(r0 * kv) + fr(r1 * kv));
          }
        }
        return { data: out, h: rh, w: rw };
      });
    } else {
      // maps flattened column by column, concatenated
      const input = new Float64Array(layer.inputs);
      let q = 0;
      for (const m of maps) for (let x = 0; x < m.w; x++) for (let y = 0; y < m.h; y++) input[q++] = m.data[y * m.w + x];
      const out = new Float32Array(layer.outputs);
      for (let o = 0; o < layer.outputs; o++) {
        let s = 0;
        for (let i = 0; i < layer.inputs; i++) s += input[i] * layer.weights[o * layer.inputs + i];
        out[o] = logisticOfNegated(fr(-fr(s) - fr(layer.bias)));
      }
      maps = [{ data: out, h: 1, w: layer.outputs }];
      result = out[0];
    }
  }
  return (result - 0.5) * 2.0;
}

/** out = float(valid correlation of img with kern) (first map) or out + that (later maps), in float. */
function convolveValid(img: Float32Array, iw: number, oh: number, ow: number, kern: Float64Array, kh: number, kw: number, out: Float32Array, first: boolean): void {
  const fr = Math.fround;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let ky = 0; ky < kh; ky++) {
        const ro = (y + ky) * iw + x, ko = ky * kw;
        for (let kx = 0; kx < kw; kx++) s += img[ro + kx] * kern[ko + kx];
      }
      const o = y * ow + x;
      out[o] = first ? fr(s) : fr(out[o] + fr(s));
    }
  }
}

function checkNn(nn: NonNullable<ValidatorView['nn']>, features: Float64Array): number {
  let vec = Array.from(features);
  nn.layers.forEach((layer, l) => {
    // the stored matrix is transposed on load: inputs (with a leading bias 1) x outputs
    const inputs = [1, ...vec];
    const W = layer; // rows: outputs, cols: inputs (before OpenFace's transpose)
    const out: number[] = [];
    for (let o = 0; o < W.rows; o++) {
      let s = 0;
      for (let i = 0; i < W.cols; i++) s += inputs[i] * W.data[o * W.cols + i];
      out.push(s);
    }
    const fun = l === nn.layers.length - 1 ? nn.output : nn.activation;
    vec = out.map((v) => (fun === 0 ? 1 / (1 + pm.exp(-v)) : fun === 1 ? 1.7159 * pm.tanh((2 / 3) * v) : v));
  });
  return (vec[0] - 0.5) * 2;
}
