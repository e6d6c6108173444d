/**
 * The area of interest around a landmark, cut the way OpenFace 2.2 cuts it
 * (Patch_experts::Response): cv::warpAffine(gray as float, aoi, sim,
 * size, WARP_INVERSE_MAP | INTER_LINEAR) with OpenCV's default constant
 * border 0. `sim` = [[m00, m01, tx], [m10, m11, ty]] maps area pixel (x, y)
 * to image position m·(x, y) + t.
 *
 * OpenCV does not sample at the exact position: it computes source
 * coordinates in fixed point (10 fractional bits per column step and row
 * start, rounded to 5 fractional bits, i.e. 1/32 pixel) and interpolates
 * with the tabulated weights (1 - fy)(1 - fx), fx (1 - fy), (1 - fx) fy,
 * fx fy for those 1/32 fractions. With an 8-bit image the products and
 * their sum are exact in float, so the result is exact whatever the order;
 * neighbours outside the image count as 0.
 */
import { cvRound } from '../align/warpAffine.ts';

const AB_SCALE = 1024;
const ROUND_DELTA = 16;

/** saturate_cast<short>(int) */
function toShort(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/**
 * Fills `out` (width x height, row-major) from the 8-bit image `src`
 * (srcWidth x srcHeight). The matrix entries are the float values OpenFace
 * builds (OpenCV widens them to double).
 */
export function warpAreaOfInterest(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  m00: number,
  m01: number,
  tx: number,
  m10: number,
  m11: number,
  ty: number,
  out: Float64Array | Float32Array,
  width: number,
  height: number,
): void {
  const adelta = scratchDeltas(width, 0), bdelta = scratchDeltas(width, 1);
  for (let x = 0; x < width; x++) {
    adelta[x] = cvRound(m00 * x * AB_SCALE);
    bdelta[x] = cvRound(m10 * x * AB_SCALE);
  }
  const w1 = srcWidth - 1, h1 = srcHeight - 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const X0 = (cvRound((m01 * y + tx) * AB_SCALE) + ROUND_DELTA) | 0;
    const Y0 = (cvRound((m11 * y + ty) * AB_SCALE) + ROUND_DELTA) | 0;
    for (let x = 0; x < width; x++, o++) {
      const X = (X0 + adelta[x]) >> 5;
      const Y = (Y0 + bdelta[x]) >> 5;
      const ix = toShort(X >> 5), iy = toShort(Y >> 5);
      const fx = X & 31, fy = Y & 31;
      const w00 = (32 - fx) * (32 - fy), w01 = fx * (32 - fy), w10 = (32 - fx) * fy, w11 = fx * fy;
      if (ix >= 0 && iy >= 0 && ix < w1 && iy < h1) {
        const p = iy * srcWidth + ix;
        out[o] = (src[p] * w00 + src[p + 1] * w01 + src[p + srcWidth] * w10 + src[p + srcWidth + 1] * w11) / 1024;
        continue;
      }
      // border: each neighbour outside the image is the constant 0
      let s = 0;
      const inX0 = ix >= 0 && ix <= w1, inX1 = ix + 1 >= 0 && ix + 1 <= w1;
      if (iy >= 0 && iy <= h1) {
        const row = iy * srcWidth;
        if (inX0) s += src[row + ix] * w00;
        if (inX1) s += src[row + ix + 1] * w01;
      }
      if (iy + 1 >= 0 && iy + 1 <= h1) {
        const row = (iy + 1) * srcWidth;
        if (inX0) s += src[row + ix] * w10;
        if (inX1) s += src[row + ix + 1] * w11;
      }
      out[o] = s / 1024;
    }
  }
}

const deltas: [Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64)];

function scratchDeltas(width: number, k: 0 | 1): Int32Array {
  if (deltas[k].length < width) deltas[k] = new Int32Array(width);
  return deltas[k];
}
