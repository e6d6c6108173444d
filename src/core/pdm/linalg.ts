/**
 * The small dense linear algebra the PDM fit needs: 3x3 products, a 3x3 SVD
 * (for OpenFace's `Orthonormalise` and OpenCV's `Rodrigues`) and a Cholesky
 * solver for the 40x40 normal equations. Matrices are row-major typed arrays.
 *
 * `choleskySolve` mirrors OpenCV's `CholImpl` step by step (it stores the
 * inverse of each diagonal element and accumulates in double), because
 * OpenFace's `CalcParams` solves its Gauss-Newton step with
 * `cv::solve(..., DECOMP_CHOLESKY)` on float matrices and the float32 path
 * reproduces that arithmetic exactly; `choleskySolveDouble` is the same
 * factorisation arranged for speed, for the double path. `gemvDot` sums a
 * matrix-vector product in OpenCV's gemm order.
 */
import * as pm from '../math/portableMath.ts';

/** A 3x3 matrix, row-major: m[3 * row + col]. */
export type Mat3 = Float64Array;

export function mat3Identity(): Mat3 {
  return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
}

/**
 * a * b for 3x3 matrices. Each entry sums k = 0, 1, 2 in order from 0, as
 * OpenCV's `Matx` product does, so results agree to the last bit.
 */
export function mat3Mul(a: Mat3, b: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  let r00 = 0, r01 = 0, r02 = 0, r10 = 0, r11 = 0, r12 = 0, r20 = 0, r21 = 0, r22 = 0;
  for (let k = 0; k < 3; k++) {
    const b0 = b[3 * k], b1 = b[3 * k + 1], b2 = b[3 * k + 2];
    const a0 = a[k], a1 = a[3 + k], a2 = a[6 + k];
    r00 += a0 * b0; r01 += a0 * b1; r02 += a0 * b2;
    r10 += a1 * b0; r11 += a1 * b1; r12 += a1 * b2;
    r20 += a2 * b0; r21 += a2 * b1; r22 += a2 * b2;
  }
  out[0] = r00; out[1] = r01; out[2] = r02;
  out[3] = r10; out[4] = r11; out[5] = r12;
  out[6] = r20; out[7] = r21; out[8] = r22;
  return out;
}

export function mat3Transpose(a: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  const t1 = a[1], t2 = a[2], t5 = a[5];
  out[0] = a[0]; out[4] = a[4]; out[8] = a[8];
  out[1] = a[3]; out[3] = t1;
  out[2] = a[6]; out[6] = t2;
  out[5] = a[7]; out[7] = t5;
  return out;
}

export function mat3Det(a: Mat3): number {
  return (
    a[0] * (a[4] * a[8] - a[5] * a[7]) -
    a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6])
  );
}

/** Result of `svd3`: a = u * diag(w) * vᵀ, w sorted in decreasing order. */
export interface Svd3 {
  readonly u: Mat3;
  readonly w: Float64Array;
  readonly v: Mat3;
}

/**
 * Singular value decomposition of a 3x3 matrix by one-sided (Hestenes) Jacobi
 * rotations, the method OpenCV's `cv::SVD` uses for small matrices. Columns
 * of a working copy of `a` are orthogonalised pairwise; their norms are the
 * singular values, the accumulated rotations form v.
 */
export function svd3(a: Mat3): Svd3 {
  const u = new Float64Array(9);
  const w = new Float64Array(3);
  const v = new Float64Array(9);
  svd3Into(a, u, w, v);
  return { u, w, v };
}

// svd3Into's working columns and rotations: module scratch, so the PDM
// update (two SVDs per NU-RLMS / CalcParams iteration) allocates nothing.
const svdG = new Float64Array(9);
const svdV = new Float64Array(9);
const svdW = new Float64Array(3);

/** `svd3` into caller-owned u (9), w (3) and v (9), which must not alias `a`. */
export function svd3Into(a: Mat3, u: Mat3, ws: Float64Array, vs: Mat3): void {
  const g = svdG; // working columns: g[3 * row + col]
  g.set(a);
  const v = svdV;
  v.fill(0);
  v[0] = v[4] = v[8] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let r = 0; r < 3; r++) {
          const gp = g[3 * r + p], gq = g[3 * r + q];
          alpha += gp * gp;
          beta += gq * gq;
          gamma += gp * gq;
        }
        // Columns already orthogonal to working precision: skip the pair.
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let r = 0; r < 3; r++) {
          const gp = g[3 * r + p], gq = g[3 * r + q];
          g[3 * r + p] = c * gp - s * gq;
          g[3 * r + q] = s * gp + c * gq;
          const vp = v[3 * r + p], vq = v[3 * r + q];
          v[3 * r + p] = c * vp - s * vq;
          v[3 * r + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const w = svdW;
  for (let c = 0; c < 3; c++) w[c] = pm.hypot(g[c], g[3 + c], g[6 + c]);
  // Sort singular values in decreasing order, permuting columns alongside.
  let i0 = 0, i1 = 1, i2 = 2, t: number;
  if (w[i0] < w[i1]) { t = i0; i0 = i1; i1 = t; }
  if (w[i1] < w[i2]) { t = i1; i1 = i2; i2 = t; }
  if (w[i0] < w[i1]) { t = i0; i0 = i1; i1 = t; }
  // Columns of negligible norm carry no direction: their u is rebuilt below.
  const tiny = w[i0] * 1e-13;
  for (let k = 0; k < 3; k++) {
    const c = k === 0 ? i0 : k === 1 ? i1 : i2;
    ws[k] = w[c];
    for (let r = 0; r < 3; r++) {
      vs[3 * r + k] = v[3 * r + c];
      u[3 * r + k] = w[c] > tiny ? g[3 * r + c] / w[c] : 0;
    }
  }
  completeOrthonormalColumns(u, ws, tiny);
}

/**
 * For a rank-deficient input the u columns of (numerically) zero singular
 * values are undefined (left at 0 by `svd3`); fill them so that u is
 * orthonormal.
 */
function completeOrthonormalColumns(u: Mat3, w: Float64Array, tiny: number): void {
  for (let k = 0; k < 3; k++) {
    if (w[k] > tiny) continue;
    // Try the unit axes; keep the first that is independent of the columns before k.
    for (let axis = 0; axis < 3; axis++) {
      const col = [0, 0, 0];
      col[axis] = 1;
      for (let j = 0; j < k; j++) {
        const d = u[j] * col[0] + u[3 + j] * col[1] + u[6 + j] * col[2];
        for (let r = 0; r < 3; r++) col[r] -= d * u[3 * r + j];
      }
      const norm = pm.hypot(col[0], col[1], col[2]);
      if (norm > 1e-6) {
        for (let r = 0; r < 3; r++) u[3 * r + k] = col[r] / norm;
        break;
      }
    }
  }
}

/**
 * The rotation closest to `r` (OpenFace's `Orthonormalise`): with
 * r = U W Vᵀ it returns U diag(1, 1, det(U Vᵀ)) Vᵀ, so the result never
 * contains a reflection.
 */
export function orthonormalise(r: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  const u = orthoU, v = orthoV;
  svd3Into(r, u, orthoW, v);
  const vt = mat3Transpose(v, orthoVt);
  const uvt = mat3Mul(u, vt, orthoUvt);
  const d = mat3Det(uvt);
  // u * diag(1, 1, d): scale the last column of u by d.
  u[2] *= d; u[5] *= d; u[8] *= d;
  return mat3Mul(u, vt, out);
}

// orthonormalise's intermediates (module scratch: no allocation per call)
const orthoU = new Float64Array(9);
const orthoV = new Float64Array(9);
const orthoW = new Float64Array(3);
const orthoVt = new Float64Array(9);
const orthoUvt = new Float64Array(9);

/**
 * Solves a x = b for a symmetric positive definite n x n matrix `a`
 * (row-major, overwritten by its factor) and one right-hand side `b`
 * (overwritten by x), following OpenCV's `CholImpl`: sums run in double,
 * the float32 instantiation's inputs are float values already,
 * each stored factor/solution value and each product of two stored values
 * goes through `round` (Math.fround reproduces the float32 instantiation,
 * where those products are float multiplications). Returns false, leaving
 * `b` unspecified, when a pivot falls below `epsilon` (OpenCV: FLT_EPSILON
 * for float, DBL_EPSILON for double).
 */
export function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  n: number,
  round: (x: number) => number,
  epsilon: number,
): boolean {
  const L = a;
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j < i; j++) {
      const rowJ = j * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= round(L[rowI + k] * L[rowJ + k]);
      L[rowI + j] = round(s * L[rowJ + j]);
    }
    let s = a[rowI + i];
    for (let k = 0; k < i; k++) {
      const t = L[rowI + k];
      s -= t * t;
    }
    if (!(s >= epsilon)) return false;
    // OpenCV keeps the reciprocal of the diagonal and multiplies by it.
    L[rowI + i] = round(1 / Math.sqrt(s));
  }
  // L y = b
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= round(L[rowI + k] * b[k]);
    b[i] = round(s * L[rowI + i]);
  }
  // Lᵀ x = y
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = n - 1; k > i; k--) s -= round(L[k * n + i] * b[k]);
    b[i] = round(s * L[i * n + i]);
  }
  return true;
}

/**
 * choleskySolve(a, b, n, Math.fround, FLT_EPSILON) written out for float
 * (OpenCV's CholImpl<float>): the same operations in the same order, with
 * Math.fround inline instead of a rounding callback, and the off-diagonal
 * entries of a row computed two at a time (the second entry's sum runs
 * alongside the first and takes its last term once the first is known), so
 * the CPU overlaps the two chains. About three times faster; same bits.
 */
export function choleskySolveF32(a: Float64Array, b: Float64Array, n: number): boolean {
  const fr = Math.fround;
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rowJ = j * n, rowJ1 = rowJ + n;
      let s0 = a[rowI + j], s1 = a[rowI + j + 1];
      for (let k = 0; k < j; k++) {
        const x = a[rowI + k];
        s0 -= fr(x * a[rowJ + k]);
        s1 -= fr(x * a[rowJ1 + k]);
      }
      const l0 = fr(s0 * a[rowJ + j]);
      a[rowI + j] = l0;
      s1 -= fr(l0 * a[rowJ1 + j]);
      a[rowI + j + 1] = fr(s1 * a[rowJ1 + j + 1]);
    }
    for (; j < i; j++) {
      const rowJ = j * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= fr(a[rowI + k] * a[rowJ + k]);
      a[rowI + j] = fr(s * a[rowJ + j]);
    }
    let s = a[rowI + i];
    for (let k = 0; k < i; k++) {
      const t = a[rowI + k];
      s -= t * t;
    }
    if (!(s >= FLT_EPSILON)) return false;
    a[rowI + i] = fr(1 / Math.sqrt(s));
  }
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= fr(a[rowI + k] * b[k]);
    b[i] = fr(s * a[rowI + i]);
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = n - 1; k > i; k--) s -= fr(a[k * n + i] * b[k]);
    b[i] = fr(s * a[i * n + i]);
  }
  return true;
}

/**
 * Dot product of a[aOffset ..] and b[bOffset ..] over `length` terms summed
 * the way OpenCV's gemm does for a matrix-vector product (`GEMMSingleMul`,
 * A·Bᵀ branch): four interleaved partial sums, the leftover terms on the
 * first, then ((s0 + s1) + s2) + s3. Products of float32 values are exact
 * in double, so this matches OpenCV's float and double variants alike.
 */
export function gemvDot(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, length: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k <= length - 4; k += 4) {
    s0 += a[aOffset + k] * b[bOffset + k];
    s1 += a[aOffset + k + 1] * b[bOffset + k + 1];
    s2 += a[aOffset + k + 2] * b[bOffset + k + 2];
    s3 += a[aOffset + k + 3] * b[bOffset + k + 3];
  }
  for (; k < length; k++) s0 += a[aOffset + k] * b[bOffset + k];
  return s0 + s1 + s2 + s3;
}

/**
 * Cholesky solve of a x = b in double, for the fast path: the same
 * factorisation as `choleskySolve` (lower factor, reciprocal diagonal,
 * DBL_EPSILON pivot test; sums in the same order), but two off-diagonal
 * entries of a row are computed together, which halves the loads and
 * interleaves two dependency chains. `a` is overwritten by its factor
 * (lower triangle), `b` by x.
 */
export function choleskySolveDouble(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rowJ = j * n, rowJ1 = rowJ + n;
      let s0 = a[rowI + j], s1 = a[rowI + j + 1];
      for (let k = 0; k < j; k++) {
        const x = a[rowI + k];
        s0 -= x * a[rowJ + k];
        s1 -= x * a[rowJ1 + k];
      }
      const l0 = s0 * a[rowJ + j];
      a[rowI + j] = l0;
      s1 -= l0 * a[rowJ1 + j];
      a[rowI + j + 1] = s1 * a[rowJ1 + j + 1];
    }
    for (; j < i; j++) {
      const rowJ = j * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = s * a[rowJ + j];
    }
    let s = a[rowI + i];
    for (let k = 0; k < i; k++) {
      const t = a[rowI + k];
      s -= t * t;
    }
    if (!(s >= DBL_EPSILON)) return false;
    a[rowI + i] = 1 / Math.sqrt(s);
  }
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[rowI + k] * b[k];
    b[i] = s * a[rowI + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = n - 1; k > i; k--) s -= a[k * n + i] * b[k];
    b[i] = s * a[i * n + i];
  }
  return true;
}

/** FLT_EPSILON and DBL_EPSILON, OpenCV's pivot thresholds for `CholImpl`. */
export const FLT_EPSILON = 1.1920928955078125e-7;
export const DBL_EPSILON = 2.220446049250313e-16;

/** Identity rounding, for the double-precision paths. */
export const noRound = (x: number): number => x;
