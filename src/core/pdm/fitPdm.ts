/**
 * Fitting the PDM's rigid and non-rigid parameters to 2D landmarks:
 * OpenFace's PDM::CalcParams (landmark overload), with ComputeJacobian,
 * UpdateModelParameters and the bounding-box initialisation it uses.
 *
 * The algorithm, as in OpenFace 1.x:
 * - start from zero local parameters, the given rotation (default 0), the
 *   centre of the landmarks' box as translation, and as scale the mean of
 *   the width and height ratios between the landmarks' box and the mean
 *   shape's CalcBoundingBox (an integer box);
 * - Gauss-Newton on |landmarks - projection|² + pᵀ Λ⁻¹ p (Λ: eigenvalues),
 *   with the analytic Jacobian of a small-angle rotation update, each step
 *   halved "not to overshoot";
 * - update: scale and translation add, the rotation composes R · R(δ) with
 *   R(δ) = Orthonormalise(I + [δ]×) and goes back to Euler angles through
 *   Rodrigues, local parameters add;
 * - stop when the error failed to drop by 0.1% on 5 iterations (counted in
 *   total, not in a row) or after 1000 iterations. The error tested there
 *   is taken with the updated global parameters but the local parameters
 *   from before the update, as OpenFace does.
 *
 * OpenFace runs the Jacobian, the normal equations, the residual and the
 * local parameters in float32 (cv::Mat_<float>), the rest in double.
 * Precision 'float32' reproduces that arithmetic operation by operation
 * (Math.fround after each float operation; products of two floats are exact
 * in double, so the products OpenCV's gemm sums in double are summed here in
 * double too, in OpenCV's order). The default 'float64' runs the same
 * algorithm in double and assembles the normal equations from per-model
 * sums instead of the explicit Jacobian, about 2.5x faster; on the reference
 * videos the two differ by at most 3e-6 in p and 2e-9 in pose, with the
 * same iteration counts.
 *
 * Landmarks whose x is exactly 0 count as missing (OpenFace's rule) and are
 * left out of the fit. OpenFace then takes the initial box over a misindexed
 * range of the landmark vector; here it is taken over the visible points.
 * With all 68 points present (the normal case) this is exactly OpenFace.
 * (The CLNF tracker's calcParams, ../clnf/pdmOps.ts, needs the misindexed box
 * and builds on the pieces exported here: visibleLandmarks,
 * initialGlobalParams, computeJacobianT and updateModelParameters.)
 */

import type { Pdm } from './pdm.ts';
import { choleskySolve, choleskySolveDouble, FLT_EPSILON, gemvDot, mat3Mul, noRound, orthonormalise } from './linalg.ts';
import { axisAngle2Euler, euler2RotationMatrix, rotationMatrix2AxisAngle } from './rotation.ts';
import { calcBoundingBox, pointExtent, projectShape, projectShape3d, shape3d } from './shape.ts';

export interface FitPdmOptions {
  /** Initial rotation (rx, ry, rz) in radians; OpenFace's default is 0, 0, 0. */
  readonly rotation?: ArrayLike<number>;
  /** Factor on the 1/eigenvalue regularisation of the local parameters (OpenFace: 1). */
  readonly regularisation?: number;
  /** Iteration cap (OpenFace: 1000). */
  readonly maxIterations?: number;
  /** Error-stall iterations tolerated before stopping (OpenFace: 5). */
  readonly maxStalls?: number;
  /** Fraction of each Gauss-Newton step taken (OpenFace: 0.5). */
  readonly stepScale?: number;
  /**
   * 'float64' (default): the algorithm in double, with the normal equations
   * assembled from model sums (fast). 'float32': OpenFace's float Jacobian,
   * normal equations and solve, operation by operation (about 6x slower).
   */
  readonly precision?: 'float32' | 'float64';
}

export interface PdmFit {
  /** [scale, rx, ry, rz, tx, ty] */
  readonly paramsGlobal: Float64Array;
  /** numModes non-rigid parameters */
  readonly paramsLocal: Float64Array;
  /** Gauss-Newton iterations run */
  readonly iterations: number;
  /** RMS distance (px) between the landmarks used and the fitted shape's projection */
  readonly rmsError: number;
}


const DEFAULT_ROTATION: readonly number[] = [0, 0, 0];

/**
 * Options that turn the fit into an inverse of the projection: no
 * regularisation, full Gauss-Newton steps (quadratic convergence, about 7
 * iterations), stop at the second stall. For landmarks that are themselves
 * a PDM projection, such as OpenFace's own x_/y_ output (its tracker's
 * landmarks are exactly CalcShape2D of its params): it recovers OpenFace's
 * params_global and params_local, which OpenFace's default CalcParams, biased
 * by its regularisation and stopped early, does not (see the report in
 * tests/core/pdm/reference.test.ts). Not for landmarks from another
 * detector: without regularisation their noise goes into the modes.
 */
export const INVERT_PROJECTION: FitPdmOptions = Object.freeze({ regularisation: 0, stepScale: 1, maxStalls: 2 });

/**
 * A PDM prepared for fitting: holds the per-model sums the fast double
 * path uses (built on first use), so one fitter serves every frame.
 */
export class PdmFitter {
  readonly pdm: Pdm;
  private moments: PdmMoments | undefined;

  constructor(pdm: Pdm) {
    this.pdm = pdm;
  }

  /**
   * Fits global and local parameters to 2D landmarks (x_0..x_n-1 then
   * y_0..y_n-1, pixels) the way OpenFace's PDM::CalcParams does.
   */
  fit(landmarks: ArrayLike<number>, options: FitPdmOptions = {}): PdmFit {
    const pdm = this.pdm;
    const nAll = pdm.numPoints;
    if (landmarks.length !== 2 * nAll) {
      throw new RangeError(`fitPdm: ${landmarks.length} landmark values for a ${nAll}-point PDM (expected ${2 * nAll})`);
    }
    const visible = visibleLandmarks(pdm, landmarks, 'fitPdm');
    if (visible.pdm === pdm) return runFit(pdm, visible.landmarks, options, () => (this.moments ??= pdmMoments(pdm)));
    return runFit(visible.pdm, visible.landmarks, options, () => pdmMoments(visible.pdm));
  }
}

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

const fitters = new WeakMap<Pdm, PdmFitter>();

/**
 * Fits global and local PDM parameters to 2D landmarks (x_0..x_n-1 then
 * y_0..y_n-1, pixels) the way OpenFace's PDM::CalcParams does. Keeps one
 * PdmFitter per PDM object (weakly), so repeated calls reuse its sums.
 */
export function fitPdm(pdm: Pdm, landmarks: ArrayLike<number>, options: FitPdmOptions = {}): PdmFit {
  let fitter = fitters.get(pdm);
  if (!fitter) {
    fitter = new PdmFitter(pdm);
    fitters.set(pdm, fitter);
  }
  return fitter.fit(landmarks, options);
}

/** The Gauss-Newton loop over the (visible) points of `pdm`, fitted to `target`. */
function runFit(pdm: Pdm, target: Float64Array, options: FitPdmOptions, moments: () => PdmMoments): PdmFit {
  const n = pdm.numPoints, m = pdm.numModes;
  const faithful = (options.precision ?? 'float64') === 'float32';
  // Working arrays are all Float64Array (one element type keeps the hot
  // loops monomorphic); on the float32 path every value OpenFace keeps in a
  // float matrix goes through Math.fround, which is exactly a float32 store.
  const fr = faithful ? Math.fround : noRound;
  const maxIterations = options.maxIterations ?? 1000;
  const maxStalls = options.maxStalls ?? 5;
  const regFactor = options.regularisation ?? 1;
  const stepScale = options.stepScale ?? 0.5;
  const rotation = options.rotation ?? DEFAULT_ROTATION;
  const M = pdm.meanShape, V = pdm.princComp;

  const glob = initialGlobalParams(pdm, target, rotation);
  const loc = new Float64Array(m);

  // Tikhonov term: factor / eigenvalue on each mode (a float matrix in OpenFace).
  const reg = new Float64Array(m);
  for (let j = 0; j < m; j++) reg[j] = fr(regFactor / pdm.eigenValues[j]);

  const P = 6 + m;
  const rows = 2 * n;
  const work: Work = {
    shape: new Float64Array(3 * n),
    resid: new Float64Array(rows),
    JT: faithful ? new Float64Array(P * rows) : new Float64Array(0),
    T: faithful ? new Float64Array(0) : new Float64Array(9 * m),
    w: faithful ? new Float64Array(0) : new Float64Array(3 * n),
    H: new Float64Array(P * P),
    g: new Float64Array(P),
  };
  const { shape, resid, H, g } = work;
  const proj = new Float64Array(rows);
  const R = new Float64Array(9);
  const mom = faithful ? undefined : moments();

  shape3d(pdm, loc, shape);
  euler2RotationMatrix(glob[1], glob[2], glob[3], R);
  projectShape3d(shape, glob, proj);
  let currError = distance(proj, target);

  let stalls = 0;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    if (faithful) shape3d(pdm, loc, shape);
    else computeShape3dFast(M, V, loc, m, shape);
    projectShape3d(shape, glob, proj);
    for (let k = 0; k < rows; k++) resid[k] = fr(target[k] - proj[k]);

    if (mom) normalEquationsFast(pdm, mom, glob, R, loc, reg, work);
    else normalEquationsFloat32(pdm, glob, loc, reg, work);

    // cv::solve(..., DECOMP_CHOLESKY) leaves a zero update when the factorisation fails.
    const solved = faithful ? choleskySolve(H, g, P, fr, FLT_EPSILON) : choleskySolveDouble(H, g, P);
    if (!solved) g.fill(0);
    // OpenFace takes half steps, "to not overshoot".
    for (let c = 0; c < P; c++) g[c] = fr(stepScale * g[c]);

    updateModelParameters(g, loc, glob, m, fr);
    euler2RotationMatrix(glob[1], glob[2], glob[3], R);

    // OpenFace measures the new error with the new global parameters but
    // the 3D shape from before the local update.
    projectShape3d(shape, glob, proj);
    const error = distance(proj, target);
    if (0.999 * currError < error) {
      stalls++;
      if (stalls === maxStalls) break;
    }
    // An exact fit (error 0.0) never counts as a stall, so OpenFace's rule
    // would run on to the cap; without regularisation there is nothing left
    // to improve, so stop.
    if (error === 0 && regFactor === 0) break;
    currError = error;
  }

  const paramsLocal = Float64Array.from(loc);
  const fitted = projectShape(pdm, paramsLocal, glob);
  let sq = 0;
  for (let k = 0; k < rows; k++) sq += (fitted[k] - target[k]) ** 2;
  return { paramsGlobal: glob, paramsLocal, iterations, rmsError: Math.sqrt(sq / n) };
}

/** Per-iteration buffers. */
interface Work {
  /** current 3D shape (3n) */
  readonly shape: Float64Array;
  /** landmarks - projection (2n) */
  readonly resid: Float64Array;
  /** float32 path: the Jacobian, transposed (P x 2n) */
  readonly JT: Float64Array;
  /** fast path: T_ab (9 x m), see normalEquationsFast */
  readonly T: Float64Array;
  /** fast path: s R₂ᵀ r_i per point (3n) */
  readonly w: Float64Array;
  /** normal matrix (P x P) */
  readonly H: Float64Array;
  /** right-hand side (P); the solver turns it into the update */
  readonly g: Float64Array;
}

/**
 * OpenFace's normal equations in OpenFace's arithmetic: the float Jacobian
 * (ComputeJacobian), g = Jᵀr - Λ⁻¹p and H = JᵀJ + Λ⁻¹ as OpenCV's float
 * gemm computes them (double sums of float products, one float rounding
 * per stored value; the Λ⁻¹p product is folded into the gemm, so g is
 * rounded once).
 */
function normalEquationsFloat32(pdm: Pdm, glob: Float64Array, loc: Float64Array, reg: Float64Array, work: Work): void {
  const n = pdm.numPoints, m = pdm.numModes, P = 6 + m, rows = 2 * n;
  const { JT, resid, H, g } = work;
  const fr = Math.fround;
  computeJacobianT(pdm, work.shape, glob, fr, JT);
  for (let c = 0; c < P; c++) g[c] = fr(gemvDot(JT, c * rows, resid, 0, rows));
  for (let j = 0; j < m; j++) g[6 + j] = fr(g[6 + j] - reg[j] * loc[j]);
  gramMatrix(JT, P, rows, fr, H);
  for (let j = 0; j < m; j++) H[(6 + j) * P + 6 + j] = fr(H[(6 + j) * P + 6 + j] + reg[j]);
}

/**
 * Model sums for the fast path. With V_i the 3 x m block of point i
 * (rows x, y, z of the components) and M_i its mean position:
 * G_ab[j][k] = Σ_i V_i[a][j] V_i[b][k] (a, b ∈ {x, y, z}), stored as the
 * symmetric combinations the normal matrix needs; TM_ab[j] = Σ_i M_i[a] V_i[b][j];
 * Vsum_b[j] = Σ_i V_i[b][j].
 */
interface PdmMoments {
  /** 9 matrices m x m: G_abᵀ at index 3a + b (stacked, 9m rows of m) */
  readonly GT: Float64Array;
  /** 6 symmetric m x m: G_xx, G_yy, G_zz, G_xy + G_yx, G_xz + G_zx, G_yz + G_zy */
  readonly S: Float64Array;
  /** 9 vectors of m: TM_ab at index 3a + b */
  readonly TM: Float64Array;
  /** 3 vectors of m */
  readonly Vsum: Float64Array;
  /** the components transposed: m x 3n, VT[j * 3n + r] = V[r][j] */
  readonly VT: Float64Array;
}

function pdmMoments(pdm: Pdm): PdmMoments {
  const n = pdm.numPoints, m = pdm.numModes, mm = m * m;
  const V = pdm.princComp, M = pdm.meanShape;
  const G = new Float64Array(9 * mm);
  const TM = new Float64Array(9 * m);
  const Vsum = new Float64Array(3 * m);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      const va = (i + a * n) * m;
      const ma = M[i + a * n];
      for (let b = 0; b < 3; b++) {
        const vb = (i + b * n) * m;
        const gab = (3 * a + b) * mm;
        for (let j = 0; j < m; j++) {
          const x = V[va + j];
          for (let k = 0; k < m; k++) G[gab + j * m + k] += x * V[vb + k];
          TM[(3 * a + b) * m + j] += ma * V[vb + j];
        }
      }
      for (let j = 0; j < m; j++) Vsum[a * m + j] += V[va + j];
    }
  }
  const S = new Float64Array(6 * mm);
  const pairs: readonly (readonly [number, number])[] = [[0, 0], [1, 1], [2, 2], [0, 1], [0, 2], [1, 2]];
  pairs.forEach(([a, b], q) => {
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < m; k++) {
        const gjk = G[(3 * a + b) * mm + j * m + k];
        S[q * mm + j * m + k] = a === b ? gjk : gjk + G[(3 * a + b) * mm + k * m + j];
      }
    }
  });
  const VT = new Float64Array(3 * n * m);
  for (let r = 0; r < 3 * n; r++) for (let j = 0; j < m; j++) VT[j * 3 * n + r] = V[r * m + j];
  const GT = new Float64Array(9 * mm);
  for (let ab = 0; ab < 9; ab++) {
    for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) GT[ab * mm + k * m + j] = G[ab * mm + j * m + k];
  }
  return { GT, S, TM, Vsum, VT };
}

/**
 * The same normal equations in double, assembled from model sums instead
 * of the explicit 2n x (6 + m) Jacobian (about 5x fewer operations). With
 * R₂ the first two rows of R, C = R₂ᵀR₂ and X_i the current 3D point:
 * - modes x modes: s² Σ_i V_iᵀ C V_i = s² Σ_ab C_ab G_ab;
 * - rigid x modes: every rigid Jacobian column of point i maps back to
 *   model space linearly in X_i (scale: C X_i; rotation w: s C [e_w]× X_i;
 *   translations: constant rows of R), so its products with the mode
 *   columns reduce to T_ab[j] = Σ_i X_i[a] V_i[b][j] = TM_ab[j] + (G_abᵀ p)[j];
 * - rigid x rigid and the rigid gradient: summed point by point;
 * - mode gradient: s Σ_i V_iᵀ R₂ᵀ r_i.
 */
function normalEquationsFast(
  pdm: Pdm,
  mom: PdmMoments,
  glob: Float64Array,
  R: Float64Array,
  loc: Float64Array,
  reg: Float64Array,
  work: Work,
): void {
  const n = pdm.numPoints, m = pdm.numModes, P = 6 + m, mm = m * m;
  const { shape, resid, H, g, T } = work;
  const s = glob[0];
  const r00 = R[0], r01 = R[1], r02 = R[2], r10 = R[3], r11 = R[4], r12 = R[5];

  // Rigid block and rigid gradient, point by point (Jacobian of OpenFace's ComputeJacobian).
  let h00 = 0, h01 = 0, h02 = 0, h03 = 0, h04 = 0, h05 = 0;
  let h11 = 0, h12 = 0, h13 = 0, h14 = 0, h15 = 0;
  let h22 = 0, h23 = 0, h24 = 0, h25 = 0;
  let h33 = 0, h34 = 0, h35 = 0;
  let g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0;
  for (let i = 0; i < n; i++) {
    const X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
    const ex = resid[i], ey = resid[i + n];
    const ax0 = X * r00 + Y * r01 + Z * r02, ay0 = X * r10 + Y * r11 + Z * r12;
    const ax1 = s * (Y * r02 - Z * r01), ay1 = s * (Y * r12 - Z * r11);
    const ax2 = -s * (X * r02 - Z * r00), ay2 = -s * (X * r12 - Z * r10);
    const ax3 = s * (X * r01 - Y * r00), ay3 = s * (X * r11 - Y * r10);
    h00 += ax0 * ax0 + ay0 * ay0; h01 += ax0 * ax1 + ay0 * ay1; h02 += ax0 * ax2 + ay0 * ay2; h03 += ax0 * ax3 + ay0 * ay3;
    h04 += ax0; h05 += ay0;
    h11 += ax1 * ax1 + ay1 * ay1; h12 += ax1 * ax2 + ay1 * ay2; h13 += ax1 * ax3 + ay1 * ay3;
    h14 += ax1; h15 += ay1;
    h22 += ax2 * ax2 + ay2 * ay2; h23 += ax2 * ax3 + ay2 * ay3;
    h24 += ax2; h25 += ay2;
    h33 += ax3 * ax3 + ay3 * ay3;
    h34 += ax3; h35 += ay3;
    g0 += ax0 * ex + ay0 * ey; g1 += ax1 * ex + ay1 * ey; g2 += ax2 * ex + ay2 * ey; g3 += ax3 * ex + ay3 * ey;
    g4 += ex; g5 += ey;
  }
  const rigid = [
    [h00, h01, h02, h03, h04, h05],
    [h01, h11, h12, h13, h14, h15],
    [h02, h12, h22, h23, h24, h25],
    [h03, h13, h23, h33, h34, h35],
    [h04, h14, h24, h34, n, 0],
    [h05, h15, h25, h35, 0, n],
  ];
  for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) H[a * P + b] = rigid[a][b];
  g[0] = g0; g[1] = g1; g[2] = g2; g[3] = g3; g[4] = g4; g[5] = g5;

  // C = R₂ᵀ R₂ (symmetric).
  const c00 = r00 * r00 + r10 * r10, c11 = r01 * r01 + r11 * r11, c22 = r02 * r02 + r12 * r12;
  const c01 = r00 * r01 + r10 * r11, c02 = r00 * r02 + r10 * r12, c12 = r01 * r02 + r11 * r12;

  // Modes x modes.
  const s2 = s * s;
  const S = mom.S;
  const w0 = s2 * c00, w1 = s2 * c11, w2 = s2 * c22, w3 = s2 * c01, w4 = s2 * c02, w5 = s2 * c12;
  for (let j = 0; j < m; j++) {
    for (let k = j; k < m; k++) {
      const e = j * m + k;
      const h = w0 * S[e] + w1 * S[mm + e] + w2 * S[2 * mm + e] + w3 * S[3 * mm + e] + w4 * S[4 * mm + e] + w5 * S[5 * mm + e];
      H[(6 + j) * P + 6 + k] = h;
      H[(6 + k) * P + 6 + j] = h;
    }
    H[(6 + j) * P + 6 + j] += reg[j];
  }

  // T_ab = TM_ab + G_abᵀ p for all nine (a, b) at once: GT stacks the G_abᵀ.
  computeShape3dFast(mom.TM, mom.GT, loc, m, T);

  // Rigid x modes: H[rig][6+j] = s Σ_ab L_rig[b][a] T_ab[j], with L_scale = C
  // and L_w = s C [e_w]× for the rotations. [e_x]× has +1 at (2,1) and -1 at
  // (1,2), so (C [e_x]×)[b][a] is +C[b][2] for a = 1 and -C[b][1] for a = 2;
  // likewise for y ((0,2): +1, (2,0): -1) and z ((1,0): +1, (0,1): -1).
  const Cm = [c00, c01, c02, c01, c11, c12, c02, c12, c22];
  const Vsum = mom.Vsum;
  for (let j = 0; j < m; j++) {
    let hs = 0, hx = 0, hy = 0, hz = 0;
    for (let b = 0; b < 3; b++) {
      const t0 = T[b * m + j], t1 = T[(3 + b) * m + j], t2 = T[(6 + b) * m + j]; // T_0b, T_1b, T_2b
      const cb0 = Cm[3 * b], cb1 = Cm[3 * b + 1], cb2 = Cm[3 * b + 2];
      hs += cb0 * t0 + cb1 * t1 + cb2 * t2;
      hx += cb2 * t1 - cb1 * t2;
      hy += cb0 * t2 - cb2 * t0;
      hz += cb1 * t0 - cb0 * t1;
    }
    const tx = s * (r00 * Vsum[j] + r01 * Vsum[m + j] + r02 * Vsum[2 * m + j]);
    const ty = s * (r10 * Vsum[j] + r11 * Vsum[m + j] + r12 * Vsum[2 * m + j]);
    const col = 6 + j;
    H[col] = H[col * P] = s * hs;
    H[P + col] = H[col * P + 1] = s2 * hx;
    H[2 * P + col] = H[col * P + 2] = s2 * hy;
    H[3 * P + col] = H[col * P + 3] = s2 * hz;
    H[4 * P + col] = H[col * P + 4] = tx;
    H[5 * P + col] = H[col * P + 5] = ty;
  }

  // Mode gradient: s Σ_i V_iᵀ (R₂ᵀ r_i), minus Λ⁻¹ p: w = s R₂ᵀ r_i laid
  // out like a 3D shape, then one dot product per mode with Vᵀ.
  const w = work.w;
  for (let i = 0; i < n; i++) {
    const ex = resid[i], ey = resid[i + n];
    w[i] = s * (r00 * ex + r10 * ey);
    w[i + n] = s * (r01 * ex + r11 * ey);
    w[i + 2 * n] = s * (r02 * ex + r12 * ey);
  }
  const VT = mom.VT, len = 3 * n;
  for (let j = 0; j < m; j++) g[6 + j] = gemvDot(VT, j * len, w, 0, len) - reg[j] * loc[j];
}

/**
 * H = JT JTᵀ for JT of p rows by `len` columns: each entry summed over k in
 * order from 0, as OpenCV's gemm does for a small matrix product; four
 * columns at a time so each JT[a][k] is loaded once for four products.
 */
function gramMatrix(JT: Float64Array, p: number, len: number, fr: (x: number) => number, H: Float64Array): void {
  for (let a = 0; a < p; a++) {
    const baseA = a * len;
    let b = a;
    for (; b + 3 < p; b += 4) {
      const b0 = b * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < len; k++) {
        const x = JT[baseA + k];
        s0 += x * JT[b0 + k];
        s1 += x * JT[b1 + k];
        s2 += x * JT[b2 + k];
        s3 += x * JT[b3 + k];
      }
      H[a * p + b] = H[b * p + a] = fr(s0);
      H[a * p + b + 1] = H[(b + 1) * p + a] = fr(s1);
      H[a * p + b + 2] = H[(b + 2) * p + a] = fr(s2);
      H[a * p + b + 3] = H[(b + 3) * p + a] = fr(s3);
    }
    for (; b < p; b++) {
      const b0 = b * len;
      let s = 0;
      for (let k = 0; k < len; k++) s += JT[baseA + k] * JT[b0 + k];
      H[a * p + b] = H[b * p + a] = fr(s);
    }
  }
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
 * M + V p in double (V: rows x m), two rows at a time (each p[k] loaded once
 * for two products); the sum order differs from OpenCV's only by rounding
 * (shape3d, in OpenCV's order, is the faithful one).
 */
function computeShape3dFast(M: Float64Array, V: Float64Array, p: Float64Array, m: number, out: Float64Array): void {
  const rows = out.length;
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    const a = r * m, b = a + m;
    let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
    let k = 0;
    for (; k + 1 < m; k += 2) {
      const p0 = p[k], p1 = p[k + 1];
      s0 += V[a + k] * p0;
      t0 += V[b + k] * p0;
      s1 += V[a + k + 1] * p1;
      t1 += V[b + k + 1] * p1;
    }
    for (; k < m; k++) {
      s0 += V[a + k] * p[k];
      t0 += V[b + k] * p[k];
    }
    out[r] = s0 + s1 + M[r];
    out[r + 1] = t0 + t1 + M[r + 1];
  }
  for (; r < rows; r++) out[r] = gemvDot(V, r * m, p, 0, m) + M[r];
}

/** Euclidean norm of a - b (cv::norm of the difference), summed in index order (x's, then y's). */
function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k] - b[k];
    s += d * d;
  }
  return Math.sqrt(s);
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
