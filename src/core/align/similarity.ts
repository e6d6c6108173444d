/*
 * OpenFace's similarity alignment (Face_utils.cpp extract_rigid_points,
 * RotationHelpers.h AlignShapesWithScale / AlignShapesKabsch2D): the
 * float version OpenFace 2.2's AlignFaceMask uses, and a direct double
 * version the CLNF tracker uses.
 */
import * as pm from '../math/portableMath.ts';
import { jacobiSvd } from '../pdm/jacobiSvd.ts';

/**
 * The 68-point indices OpenFace keeps as "rigid" (stable under expression):
 * part of the face outline, the nose and the eye corners/lower lids, in
 * OpenFace's order.
 */
export const RIGID_POINT_INDICES: readonly number[] = Object.freeze([
  1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47,
]);

const fr = Math.fround;
const simU = new Float64Array(4);
const simW = new Float64Array(2);
const simVt = new Float64Array(4);

/**
 * The 2x2 scale-rotation A (row-major [a00, a01, a10, a11], float32 values)
 * that best maps the mean-centred source points onto the mean-centred
 * destination points, as OpenFace 2.2's AlignShapesWithScale computes it in
 * float: A = (s_dst / s_src) R, s the RMS distance of the points from their
 * centroid, R the Kabsch rotation from the float SVD of the 2x2 cross
 * covariance (V diag(1, ±1) Uᵀ: no reflection). The translation is not
 * returned: OpenFace centres the face with the PDM translation instead.
 * Means and sums run in double (cv::mean, cv::sum), every stored value is a
 * float; "matrix / s" is a multiplication by the float 1/s (cv::convertTo).
 */
export function alignShapesWithScaleF32(
  srcX: ArrayLike<number>,
  srcY: ArrayLike<number>,
  dstX: ArrayLike<number>,
  dstY: ArrayLike<number>,
): Float64Array {
  const n = srcX.length;
  if (n < 2 || srcY.length !== n || dstX.length !== n || dstY.length !== n) {
    throw new RangeError('alignShapesWithScale: need two equally long point sets of at least 2 points');
  }
  const inverseN = 1 / n;
  let sumSx = 0, sumSy = 0, sumDx = 0, sumDy = 0;
  for (let i = 0; i < n; i++) {
    sumSx += srcX[i];
    sumSy += srcY[i];
    sumDx += dstX[i];
    sumDy += dstY[i];
  }
  const msx = fr(sumSx * inverseN), msy = fr(sumSy * inverseN);
  const mdx = fr(sumDx * inverseN), mdy = fr(sumDy * inverseN);
  const sx = new Float64Array(n), sy = new Float64Array(n), dx = new Float64Array(n), dy = new Float64Array(n);
  let sqSrc = 0, sqDst = 0;
  for (let i = 0; i < n; i++) {
    sx[i] = fr(srcX[i] - msx);
    sy[i] = fr(srcY[i] - msy);
    dx[i] = fr(dstX[i] - mdx);
    dy[i] = fr(dstY[i] - mdy);
    sqSrc += fr(sx[i] * sx[i]);
    sqSrc += fr(sy[i] * sy[i]);
    sqDst += fr(dx[i] * dx[i]);
    sqDst += fr(dy[i] * dy[i]);
  }
  const sSrc = fr(Math.sqrt(sqSrc / n));
  const sDst = fr(Math.sqrt(sqDst / n));
  const invSrc = fr(1 / sSrc), invDst = fr(1 / sDst);
  // cross covariance srcᵀ dst of the normalised points (gemm: double sums, float result)
  let m00 = 0, m01 = 0, m10 = 0, m11 = 0;
  for (let i = 0; i < n; i++) {
    const ax = fr(sx[i] * invSrc), ay = fr(sy[i] * invSrc);
    const bx = fr(dx[i] * invDst), by = fr(dy[i] * invDst);
    m00 += ax * bx;
    m01 += ax * by;
    m10 += ay * bx;
    m11 += ay * by;
  }
  const cross = Float64Array.of(fr(m00), fr(m01), fr(m10), fr(m11));
  const scale = fr(sDst / sSrc);

  // Kabsch: R = V diag(1, d) Uᵀ with d the sign of det(V Uᵀ)
  jacobiSvd(cross, 2, simU, simW, simVt, 'float');
  const u = simU, vt = simVt;
  const vut00 = vt[0] * u[0] + vt[2] * u[1], vut01 = vt[0] * u[2] + vt[2] * u[3];
  const vut10 = vt[1] * u[0] + vt[3] * u[1], vut11 = vt[1] * u[2] + vt[3] * u[3];
  const d = fr(vut00) * fr(vut11) - fr(vut01) * fr(vut10) > 0 ? 1 : -1;
  // (V diag(1, d)) then times Uᵀ, each product stored as float
  const b00 = vt[0], b01 = vt[2] * d, b10 = vt[1], b11 = vt[3] * d;
  const r00 = fr(b00 * u[0] + b01 * u[1]), r01 = fr(b00 * u[2] + b01 * u[3]);
  const r10 = fr(b10 * u[0] + b11 * u[1]), r11 = fr(b10 * u[2] + b11 * u[3]);
  return Float64Array.of(fr(scale * r00), fr(scale * r01), fr(scale * r10), fr(scale * r11));
}

/**
 * The same similarity as `alignShapesWithScaleF32` for shapes laid out
 * x_0..x_n-1, y_0..y_n-1, written to `out`, in direct double sums (means
 * as sum / n, one pass of per-point sums, unnormalised cross terms) and a
 * closed-form Kabsch angle instead of OpenCV's float operations.
 * The CLNF tracker uses it (Patch_experts::Response); its figures against
 * OpenFace were measured with it.
 */
export function alignShapesWithScaleDirectSums(src: Float64Array, dst: Float64Array, n: number, out: Float64Array): void {
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i];
    msy += src[i + n];
    mdx += dst[i];
    mdy += dst[i + n];
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  let ss = 0, sd = 0, a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    const sx = src[i] - msx, sy = src[i + n] - msy;
    const dx = dst[i] - mdx, dy = dst[i + n] - mdy;
    ss += sx * sx + sy * sy;
    sd += dx * dx + dy * dy;
    a += sx * dx + sy * dy;
    b += sx * dy - sy * dx;
  }
  // the Kabsch angle in closed form: atan2(Σ(sx·dy - sy·dx), Σ(sx·dx + sy·dy))
  const s = Math.sqrt(sd / n) / Math.sqrt(ss / n);
  const h = pm.hypot(a, b);
  const c = h > 0 ? a / h : 1, sn = h > 0 ? b / h : 0;
  out[0] = s * c;
  out[1] = -s * sn;
  out[2] = s * sn;
  out[3] = s * c;
}

/**
 * The rigid subset of 68 landmarks given as x0..x67 then y0..y67 (OpenFace's
 * layout): returns [xs, ys] of the 24 rigid points.
 */
export function rigidPoints(shape: ArrayLike<number>, numPoints: number): [Float64Array, Float64Array] {
  const k = RIGID_POINT_INDICES.length;
  const xs = new Float64Array(k);
  const ys = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const p = RIGID_POINT_INDICES[i];
    xs[i] = shape[p];
    ys[i] = shape[numPoints + p];
  }
  return [xs, ys];
}
