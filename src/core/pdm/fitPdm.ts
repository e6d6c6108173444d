/**
 * Pieces of OpenFace 1.x's PDM fit (PDM::CalcParams, ComputeJacobian,
 * UpdateModelParameters) that the CLNF tracker (../clnf) still builds on:
 * the visible-point subset, the start parameters from the landmarks' box,
 * the Jacobian and the parameter update, with 1.x's mix of float and double.
 *
 * The AU engine no longer fits with these: OpenFace 2.2's FaceAnalyser runs
 * 2.2's all-float CalcParams, which is ./calcParams.ts.
 */

import type { Pdm } from './pdm.ts';
import { mat3Mul, noRound, orthonormalise } from './linalg.ts';
import { axisAngle2Euler, euler2RotationMatrix, rotationMatrix2AxisAngle } from './rotation.ts';
import { calcBoundingBox, pointExtent, shape3d } from './shape.ts';

/** The points a CalcParams fit uses (see `visibleLandmarks`). */
export interface VisibleLandmarks {
  /** the PDM itself when every point is visible, else its rows for the visible points (`subsetPdm`) */
  readonly pdm: Pdm;
  /** the visible points' landmarks, x's then y's */
  readonly landmarks: Float64Array;
}

/**
 * The visible landmarks of `landmarks` (x_0..x_n-1, y_0..y_n-1 for the n
 * points of `pdm`) and the PDM restricted to them: OpenFace marks a landmark
 * missing when its x is exactly 0 and fits the others only.
 */
export function visibleLandmarks(pdm: Pdm, landmarks: ArrayLike<number>, caller: string): VisibleLandmarks {
  const nAll = pdm.numPoints;
  const visible: number[] = [];
  for (let i = 0; i < nAll; i++) if (landmarks[i] !== 0) visible.push(i);
  if (visible.length === 0) throw new RangeError(`${caller}: no visible landmarks (all x are 0)`);
  const n = visible.length;
  const target = new Float64Array(2 * n);
  visible.forEach((i, k) => {
    target[k] = landmarks[i];
    target[k + n] = landmarks[i + nAll];
  });
  return { pdm: n === nAll ? pdm : subsetPdm(pdm, visible), landmarks: target };
}

/**
 * CalcParams' starting global parameters: the given rotation, translation at
 * the centre of the landmarks' box, and as scale the mean of the width and
 * height ratios between that box and the mean shape's (integer)
 * CalcBoundingBox. The box is taken over `boxXY` as x_0..x_n-1,
 * y_0..y_n-1 with n = pdm.numPoints: the fitted landmarks, or, to reproduce
 * OpenFace's misindexing when points are missing, its full landmark vector.
 */
export function initialGlobalParams(pdm: Pdm, boxXY: ArrayLike<number>, rotation: ArrayLike<number>): Float64Array {
  const { minX, maxX, minY, maxY } = pointExtent(boxXY, pdm.numPoints);
  const width = Math.abs(minX - maxX);
  const height = Math.abs(minY - maxY);
  const modelBox = calcBoundingBox(pdm, new Float64Array(pdm.numModes), [1, 0, 0, 0, 0, 0]);
  return Float64Array.of(
    (width / modelBox.width + height / modelBox.height) / 2,
    rotation[0], rotation[1], rotation[2],
    (minX + maxX) / 2.0, (minY + maxY) / 2.0,
  );
}

/** The PDM restricted to some points (OpenFace's reduced mean/components for missing landmarks). */
export function subsetPdm(pdm: Pdm, points: readonly number[]): Pdm {
  const nAll = pdm.numPoints, m = pdm.numModes, n = points.length;
  const meanShape = new Float64Array(3 * n);
  const princComp = new Float64Array(3 * n * m);
  for (let d = 0; d < 3; d++) {
    for (let k = 0; k < n; k++) {
      const src = points[k] + d * nAll, dst = k + d * n;
      meanShape[dst] = pdm.meanShape[src];
      princComp.set(pdm.princComp.subarray(src * m, src * m + m), dst * m);
    }
  }
  return { numPoints: n, numModes: m, meanShape, princComp, eigenValues: pdm.eigenValues };
}

/**
 * OpenFace's PDM::ComputeJacobian with unit weights: the 2n x (6 + m)
 * Jacobian of the landmarks (rows x_0..x_n-1, y_0..y_n-1) with respect to
 * scale, the three small-angle rotations (a rotation update post-multiplies
 * R, see updateModelParameters), tx, ty and the modes; row-major. 'float32'
 * rounds like OpenFace's float code; 'float64' (default) is exact double.
 */
export function computeJacobian(
  pdm: Pdm,
  paramsLocal: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  precision: 'float32' | 'float64' = 'float64',
): Float64Array {
  const n = pdm.numPoints, m = pdm.numModes, P = 6 + m, rows = 2 * n;
  const fr = precision === 'float32' ? Math.fround : noRound;
  const p = Float64Array.from(paramsLocal, fr);
  const JT = new Float64Array(P * rows);
  computeJacobianT(pdm, shape3d(pdm, p), paramsGlobal, fr, JT);
  const J = new Float64Array(rows * P);
  for (let c = 0; c < P; c++) for (let r = 0; r < rows; r++) J[r * P + c] = JT[c * rows + r];
  return J;
}

/** computeJacobianT's rotation matrix (module scratch: it runs every fitting iteration) */
const jacR = new Float64Array(9);

/**
 * OpenFace's PDM::ComputeJacobian (unit weights), written transposed:
 * JT[param * 2n + row], rows x_0..x_n-1 then y_0..y_n-1, parameters
 * scale, the three small-angle rotations, tx, ty, then (unless `rigidOnly`:
 * ComputeRigidJacobian) the modes. `shape` is the 3D shape (CalcShape3D) of
 * the current local parameters. The rotation columns are the derivatives of
 * s · R · (I + [ω]×) · X at ω = 0. `fr` rounds every float operation of
 * OpenFace's float code (Math.fround: its float32 values exactly).
 */
export function computeJacobianT(
  pdm: Pdm,
  shape: Float64Array,
  glob: ArrayLike<number>,
  fr: (x: number) => number,
  JT: Float64Array,
  rigidOnly = false,
): void {
  const n = pdm.numPoints, m = pdm.numModes, V = pdm.princComp;
  const rows = 2 * n;
  const s = fr(glob[0]);
  const R = euler2RotationMatrix(glob[1], glob[2], glob[3], jacR);
  const r11 = fr(R[0]), r12 = fr(R[1]), r13 = fr(R[2]);
  const r21 = fr(R[3]), r22 = fr(R[4]), r23 = fr(R[5]);
  const c0 = 0, c1 = rows, c2 = 2 * rows, c3 = 3 * rows, c4 = 4 * rows, c5 = 5 * rows;
  for (let i = 0; i < n; i++) {
    const X = fr(shape[i]), Y = fr(shape[i + n]), Z = fr(shape[i + 2 * n]);
    const iy = i + n;
    // scale
    JT[c0 + i] = fr(fr(fr(X * r11) + fr(Y * r12)) + fr(Z * r13));
    JT[c0 + iy] = fr(fr(fr(X * r21) + fr(Y * r22)) + fr(Z * r23));
    // rotation about x, y, z
    JT[c1 + i] = fr(s * fr(fr(Y * r13) - fr(Z * r12)));
    JT[c1 + iy] = fr(s * fr(fr(Y * r23) - fr(Z * r22)));
    JT[c2 + i] = fr(-s * fr(fr(X * r13) - fr(Z * r11)));
    JT[c2 + iy] = fr(-s * fr(fr(X * r23) - fr(Z * r21)));
    JT[c3 + i] = fr(s * fr(fr(X * r12) - fr(Y * r11)));
    JT[c3 + iy] = fr(s * fr(fr(X * r22) - fr(Y * r21)));
    // translation
    JT[c4 + i] = 1;
    JT[c4 + iy] = 0;
    JT[c5 + i] = 0;
    JT[c5 + iy] = 1;
    if (rigidOnly) continue;
    // modes: s · R₂ₓ₃ · V_i (OpenFace promotes the float factors to double here)
    const bx = i * m, by = (i + n) * m, bz = (i + 2 * n) * m;
    for (let j = 0; j < m; j++) {
      const vx = V[bx + j], vy = V[by + j], vz = V[bz + j];
      const col = (6 + j) * rows;
      JT[col + i] = fr(s * (r11 * vx + r12 * vy + r13 * vz));
      JT[col + iy] = fr(s * (r21 * vx + r22 * vy + r23 * vz));
    }
  }
}

/**
 * OpenFace's PDM::UpdateModelParameters: scale and translation add; the
 * rotation becomes R · Orthonormalise(I + [δ]×), converted back to Euler
 * angles through axis-angle (Rodrigues) "to make sure it's legal"; local
 * parameters add (`fr` rounds the sum to OpenFace's float when it is Math.fround).
 */
export function updateModelParameters(
  delta: ArrayLike<number>,
  loc: Float64Array,
  glob: Float64Array,
  m: number,
  fr: (x: number) => number = noRound,
): void {
  glob[0] += delta[0];
  glob[4] += delta[4];
  glob[5] += delta[5];
  // (module scratch throughout: this runs every fitting iteration)
  const R1 = euler2RotationMatrix(glob[1], glob[2], glob[3], updR1);
  const R2 = updR2;
  R2.fill(0);
  R2[0] = R2[4] = R2[8] = 1;
  R2[7] = delta[1]; R2[5] = -delta[1];
  R2[2] = delta[2]; R2[6] = -delta[2];
  R2[3] = delta[3]; R2[1] = -delta[3];
  const R3 = mat3Mul(R1, orthonormalise(R2, updOrtho), updR3);
  const euler = axisAngle2Euler(rotationMatrix2AxisAngle(R3, updAxis), updEuler);
  glob[1] = euler[0];
  glob[2] = euler[1];
  glob[3] = euler[2];
  for (let j = 0; j < m; j++) loc[j] = fr(loc[j] + delta[6 + j]);
}

const updR1 = new Float64Array(9);
const updR2 = new Float64Array(9);
const updR3 = new Float64Array(9);
const updOrtho = new Float64Array(9);
const updAxis = new Float64Array(3);
const updEuler = new Float64Array(3);
