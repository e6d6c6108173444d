/**
 * OpenFace 2.2's 3D landmarks in camera space (CLNF::GetShape), for the face
 * model (the CSV's X_, Y_, Z_ columns) and for each eye part model (the
 * eye_lmk_X/Y/Z columns), in 2.2's float arithmetic:
 *
 * - the model shape is the PDM's mean plus its components times the local
 *   parameters (PDM::CalcShape3D), which 2.2 hands to BLAS sgemm: per row the
 *   products accumulated in float with fused multiply-adds, then the mean
 *   added in float;
 * - it is rotated by the Euler angles of the global parameters (a float
 *   rotation matrix; OpenCV's gemm sums the three products in double and
 *   stores a float); only the rotated depth is used;
 * - depth: the weak-perspective distance fx / scale plus that rotated depth;
 * - X and Y: each detected 2D landmark pushed back to its depth through the
 *   pinhole camera, X = Z ((x - cx) / fx), Y = Z ((y - cy) / fy).
 *
 * Measured against 2.2's CSVs (10 digits, which pin down each float): every
 * X, Y and Z of every tracked frame comes out bit-identical.
 */
import type { Pdm } from '../pdm/pdm.ts';
import { euler2RotationMatrixF32 } from '../pdm/rotationFloat32.ts';
import type { CameraIntrinsics } from './camera.ts';

const fr = Math.fround;

/**
 * PDM::CalcShape3D as 2.2 computes it (float PDM, sgemm): 3n values,
 * x_0..x_n-1, y_0.., z_0.. in model space (mm). The PDM may hold doubles
 * (as parsed from its text file); each value is rounded to float as 2.2's
 * reader stores it.
 */
export function modelShapeF32(pdm: Pdm, paramsLocal: ArrayLike<number>, out: Float64Array = new Float64Array(3 * pdm.numPoints)): Float64Array {
  const rows = 3 * pdm.numPoints, m = pdm.numModes;
  if (paramsLocal.length !== m) throw new RangeError(`modelShapeF32: ${paramsLocal.length} local parameters for a PDM with ${m} modes`);
  const V = pdm.princComp, M = pdm.meanShape;
  for (let r = 0; r < rows; r++) {
    const base = r * m;
    let acc = 0;
    // One rounding per fused multiply-add: the float product is exact in
    // double, so rounding the double sum to float is the FMA's single rounding
    // (up to a double-rounding tie, which does not occur in practice).
    for (let k = 0; k < m; k++) acc = fr(fr(V[base + k]) * fr(paramsLocal[k]) + acc);
    out[r] = fr(acc + fr(M[r]));
  }
  return out;
}

/** shapeInCamera's rotation (module scratch) */
const rotation = new Float64Array(9);

/**
 * CLNF::GetShape: the 3D landmarks (3n values X_0..X_n-1, Y_0.., Z_0.., mm,
 * camera space) of a model with `landmarks` (2n values x_0..x_n-1,
 * y_0..y_n-1, pixels) fitted with `paramsGlobal` [scale, rx, ry, rz, tx, ty]
 * and `paramsLocal`. Works for any PDM: the 68-point face model or a 28-point
 * eye part with its own PDM, landmarks and parameters.
 *
 * A zero scale gives an infinite depth, as 2.2 would compute it; callers
 * that have no face should not ask.
 */
export function shapeInCamera(
  pdm: Pdm,
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  paramsLocal: ArrayLike<number>,
  camera: CameraIntrinsics,
  out: Float64Array = new Float64Array(3 * pdm.numPoints),
): Float64Array {
  const n = pdm.numPoints;
  if (landmarks.length !== 2 * n) throw new RangeError(`shapeInCamera: ${landmarks.length} landmark coordinates for a ${n}-point PDM`);
  if (paramsGlobal.length !== 6) throw new RangeError(`shapeInCamera: ${paramsGlobal.length} global parameters, expected 6`);
  // The model shape goes into `out` first; each point's X, Y, Z overwrite
  // only that point's own entries, after they have been read.
  const shape = modelShapeF32(pdm, paramsLocal, out);
  const r = euler2RotationMatrixF32(fr(paramsGlobal[1]), fr(paramsGlobal[2]), fr(paramsGlobal[3]), rotation);
  const fx = fr(camera.fx), fy = fr(camera.fy), cx = fr(camera.cx), cy = fr(camera.cy);
  const depth = fr(fx / fr(paramsGlobal[0]));
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const z = fr(depth + fr(X * r[6] + Y * r[7] + Z * r[8]));
    out[i] = fr(z * fr(fr(fr(landmarks[i]) - cx) / fx));
    out[i + n] = fr(z * fr(fr(fr(landmarks[i + n]) - cy) / fy));
    out[i + 2 * n] = z;
  }
  return out;
}
