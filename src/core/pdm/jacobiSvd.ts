/**
 * OpenCV's SVD of small square matrices (cv::SVD / cvSVD on 2x2 and 3x3,
 * which OpenCV computes with its own one-sided Jacobi method, JacobiSVDImpl_,
 * below LAPACK's size threshold), reproduced step by step because OpenFace
 * 2.2's rotation arithmetic depends on its last bits: PDM::Orthonormalise
 * (float), AlignShapesKabsch2D (float) and cv::Rodrigues (double, where acos
 * near a zero angle magnifies a last-bit difference a hundredfold).
 *
 * The method: the rows of Aᵀ (the columns of A) are rotated pairwise until
 * they are orthogonal; their norms are the singular values and the rows,
 * normalised, the left singular vectors; the accumulated rotations are Vᵀ.
 * Norms and rotation angles are computed in double; in the float version
 * every rotated value is stored as a float.
 */

const fr = Math.fround;
const same = (x: number): number => x;

/**
 * √(a² + b²), correctly rounded: the sum of squares is formed exactly as a
 * double-double (Dekker's product) and the square root corrected once. glibc's
 * hypot, which OpenCV calls, rounds correctly; a plain Math.sqrt(a*a + b*b) or
 * an engine's Math.hypot can be one unit in the last place off.
 */
export function hypotExact(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a < b) {
    const t = a;
    a = b;
    b = t;
  }
  if (a === 0 || !Number.isFinite(a)) return a + b;
  // scale to keep the squares in range
  const e = Math.floor(Math.log2(a));
  const scale = 2 ** -e;
  const x = a * scale, y = b * scale;
  const [xh, xl] = square(x);
  const [yh, yl] = square(y);
  // s = x² + y² as a double-double (hi, lo)
  const sh = xh + yh;
  const bv = sh - xh;
  const sl = xh - (sh - bv) + (yh - bv) + xl + yl;
  const hi = sh + sl;
  const lo = sl - (hi - sh);
  // r ≈ √s, then one Newton correction with the exact residual s - r²
  const r = Math.sqrt(hi);
  const [rh, rl] = square(r);
  const residual = hi - rh - rl + lo;
  return (r + residual / (2 * r)) / scale;
}

/** x² exactly, as (high, low) with high = fl(x²): Dekker's product with a Veltkamp split. */
function square(x: number): [number, number] {
  const c = 134217729 * x; // 2^27 + 1
  const xh = c - (c - x);
  const xl = x - xh;
  const p = x * x;
  return [p, xh * xh - p + 2 * xh * xl + xl * xl];
}

const svdAt = new Float64Array(9);
const svdVt = new Float64Array(9);
const svdW = new Float64Array(3);

/**
 * SVD of the k x k matrix `a` (k = 2 or 3, row-major): writes u (columns =
 * left singular vectors), the singular values w (decreasing) and vt, as
 * OpenCV computes them for a 'float' (CV_32F) or 'double' (CV_64F) matrix.
 */
export function jacobiSvd(a: ArrayLike<number>, k: number, u: Float64Array, w: Float64Array, vt: Float64Array, precision: 'float' | 'double'): void {
  if (k !== 2 && k !== 3) throw new RangeError(`jacobiSvd: ${k}x${k} matrices are not supported (2 or 3)`);
  const store = precision === 'float' ? fr : same;
  // OpenCV's thresholds: 2 FLT_EPSILON / FLT_MIN for float, 10 DBL_EPSILON / DBL_MIN for double
  const eps = precision === 'float' ? 2 * 1.1920928955078125e-7 : 10 * 2.220446049250313e-16;
  const minVal = precision === 'float' ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
  const At = svdAt, Vt = svdVt, W = svdW;
  // At = aᵀ: its rows are the columns of a
  for (let i = 0; i < k; i++) for (let c = 0; c < k; c++) At[k * i + c] = a[k * c + i];
  for (let i = 0; i < k; i++) {
    let sd = 0;
    for (let c = 0; c < k; c++) sd += At[k * i + c] * At[k * i + c];
    W[i] = sd;
    for (let c = 0; c < k; c++) Vt[k * i + c] = i === c ? 1 : 0;
  }
  for (let sweep = 0; sweep < 30; sweep++) {
    let changed = false;
    for (let i = 0; i < k - 1; i++) {
      for (let j = i + 1; j < k; j++) {
        const ai = k * i, aj = k * j;
        let normI = W[i], normJ = W[j], p = 0;
        for (let c = 0; c < k; c++) p += At[ai + c] * At[aj + c];
        if (Math.abs(p) <= eps * Math.sqrt(normI * normJ)) continue;
        p *= 2;
        const beta = normI - normJ;
        const gamma = hypotExact(p, beta);
        let cs: number, sn: number;
        if (beta < 0) {
          const delta = (gamma - beta) * 0.5;
          sn = store(Math.sqrt(delta / gamma));
          cs = store(p / (gamma * sn * 2));
        } else {
          cs = store(Math.sqrt((gamma + beta) / (gamma * 2)));
          sn = store(p / (gamma * cs * 2));
        }
        normI = 0;
        normJ = 0;
        for (let c = 0; c < k; c++) {
          const x = At[ai + c], y = At[aj + c];
          const t0 = store(store(cs * x) + store(sn * y));
          const t1 = store(store(-sn * x) + store(cs * y));
          At[ai + c] = t0;
          At[aj + c] = t1;
          normI += t0 * t0;
          normJ += t1 * t1;
        }
        W[i] = normI;
        W[j] = normJ;
        changed = true;
        for (let c = 0; c < k; c++) {
          const x = Vt[ai + c], y = Vt[aj + c];
          Vt[ai + c] = store(store(cs * x) + store(sn * y));
          Vt[aj + c] = store(store(-sn * x) + store(cs * y));
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < k; i++) {
    let sd = 0;
    for (let c = 0; c < k; c++) sd += At[k * i + c] * At[k * i + c];
    W[i] = Math.sqrt(sd);
  }
  // selection sort by decreasing singular value, rows of At and Vt alongside
  for (let i = 0; i < k - 1; i++) {
    let j = i;
    for (let c = i + 1; c < k; c++) if (W[j] < W[c]) j = c;
    if (i !== j) {
      const t = W[i];
      W[i] = W[j];
      W[j] = t;
      for (let c = 0; c < k; c++) {
        const x = At[k * i + c];
        At[k * i + c] = At[k * j + c];
        At[k * j + c] = x;
        const y = Vt[k * i + c];
        Vt[k * i + c] = Vt[k * j + c];
        Vt[k * j + c] = y;
      }
    }
  }
  for (let i = 0; i < k; i++) {
    w[i] = store(W[i]);
    // normalise the left singular vector (a zero singular value would need
    // OpenCV's random completion, which no caller here can reach)
    const scale = store(W[i] > minVal ? 1 / W[i] : 0);
    for (let c = 0; c < k; c++) At[k * i + c] = store(At[k * i + c] * scale);
  }
  // u = (rows of At)ᵀ
  for (let i = 0; i < k; i++) for (let c = 0; c < k; c++) u[k * c + i] = At[k * i + c];
  for (let i = 0; i < k * k; i++) vt[i] = Vt[i];
}
