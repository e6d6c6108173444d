/*
 * OpenFace's similarity alignment (Face_utils.cpp extract_rigid_points,
 * LandmarkDetectorUtils.cpp AlignShapesWithScale / AlignShapesKabsch2D), in
 * double precision like the original.
 */
import * as pm from '../math/portableMath.ts';

/**
 * The 68-point indices OpenFace keeps as "rigid" (stable under expression):
 * part of the face outline, the nose and the eye corners/lower lids, in
 * OpenFace's order.
 */
export const RIGID_POINT_INDICES: readonly number[] = Object.freeze([
  1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47,
]);

/** OpenCV's cv::mean of a column: the values added in order, times 1/n. */
function meanOf(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i];
  return sum * (1 / v.length);
}

/**
 * cv::sum over an n x 2 double matrix stored row-major (x0 y0 x1 y1 ...):
 * OpenCV's unrolled loop adds four consecutive values at a time.
 */
function sumOfSquaresInterleaved(xs: Float64Array, ys: Float64Array): number {
  const n = xs.length;
  const len = 2 * n;
  const at = (i: number): number => {
    const v = (i & 1) === 0 ? xs[i >> 1] : ys[i >> 1];
    return v * v;
  };
  let s = 0;
  let i = 0;
  for (; i <= len - 4; i += 4) s += at(i) + at(i + 1) + at(i + 2) + at(i + 3);
  for (; i < len; i++) s += at(i);
  return s;
}

/**
 * The 2x2 scale-rotation A (row-major [a00, a01, a10, a11]) that best maps the
 * mean-centred source points onto the mean-centred destination points:
 * A = (s_dst / s_src) * R, with R the Kabsch rotation (reflections excluded),
 * s the RMS distance of the points from their centroid. The translation is
 * not returned: OpenFace centres the face with the PDM translation instead.
 * In OpenCV's operation order (see alignShapesWithScaleDirectSums for the other).
 */
export function alignShapesWithScale(
  srcX: Float64Array,
  srcY: Float64Array,
  dstX: Float64Array,
  dstY: Float64Array,
): Float64Array {
  const n = srcX.length;
  if (n < 2 || srcY.length !== n || dstX.length !== n || dstY.length !== n) {
    throw new RangeError('alignShapesWithScale: need two equally long point sets of at least 2 points');
  }
  const msx = meanOf(srcX);
  const msy = meanOf(srcY);
  const mdx = meanOf(dstX);
  const mdy = meanOf(dstY);

  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sx[i] = srcX[i] - msx;
    sy[i] = srcY[i] - msy;
    dx[i] = dstX[i] - mdx;
    dy[i] = dstY[i] - mdy;
  }
  const sSrc = Math.sqrt(sumOfSquaresInterleaved(sx, sy) / n);
  const sDst = Math.sqrt(sumOfSquaresInterleaved(dx, dy) / n);

  // OpenCV evaluates "matrix / s" as a multiplication by 1/s
  const invSrc = 1 / sSrc;
  const invDst = 1 / sDst;
  // M = src_normed^T * dst_normed (2x2)
  let m00 = 0;
  let m01 = 0;
  let m10 = 0;
  let m11 = 0;
  for (let i = 0; i < n; i++) {
    const ax = sx[i] * invSrc;
    const ay = sy[i] * invSrc;
    const bx = dx[i] * invDst;
    const by = dy[i] * invDst;
    m00 += ax * bx;
    m01 += ax * by;
    m10 += ay * bx;
    m11 += ay * by;
  }

  // Kabsch in 2D: of all rotations R = [[c, -s], [s, c]], the one maximising
  // sum(dst_i . R src_i) = c (m00 + m11) + s (m01 - m10). OpenFace gets it from
  // an SVD with a reflection correction (V diag(1, +-1) U^T), which is this
  // same proper rotation; the closed form avoids an iterative SVD.
  const cosSum = m00 + m11;
  const sinSum = m01 - m10;
  const r = pm.hypot(cosSum, sinSum);
  const c = r > 0 ? cosSum / r : 1;
  const s = r > 0 ? sinSum / r : 0;

  const scale = sDst / sSrc;
  return Float64Array.of(scale * c, scale * -s, scale * s, scale * c);
}

/**
 * The same similarity as `alignShapesWithScale` for shapes laid out
 * x_0..x_n-1, y_0..y_n-1, written to `out`, in direct double sums (means
 * as sum / n, one pass of per-point sums, unnormalised cross terms) instead
 * of OpenCV's operation order: its last bits differ from alignShapesWithScale.
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
