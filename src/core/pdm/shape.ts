/**
 * Shapes from PDM parameters, as OpenFace's PDM class computes them
 * (PDM::CalcShape3D, CalcShape2D, CalcBoundingBox and the bounding-box
 * overload of CalcParams), in double precision like OpenFace 1.x.
 *
 * params_global = [scale, rx, ry, rz, tx, ty]: a weak-perspective camera.
 * A 3D point P of the model lands at scale * (R P)[x, y] + (tx, ty), with
 * R = euler2RotationMatrix(rx, ry, rz).
 */

import type { Pdm } from './pdm.ts';
import { gemvDot } from './linalg.ts';
import { euler2RotationMatrix } from './rotation.ts';

/** An axis-aligned box in pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The 3D shape meanShape + princComp * paramsLocal (OpenFace's CalcShape3D),
 * 3n values: x_0..x_n-1, y_0.., z_0.. (model space, mm). Each row sums the
 * component products in the order of OpenCV's own matrix-vector gemm and
 * adds the mean last (an OpenCV built with a BLAS may differ in the last bit).
 */
export function shape3d(pdm: Pdm, paramsLocal: ArrayLike<number>, out: Float64Array = new Float64Array(3 * pdm.numPoints)): Float64Array {
  const rows = 3 * pdm.numPoints, m = pdm.numModes;
  const v = pdm.princComp, mean = pdm.meanShape;
  if (paramsLocal.length !== m) throw new RangeError(`shape3d: ${paramsLocal.length} local parameters for a PDM with ${m} modes`);
  const p = paramsLocal instanceof Float64Array ? paramsLocal : Float64Array.from(paramsLocal);
  for (let r = 0; r < rows; r++) out[r] = gemvDot(v, r * m, p, 0, m) + mean[r];
  return out;
}

/** projectShape3d's rotation matrix (module scratch) */
const projectR = new Float64Array(9);

/**
 * Weak-perspective projection of a 3D shape (3n values) with global
 * parameters: 2n values x_0..x_n-1 then y_0..y_n-1 (OpenFace's layout for
 * 2D shapes and for the CSV's x_/y_ columns).
 */
export function projectShape3d(shape: ArrayLike<number>, paramsGlobal: ArrayLike<number>, out?: Float64Array): Float64Array {
  const n = shape.length / 3;
  const result = out ?? new Float64Array(2 * n);
  const s = paramsGlobal[0], tx = paramsGlobal[4], ty = paramsGlobal[5];
  // (module scratch: the landmark fits project every iteration)
  const r = euler2RotationMatrix(paramsGlobal[1], paramsGlobal[2], paramsGlobal[3], projectR);
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    result[i] = s * (r[0] * X + r[1] * Y + r[2] * Z) + tx;
    result[i + n] = s * (r[3] * X + r[4] * Y + r[5] * Z) + ty;
  }
  return result;
}

/**
 * OpenFace's CalcShape2D: the 2D landmarks (x_0..x_n-1, y_0..y_n-1, pixels)
 * of local parameters `paramsLocal` seen with global parameters
 * `paramsGlobal` ([scale, rx, ry, rz, tx, ty]). `shape`, when given,
 * receives the 3D shape on the way (CalcShape3D), for callers that reuse it.
 */
export function projectShape(
  pdm: Pdm,
  paramsLocal: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  out?: Float64Array,
  shape: Float64Array = new Float64Array(3 * pdm.numPoints),
): Float64Array {
  if (paramsGlobal.length !== 6) throw new RangeError(`projectShape: ${paramsGlobal.length} global parameters, expected 6`);
  return projectShape3d(shape3d(pdm, paramsLocal, shape), paramsGlobal, out);
}

/** The extent of a point set. */
export interface Extent {
  readonly minX: number;
  readonly maxX: number;
  readonly minY: number;
  readonly maxY: number;
}

/**
 * Smallest and largest x and y of the first `n` points of `xy`, laid out
 * x_0..x_n-1, y_0..y_n-1 (the y's start at index n, whatever `xy`'s length).
 */
export function pointExtent(xy: ArrayLike<number>, n: number): Extent {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xy[i], y = xy[i + n];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, maxX, minY, maxY };
}

/**
 * OpenFace's CalcBoundingBox: the box around the projected landmarks, as
 * an integer cv::Rect, i.e. x, y, width and height each truncated toward
 * zero (the truncation matters: CalcParams divides by these integer sizes).
 */
export function calcBoundingBox(pdm: Pdm, paramsLocal: ArrayLike<number>, paramsGlobal: ArrayLike<number>): Box {
  const { minX, maxX, minY, maxY } = pointExtent(projectShape(pdm, paramsLocal, paramsGlobal), pdm.numPoints);
  return {
    x: Math.trunc(minX),
    y: Math.trunc(minY),
    width: Math.trunc(Math.abs(minX - maxX)),
    height: Math.trunc(Math.abs(minY - maxY)),
  };
}

/**
 * The bounding-box overload of OpenFace's CalcParams: global parameters
 * that place the shape of `paramsLocal`, rotated by `rotation` (rx, ry, rz),
 * so that its extent fills `box` (face outline left to right, eyebrows to
 * chin). Scale is the mean of the width and height ratios.
 */
export function paramsFromBoundingBox(
  pdm: Pdm,
  box: Box,
  paramsLocal: ArrayLike<number> = new Float64Array(pdm.numModes),
  rotation: ArrayLike<number> = [0, 0, 0],
): Float64Array {
  const n = pdm.numPoints;
  const shape = shape3d(pdm, paramsLocal);
  const r = euler2RotationMatrix(rotation[0], rotation[1], rotation[2]);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const x = r[0] * X + r[1] * Y + r[2] * Z;
    const y = r[3] * X + r[4] * Y + r[5] * Z;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const width = Math.abs(minX - maxX);
  const height = Math.abs(minY - maxY);
  const scaling = (box.width / width + box.height / height) / 2;
  const tx = box.x + box.width / 2 - (scaling * (minX + maxX)) / 2;
  const ty = box.y + box.height / 2 - (scaling * (minY + maxY)) / 2;
  return Float64Array.of(scaling, rotation[0], rotation[1], rotation[2], tx, ty);
}
