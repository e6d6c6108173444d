/**
 * OpenFace 2.2's PDM::CalcParams from 2D landmarks, the fit FaceAnalyser
 * runs on every tracked frame (AddNextFrame) with its own PDM, reproduced in
 * 2.2's float arithmetic:
 *
 * - the PDM is float (PDM::Read converts mean, components and eigenvalues to
 *   float), the parameters are cv::Vec6f / cv::Mat_<float>, rotations
 *   cv::Matx33f;
 * - start: zero local parameters, no rotation, the centre of the landmarks'
 *   box as translation and as scale the mean of the width and height ratios
 *   to the mean shape's box;
 * - Gauss-Newton on |landmarks - projection|² + pᵀΛ⁻¹p, 3/4 of each step taken;
 * - stop after 1000 iterations or on the third iteration (in total, not in a
 *   row) whose error is not 0.1% below the previous one. That error is taken
 *   with the updated global parameters but the 3D shape from before the local
 *   update.
 *
 * Where 2.2 sums: OpenCV's gemm sums float products in double and stores a
 * float (the residual's projection, Jᵀr, the regularisation term); the 3D
 * shape (M + Vp), the shape behind the Jacobian and the Hessian JᵀJ + Λ⁻¹ go
 * through BLAS sgemm, which accumulates in float with fused multiply-adds in
 * index order; the Cholesky solve is OpenCV's (double sums, float storage).
 *
 * Landmarks whose x is exactly 0 are missing: the fit runs on the others,
 * with the PDM's rows for them (as 2.2 does).
 */
import type { Pdm } from './pdm.ts';
import { choleskySolveF32, gemvDot } from './linalg.ts';
import { hessianKernel, KERNEL_PARAMS } from './hessianKernel.ts';
import {
  axisAngle2RotationMatrixF32,
  euler2RotationMatrixF32,
  mat3MulF32,
  orthonormaliseF32,
  rotationMatrix2AxisAngleF32,
  rotationMatrix2EulerF32,
} from './rotationFloat32.ts';

const fr = Math.fround;

/** A PDM whose values are float32 (what 2.2's PDM::Read keeps), with the constants CalcParams derives from it. */
export interface Float32Pdm extends Pdm {
  /** Λ⁻¹: 1 / eigenvalue per mode, float */
  readonly inverseEigenValues: Float64Array;
}

/** The PDM as 2.2 holds it: every value rounded to float32. */
export function toFloat32Pdm(pdm: Pdm): Float32Pdm {
  const eigenValues = Float64Array.from(pdm.eigenValues, fr);
  return {
    numPoints: pdm.numPoints,
    numModes: pdm.numModes,
    meanShape: Float64Array.from(pdm.meanShape, fr),
    princComp: Float64Array.from(pdm.princComp, fr),
    eigenValues,
    inverseEigenValues: Float64Array.from(eigenValues, (e) => fr(1 / e)),
  };
}

/** What CalcParams returns. */
export interface CalcParamsFit {
  /** [scale, rx, ry, rz, tx, ty], float32 values */
  readonly paramsGlobal: Float64Array;
  /** numModes local parameters, float32 values */
  readonly paramsLocal: Float64Array;
  /** Gauss-Newton iterations run */
  readonly iterations: number;
}

/** Per-size working buffers, reused across calls. */
interface Workspace {
  readonly n: number;
  readonly m: number;
  readonly shape: Float64Array;
  readonly proj: Float64Array;
  readonly resid: Float64Array;
  /** Jacobian transposed: (6 + m) rows of 2n */
  readonly JT: Float64Array;
  readonly H: Float64Array;
  readonly g: Float64Array;
  readonly R: Float64Array;
}

const workspaces = new Map<string, Workspace>();

function workspace(n: number, m: number): Workspace {
  const key = `${n}x${m}`;
  let w = workspaces.get(key);
  if (!w) {
    const P = 6 + m;
    w = {
      n,
      m,
      shape: new Float64Array(3 * n),
      proj: new Float64Array(2 * n),
      resid: new Float64Array(2 * n),
      JT: new Float64Array(P * 2 * n),
      H: new Float64Array(P * P),
      g: new Float64Array(P),
      R: new Float64Array(9),
    };
    workspaces.set(key, w);
  }
  return w;
}

/** The rows of `pdm` for the visible points (x not exactly 0), and their landmarks as floats. */
function visiblePart(pdm: Float32Pdm, landmarks: ArrayLike<number>): { pdm: Float32Pdm; target: Float64Array } {
  const nAll = pdm.numPoints, m = pdm.numModes;
  const visible: number[] = [];
  for (let i = 0; i < nAll; i++) if (fr(landmarks[i]) !== 0) visible.push(i);
  if (visible.length === 0) throw new RangeError('calcParams: no visible landmarks (every x is 0)');
  const n = visible.length;
  const target = new Float64Array(2 * n);
  visible.forEach((i, k) => {
    target[k] = fr(landmarks[i]);
    target[k + n] = fr(landmarks[i + nAll]);
  });
  if (n === nAll) return { pdm, target };
  const meanShape = new Float64Array(3 * n);
  const princComp = new Float64Array(3 * n * m);
  for (let d = 0; d < 3; d++) {
    visible.forEach((i, k) => {
      meanShape[k + d * n] = pdm.meanShape[i + d * nAll];
      princComp.set(pdm.princComp.subarray((i + d * nAll) * m, (i + d * nAll + 1) * m), (k + d * n) * m);
    });
  }
  return { pdm: { ...pdm, numPoints: n, meanShape, princComp }, target };
}

/** min and max of values[from .. from + count) (ExtractBoundingBox, one axis) */
function extent(values: Float64Array, from: number, count: number): [number, number] {
  let lo = values[from], hi = values[from];
  for (let i = from + 1; i < from + count; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * M + V p through sgemm: per row the products accumulated in float with
 * fused multiply-adds (k = 0, 1, ...), then the mean added in float.
 */
function shapeBlas(pdm: Pdm, p: Float64Array, out: Float64Array): void {
  const rows = 3 * pdm.numPoints, m = pdm.numModes, V = pdm.princComp, M = pdm.meanShape;
  let r = 0;
  // four rows at a time: independent chains the CPU can overlap
  for (; r + 3 < rows; r += 4) {
    const b0 = r * m, b1 = b0 + m, b2 = b1 + m, b3 = b2 + m;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let k = 0; k < m; k++) {
      const x = p[k];
      a0 = fr(V[b0 + k] * x + a0);
      a1 = fr(V[b1 + k] * x + a1);
      a2 = fr(V[b2 + k] * x + a2);
      a3 = fr(V[b3 + k] * x + a3);
    }
    out[r] = fr(a0 + M[r]);
    out[r + 1] = fr(a1 + M[r + 1]);
    out[r + 2] = fr(a2 + M[r + 2]);
    out[r + 3] = fr(a3 + M[r + 3]);
  }
  for (; r < rows; r++) {
    const base = r * m;
    let acc = 0;
    for (let k = 0; k < m; k++) acc = fr(V[base + k] * p[k] + acc);
    out[r] = fr(acc + M[r]);
  }
}

/**
 * The 2D projection of a 3D shape, as CalcParams computes it with OpenCV
 * (scale · shapeᵀ · R₂ᵀ in a gemm summing in double, then + translation in float).
 */
function projectF32(shape: Float64Array, n: number, s: number, R: Float64Array, tx: number, ty: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    out[i] = fr(fr(s * (X * R[0] + Y * R[1] + Z * R[2])) + tx);
    out[i + n] = fr(fr(s * (X * R[3] + Y * R[4] + Z * R[5])) + ty);
  }
}

/** ‖a - b‖ of two float vectors, the difference stored as float, the norm summed in double and returned as float. */
function normF32(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = fr(a[k] - b[k]);
    s += d * d;
  }
  return fr(Math.sqrt(s));
}

/**
 * PDM::ComputeJacobian with unit weights, in float, written transposed:
 * JT[param * 2n + row]. `shape` is the 3D shape of the current local
 * parameters (CalcShape3D), `R` the float rotation of `glob`.
 */
function jacobianF32(pdm: Pdm, shape: Float64Array, s: number, R: Float64Array, JT: Float64Array): void {
  const n = pdm.numPoints, m = pdm.numModes, V = pdm.princComp;
  const rows = 2 * n;
  const r11 = R[0], r12 = R[1], r13 = R[2], r21 = R[3], r22 = R[4], r23 = R[5];
  const ns = -s;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const iy = i + n;
    JT[i] = fr(fr(fr(X * r11) + fr(Y * r12)) + fr(Z * r13));
    JT[iy] = fr(fr(fr(X * r21) + fr(Y * r22)) + fr(Z * r23));
    JT[rows + i] = fr(s * fr(fr(Y * r13) - fr(Z * r12)));
    JT[rows + iy] = fr(s * fr(fr(Y * r23) - fr(Z * r22)));
    JT[2 * rows + i] = fr(ns * fr(fr(X * r13) - fr(Z * r11)));
    JT[2 * rows + iy] = fr(ns * fr(fr(X * r23) - fr(Z * r21)));
    JT[3 * rows + i] = fr(s * fr(fr(X * r12) - fr(Y * r11)));
    JT[3 * rows + iy] = fr(s * fr(fr(X * r22) - fr(Y * r21)));
    JT[4 * rows + i] = 1;
    JT[4 * rows + iy] = 0;
    JT[5 * rows + i] = 0;
    JT[5 * rows + iy] = 1;
    const bx = i * m, by = (i + n) * m, bz = (i + 2 * n) * m;
    for (let j = 0; j < m; j++) {
      const col = (6 + j) * rows;
      const vx = V[bx + j], vy = V[by + j], vz = V[bz + j];
      JT[col + i] = fr(s * fr(fr(fr(r11 * vx) + fr(r12 * vy)) + fr(r13 * vz)));
      JT[col + iy] = fr(s * fr(fr(fr(r21 * vx) + fr(r22 * vy)) + fr(r23 * vz)));
    }
  }
}

/**
 * Whether OpenBLAS (0.3.21, the Haswell/Zen single-precision kernels) sums
 * entry H[a][b] of the 40x40 normal matrix (a ≥ b: the lower triangle the
 * Cholesky solve reads) with two accumulators, even and odd rows apart,
 * instead of one. Its 16x6 micro-kernel accumulates in one chain; the kernels
 * for the leftover 8 rows of each 6-column block (rows 0-7 or 32-39, the side
 * alternating from block to block) and for the last 4 columns use two. Measured
 * entry by entry against sgemm_ on random matrices; exact for 40 parameters
 * (68 points, 34 modes) only, the one size the AU engine fits.
 */
function twoChainEntry(a: number, b: number): boolean {
  if (a >= 36) return true;
  return Math.floor(a / 6) % 2 === 0 ? b < 8 : b >= 32;
}

let twoChainMaskCache: Uint8Array | null = null;

/** twoChainEntry for every (a, b) of the 40x40 matrix, a * 40 + b. */
function twoChainMask(): Uint8Array {
  if (!twoChainMaskCache) {
    twoChainMaskCache = new Uint8Array(KERNEL_PARAMS * KERNEL_PARAMS);
    for (let a = 0; a < KERNEL_PARAMS; a++) for (let b = 0; b < KERNEL_PARAMS; b++) twoChainMaskCache[a * KERNEL_PARAMS + b] = twoChainEntry(a, b) ? 1 : 0;
  }
  return twoChainMaskCache;
}

/**
 * H = JᵀJ + Λ⁻¹ through sgemm: each entry accumulated in float with fused
 * multiply-adds over the rows in order (in one chain, or in two, even and odd
 * rows, added at the end: see twoChainEntry), the regularisation added last.
 * H is not exactly symmetric this way; the lower triangle is what counts
 * (the Cholesky solve reads only it). For the 40x40 case the WebAssembly
 * kernel (hessianKernel.ts) computes the same bits four times faster.
 */
function hessianBlas(JT: Float64Array, P: number, rows: number, reg: Float64Array, H: Float64Array): void {
  const measured = P === 40 && rows % 2 === 0;
  const kernel = measured && rows <= 136 ? hessianKernel() : null;
  if (kernel) {
    kernel.lowerTriangle(JT, rows, twoChainMask(), H);
    for (let j = 0; j < P - 6; j++) H[(6 + j) * P + 6 + j] = fr(H[(6 + j) * P + 6 + j] + reg[j]);
    return;
  }
  for (let a = 0; a < P; a++) {
    const ao = a * rows;
    let b = 0;
    // Independent chains the CPU can overlap: eight one-chain entries at a
    // time, or four two-chain ones (the chain kind changes only at multiples
    // of 8, so a group shares it).
    for (; b + 7 <= a && !(measured && twoChainEntry(a, b)); b += 8) {
      const b0 = b * rows, b1 = b0 + rows, b2 = b1 + rows, b3 = b2 + rows;
      const b4 = b3 + rows, b5 = b4 + rows, b6 = b5 + rows, b7 = b6 + rows;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let k = 0; k < rows; k++) {
        const x = JT[ao + k];
        s0 = fr(x * JT[b0 + k] + s0);
        s1 = fr(x * JT[b1 + k] + s1);
        s2 = fr(x * JT[b2 + k] + s2);
        s3 = fr(x * JT[b3 + k] + s3);
        s4 = fr(x * JT[b4 + k] + s4);
        s5 = fr(x * JT[b5 + k] + s5);
        s6 = fr(x * JT[b6 + k] + s6);
        s7 = fr(x * JT[b7 + k] + s7);
      }
      const r = a * P + b;
      H[r] = H[b * P + a] = s0;
      H[r + 1] = H[(b + 1) * P + a] = s1;
      H[r + 2] = H[(b + 2) * P + a] = s2;
      H[r + 3] = H[(b + 3) * P + a] = s3;
      H[r + 4] = H[(b + 4) * P + a] = s4;
      H[r + 5] = H[(b + 5) * P + a] = s5;
      H[r + 6] = H[(b + 6) * P + a] = s6;
      H[r + 7] = H[(b + 7) * P + a] = s7;
    }
    for (; b + 3 <= a; b += 4) {
      const b0 = b * rows, b1 = b0 + rows, b2 = b1 + rows, b3 = b2 + rows;
      let s0: number, s1: number, s2: number, s3: number;
      if (measured && twoChainEntry(a, b)) {
        let e0 = 0, e1 = 0, e2 = 0, e3 = 0, o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        for (let k = 0; k < rows; k += 2) {
          const x = JT[ao + k], y = JT[ao + k + 1];
          e0 = fr(x * JT[b0 + k] + e0);
          e1 = fr(x * JT[b1 + k] + e1);
          e2 = fr(x * JT[b2 + k] + e2);
          e3 = fr(x * JT[b3 + k] + e3);
          o0 = fr(y * JT[b0 + k + 1] + o0);
          o1 = fr(y * JT[b1 + k + 1] + o1);
          o2 = fr(y * JT[b2 + k + 1] + o2);
          o3 = fr(y * JT[b3 + k + 1] + o3);
        }
        s0 = fr(e0 + o0);
        s1 = fr(e1 + o1);
        s2 = fr(e2 + o2);
        s3 = fr(e3 + o3);
      } else {
        s0 = 0; s1 = 0; s2 = 0; s3 = 0;
        for (let k = 0; k < rows; k++) {
          const x = JT[ao + k];
          s0 = fr(x * JT[b0 + k] + s0);
          s1 = fr(x * JT[b1 + k] + s1);
          s2 = fr(x * JT[b2 + k] + s2);
          s3 = fr(x * JT[b3 + k] + s3);
        }
      }
      H[a * P + b] = H[b * P + a] = s0;
      H[a * P + b + 1] = H[(b + 1) * P + a] = s1;
      H[a * P + b + 2] = H[(b + 2) * P + a] = s2;
      H[a * P + b + 3] = H[(b + 3) * P + a] = s3;
    }
    for (; b <= a; b++) {
      const bo = b * rows;
      let acc: number;
      if (measured && twoChainEntry(a, b)) {
        let even = 0, odd = 0;
        for (let k = 0; k < rows; k += 2) {
          even = fr(JT[ao + k] * JT[bo + k] + even);
          odd = fr(JT[ao + k + 1] * JT[bo + k + 1] + odd);
        }
        acc = fr(even + odd);
      } else {
        acc = 0;
        for (let k = 0; k < rows; k++) acc = fr(JT[ao + k] * JT[bo + k] + acc);
      }
      H[a * P + b] = H[b * P + a] = acc;
    }
  }
  for (let j = 0; j < P - 6; j++) H[(6 + j) * P + 6 + j] = fr(H[(6 + j) * P + 6 + j] + reg[j]);
}

const updR1 = new Float64Array(9);
const updR2 = new Float64Array(9);
const updR3 = new Float64Array(9);
const updOrtho = new Float64Array(9);
const updAxis = new Float64Array(3);
const updAxisR = new Float64Array(9);
const updEuler = new Float64Array(3);

/**
 * PDM::UpdateModelParameters in float: scale and translation add, the
 * rotation becomes R · Orthonormalise(I + [δ]×) and goes back to Euler angles
 * through axis-angle, local parameters add.
 */
function updateParamsF32(delta: Float64Array, loc: Float64Array, glob: Float64Array): void {
  glob[0] = fr(glob[0] + delta[0]);
  glob[4] = fr(glob[4] + delta[4]);
  glob[5] = fr(glob[5] + delta[5]);
  const R1 = euler2RotationMatrixF32(glob[1], glob[2], glob[3], updR1);
  const R2 = updR2;
  R2[0] = 1; R2[4] = 1; R2[8] = 1;
  R2[7] = delta[1]; R2[5] = -delta[1];
  R2[2] = delta[2]; R2[6] = -delta[2];
  R2[3] = delta[3]; R2[1] = -delta[3];
  const R3 = mat3MulF32(R1, orthonormaliseF32(R2, updOrtho), updR3);
  const axis = rotationMatrix2AxisAngleF32(R3, updAxis);
  const euler = rotationMatrix2EulerF32(axisAngle2RotationMatrixF32(axis, updAxisR), updEuler);
  if (Number.isNaN(euler[0]) || Number.isNaN(euler[1]) || Number.isNaN(euler[2])) euler.fill(0);
  glob[1] = euler[0];
  glob[2] = euler[1];
  glob[3] = euler[2];
  for (let j = 0; j < loc.length; j++) loc[j] = fr(loc[j] + delta[6 + j]);
}

/**
 * Fits global and local parameters to 2D landmarks (x_0..x_n-1 then
 * y_0..y_n-1, pixels; read as floats) the way OpenFace 2.2's
 * PDM::CalcParams does, in its float arithmetic.
 */
/**
 * Fits global and local parameters to 2D landmarks (x_0..x_n-1 then
 * y_0..y_n-1, pixels; read as floats) the way OpenFace 2.2's
 * PDM::CalcParams does, in its float arithmetic.
 */
export function calcParams(pdmAll: Float32Pdm, landmarks: ArrayLike<number>): CalcParamsFit {
  if (landmarks.length !== 2 * pdmAll.numPoints) {
    throw new RangeError(`calcParams: ${landmarks.length} landmark values for a ${pdmAll.numPoints}-point PDM (expected ${2 * pdmAll.numPoints})`);
  }
  const { pdm, target } = visiblePart(pdmAll, landmarks);
  const n = pdm.numPoints, m = pdm.numModes, P = 6 + m, rows = 2 * n;
  const w = workspace(n, m);
  const { shape, proj, resid, JT, H, g, R } = w;
  const M = pdm.meanShape;
  const reg = pdm.inverseEigenValues;

  // Start: the mean shape's box (CalcBoundingBox at unit scale, no rotation: the mean's x and y).
  const [mMinX, mMaxX] = extent(M, 0, n);
  const [mMinY, mMaxY] = extent(M, n, n);
  const modelWidth = Math.abs(fr(mMinX - mMaxX)), modelHeight = Math.abs(fr(mMinY - mMaxY));
  const [minX, maxX] = extent(target, 0, n);
  const [minY, maxY] = extent(target, n, n);
  const width = Math.abs(fr(minX - maxX)), height = Math.abs(fr(minY - maxY));
  const glob = Float64Array.of(
    fr(fr(fr(width / modelWidth) + fr(height / modelHeight)) / 2),
    0, 0, 0,
    fr(fr(minX + maxX) / 2), fr(fr(minY + maxY) / 2),
  );
  const loc = new Float64Array(m);

  // The first error: the mean shape scaled and moved (R = I).
  for (let i = 0; i < n; i++) {
    proj[i] = fr(fr(glob[0] * M[i]) + glob[4]);
    proj[i + n] = fr(fr(glob[0] * M[i + n]) + glob[5]);
  }
  let currError = normF32(proj, target);
  euler2RotationMatrixF32(glob[1], glob[2], glob[3], R);

  let notImproved = 0;
  let iterations = 0;
  while (iterations < 1000) {
    iterations++;
    // 3D shape M + V p (OpenCV's gemm hands a 204-row product to BLAS), its
    // projection and the residual; ComputeJacobian's own CalcShape3D (sgemm_
    // directly) sums the same products in the same order, so it reuses it
    shapeBlas(pdm, loc, shape);
    projectF32(shape, n, glob[0], R, glob[4], glob[5], proj);
    for (let k = 0; k < rows; k++) resid[k] = fr(target[k] - proj[k]);

    // Jacobian at the current parameters (R is already the rotation of glob)
    jacobianF32(pdm, shape, glob[0], R, JT);

    // Jᵀr (OpenCV gemm: double sums, float result), minus Λ⁻¹p folded into one more gemm
    for (let c = 0; c < P; c++) g[c] = fr(gemvDot(JT, c * rows, resid, 0, rows));
    for (let j = 0; j < m; j++) g[6 + j] = fr(g[6 + j] - reg[j] * loc[j]);
    hessianBlas(JT, P, rows, reg, H);

    if (!choleskySolveF32(H, g, P)) g.fill(0);
    for (let c = 0; c < P; c++) g[c] = fr(0.75 * g[c]);

    updateParamsF32(g, loc, glob);
    euler2RotationMatrixF32(glob[1], glob[2], glob[3], R);

    // error of the new global parameters with the shape from before the local update
    projectF32(shape, n, glob[0], R, glob[4], glob[5], proj);
    const error = normF32(proj, target);
    if (0.999 * currError < error) {
      notImproved++;
      if (notImproved === 3) break;
    }
    currError = error;
  }
  return { paramsGlobal: glob, paramsLocal: loc, iterations };
}
