/**
 * The PDM operations the CLNF fitting needs, with OpenFace 1.x's float
 * arithmetic (PDM.cpp): the regularised (NU-RLMS) step and its normal
 * equations, the parameter clamp, and CalcParams from landmarks in OpenFace's
 * exact form, including its handling of missing landmarks, which the
 * hierarchical eye models rely on (6 of their 28 points are given).
 *
 * Shapes, the Jacobian, the parameter update and the start of CalcParams come
 * from the shared PDM code in ../pdm; the float32 parts are reproduced with
 * Math.fround after every float operation.
 */

import type { Pdm } from '../pdm/pdm.ts';
import { choleskySolve, FLT_EPSILON } from '../pdm/linalg.ts';
import { projectShape, projectShape3d, shape3d } from '../pdm/shape.ts';
import { computeJacobianT, initialGlobalParams, updateModelParameters, visibleLandmarks } from '../pdm/fitPdm.ts';
import type { WasmKernels } from './wasmKernels.ts';

const fr = Math.fround;

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

/**
 * OpenFace 1.x's PDM::CalcParams from 2D landmarks (x_0..x_n-1, y_0..y_n-1),
 * rotation starting at 0: regularised Gauss-Newton (factor 1 on 1/eigenvalue),
 * half steps, stopped after 1000 iterations, when the Cholesky solve fails,
 * or on the 5th iteration whose error is not 0.1% below the previous one.
 * Landmarks whose x is exactly 0 are missing: the fit uses the other points
 * only, and — as OpenFace does — the initial box is taken over the first k
 * x-values and the next k values of the full landmark vector (k = the number
 * of points present). That only differs from the true box when points are
 * missing; the eye models start from it, so it is kept. The error test uses
 * the updated global but the previous local parameters, also as OpenFace
 * does. `wasm` speeds up the normal equations (same results).
 *
 * The start, the visible points, the Jacobian and the update are those of
 * ../pdm/fitPdm.ts. The iteration is not PdmFitter's 'float32' one: this
 * step is `regularisedStep` (NU-RLMS's, sums in the WebAssembly kernel's
 * order) and the error is summed point by point, so the two differ in the
 * last float bit; the tracker's figures were measured with this one.
 */
export function calcParams(pdm: Pdm, landmarks: ArrayLike<number>, wasm: WasmKernels | null = null): CalcParamsResult {
  const { pdm: sub, landmarks: target } = visibleLandmarks(pdm, landmarks, 'calcParams');
  const n = sub.numPoints, m = pdm.numModes, rows = 2 * n, P = 6 + m;

  // OpenFace's misindexed start box: over the full vector, not `target`.
  const glob = initialGlobalParams(sub, landmarks, [0, 0, 0]);
  const loc = new Float64Array(m);

  const reg = new Float64Array(m);
  for (let j = 0; j < m; j++) reg[j] = fr(1 / pdm.eigenValues[j]);

  const proj = new Float64Array(rows);
  // With the WebAssembly kernels the Jacobian and the 3D shape stay in their
  // memory (no copies per iteration). Only a PDM with all points visible is
  // stored there: a subset PDM is a new object on every call.
  // (preparePdm first: storing the PDM may grow the memory, which would detach the views)
  const inWasm = wasm && sub === pdm && wasm.preparePdm(pdm) && wasm.fitsNormal(P, rows) ? wasm : null;
  const JT = inWasm ? inWasm.matrix(1, P, rows) : new Float64Array(P * rows);
  const resid = new Float64Array(rows);
  const H = new Float64Array(P * P);
  const g = new Float64Array(P);

  let shape = inWasm ? inWasm.shape3d(sub, loc) : shape3d(sub, loc);
  let currError = pointwiseDistance(projectShape3d(shape, glob, proj), target, n);
  let notImproved = 0;
  let it = 0;
  for (; it < 1000; it++) {
    if (inWasm) projectShape3d((shape = inWasm.shape3d(sub, loc)), glob, proj);
    else projectShape(sub, loc, glob, proj, shape);
    for (let r = 0; r < rows; r++) resid[r] = fr(target[r] - proj[r]);
    if (inWasm) inWasm.jacobian(sub, glob, false);
    else computeJacobianT(sub, shape, glob, fr, JT);
    if (!regularisedStep(JT, JT, resid, reg, loc, rows, P, H, g, wasm)) break;
    for (let p = 0; p < P; p++) g[p] = fr(0.5 * g[p]);
    updateModelParameters(g, loc, glob, m, fr);
    // OpenFace re-projects the 3D shape of the previous local parameters here.
    const error = pointwiseDistance(projectShape3d(shape, glob, proj), target, n);
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

/**
 * Euclidean norm of a - b for 2D shapes (x_0..x_n-1, y_0..y_n-1), summed
 * point by point (fitPdm.ts's `distance` sums all x's first: other last bits).
 */
function pointwiseDistance(a: Float64Array, b: Float64Array, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const dx = a[i] - b[i];
    const dy = a[i + n] - b[i + n];
    e += dx * dx + dy * dy;
  }
  return Math.sqrt(e);
}

/**
 * One regularised Gauss-Newton / NU-RLMS step in OpenFace's float
 * arithmetic, the solve of (JwᵀJ + Λ) Δp = Jwᵀv - Λp (CalcParams and
 * NU_RLMS): `g` becomes Δp. JwT and JT are the weighted and plain Jacobians,
 * transposed (P x rows); `reg` holds Λ's diagonal on the P - 6 modes (none
 * when P = 6, the rigid pass). Each Jwᵀv entry is summed in row order in
 * double and stored as float; H comes from `normalEquations`. Returns false
 * when the Cholesky factorisation fails (`g` is then unspecified).
 */
export function regularisedStep(
  JwT: Float64Array,
  JT: Float64Array,
  v: Float64Array,
  reg: Float64Array,
  loc: Float64Array,
  rows: number,
  P: number,
  H: Float64Array,
  g: Float64Array,
  wasm: WasmKernels | null,
): boolean {
  if (wasm && wasm.fitsNormal(P, rows)) return wasm.solve(JwT, JT, v, reg, loc, rows, P, g);
  const modes = P - 6;
  for (let p = 0; p < P; p++) {
    let s = 0;
    const po = p * rows;
    for (let r = 0; r < rows; r++) s += JwT[po + r] * v[r];
    g[p] = fr(s);
  }
  for (let j = 0; j < modes; j++) g[6 + j] = fr(g[6 + j] - fr(reg[j] * loc[j]));
  normalEquations(JwT, JT, rows, P, H, wasm);
  for (let j = 0; j < modes; j++) H[(6 + j) * P + 6 + j] = fr(H[(6 + j) * P + 6 + j] + reg[j]);
  return choleskySolve(H, g, P, fr, FLT_EPSILON);
}

/**
 * Lower triangle (and diagonal) of H = JwT · JTᵀ, H[i][j] = Σ_r JwT[i][r] JT[j][r]
 * for j ≤ i, mirrored to the upper triangle and stored as float (OpenCV's
 * float gemm accumulates in double). Each sum is taken over the even and the
 * odd rows separately and the two added (the order of the WebAssembly SIMD
 * kernel, which computes the same bits when `wasm` is given). The Cholesky
 * solve reads the lower triangle. Not fitPdm.ts's `gramMatrix`, which sums
 * each entry in plain row order: the two differ in the last float bit.
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
