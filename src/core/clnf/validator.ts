/**
 * OpenFace 2.2's landmark detection validator (DetectionValidator with
 * `detection_validation/validator_cnn.txt`): it warps the face inside the
 * fitted landmarks onto a fixed reference shape (piecewise affine warp),
 * normalises the pixels and classifies them with a small CNN, one per head
 * orientation ("view"). The CNN's output is 30 classes spread evenly over
 * [-1, 1]; the winning class's centre is the certainty (-1: surely a face
 * well fitted, 1: surely not) and 2.2 reports confidence = (1 - certainty) / 2
 * as a float, hence the quantised values 0.9833, 0.9167, 0.8833, ... A fit
 * is accepted when confidence > 0.725, i.e. certainty < -0.45.
 *
 * File (binary, little-endian): int32 validator type (3 = CNN; 2.2 supports
 * no other), int32 number of views, each view's orientation (3x1 double
 * matrix, degrees), then per view: the mean and standard deviation images
 * (1 x pixels, double), the network (src/core/cnn readCnn, validator
 * dialect) and the view's piecewise affine warp.
 *
 * Precision follows 2.2: the warp (triangle coefficients and sampling
 * positions) and the normalisation are float32; the mean and standard
 * deviation of the warped pixels are summed in double; the CNN runs in
 * float32 (src/core/cnn).
 */

import { ModelFormatError } from '../errors.ts';
import { BinaryReader } from './binaryReader.ts';
import type { GrayImage } from '../image.ts';
import { readCnn, readFloatMatrix, runCnn, tensor3, type CnnLayer, type ConvolutionScratch } from '../cnn/index.ts';

const fr = Math.fround;

/** OpenFace's PAW as the validator file stores it: a reference shape cut into triangles, rasterised onto a rows x cols grid. */
export interface PiecewiseAffineWarp {
  readonly numberOfPixels: number;
  /** float: the grid's top-left corner in reference-shape coordinates */
  readonly minX: number;
  readonly minY: number;
  readonly rows: number;
  readonly cols: number;
  /** numTriangles x 3 landmark indices */
  readonly triangulation: Int32Array;
  /** rows x cols, the triangle each grid pixel lies in (-1 outside the face) */
  readonly triangleId: Int32Array;
  /** rows x cols, 1 inside the face */
  readonly mask: Uint8Array;
  /** numTriangles x 3 each, float: a pixel's barycentric weights from its position */
  readonly alpha: Float32Array;
  readonly beta: Float32Array;
  readonly numLandmarks: number;
}

export interface ValidatorView {
  /** (rx, ry, rz) in radians, the head rotation this view's CNN was trained for */
  readonly orientation: Float64Array;
  /** per masked pixel (column-major over the warp grid), float */
  readonly meanImage: Float32Array;
  readonly stdImage: Float32Array;
  readonly paw: PiecewiseAffineWarp;
  readonly cnn: readonly CnnLayer[];
}

export interface ValidatorModel {
  readonly views: readonly ValidatorView[];
  /** im2col memory reused across calls (validation runs synchronously, one call at a time) */
  readonly scratch: ConvolutionScratch;
}

/** The only validator type OpenFace 2.2 reads. */
export const CNN_VALIDATOR_TYPE = 3;

export function parseValidator(bytes: Uint8Array, source = 'detection validator'): ValidatorModel {
  const r = new BinaryReader(bytes, source);
  const type = r.int32('validator type');
  const n = r.int32('number of views');
  if (type !== CNN_VALIDATOR_TYPE || n <= 0 || n > 100) {
    throw new ModelFormatError(`${source}: not an OpenFace 2.2 detection validator (type ${type}, ${n} views; 2.2 reads only the CNN validator, type 3, e.g. detection_validation/validator_cnn.txt)`);
  }
  const orientations: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const m = r.matrix(`view ${i} orientation`);
    if (m.data.length !== 3) throw new ModelFormatError(`${source}: view ${i} orientation is ${m.rows}x${m.cols}`);
    orientations.push(Float64Array.from(m.data, (degrees) => (degrees * Math.PI) / 180.0));
  }
  const views: ValidatorView[] = [];
  for (let i = 0; i < n; i++) {
    const meanImage = readFloatMatrix(r, `view ${i} mean image`).data;
    const stdImage = readFloatMatrix(r, `view ${i} standard deviations`).data;
    const cnn = readCnn(r, 'validator', `${source}: view ${i} CNN`);
    const paw = readPaw(r, `${source}: view ${i} warp`);
    if (meanImage.length !== paw.numberOfPixels || stdImage.length !== paw.numberOfPixels) {
      throw new ModelFormatError(`${source}: view ${i} normalises ${meanImage.length} pixels, its warp has ${paw.numberOfPixels}`);
    }
    views.push({ orientation: orientations[i], meanImage, stdImage, paw, cnn });
  }
  return { views, scratch: { im2col: new Float32Array(0) } };
}

function readPaw(r: BinaryReader, what: string): PiecewiseAffineWarp {
  const numberOfPixels = r.int32(`${what}: pixel count`);
  const minX = fr(r.float64(`${what}: min x`));
  const minY = fr(r.float64(`${what}: min y`));
  const dest = r.matrix(`${what}: destination landmarks`);
  const tri = r.matrix(`${what}: triangulation`);
  const triId = r.matrix(`${what}: triangle ids`);
  const mask = r.matrix(`${what}: pixel mask`);
  const alpha = r.matrix(`${what}: alpha`);
  const beta = r.matrix(`${what}: beta`);
  const numLandmarks = dest.rows / 2;
  if (tri.cols !== 3 || alpha.rows !== tri.rows || beta.rows !== tri.rows || mask.rows !== triId.rows || mask.cols !== triId.cols) {
    throw new ModelFormatError(`${what}: inconsistent piecewise affine warp`);
  }
  if (tri.data.some((v) => v < 0 || v >= numLandmarks) || triId.data.some((v) => v >= tri.rows)) {
    throw new ModelFormatError(`${what}: triangle indices out of range`);
  }
  const maskBits = Uint8Array.from(mask.data, (v) => (v !== 0 ? 1 : 0));
  if (maskBits.reduce((a, b) => a + b, 0) !== numberOfPixels) throw new ModelFormatError(`${what}: the mask does not have ${numberOfPixels} pixels`);
  return {
    numberOfPixels,
    minX,
    minY,
    rows: mask.rows,
    cols: mask.cols,
    triangulation: Int32Array.from(tri.data),
    triangleId: Int32Array.from(triId.data),
    mask: maskBits,
    alpha: Float32Array.from(alpha.data),
    beta: Float32Array.from(beta.data),
    numLandmarks,
  };
}

/** round half to even, as cvRound / OpenCV's float-to-int conversion */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * PAW::Warp: the image under `landmarks` (float, x_0..x_n-1 then y_0..y_n-1,
 * in `image`'s coordinates) mapped onto the warp grid, rows x cols floats
 * (meaningful inside the mask only).
 *
 * Each triangle's affine map is computed in float; each grid pixel's source
 * position likewise; cv::remap then samples bilinearly at that position
 * rounded to 1/32 pixel, with 0 outside the image. The samples are exact:
 * 8-bit pixels times weights that are multiples of 1/1024 add up without
 * rounding.
 */
export function warpFace(paw: PiecewiseAffineWarp, image: GrayImage, landmarks: ArrayLike<number>, out = new Float32Array(paw.rows * paw.cols)): Float32Array {
  const p = paw.numLandmarks;
  const nt = paw.triangulation.length / 3;
  const a = paw.alpha, b = paw.beta;
  const coeff = new Float32Array(nt * 6);
  for (let l = 0; l < nt; l++) {
    const i = paw.triangulation[3 * l], j = paw.triangulation[3 * l + 1], k = paw.triangulation[3 * l + 2];
    const c1 = landmarks[i];
    const c2 = fr(landmarks[j] - c1);
    const c3 = fr(landmarks[k] - c1);
    const c4 = landmarks[i + p];
    const c5 = fr(landmarks[j + p] - c4);
    const c6 = fr(landmarks[k + p] - c4);
    const t = 3 * l, o = 6 * l;
    coeff[o] = fr(c1 + fr(c2 * a[t])) + fr(c3 * b[t]);
    coeff[o + 1] = fr(c2 * a[t + 1]) + fr(c3 * b[t + 1]);
    coeff[o + 2] = fr(c2 * a[t + 2]) + fr(c3 * b[t + 2]);
    coeff[o + 3] = fr(c4 + fr(c5 * a[t])) + fr(c6 * b[t]);
    coeff[o + 4] = fr(c5 * a[t + 1]) + fr(c6 * b[t + 1]);
    coeff[o + 5] = fr(c5 * a[t + 2]) + fr(c6 * b[t + 2]);
  }
  const src = image.data, W = image.width, H = image.height;
  for (let y = 0; y < paw.rows; y++) {
    const yi = fr(y + paw.minY);
    for (let x = 0; x < paw.cols; x++) {
      const idx = y * paw.cols + x;
      if (!paw.mask[idx]) {
        out[idx] = 0;
        continue;
      }
      const t = paw.triangleId[idx] * 6;
      const xi = fr(x + paw.minX);
      const mx = fr(fr(coeff[t] + fr(coeff[t + 1] * xi)) + fr(coeff[t + 2] * yi));
      const my = fr(fr(coeff[t + 3] + fr(coeff[t + 4] * xi)) + fr(coeff[t + 5] * yi));
      out[idx] = sampleBilinear(src, W, H, mx, my);
    }
  }
  return out;
}

/** cv::remap's INTER_LINEAR sample at (x, y), the position rounded to 1/32 pixel, pixels outside the image 0. */
function sampleBilinear(src: Uint8Array, W: number, H: number, x: number, y: number): number {
  const X = roundHalfEven(x * 32), Y = roundHalfEven(y * 32);
  const sx = X >> 5, sy = Y >> 5;
  const fx = (X & 31) / 32, fy = (Y & 31) / 32;
  const w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
  if (sx >= 0 && sy >= 0 && sx < W - 1 && sy < H - 1) {
    const o = sy * W + sx;
    return src[o] * w00 + src[o + 1] * w01 + src[o + W] * w10 + src[o + W + 1] * w11;
  }
  if (sx >= W || sx + 1 < 0 || sy >= H || sy + 1 < 0) return 0;
  const at = (px: number, py: number): number => (px >= 0 && py >= 0 && px < W && py < H ? src[py * W + px] : 0);
  return at(sx, sy) * w00 + at(sx + 1, sy) * w01 + at(sx, sy + 1) * w10 + at(sx + 1, sy + 1) * w11;
}

/** DetectionValidator::GetViewId: the view whose orientation is nearest (Euclidean distance of the Euler angles; the first on ties). */
export function validatorViewIndex(model: ValidatorModel, rx: number, ry: number, rz: number): number {
  let id = 0, best = -1;
  model.views.forEach((view, i) => {
    const o = view.orientation;
    const dx = rx - o[0], dy = ry - o[1], dz = rz - o[2];
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (i === 0 || d < best) {
      best = d;
      id = i;
    }
  });
  return id;
}

/**
 * The image region 2.2 hands to the warp: the landmarks' bounding box
 * widened by 3 pixels (truncated to whole pixels), clipped so that its right
 * and bottom bounds stay inside the image, the bounds themselves excluded.
 * Null when it is one pixel wide or less (all landmarks off the image).
 */
function validationRegion(landmarks: Float32Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  const n = landmarks.length / 2;
  let minX = landmarks[0], maxX = landmarks[0], minY = landmarks[n], maxY = landmarks[n];
  for (let i = 1; i < n; i++) {
    const x = landmarks[i], y = landmarks[n + i];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  // (int) truncates toward zero
  let x0 = Math.trunc(fr(minX - 3)), x1 = Math.trunc(fr(maxX + 3));
  let y0 = Math.trunc(fr(minY - 3)), y1 = Math.trunc(fr(maxY + 3));
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > width - 1) x1 = width - 1;
  if (y1 > height - 1) y1 = height - 1;
  if (x1 - x0 <= 1 || y1 - y0 <= 1) return null;
  return { x0, y0, x1, y1 };
}

/**
 * NormaliseWarpedToVector, then back onto the grid: the masked pixels
 * (column-major order) standardised by their own mean and standard
 * deviation, then by the view's per-pixel mean and deviation, in float;
 * zeros outside the mask. This grid is the CNN's input.
 */
function normalisedFace(view: ValidatorView, warped: Float32Array): Float32Array {
  const { rows, cols, mask, numberOfPixels } = view.paw;
  const vec = new Float32Array(numberOfPixels);
  let n = 0;
  for (let x = 0; x < cols; x++) for (let y = 0; y < rows; y++) if (mask[y * cols + x]) vec[n++] = warped[y * cols + x];
  // cv::meanStdDev sums in double (exactly, for these sample values)
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    sum += vec[i];
    sumSq += vec[i] * vec[i];
  }
  const mean = sum / n;
  let std = Math.sqrt(Math.max(sumSq / n - mean * mean, 0));
  if (std === 0) std = 1;
  // vec -= mean; vec /= std: the mean as a float, the division as a float scale 1/std
  const meanF = fr(mean), scale = fr(1 / std);
  const grid = new Float32Array(rows * cols);
  const m = view.meanImage, s = view.stdImage;
  let k = 0;
  for (let x = 0; x < cols; x++) {
    for (let y = 0; y < rows; y++) {
      if (!mask[y * cols + x]) continue;
      const local = fr(fr(vec[k] - meanF) * scale);
      grid[y * cols + x] = fr(local - m[k]) / s[k];
      k++;
    }
  }
  return grid;
}

/** The class centre of the CNN's strongest output: `classes` bins over [-1, 1] (the first maximum on ties). */
function certaintyOfClasses(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  const step = 2 / scores.length;
  return -1 + step / 2.0 + best * step;
}

/**
 * DetectionValidator::Check as a certainty: -1 (good) … 1 (bad), the
 * centre of the winning class; 1 when the landmarks leave no image to warp.
 * `landmarks` are x_0..x_n-1, y_0..y_n-1 and (rx, ry, rz) the head rotation
 * (PDM global parameters); 2.2 holds both as float, so they are rounded to
 * float first. OpenFace's confidence is `confidenceFromCertainty` of this.
 */
export function validateLandmarks(model: ValidatorModel, image: GrayImage, landmarks: ArrayLike<number>, rx: number, ry: number, rz: number): number {
  const view = model.views[validatorViewIndex(model, fr(rx), fr(ry), fr(rz))];
  const local = Float32Array.from(landmarks);
  const region = validationRegion(local, image.width, image.height);
  if (!region) return 1;
  const { x0, y0, x1, y1 } = region;
  const n = local.length / 2;
  for (let i = 0; i < n; i++) {
    local[i] = local[i] - x0;
    local[n + i] = local[n + i] - y0;
  }
  const cw = x1 - x0, ch = y1 - y0;
  const crop = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) crop.set(image.data.subarray((y0 + y) * image.width + x0, (y0 + y) * image.width + x1), y * cw);
  const warped = warpFace(view.paw, { data: crop, width: cw, height: ch }, local);
  const input = tensor3(1, view.paw.rows, view.paw.cols, normalisedFace(view, warped));
  const scores = runCnn(view.cnn, input, { scratch: model.scratch });
  return certaintyOfClasses(scores.data);
}

/** OpenFace 2.2's reported confidence (the CSV column): (1 - certainty) / 2 as a float. */
export function confidenceFromCertainty(certainty: number): number {
  return fr(0.5 * (1.0 - certainty));
}
