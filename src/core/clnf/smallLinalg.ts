/**
 * Small dense linear algebra as OpenCV 4.x computes it for the float and
 * double matrices OpenFace 2.2 hands it: the Jacobi SVD of 2x2 and 3x3
 * matrices and the Cholesky inverse of the CCNF SigmaInv matrices.
 */

/** OpenCV's own hypot (lapack.cpp), which its Jacobi SVD calls: the larger magnitude times √(1 + ratio²). */
export function cvHypot(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a > b) {
    b /= a;
    return a * Math.sqrt(1 + b * b);
  }
  if (b > 0) {
    a /= b;
    return b * Math.sqrt(1 + a * a);
  }
  return 0;
}

/** cv::SVD of a small square matrix: u (columns = left singular vectors), singular values, vt; row-major. */
export interface SvdResult {
  readonly u: Float64Array;
  readonly w: Float64Array;
  readonly vt: Float64Array;
}

const FLT_MIN = 1.1754943508222875e-38;
const FLT_EPSILON_F = 1.1920928955078125e-7;
const DBL_MIN = 2.2250738585072014e-308;
const DBL_EPSILON_D = 2.220446049250313e-16;

/** a value stored in a float matrix (single) or a double one; one monomorphic function the JIT inlines */
function round(single: boolean, v: number): number {
  return single ? Math.fround(v) : v;
}

/**
 * cv::SVD::compute of an n x n matrix `a` (row-major) as OpenCV 4.x does it
 * below LAPACK's size threshold: one-sided Jacobi (JacobiSVDImpl_) on the
 * rows of Aᵀ, squared norms and rotation angles in double (OpenCV's own
 * hypot); for a float
 * matrix (`single`) every rotated value is stored as float and the
 * threshold is 2 FLT_EPSILON (10 DBL_EPSILON for double); singular values
 * sorted decreasing (rows of Aᵀ and Vᵀ swapped alongside); the left vectors
 * normalised by 1/σ (σ of 0, which OpenCV completes with random vectors,
 * does not occur for the rotations and 2x2 cross-covariances this is used on).
 * `work` (from svdWorkspace(n)): its arrays are used and returned instead
 * of new ones (the PDM update calls this twice per step: no garbage).
 */
export function svdJacobi(a: ArrayLike<number>, n: number, single: boolean, work?: SvdWorkspace): SvdResult {
  const At = work ? work.At : new Float64Array(n * n), Vt = work ? work.vt.fill(0) : new Float64Array(n * n), W = work ? work.W : new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) At[i * n + k] = a[k * n + i];
  for (let i = 0; i < n; i++) {
    let sd = 0;
    for (let k = 0; k < n; k++) sd += At[i * n + k] * At[i * n + k];
    W[i] = sd;
    Vt[i * n + i] = 1;
  }
  const eps = single ? 2 * FLT_EPSILON_F : 10 * DBL_EPSILON_D;
  const minval = single ? FLT_MIN : DBL_MIN;
  const maxIter = Math.max(n, 30);
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = false;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        const ai = i * n, aj = j * n;
        let x = W[i], y = W[j], p = 0;
        for (let k = 0; k < n; k++) p += At[ai + k] * At[aj + k];
        if (Math.abs(p) <= eps * Math.sqrt(x * y)) continue;
        p *= 2;
        const beta = x - y, gamma = cvHypot(p, beta);
        let c: number, s: number;
        if (beta < 0) {
          const delta = (gamma - beta) * 0.5;
          s = round(single, Math.sqrt(delta / gamma));
          c = round(single, p / (gamma * s * 2));
        } else {
          c = round(single, Math.sqrt((gamma + beta) / (gamma * 2)));
          s = round(single, p / (gamma * c * 2));
        }
        x = 0;
        y = 0;
        for (let k = 0; k < n; k++) {
          const u = At[ai + k], v = At[aj + k];
          const t0 = round(single, round(single, c * u) + round(single, s * v));
          const t1 = round(single, round(single, -s * u) + round(single, c * v));
          At[ai + k] = t0;
          At[aj + k] = t1;
          x += t0 * t0;
          y += t1 * t1;
        }
        W[i] = x;
        W[j] = y;
        changed = true;
        for (let k = 0; k < n; k++) {
          const u = Vt[ai + k], v = Vt[aj + k];
          Vt[ai + k] = round(single, round(single, c * u) + round(single, s * v));
          Vt[aj + k] = round(single, round(single, -s * u) + round(single, c * v));
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) {
    let sd = 0;
    for (let k = 0; k < n; k++) sd += At[i * n + k] * At[i * n + k];
    W[i] = Math.sqrt(sd);
  }
  for (let i = 0; i < n - 1; i++) {
    let j = i;
    for (let k = i + 1; k < n; k++) if (W[j] < W[k]) j = k;
    if (i !== j) {
      const t = W[i];
      W[i] = W[j];
      W[j] = t;
      for (let k = 0; k < n; k++) {
        let v = At[i * n + k];
        At[i * n + k] = At[j * n + k];
        At[j * n + k] = v;
        v = Vt[i * n + k];
        Vt[i * n + k] = Vt[j * n + k];
        Vt[j * n + k] = v;
      }
    }
  }
  const w = work ? work.w : new Float64Array(n), u = work ? work.u : new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    w[i] = round(single, W[i]);
    const scale = round(single, W[i] > minval ? 1 / W[i] : 0);
    for (let k = 0; k < n; k++) u[k * n + i] = round(single, At[i * n + k] * scale);
  }
  return work ?? { u, w, vt: Vt };
}

/** Reusable arrays for svdJacobi of an n x n matrix (its result lives in u, w, vt until the next call). */
export interface SvdWorkspace extends SvdResult {
  readonly At: Float64Array;
  readonly W: Float64Array;
}

export function svdWorkspace(n: number): SvdWorkspace {
  return { u: new Float64Array(n * n), w: new Float64Array(n), vt: new Float64Array(n * n), At: new Float64Array(n * n), W: new Float64Array(n) };
}

/**
 * OpenCV's CholImpl<float> with the identity as right-hand side: the inverse
 * cv::invert(A, DECOMP_CHOLESKY) gives for a float SPD matrix below LAPACK's
 * size threshold (n < 100). Sums in double, each product of two stored float
 * values rounded to float, the factor's diagonal kept as 1/√s, every stored
 * value float. Returns null when a pivot falls below FLT_EPSILON.
 */
export function invertCholeskyF32(a: ArrayLike<number>, n: number): Float64Array | null {
  const fr = Math.fround;
  const L = Float64Array.from(a as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = L[ri + j];
      for (let k = 0; k < j; k++) s -= fr(L[ri + k] * L[rj + k]);
      L[ri + j] = fr(s * L[rj + j]);
    }
    let s = L[ri + i];
    for (let k = 0; k < i; k++) {
      const t = L[ri + k];
      s -= t * t;
    }
    if (s < FLT_EPSILON_F) return null;
    L[ri + i] = fr(1 / Math.sqrt(s));
  }
  // L y = I, then Lᵀ x = y, column by column inside each row as OpenCV loops
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) b[i * n + i] = 1;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) {
      let s = b[ri + j];
      for (let k = 0; k < i; k++) s -= fr(L[ri + k] * b[k * n + j]);
      b[ri + j] = fr(s * L[ri + i]);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    for (let j = 0; j < n; j++) {
      let s = b[ri + j];
      for (let k = n - 1; k > i; k--) s -= fr(L[k * n + i] * b[k * n + j]);
      b[ri + j] = fr(s * L[ri + i]);
    }
  }
  return b;
}
