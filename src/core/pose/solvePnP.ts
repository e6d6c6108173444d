/**
 * OpenCV's iterative PnP refinement, as `cv::solvePnP(..., useExtrinsicGuess
 * = true, SOLVEPNP_ITERATIVE)` runs it for OpenFace 2.2's GetPose (OpenCV
 * 4.6 converts the float points, camera and guess to double and works in
 * double; the caller rounds the result back to float): with an initial guess
 * and no distortion, `cvFindExtrinsicCameraParams2` skips its DLT/homography
 * initialisation and goes straight to `CvLevMarq` (the old Levenberg-Marquardt
 * engine) on the 6 parameters [rvec (Rodrigues), tvec], minimising the pixel
 * reprojection error of `cvProjectPoints2`.
 *
 * The engine's settings (OpenCV 4.6, calib3d/src/calibration.cpp and
 * compat_ptsetreg.cpp):
 * - termination: 20 iterations, or a relative parameter change
 *   ||p - p_prev|| / (||p_prev|| + DBL_EPSILON) below FLT_EPSILON;
 * - damping: Marquardt's multiplicative form, diag(JᵀJ) *= 1 + λ with
 *   λ = exp(lambdaLg10 · ln 10), lambdaLg10 starting at -3; a step that
 *   raises ||err|| is retried from the same point with lambdaLg10 + 1 (up to
 *   16, after which the worse step is kept), an accepted one lowers it by 1
 *   (down to -16);
 * - an iteration counts once per accepted (or given-up) step, so the rejected
 *   retries do not use up the 20.
 *
 * Everything is summed in the order OpenCV sums it (the rows of J interleave
 * x and y of each point; JᵀJ and Jᵀerr add the rows in that order; norms add
 * squares in groups of four), so that the accept/reject decisions, which are
 * made on differences close to rounding near convergence, go the same way.
 * Two things are not bit-exact: OpenCV solves the damped normal equations by
 * SVD (a Cholesky solve is used here; they differ by rounding only) and the
 * libm sin/cos/exp of the C library may differ from V8's in the last bit.
 */
import * as pm from '../math/portableMath.ts';
import type { CameraIntrinsics } from './camera.ts';

export type { CameraIntrinsics } from './camera.ts';

/** OpenCV's CvLevMarq settings for cvFindExtrinsicCameraParams2. */
const MAX_ITER = 20;
const FLT_EPSILON = 1.1920928955078125e-7;
const DBL_EPSILON = 2.220446049250313e-16;
const LN10 = pm.log(10);

// The constant parts of OpenCV's Rodrigues Jacobian (cvRodrigues2): I, the
// derivative of r rᵀ without the r terms filled in (built per call) and the
// derivative of the cross-product matrix [r]×, one 3x3 block per component.
const EYE = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const D_R_X = [
  0, 0, 0, 0, 0, -1, 0, 1, 0,
  0, 0, 1, 0, 0, 0, -1, 0, 0,
  0, -1, 0, 1, 0, 0, 0, 0, 0,
];

/**
 * cvRodrigues2 from a rotation vector: R (row-major) and, when `dRdr` is
 * given, its 3x9 Jacobian dRdr[9 * i + k] = dR_k / dr_i, computed with
 * OpenCV's expressions (so the rounding matches).
 */
export function rodriguesJacobian(rx: number, ry: number, rz: number, R: Float64Array, dRdr?: Float64Array): void {
  const theta = Math.sqrt(rx * rx + ry * ry + rz * rz);
  if (theta < DBL_EPSILON) {
    R.fill(0);
    R[0] = R[4] = R[8] = 1;
    if (dRdr) {
      dRdr.fill(0);
      dRdr[5] = dRdr[15] = dRdr[19] = -1;
      dRdr[7] = dRdr[11] = dRdr[21] = 1;
    }
    return;
  }
  const c = pm.cos(theta), s = pm.sin(theta), c1 = 1 - c;
  const itheta = 1 / theta;
  const x = rx * itheta, y = ry * itheta, z = rz * itheta;
  // R = c I + c1 r rᵀ + s [r]× (the zero terms of OpenCV's sum change nothing).
  const xx = x * x, xy = x * y, xz = x * z, yy = y * y, yz = y * z, zz = z * z;
  R[0] = c + c1 * xx; R[1] = c1 * xy + s * -z; R[2] = c1 * xz + s * y;
  R[3] = c1 * xy + s * z; R[4] = c + c1 * yy; R[5] = c1 * yz + s * -x;
  R[6] = c1 * xz + s * -y; R[7] = c1 * yz + s * x; R[8] = c + c1 * zz;
  if (!dRdr) return;
  const rrt = [xx, xy, xz, xy, yy, yz, xz, yz, zz];
  const rx_ = [0, -z, y, z, 0, -x, -y, x, 0];
  const drrt = [
    x + x, y, z, y, 0, 0, z, 0, 0,
    0, x, 0, x, y + y, z, 0, z, 0,
    0, 0, x, 0, 0, y, x, y, z + z,
  ];
  for (let i = 0; i < 3; i++) {
    const ri = i === 0 ? x : i === 1 ? y : z;
    const a0 = -s * ri, a1 = (s - 2 * c1 * itheta) * ri, a2 = c1 * itheta;
    const a3 = (c - s * itheta) * ri, a4 = s * itheta;
    for (let k = 0; k < 9; k++) {
      dRdr[i * 9 + k] = a0 * EYE[k] + a1 * rrt[k] + a2 * drrt[i * 9 + k] + a3 * rx_[k] + a4 * D_R_X[i * 9 + k];
    }
  }
}

/** Squared L2 norm summed as OpenCV's unrolled normL2Sqr: groups of four, then the rest. */
function normL2Sqr(a: Float64Array, n: number): number {
  let s = 0, i = 0;
  for (; i <= n - 4; i += 4) {
    const v0 = a[i], v1 = a[i + 1], v2 = a[i + 2], v3 = a[i + 3];
    s += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
  }
  for (; i < n; i++) s += a[i] * a[i];
  return s;
}

/** cv::norm(a, b, NORM_RELATIVE | NORM_L2) for 6-vectors. */
function relativeL2(a: Float64Array, b: Float64Array): number {
  const d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2], d3 = a[3] - b[3], d4 = a[4] - b[4], d5 = a[5] - b[5];
  let diff = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
  diff += d4 * d4;
  diff += d5 * d5;
  return Math.sqrt(diff) / (Math.sqrt(normL2Sqr(b, 6)) + DBL_EPSILON);
}

/** Reusable buffers (one solve at a time, JS is single-threaded). */
class Workspace {
  n = 0;
  err = new Float64Array(0);
  readonly R = new Float64Array(9);
  readonly dRdr = new Float64Array(27);
  readonly jtj = new Float64Array(36);
  readonly jtErr = new Float64Array(6);
  readonly a = new Float64Array(36);
  readonly x = new Float64Array(6);
  readonly param = new Float64Array(6);
  readonly prev = new Float64Array(6);
  ensure(n: number): void {
    if (this.n === n) return;
    this.n = n;
    this.err = new Float64Array(2 * n);
  }
}
const ws = new Workspace();

/**
 * cvProjectPoints2 without distortion: fills ws.err with projected - observed
 * (x, y interleaved per point) and, when `withJacobian`, accumulates JᵀJ (upper
 * triangle) and Jᵀerr over the 2n rows of J = [dp/dr | dp/dt] in row order.
 *
 * With all distortion terms zero OpenCV's formulas reduce exactly (each added
 * term is an exact zero and the tilt matrix is the identity) to
 *   u = (X_c / Z_c) fx + cx, with 1 / Z_c taken once and multiplied in,
 *   du/dt = fx [1/Z_c, 0, -x/Z_c], du/dr = fx (dx0/dr - x dz0/dr) / Z_c,
 * where x = X_c / Z_c, and likewise for v with fy.
 */
function project(
  obj: ArrayLike<number>, img: ArrayLike<number>, n: number, cam: CameraIntrinsics,
  p: Float64Array, withJacobian: boolean,
): void {
  const { R, dRdr, jtj, jtErr } = ws;
  const err = ws.err;
  rodriguesJacobian(p[0], p[1], p[2], R, withJacobian ? dRdr : undefined);
  const t0 = p[3], t1 = p[4], t2 = p[5];
  const { fx, fy, cx, cy } = cam;
  if (withJacobian) {
    jtj.fill(0);
    jtErr.fill(0);
  }
  for (let i = 0; i < n; i++) {
    const X = obj[i], Y = obj[i + n], Z = obj[i + 2 * n];
    let x = R[0] * X + R[1] * Y + R[2] * Z + t0;
    let y = R[3] * X + R[4] * Y + R[5] * Z + t1;
    let z = R[6] * X + R[7] * Y + R[8] * Z + t2;
    z = z ? 1 / z : 1;
    x *= z;
    y *= z;
    const ex = x * fx + cx - img[i];
    const ey = y * fy + cy - img[i + n];
    err[2 * i] = ex;
    err[2 * i + 1] = ey;
    if (!withJacobian) continue;
    // Row for u: [fx dxdr0..2, fx z, 0, fx (-x z)]; row for v: [fy dydr0..2, 0, fy z, fy (-y z)].
    const jx0 = fx * (z * (X * dRdr[0] + Y * dRdr[1] + Z * dRdr[2] - x * (X * dRdr[6] + Y * dRdr[7] + Z * dRdr[8])));
    const jx1 = fx * (z * (X * dRdr[9] + Y * dRdr[10] + Z * dRdr[11] - x * (X * dRdr[15] + Y * dRdr[16] + Z * dRdr[17])));
    const jx2 = fx * (z * (X * dRdr[18] + Y * dRdr[19] + Z * dRdr[20] - x * (X * dRdr[24] + Y * dRdr[25] + Z * dRdr[26])));
    const jy0 = fy * (z * (X * dRdr[3] + Y * dRdr[4] + Z * dRdr[5] - y * (X * dRdr[6] + Y * dRdr[7] + Z * dRdr[8])));
    const jy1 = fy * (z * (X * dRdr[12] + Y * dRdr[13] + Z * dRdr[14] - y * (X * dRdr[15] + Y * dRdr[16] + Z * dRdr[17])));
    const jy2 = fy * (z * (X * dRdr[21] + Y * dRdr[22] + Z * dRdr[23] - y * (X * dRdr[24] + Y * dRdr[25] + Z * dRdr[26])));
    const jx3 = fx * z, jx5 = fx * (-x * z);
    const jy4 = fy * z, jy5 = fy * (-y * z);
    // Row u (its entry 4 is an exact zero and adds nothing), then row v (entry 3 zero).
    jtj[0] += jx0 * jx0; jtj[1] += jx0 * jx1; jtj[2] += jx0 * jx2; jtj[3] += jx0 * jx3; jtj[5] += jx0 * jx5;
    jtj[7] += jx1 * jx1; jtj[8] += jx1 * jx2; jtj[9] += jx1 * jx3; jtj[11] += jx1 * jx5;
    jtj[14] += jx2 * jx2; jtj[15] += jx2 * jx3; jtj[17] += jx2 * jx5;
    jtj[21] += jx3 * jx3; jtj[23] += jx3 * jx5;
    jtj[35] += jx5 * jx5;
    jtErr[0] += jx0 * ex; jtErr[1] += jx1 * ex; jtErr[2] += jx2 * ex; jtErr[3] += jx3 * ex; jtErr[5] += jx5 * ex;
    jtj[0] += jy0 * jy0; jtj[1] += jy0 * jy1; jtj[2] += jy0 * jy2; jtj[4] += jy0 * jy4; jtj[5] += jy0 * jy5;
    jtj[7] += jy1 * jy1; jtj[8] += jy1 * jy2; jtj[10] += jy1 * jy4; jtj[11] += jy1 * jy5;
    jtj[14] += jy2 * jy2; jtj[16] += jy2 * jy4; jtj[17] += jy2 * jy5;
    jtj[28] += jy4 * jy4; jtj[29] += jy4 * jy5;
    jtj[35] += jy5 * jy5;
    jtErr[0] += jy0 * ey; jtErr[1] += jy1 * ey; jtErr[2] += jy2 * ey; jtErr[4] += jy4 * ey; jtErr[5] += jy5 * ey;
  }
}

/**
 * CvLevMarq::step: param = prev - solve(JᵀJ with diag * (1 + λ), Jᵀerr).
 * The damped matrix is symmetric positive definite for any non-degenerate
 * point set, so Cholesky gives OpenCV's SVD solution up to rounding. Returns
 * false when the system is singular (a degenerate configuration).
 */
function step(lambdaLg10: number): boolean {
  const { jtj, jtErr, a, x, param, prev } = ws;
  const lambda = pm.exp(lambdaLg10 * LN10);
  for (let i = 0; i < 6; i++) {
    for (let j = i; j < 6; j++) a[i * 6 + j] = a[j * 6 + i] = jtj[i * 6 + j];
    a[i * 7] *= 1 + lambda;
  }
  // In-place Cholesky a = L Lᵀ (lower triangle), then two triangular solves.
  for (let j = 0; j < 6; j++) {
    let d = a[j * 7];
    for (let k = 0; k < j; k++) d -= a[j * 6 + k] * a[j * 6 + k];
    if (!(d > 0)) return false;
    d = Math.sqrt(d);
    a[j * 7] = d;
    for (let i = j + 1; i < 6; i++) {
      let s = a[i * 6 + j];
      for (let k = 0; k < j; k++) s -= a[i * 6 + k] * a[j * 6 + k];
      a[i * 6 + j] = s / d;
    }
  }
  for (let i = 0; i < 6; i++) {
    let s = jtErr[i];
    for (let k = 0; k < i; k++) s -= a[i * 6 + k] * x[k];
    x[i] = s / a[i * 7];
  }
  for (let i = 5; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < 6; k++) s -= a[k * 6 + i] * x[k];
    x[i] = s / a[i * 7];
  }
  for (let i = 0; i < 6; i++) param[i] = prev[i] - x[i];
  return true;
}

/** What the refinement did, for diagnostics and tests. */
export interface PnpStats {
  /** Accepted (or given-up) LM steps, at most 20. */
  iterations: number;
  /** Reprojection error norm sqrt(Σ err²) at the returned pose, pixels. */
  errorNorm: number;
}

/**
 * Refines rvec (axis-angle) and tvec in place so that `objectPoints` (3n
 * values, all x then all y then all z, model space) project onto
 * `imagePoints` (2n values, all x then all y, pixels) through `camera`,
 * exactly as OpenCV's solvePnP with useExtrinsicGuess = true and
 * SOLVEPNP_ITERATIVE does (see the module comment).
 */
export function solvePnPIterative(
  objectPoints: ArrayLike<number>, imagePoints: ArrayLike<number>, camera: CameraIntrinsics,
  rvec: Float64Array, tvec: Float64Array,
): PnpStats {
  const n = imagePoints.length / 2;
  if (!Number.isInteger(n) || objectPoints.length !== 3 * n) {
    throw new RangeError(`solvePnPIterative: ${objectPoints.length} object and ${imagePoints.length} image coordinates do not describe the same points`);
  }
  if (n < 3) throw new RangeError(`solvePnPIterative: needs at least 3 points with a guess, got ${n}`);
  ws.ensure(n);
  const { param, prev } = ws;
  param[0] = rvec[0]; param[1] = rvec[1]; param[2] = rvec[2];
  param[3] = tvec[0]; param[4] = tvec[1]; param[5] = tvec[2];

  let lambdaLg10 = -3;
  let iters = 0;
  let errNorm = 0;
  // STARTED: J and err at the guess; the first CALC_J records its norm.
  project(objectPoints, imagePoints, n, camera, param, true);
  let prevErrNorm = Math.sqrt(normL2Sqr(ws.err, 2 * n));
  for (;;) {
    // CALC_J: a step from the current point.
    prev.set(param);
    if (!step(lambdaLg10)) { param.set(prev); break; }
    // CHECK_ERR: retry with more damping while the error grows.
    for (;;) {
      project(objectPoints, imagePoints, n, camera, param, false);
      errNorm = Math.sqrt(normL2Sqr(ws.err, 2 * n));
      if (errNorm > prevErrNorm && ++lambdaLg10 <= 16) {
        if (!step(lambdaLg10)) { param.set(prev); break; }
        continue;
      }
      break;
    }
    lambdaLg10 = Math.max(lambdaLg10 - 1, -16);
    if (++iters >= MAX_ITER || relativeL2(param, prev) < FLT_EPSILON) break;
    prevErrNorm = errNorm;
    project(objectPoints, imagePoints, n, camera, param, true);
  }
  rvec[0] = param[0]; rvec[1] = param[1]; rvec[2] = param[2];
  tvec[0] = param[3]; tvec[1] = param[4]; tvec[2] = param[5];
  return { iterations: iters, errorNorm: errNorm };
}
