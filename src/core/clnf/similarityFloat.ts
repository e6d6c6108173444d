/**
 * The similarity transform between the landmarks and the reference shape
 * that OpenFace 2.2's Patch_experts::Response warps with
 * (Utilities::AlignShapesWithScale and AlignShapesKabsch2D on float
 * matrices, then Matx22f::inv), in OpenCV 4.x's float arithmetic:
 * - means per coordinate: double sums times 1/n, stored as float;
 * - centred coordinates and their squares: float;
 * - each scale: √(Σ squares / n) with the sum over the n x 2 matrix in the
 *   order of OpenCV's vectorised cv::sum (cvSumF32), stored as float;
 * - the normalised coordinates multiply by the float reciprocal of the scale;
 * - the 2x2 cross-covariance: double sums over the points, float entries;
 *   its SVD is OpenCV's float Jacobi (smallLinalg.svdJacobi);
 * - R = V diag(1, ±1) Uᵀ as float products of double 2-term sums; A = s R.
 * Shapes are x_0..x_n-1, y_0..y_n-1; 2x2 matrices row-major.
 */
import { svdJacobi } from './smallLinalg.ts';

const fr = Math.fround;

/**
 * cv::sum of a continuous float array, as OpenCV 4.x's AVX2 kernel adds it up:
 * sixteen floats per step into two vectors of four double lanes (lane l of
 * the first takes elements l and 8 + l of the step, summed first; the
 * second elements 4 + l and 12 + l), the two vectors added lane by lane
 * and the four lanes summed in order; the tail four floats at a time summed
 * in float, then one by one.
 */
export function cvSumF32(v: ArrayLike<number>, len: number): number {
  const lo = [0, 0, 0, 0], hi = [0, 0, 0, 0];
  let x = 0;
  for (; x + 16 <= len; x += 16) {
    for (let l = 0; l < 4; l++) {
      lo[l] += v[x + l] + v[x + 8 + l];
      hi[l] += v[x + 4 + l] + v[x + 12 + l];
    }
  }
  let s = 0;
  if (x > 0) for (let l = 0; l < 4; l++) s += lo[l] + hi[l];
  for (; x + 4 <= len; x += 4) s += fr(fr(fr(v[x] + v[x + 1]) + v[x + 2]) + v[x + 3]);
  for (; x < len; x++) s += v[x];
  return s;
}

/**
 * AlignShapesWithScale(src, dst): the 2x2 matrix A (scale times rotation)
 * that best maps the centred `src` onto the centred `dst`, written to `out`.
 */
export function alignShapesWithScaleF(src: ArrayLike<number>, dst: ArrayLike<number>, n: number, out: Float64Array): void {
  const inv = 1 / n;
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i];
    sy += src[i + n];
    dx += dst[i];
    dy += dst[i + n];
  }
  const msx = fr(sx * inv), msy = fr(sy * inv), mdx = fr(dx * inv), mdy = fr(dy * inv);
  // centred coordinates, interleaved like the n x 2 matrices OpenCV holds
  const a = new Float64Array(2 * n), b = new Float64Array(2 * n), sq = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    a[2 * i] = fr(src[i] - msx);
    a[2 * i + 1] = fr(src[i + n] - msy);
    b[2 * i] = fr(dst[i] - mdx);
    b[2 * i + 1] = fr(dst[i + n] - mdy);
  }
  for (let k = 0; k < 2 * n; k++) sq[k] = fr(a[k] * a[k]);
  const sSrc = fr(Math.sqrt(cvSumF32(sq, 2 * n) / n));
  for (let k = 0; k < 2 * n; k++) sq[k] = fr(b[k] * b[k]);
  const sDst = fr(Math.sqrt(cvSumF32(sq, 2 * n) / n));
  const ra = fr(1 / sSrc), rb = fr(1 / sDst);
  for (let k = 0; k < 2 * n; k++) {
    a[k] = fr(a[k] * ra);
    b[k] = fr(b[k] * rb);
  }
  const s = fr(sDst / sSrc);
  // Kabsch: SVD of aᵀ b
  const m = new Float64Array(4);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      let t = 0;
      for (let k = 0; k < n; k++) t += a[2 * k + i] * b[2 * k + j];
      m[2 * i + j] = fr(t);
    }
  }
  const { u, vt } = svdJacobi(m, 2, true);
  // det(V Uᵀ) decides the reflection fix; its entries are float
  const p00 = fr(vt[0] * u[0] + vt[2] * u[1]), p01 = fr(vt[0] * u[2] + vt[2] * u[3]);
  const p10 = fr(vt[1] * u[0] + vt[3] * u[1]), p11 = fr(vt[1] * u[2] + vt[3] * u[3]);
  const d = p00 * p11 - p01 * p10;
  const c = d > 0 ? 1 : -1;
  // V · diag(1, c) (exact), then times Uᵀ
  const v00 = vt[0], v01 = fr(vt[2] * c), v10 = vt[1], v11 = fr(vt[3] * c);
  const r00 = fr(v00 * u[0] + v01 * u[1]), r01 = fr(v00 * u[2] + v01 * u[3]);
  const r10 = fr(v10 * u[0] + v11 * u[1]), r11 = fr(v10 * u[2] + v11 * u[3]);
  out[0] = fr(r00 * s);
  out[1] = fr(r01 * s);
  out[2] = fr(r10 * s);
  out[3] = fr(r11 * s);
}

/** Matx22f::inv(DECOMP_LU): the float determinant, its float reciprocal, float products. */
export function invert2x2F(m: Float64Array, out: Float64Array): void {
  let d = fr(fr(m[0] * m[3]) - fr(m[1] * m[2]));
  d = d !== 0 ? fr(1 / d) : 0;
  const a = m[0], b = m[1], c = m[2], e = m[3];
  out[0] = fr(e * d);
  out[1] = fr(-b * d);
  out[2] = fr(-c * d);
  out[3] = fr(a * d);
}
