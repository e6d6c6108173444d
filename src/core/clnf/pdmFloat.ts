/**
 * OpenFace 2.2's point distribution model operations (PDM.cpp), in its
 * float32 arithmetic: 2.2 reads the PDM into float matrices, keeps all
 * parameters in float, computes the 3D shape with OpenBLAS's sgemm and
 * everything else with float expressions or OpenCV float matrices. Every
 * value here goes through Math.fround where OpenFace stores a float, so the
 * results are OpenFace's bits (checked against 2.2 built from its sources).
 *
 * Layouts as in OpenFace: 3D shapes x_0..x_n-1, y_0.., z_0..; 2D shapes
 * x_0..x_n-1, y_0..y_n-1; global parameters [scale, rx, ry, rz, tx, ty].
 */
import { euler2RotationMatrixF32, mat3MulF32, rotationMatrix2EulerF32 } from '../pdm/rotationFloat32.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { choleskySolveF32, gemvDot } from '../pdm/linalg.ts';
import { axisAngle2RotationMatrix } from '../pdm/rotation.ts';
import type { Box } from '../pdm/shape.ts';
import * as pm from '../math/portableMath.ts';
import { fmaf } from './floatOps.ts';
import { openblasDot, openblasSplitMask } from './openblasGemm.ts';
import { svdJacobi, svdWorkspace } from './smallLinalg.ts';
import type { WasmKernels } from './wasmKernels.ts';

const fr = Math.fround;

const floatPdms = new WeakMap<Pdm, Pdm>();

/** The PDM as PDM::Read keeps it: every value converted to float. Cached per PDM. */
export function floatPdm(pdm: Pdm): Pdm {
  let f = floatPdms.get(pdm);
  if (!f) {
    const round = (a: Float64Array): Float64Array => Float64Array.from(a, fr);
    f = { numPoints: pdm.numPoints, numModes: pdm.numModes, meanShape: round(pdm.meanShape), princComp: round(pdm.princComp), eigenValues: round(pdm.eigenValues) };
    floatPdms.set(pdm, f);
    floatPdms.set(f, f);
  }
  return f;
}

/**
 * PDM::CalcShape3D: mean + V·p through sgemm (one row of output, so every
 * entry is a single fused chain over the modes, then the mean added).
 */
export function shape3dF(pdm: Pdm, loc: ArrayLike<number>, out: Float64Array = new Float64Array(3 * pdm.numPoints)): Float64Array {
  const m = pdm.numModes, V = pdm.princComp, M = pdm.meanShape;
  const rows = 3 * pdm.numPoints;
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    const o = r * m;
    for (let k = 0; k < m; k++) acc = fmaf(loc[k], V[o + k], acc);
    out[r] = fr(acc + M[r]);
  }
  return out;
}


const projR = new Float64Array(9);

/** The second half of PDM::CalcShape2D: s · (R X)[x, y] + t for each point of a 3D shape, in float. */
export function projectF(shape: ArrayLike<number>, glob: ArrayLike<number>, out: Float64Array = new Float64Array((2 * shape.length) / 3)): Float64Array {
  const n = shape.length / 3;
  const s = glob[0], tx = glob[4], ty = glob[5];
  const r = euler2RotationMatrixF32(glob[1], glob[2], glob[3], projR);
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    out[i] = fr(fr(s * fr(fr(fr(r[0] * X) + fr(r[1] * Y)) + fr(r[2] * Z))) + tx);
    out[i + n] = fr(fr(s * fr(fr(fr(r[3] * X) + fr(r[4] * Y)) + fr(r[5] * Z))) + ty);
  }
  return out;
}

/** PDM::CalcShape2D: the 2D landmarks of local and global parameters (`shape`, when given, receives the 3D shape). */
export function shape2dF(pdm: Pdm, loc: ArrayLike<number>, glob: ArrayLike<number>, out?: Float64Array, shape: Float64Array = new Float64Array(3 * pdm.numPoints)): Float64Array {
  return projectF(shape3dF(pdm, loc, shape), glob, out);
}

const jacR = new Float64Array(9);

/**
 * PDM::ComputeRigidJacobian (rigid) or ComputeJacobian, transposed:
 * JT[p · 2n + row] for parameter p (scale, three rotations, tx, ty, then the
 * modes) and row (x_0..x_n-1, y_0..y_n-1), from the 3D shape of the current
 * local parameters. Float operations in OpenFace's order.
 */
export function jacobianTF(pdm: Pdm, shape: ArrayLike<number>, glob: ArrayLike<number>, JT: Float64Array, rigid: boolean): void {
  const n = pdm.numPoints, m = rigid ? 0 : pdm.numModes, rows = 2 * n;
  const s = glob[0], ns = -s;
  const r = euler2RotationMatrixF32(glob[1], glob[2], glob[3], jacR);
  const r11 = r[0], r12 = r[1], r13 = r[2], r21 = r[3], r22 = r[4], r23 = r[5];
  const V = pdm.princComp, M = pdm.numModes;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const x = i, y = i + n;
    JT[x] = fr(fr(fr(X * r11) + fr(Y * r12)) + fr(Z * r13));
    JT[y] = fr(fr(fr(X * r21) + fr(Y * r22)) + fr(Z * r23));
    JT[rows + x] = fr(s * fr(fr(Y * r13) - fr(Z * r12)));
    JT[rows + y] = fr(s * fr(fr(Y * r23) - fr(Z * r22)));
    JT[2 * rows + x] = fr(ns * fr(fr(X * r13) - fr(Z * r11)));
    JT[2 * rows + y] = fr(ns * fr(fr(X * r23) - fr(Z * r21)));
    JT[3 * rows + x] = fr(s * fr(fr(X * r12) - fr(Y * r11)));
    JT[3 * rows + y] = fr(s * fr(fr(X * r22) - fr(Y * r21)));
    JT[4 * rows + x] = 1;
    JT[4 * rows + y] = 0;
    JT[5 * rows + x] = 0;
    JT[5 * rows + y] = 1;
    const vx = i * M, vy = (i + n) * M, vz = (i + 2 * n) * M;
    for (let j = 0; j < m; j++) {
      const Vx = V[vx + j], Vy = V[vy + j], Vz = V[vz + j];
      JT[(6 + j) * rows + x] = fr(s * fr(fr(fr(r11 * Vx) + fr(r12 * Vy)) + fr(r13 * Vz)));
      JT[(6 + j) * rows + y] = fr(s * fr(fr(fr(r21 * Vx) + fr(r22 * Vy)) + fr(r23 * Vz)));
    }
  }
}

/**
 * The NU-RLMS / CalcParams Hessian JwᵀJ + Λ as OpenFace computes it:
 * sgemm(J, Jwᵀ) added onto the regularisation matrix (beta = 1). `JT` and
 * `JwT` are transposed Jacobians (P x rows); `reg` the P - 6 diagonal
 * entries of Λ on the modes (zero on the rigid parameters, and everywhere
 * when P = 6). H is P x P row-major, H[j][i] being sgemm's C(i, j); only its
 * lower triangle (i ≤ j) is written: that is all OpenCV's Cholesky solve
 * reads (the product is not exactly symmetric in float). `wasm`, when given,
 * computes the same bits in WebAssembly.
 */
export function hessianF(JT: Float64Array, JwT: Float64Array, rows: number, P: number, reg: ArrayLike<number> | null, H: Float64Array, wasm: WasmKernels | null = null): void {
  const split = openblasSplitMask(P, P);
  if (wasm && wasm.fitsHessian(P, rows)) {
    wasm.hessian(JT, JwT, rows, P, reg, split, H);
    return;
  }
  for (let j = 0; j < P; j++) {
    for (let i = 0; i <= j; i++) {
      const acc = openblasDot(JT, i * rows, 1, JwT, j * rows, 1, rows, split[i + j * P] === 1);
      const c = i === j && i >= 6 && reg ? reg[i - 6] : 0;
      H[j * P + i] = fr(acc + c);
    }
  }
}

/** Jwᵀ·v as OpenCV's float gemm computes a matrix-vector product (four interleaved double sums), stored as float. */
export function jacobianTimesF(JwT: Float64Array, v: Float64Array, rows: number, P: number, out: Float64Array): void {
  for (let p = 0; p < P; p++) out[p] = fr(gemvDot(JwT, p * rows, v, 0, rows));
}

const upd = {
  R1: new Float64Array(9),
  R2: new Float64Array(9),
  R3: new Float64Array(9),
  X: new Float64Array(9),
  UW: new Float64Array(9),
  aa: new Float64Array(3),
  Ra: new Float64Array(9),
  /** the SVDs' arrays (each result is used before the next SVD) */
  svd: svdWorkspace(3),
  /** rotationToAxisAngle's orthogonal matrix */
  R: new Float64Array(9),
};

/**
 * PDM::Orthonormalise of a float 3x3 matrix: U diag(1, 1, det(U Vᵀ)) Vᵀ from
 * OpenCV's float SVD, the determinant in double stored as float.
 */
export function orthonormaliseF(r: Float64Array, out: Float64Array): Float64Array {
  const { u, vt } = svdJacobi(r, 3, true, upd.svd);
  const x = mat3MulF32(u, vt, upd.X);
  const det = fr(
    x[0] * (x[4] * x[8] - x[5] * x[7]) - x[1] * (x[3] * x[8] - x[5] * x[6]) + x[2] * (x[3] * x[7] - x[4] * x[6]),
  );
  const uw = upd.UW;
  for (let i = 0; i < 3; i++) {
    uw[3 * i] = u[3 * i];
    uw[3 * i + 1] = u[3 * i + 1];
    uw[3 * i + 2] = fr(u[3 * i + 2] * det);
  }
  return mat3MulF32(uw, vt, out);
}


const eulerOut = new Float64Array(3);

/**
 * cv::Rodrigues from a rotation matrix to a rotation vector, in double as
 * OpenCV computes it: the nearest orthogonal matrix U Vᵀ (OpenCV's Jacobi
 * SVD), the angle from its trace, the axis from its skew part; below a sine
 * of 1e-5 a zero vector (cosine > 0) or the half-turn axis from the diagonal.
 */
export function rotationToAxisAngle(m: ArrayLike<number>, out: Float64Array = new Float64Array(3)): Float64Array {
  const { u, vt } = svdJacobi(m, 3, false, upd.svd);
  const R = upd.R;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += u[3 * i + k] * vt[3 * k + j];
      R[3 * i + j] = s;
    }
  }
  let x = R[7] - R[5], y = R[2] - R[6], z = R[3] - R[1];
  const s = Math.sqrt((x * x + y * y + z * z) * 0.25);
  let c = (R[0] + R[4] + R[8] - 1) * 0.5;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  let theta = pm.acos(c);
  if (s < 1e-5) {
    if (c > 0) return out.fill(0);
    let t = (R[0] + 1) * 0.5;
    x = Math.sqrt(Math.max(t, 0));
    t = (R[4] + 1) * 0.5;
    y = Math.sqrt(Math.max(t, 0)) * (R[1] < 0 ? -1 : 1);
    t = (R[8] + 1) * 0.5;
    z = Math.sqrt(Math.max(t, 0)) * (R[2] < 0 ? -1 : 1);
    if (Math.abs(x) < Math.abs(y) && Math.abs(x) < Math.abs(z) && R[5] > 0 !== y * z > 0) z = -z;
    theta /= Math.sqrt(x * x + y * y + z * z);
    out[0] = x * theta;
    out[1] = y * theta;
    out[2] = z * theta;
    return out;
  }
  const vth = (1 / (2 * s)) * theta;
  out[0] = x * vth;
  out[1] = y * vth;
  out[2] = z * vth;
  return out;
}

/**
 * PDM::UpdateModelParameters: scale and translation add; the rotation
 * becomes R · Orthonormalise(I + [δ]×), back to Euler angles through
 * axis-angle (Rodrigues, double inside, float results); the modes add
 * (`modes` of them; 0 for a rigid update).
 */
export function updateParamsF(dp: ArrayLike<number>, loc: Float64Array, glob: Float64Array, modes: number): void {
  glob[0] = fr(glob[0] + dp[0]);
  glob[4] = fr(glob[4] + dp[4]);
  glob[5] = fr(glob[5] + dp[5]);
  const R1 = euler2RotationMatrixF32(glob[1], glob[2], glob[3], upd.R1);
  const R2 = upd.R2;
  R2[0] = 1; R2[4] = 1; R2[8] = 1;
  R2[7] = dp[1]; R2[5] = -dp[1];
  R2[2] = dp[2]; R2[6] = -dp[2];
  R2[3] = dp[3]; R2[1] = -dp[3];
  const R3 = mat3MulF32(R1, orthonormaliseF(R2, upd.R2), upd.R3);
  const aa = rotationToAxisAngle(R3, upd.aa);
  for (let k = 0; k < 3; k++) aa[k] = fr(aa[k]);
  const Ra = axisAngle2RotationMatrix(aa, upd.Ra);
  for (let k = 0; k < 9; k++) Ra[k] = fr(Ra[k]);
  const euler = rotationMatrix2EulerF32(Ra, eulerOut);
  if (Number.isNaN(euler[0]) || Number.isNaN(euler[1]) || Number.isNaN(euler[2])) euler.fill(0);
  glob[1] = euler[0];
  glob[2] = euler[1];
  glob[3] = euler[2];
  for (let j = 0; j < modes; j++) loc[j] = fr(loc[j] + dp[6 + j]);
}

/** PDM::Clamp: local parameters to ±3 standard deviations (2.2 no longer limits the pose). */
export function clampF(pdm: Pdm, loc: Float64Array): void {
  const e = pdm.eigenValues;
  for (let j = 0; j < loc.length; j++) {
    const v = fr(3 * fr(Math.sqrt(e[j])));
    if (Math.abs(loc[j]) > v) loc[j] = loc[j] > 0 ? v : -v;
  }
}

/** The box around 2D points as ExtractBoundingBox finds it: [minX, maxX, minY, maxY]. */
function extent(xy: ArrayLike<number>, n: number): [number, number, number, number] {
  let minX = xy[0], maxX = xy[0], minY = xy[n], maxY = xy[n];
  for (let i = 1; i < n; i++) {
    const x = xy[i], y = xy[i + n];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, maxX, minY, maxY];
}

/**
 * PDM::CalcParams from a face box (face outline left to right, eyebrows to
 * chin) and a rotation: the global parameters that put the shape of `loc`
 * (zero: the mean shape), so rotated, with its extent on the box. The box
 * and the rotation are floats in OpenFace (a double rotation hypothesis is
 * rounded to float first).
 */
export function paramsFromBoxF(pdm: Pdm, box: Box, rotation: ArrayLike<number> = [0, 0, 0], loc: ArrayLike<number> = new Float64Array(pdm.numModes)): Float64Array {
  const n = pdm.numPoints;
  const rot = [fr(rotation[0]), fr(rotation[1]), fr(rotation[2])];
  const shape = shape3dF(pdm, loc);
  const r = euler2RotationMatrixF32(rot[0], rot[1], rot[2]);
  // R · shape: OpenCV's float gemm for a 3-long inner dimension sums in float
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const x = fr(fr(fr(r[0] * X) + fr(r[1] * Y)) + fr(r[2] * Z));
    const y = fr(fr(fr(r[3] * X) + fr(r[4] * Y)) + fr(r[5] * Z));
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const bx = fr(box.x), by = fr(box.y), bw = fr(box.width), bh = fr(box.height);
  const width = fr(Math.abs(minX - maxX));
  const height = fr(Math.abs(minY - maxY));
  const scaling = fr(fr(fr(bw / width) + fr(bh / height)) / 2);
  let tx = fr(bx + fr(bw / 2));
  let ty = fr(by + fr(bh / 2));
  tx = fr(tx - (scaling * (minX + maxX)) / 2);
  ty = fr(ty - (scaling * (minY + maxY)) / 2);
  return Float64Array.of(scaling, rot[0], rot[1], rot[2], tx, ty);
}

/** The PDM restricted to some points (CalcParams' mean and components for the visible landmarks). */
function subsetPdm(pdm: Pdm, points: readonly number[]): Pdm {
  const nAll = pdm.numPoints, m = pdm.numModes, n = points.length;
  const meanShape = new Float64Array(3 * n), princComp = new Float64Array(3 * n * m);
  for (let d = 0; d < 3; d++) {
    for (let k = 0; k < n; k++) {
      const src = points[k] + d * nAll, dst = k + d * n;
      meanShape[dst] = pdm.meanShape[src];
      princComp.set(pdm.princComp.subarray(src * m, src * m + m), dst * m);
    }
  }
  return { numPoints: n, numModes: m, meanShape, princComp, eigenValues: pdm.eigenValues };
}

/** Result of `calcParamsF`. */
export interface CalcParamsF {
  readonly paramsGlobal: Float64Array;
  readonly paramsLocal: Float64Array;
  readonly iterations: number;
}

/**
 * The 3D shape M + V·p as an OpenCV float matrix expression computes it:
 * with 100 rows or more OpenCV hands the product to BLAS (the sgemm chain of
 * shape3dF), below that its own gemm sums each row in four interleaved
 * double sums and adds the mean in double. `wasm` computes the BLAS chain
 * (same bits) for a PDM it may keep (a long-lived one: it stores each PDM
 * object it is given).
 */
function shape3dOpenCv(pdm: Pdm, loc: Float64Array, out: Float64Array, wasm: WasmKernels | null): Float64Array {
  const rows = 3 * pdm.numPoints, m = pdm.numModes;
  if (rows >= 100) return wasm ? wasm.shape3d(pdm, loc, out) : shape3dF(pdm, loc, out);
  for (let r = 0; r < rows; r++) out[r] = fr(gemvDot(pdm.princComp, r * m, loc, 0, m) + pdm.meanShape[r]);
  return out;
}

/**
 * scaling · shape3Dᵀ · R_2Dᵀ + t, the 2D shape inside CalcParams: OpenCV's
 * gemm sums the three products in double and scales before rounding to
 * float; the translation is a float addition.
 */
function projectOpenCv(shape: Float64Array, n: number, s: number, r: Float64Array, tx: number, ty: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    out[i] = fr(fr((r[0] * X + r[1] * Y + r[2] * Z) * s) + tx);
    out[i + n] = fr(fr((r[3] * X + r[4] * Y + r[5] * Z) * s) + ty);
  }
}

/** cv::norm(a - b) of two float vectors: the float differences, their squares summed in double four at a time. */
export function normOfDifference(a: Float64Array, b: Float64Array, len: number): number {
  let s = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    const v0 = fr(a[i] - b[i]), v1 = fr(a[i + 1] - b[i + 1]), v2 = fr(a[i + 2] - b[i + 2]), v3 = fr(a[i + 3] - b[i + 3]);
    s += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
  }
  for (; i < len; i++) {
    const v = fr(a[i] - b[i]);
    s += v * v;
  }
  return Math.sqrt(s);
}

/**
 * PDM::CalcParams from 2D landmarks (x_0..x_n-1, y_0..y_n-1; a landmark
 * whose x is exactly 0 is missing and left out): regularised Gauss-Newton
 * (Λ = 1/eigenvalues) from the landmarks' box, steps scaled by 0.75, at most
 * 1000 iterations, stopping on the third iteration whose error is not 0.1%
 * below the previous one. As in OpenFace the error after a step is measured
 * with the new pose but the shape of the previous local parameters. `wasm`
 * speeds up the Hessians (same bits).
 */
export function calcParamsF(pdm: Pdm, landmarks: ArrayLike<number>, rotation: ArrayLike<number> = [0, 0, 0], wasm: WasmKernels | null = null): CalcParamsF {
  const nAll = pdm.numPoints, m = pdm.numModes;
  const visible: number[] = [];
  for (let i = 0; i < nAll; i++) if (landmarks[i] !== 0) visible.push(i);
  const sub = visible.length === nAll ? pdm : subsetPdm(pdm, visible);
  const n = sub.numPoints, rows = 2 * n, P = 6 + m;
  const target = new Float64Array(rows);
  visible.forEach((i, k) => {
    target[k] = landmarks[i];
    target[k + n] = landmarks[i + nAll];
  });

  const [minX, maxX, minY, maxY] = extent(target, n);
  const width = fr(Math.abs(minX - maxX)), height = fr(Math.abs(minY - maxY));
  const [mMinX, mMaxX, mMinY, mMaxY] = extent(shape2dF(sub, new Float64Array(m), [1, 0, 0, 0, 0, 0]), n);
  const modelWidth = fr(Math.abs(mMinX - mMaxX)), modelHeight = fr(Math.abs(mMinY - mMaxY));
  const rot = [fr(rotation[0]), fr(rotation[1]), fr(rotation[2])];
  const glob = Float64Array.of(fr(fr(fr(width / modelWidth) + fr(height / modelHeight)) / 2), rot[0], rot[1], rot[2], fr(fr(minX + maxX) / 2), fr(fr(minY + maxY) / 2));
  const loc = new Float64Array(m);
  let R = euler2RotationMatrixF32(rot[0], rot[1], rot[2]);

  const shape = new Float64Array(3 * n), shapeJ = new Float64Array(3 * n);
  const proj = new Float64Array(rows), resid = new Float64Array(rows);
  const JT = new Float64Array(P * rows), H = new Float64Array(P * P), g = new Float64Array(P);
  const reg = new Float64Array(m);
  for (let j = 0; j < m; j++) reg[j] = fr(1 / pdm.eigenValues[j]);

  // the wasm kernels keep every PDM they are given: only the caller's own, not a per-call subset
  const shapeWasm = sub === pdm ? wasm : null;
  shape3dOpenCv(sub, loc, shape, shapeWasm);
  projectF(shape, glob, proj);
  let currError = fr(normOfDifference(proj, target, rows));
  let notImproved = 0;
  let it = 0;
  for (; it < 1000; it++) {
    shape3dOpenCv(sub, loc, shape, shapeWasm);
    projectOpenCv(shape, n, glob[0], R, glob[4], glob[5], proj);
    for (let r = 0; r < rows; r++) resid[r] = fr(target[r] - proj[r]);
    // the Jacobian's own CalcShape3D is the BLAS chain: the same shape when OpenCV used BLAS above
    jacobianTF(sub, 3 * n >= 100 ? shape : shape3dF(sub, loc, shapeJ), glob, JT, false);
    jacobianTimesF(JT, resid, rows, P, g);
    for (let j = 0; j < m; j++) g[6 + j] = fr(g[6 + j] - reg[j] * loc[j]);
    hessianF(JT, JT, rows, P, reg, H, wasm);
    if (!(wasm ? wasm.choleskySolve(H, g, P) : choleskySolveF32(H, g, P))) g.fill(0);
    for (let p = 0; p < P; p++) g[p] = fr(0.75 * g[p]);
    updateParamsF(g, loc, glob, m);
    R = euler2RotationMatrixF32(glob[1], glob[2], glob[3], R);
    projectOpenCv(shape, n, glob[0], R, glob[4], glob[5], proj);
    const error = fr(normOfDifference(proj, target, rows));
    if (0.999 * currError < error) {
      notImproved++;
      if (notImproved === 3) {
        it++;
        break;
      }
    }
    currError = error;
  }
  return { paramsGlobal: glob, paramsLocal: loc, iterations: it };
}
