/**
 * The PDM operations the CLNF fitting needs, with OpenFace 1.x's float
 * arithmetic (PDM.cpp): the Jacobian of the 2D landmarks over the rigid (6)
 * or all (6 + m) parameters with optional per-coordinate weights (the NU-RLMS
 * weights), the parameter clamp, and CalcParams from landmarks in OpenFace's
 * exact form, including its handling of missing landmarks, which the
 * hierarchical eye models rely on (6 of their 28 points are given).
 *
 * Shapes and rotation matrices come from the shared PDM code in ../pdm
 * (double, like OpenFace); the float32 parts are reproduced with Math.fround
 * after every float operation.
 */

import type { Pdm } from '../pdm/pdm.ts';
import { choleskySolve, FLT_EPSILON } from '../pdm/linalg.ts';
import { euler2RotationMatrix } from '../pdm/rotation.ts';
import { calcBoundingBox, shape3d } from '../pdm/shape.ts';
import { updateModelParameters } from '../pdm/fitPdm.ts';
import type { WasmKernels } from './wasmKernels.ts';

const fr = Math.fround;

/**
 * Jacobian of OpenFace's weak-perspective projection (PDM::ComputeJacobian /
 * ComputeRigidJacobian), written transposed: JT[param * 2n + row], rows
 * x_0..x_n-1 then y_0..y_n-1, parameters scale, the three small-angle
 * rotations, tx, ty and (unless `rigid`) the m modes. Every entry is a
 * float32 value computed as OpenFace does; `shape` is the 3D shape
 * (CalcShape3D, double) of the current local parameters.
 */
export function jacobianT(pdm: Pdm, shape: Float64Array, glob: ArrayLike<number>, rigid: boolean, JT: Float64Array): void {
  const n = pdm.numPoints, m = pdm.numModes, rows = 2 * n;
  const V = pdm.princComp;
  const s = fr(glob[0]);
  const R = euler2RotationMatrix(glob[1], glob[2], glob[3]);
  const r11 = fr(R[0]), r12 = fr(R[1]), r13 = fr(R[2]);
  const r21 = fr(R[3]), r22 = fr(R[4]), r23 = fr(R[5]);
  const c1 = rows, c2 = 2 * rows, c3 = 3 * rows, c4 = 4 * rows, c5 = 5 * rows;
  for (let i = 0; i < n; i++) {
    const X = fr(shape[i]), Y = fr(shape[i + n]), Z = fr(shape[i + 2 * n]);
    const iy = i + n;
    JT[i] = fr(fr(fr(X * r11) + fr(Y * r12)) + fr(Z * r13));
    JT[iy] = fr(fr(fr(X * r21) + fr(Y * r22)) + fr(Z * r23));
    JT[c1 + i] = fr(s * fr(fr(Y * r13) - fr(Z * r12)));
    JT[c1 + iy] = fr(s * fr(fr(Y * r23) - fr(Z * r22)));
    JT[c2 + i] = fr(-s * fr(fr(X * r13) - fr(Z * r11)));
    JT[c2 + iy] = fr(-s * fr(fr(X * r23) - fr(Z * r21)));
    JT[c3 + i] = fr(s * fr(fr(X * r12) - fr(Y * r11)));
    JT[c3 + iy] = fr(s * fr(fr(X * r22) - fr(Y * r21)));
    JT[c4 + i] = 1;
    JT[c4 + iy] = 0;
    JT[c5 + i] = 0;
    JT[c5 + iy] = 1;
    if (rigid) continue;
    // modes: s · R₂ₓ₃ · V_i, float factors promoted to double, cast to float
    const bx = i * m, by = (i + n) * m, bz = (i + 2 * n) * m;
    for (let j = 0; j < m; j++) {
      const col = (6 + j) * rows;
      const vx = V[bx + j], vy = V[by + j], vz = V[bz + j];
      JT[col + i] = fr(s * (r11 * vx + r12 * vy + r13 * vz));
      JT[col + iy] = fr(s * (r21 * vx + r22 * vy + r23 * vz));
    }
  }
}

/**
 * PDM::Clamp: local parameters to ±3 standard deviations (stored as float),
 * and with `limitPose` the three rotations to ±π/2.
 */
export function clampParams(pdm: Pdm, local: Float64Array, glob: Float64Array, limitPose: boolean): void {
  const e = pdm.eigenValues;
  for (let j = 0; j < local.length; j++) {
    const v = 3 * Math.sqrt(e[j]);
    if (Math.abs(local[j]) > v) local[j] = fr(local[j] > 0 ? v : -v);
  }
  if (limitPose) {
    const h = Math.PI / 2;
    for (let k = 1; k <= 3; k++) {
      if (glob[k] > h) glob[k] = h;
      if (glob[k] < -h) glob[k] = -h;
    }
  }
}

/** Result of `calcParams`. */
export interface CalcParamsResult {
  readonly paramsGlobal: Float64Array;
  /** float32 values, as OpenFace keeps them */
  readonly paramsLocal: Float64Array;
  readonly iterations: number;
}

/** The rows of a PDM for a subset of its points (OpenFace swaps these in during CalcParams). */
export function subsetPdm(pdm: Pdm, points: readonly number[]): Pdm {
  const n = pdm.numPoints, m = pdm.numModes, k = points.length;
  const meanShape = new Float64Array(3 * k);
  const princComp = new Float64Array(3 * k * m);
  for (let d = 0; d < 3; d++) {
    points.forEach((p, i) => {
      meanShape[d * k + i] = pdm.meanShape[d * n + p];
      princComp.set(pdm.princComp.subarray((d * n + p) * m, (d * n + p + 1) * m), (d * k + i) * m);
    });
  }
  return { numPoints: k, numModes: m, meanShape, princComp, eigenValues: pdm.eigenValues };
}

/**
 * OpenFace 1.x's PDM::CalcParams from 2D landmarks (x_0..x_n-1, y_0..y_n-1),
 * rotation starting at 0: regularised Gauss-Newton (factor 1 on 1/eigenvalue),
 * half steps, stopped after 1000 iterations or on the 5th iteration whose
 * error is not 0.1% below the previous one. Landmarks whose x is exactly 0
 * are missing: the fit uses the other points only, and — as OpenFace does —
 * the initial box is taken over the first k x-values and the next k values
 * of the full landmark vector (k = the number of points present). That only
 * differs from the true box when points are missing; the eye models start
 * from it, so it is kept. The error test uses the updated global but the
 * previous local parameters, also as OpenFace does. `wasm` speeds up the
 * normal equations (same results).
 *
 * This is the algorithm of ../pdm/fitPdm.ts (PdmFitter, 'float32'), and
 * agrees with it to a float ulp when all points are present. It is kept here
 * for the misindexed start box, which PdmFitter deliberately does not
 * reproduce but the eye models depend on, and for the WebAssembly normal
 * equations (this runs four times per frame).
 */
export function calcParams(pdm: Pdm, landmarks: ArrayLike<number>, wasm: WasmKernels | null = null): CalcParamsResult {
  const nAll = pdm.numPoints, m = pdm.numModes;
  const visible: number[] = [];
  for (let i = 0; i < nAll; i++) if (landmarks[i] !== 0) visible.push(i);
  if (visible.length === 0) throw new RangeError('calcParams: no landmarks (all x are 0)');
  const sub = visible.length === nAll ? pdm : subsetPdm(pdm, visible);
  const n = visible.length, rows = 2 * n, P = 6 + m;
  const target = new Float64Array(rows);
  visible.forEach((p, k) => {
    target[k] = landmarks[p];
    target[k + n] = landmarks[p + nAll];
  });

  // Initial global parameters from the (possibly misindexed) box.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    const x = landmarks[k], y = landmarks[k + n];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const width = Math.abs(minX - maxX), height = Math.abs(minY - maxY);
  const modelBox = calcBoundingBox(sub, new Float64Array(m), [1, 0, 0, 0, 0, 0]);
  const glob = Float64Array.of((width / modelBox.width + height / modelBox.height) / 2, 0, 0, 0, (minX + maxX) / 2.0, (minY + maxY) / 2.0);
  const loc = new Float64Array(m);

  const reg = new Float64Array(m);
  for (let j = 0; j < m; j++) reg[j] = fr(1 / pdm.eigenValues[j]);

  const shape = new Float64Array(3 * n);
  const JT = new Float64Array(P * rows);
  const resid = new Float64Array(rows);
  const H = new Float64Array(P * P);
  const g = new Float64Array(P);
  const R = new Float64Array(9);

  shape3d(sub, loc, shape);
  euler2RotationMatrix(glob[1], glob[2], glob[3], R);
  let currError = projectionError(shape, glob, R, target, n);
  let notImproved = 0;
  let it = 0;
  for (; it < 1000; it++) {
    shape3d(sub, loc, shape);
    euler2RotationMatrix(glob[1], glob[2], glob[3], R);
    const s = glob[0], tx = glob[4], ty = glob[5];
    for (let i = 0; i < n; i++) {
      const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
      resid[i] = fr(target[i] - (s * (X * R[0] + Y * R[1] + Z * R[2]) + tx));
      resid[i + n] = fr(target[i + n] - (s * (X * R[3] + Y * R[4] + Z * R[5]) + ty));
    }
    jacobianT(sub, shape, glob, false, JT);
    for (let p = 0; p < P; p++) {
      let acc = 0;
      const po = p * rows;
      for (let r = 0; r < rows; r++) acc += JT[po + r] * resid[r];
      g[p] = fr(acc);
    }
    for (let j = 0; j < m; j++) g[6 + j] = fr(g[6 + j] - fr(reg[j] * loc[j]));
    normalEquations(JT, JT, rows, P, H, wasm);
    for (let j = 0; j < m; j++) H[(6 + j) * P + 6 + j] = fr(H[(6 + j) * P + 6 + j] + reg[j]);
    if (!choleskySolve(H, g, P, fr, FLT_EPSILON)) break;
    for (let p = 0; p < P; p++) g[p] = fr(0.5 * g[p]);
    updateModelParameters(g, loc, glob, m, fr);
    euler2RotationMatrix(glob[1], glob[2], glob[3], R);
    // OpenFace re-projects the 3D shape of the previous local parameters here.
    const error = projectionError(shape, glob, R, target, n);
    if (0.999 * currError < error) {
      notImproved++;
      if (notImproved === 5) {
        it++;
        break;
      }
    }
    currError = error;
  }
  return { paramsGlobal: glob, paramsLocal: loc, iterations: it };
}

function projectionError(shape: Float64Array, glob: Float64Array, R: Float64Array, target: Float64Array, n: number): number {
  const s = glob[0], tx = glob[4], ty = glob[5];
  let e = 0;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const dx = s * (X * R[0] + Y * R[1] + Z * R[2]) + tx - target[i];
    const dy = s * (X * R[3] + Y * R[4] + Z * R[5]) + ty - target[i + n];
    e += dx * dx + dy * dy;
  }
  return Math.sqrt(e);
}

/**
 * Lower triangle (and diagonal) of H = JwT · JTᵀ, H[i][j] = Σ_r JwT[i][r] JT[j][r]
 * for j ≤ i, mirrored to the upper triangle and stored as float (OpenCV's
 * float gemm accumulates in double). Each sum is taken over the even and the
 * odd rows separately and the two added (the order of the WebAssembly SIMD
 * kernel, which computes the same bits when `wasm` is given). The Cholesky
 * solve reads the lower triangle.
 */
export function normalEquations(JwT: Float64Array, JT: Float64Array, rows: number, P: number, H: Float64Array, wasm: WasmKernels | null = null): void {
  if (wasm && wasm.fitsNormal(P, rows)) {
    wasm.normal(JwT, JT, P, rows, H);
    for (let i = 0; i < P; i++) {
      for (let j = 0; j <= i; j++) H[i * P + j] = H[j * P + i] = fr(H[i * P + j]);
    }
    return;
  }
  const even = rows & ~1;
  for (let i = 0; i < P; i++) {
    const io = i * rows;
    let j = 0;
    for (; j + 3 <= i; j += 4) {
      const j0 = j * rows, j1 = j0 + rows, j2 = j1 + rows, j3 = j2 + rows;
      let e0 = 0, e1 = 0, e2 = 0, e3 = 0, o0 = 0, o1 = 0, o2 = 0, o3 = 0;
      let r = 0;
      for (; r < even; r += 2) {
        const a = JwT[io + r], b = JwT[io + r + 1];
        e0 += a * JT[j0 + r];
        o0 += b * JT[j0 + r + 1];
        e1 += a * JT[j1 + r];
        o1 += b * JT[j1 + r + 1];
        e2 += a * JT[j2 + r];
        o2 += b * JT[j2 + r + 1];
        e3 += a * JT[j3 + r];
        o3 += b * JT[j3 + r + 1];
      }
      if (r < rows) {
        const a = JwT[io + r];
        e0 += a * JT[j0 + r];
        e1 += a * JT[j1 + r];
        e2 += a * JT[j2 + r];
        e3 += a * JT[j3 + r];
      }
      H[i * P + j] = H[j * P + i] = fr(e0 + o0);
      H[i * P + j + 1] = H[(j + 1) * P + i] = fr(e1 + o1);
      H[i * P + j + 2] = H[(j + 2) * P + i] = fr(e2 + o2);
      H[i * P + j + 3] = H[(j + 3) * P + i] = fr(e3 + o3);
    }
    for (; j <= i; j++) {
      const jo = j * rows;
      let e = 0, o = 0;
      let r = 0;
      for (; r < even; r += 2) {
        e += JwT[io + r] * JT[jo + r];
        o += JwT[io + r + 1] * JT[jo + r + 1];
      }
      if (r < rows) e += JwT[io + r] * JT[jo + r];
      H[i * P + j] = H[j * P + i] = fr(e + o);
    }
  }
}
