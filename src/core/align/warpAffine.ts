import { createBgrImage, type BgrImage } from '../image.ts';

/*
 * cv::warpAffine(src, dst, M, size, INTER_LINEAR, BORDER_CONSTANT, 0) on an
 * 8-bit 3-channel image, reproduced to the byte (OpenCV 4.x, imgwarp.cpp,
 * the fixed-point path OpenCV uses for 8-bit images: no IPP, no OpenCL).
 *
 * What OpenCV does, step by step:
 * 1. The forward matrix is inverted in double (destination -> source).
 * 2. Source coordinates are fixed point with AB_BITS = 10 fractional bits:
 *    per column adelta[x] = cvRound(M0 * x * 1024), bdelta[x] = cvRound(M3 * x * 1024);
 *    per row X0 = cvRound((M1 * y + M2) * 1024) + round_delta (16), same for Y0.
 *    X = (X0 + adelta[x]) >> 5 keeps INTER_BITS = 5 fractional bits:
 *    integer part X >> 5 (saturated to int16), fraction X & 31.
 * 3. The fraction pair indexes a 32x32 table of bilinear weights scaled by
 *    2^15 (INTER_REMAP_COEF_BITS); the pixel is (sum w*S + 2^14) >> 15.
 * 4. BORDER_CONSTANT: a neighbour outside the source contributes the border
 *    value 0 with its weight (so edge pixels fade), a pixel whose four
 *    neighbours are all outside is 0.
 */

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const COEF_BITS = 15;
const COEF_ROUND = 1 << (COEF_BITS - 1);

/**
 * OpenCV's BilinearTab_i: for fraction indices fy (row) and fx (column),
 * weights of (x, y), (x+1, y), (x, y+1), (x+1, y+1). OpenCV computes them in
 * float as (1 - fy/32)(1 - fx/32) * 2^15 and rounds; every product is an exact
 * integer (k * l * 32), so they sum to 2^15 and OpenCV's correction step never
 * fires.
 */
const BILINEAR_TAB: Int32Array = (() => {
  const tab = new Int32Array(INTER_TAB_SIZE * INTER_TAB_SIZE * 4);
  for (let fy = 0; fy < INTER_TAB_SIZE; fy++) {
    for (let fx = 0; fx < INTER_TAB_SIZE; fx++) {
      const o = (fy * INTER_TAB_SIZE + fx) * 4;
      const scale = (1 << COEF_BITS) / (INTER_TAB_SIZE * INTER_TAB_SIZE);
      tab[o] = (INTER_TAB_SIZE - fy) * (INTER_TAB_SIZE - fx) * scale;
      tab[o + 1] = (INTER_TAB_SIZE - fy) * fx * scale;
      tab[o + 2] = fy * (INTER_TAB_SIZE - fx) * scale;
      tab[o + 3] = fy * fx * scale;
    }
  }
  return tab;
})();

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/**
 * cvRound / saturate_cast<int>(double) on x86-64: SSE2 cvtsd2si in the default
 * rounding mode, i.e. round half to even; values outside int32 (and NaN) give
 * the "integer indefinite" INT_MIN.
 */
export function cvRound(v: number): number {
  let r = Math.round(v); // half rounds towards +infinity here
  if (r - v === 0.5 && (r & 1) !== 0) r -= 1; // ties go to the even neighbour
  if (!(r >= INT_MIN && r <= INT_MAX)) return INT_MIN;
  return r;
}

/** saturate_cast<short>(int) */
function saturateShort(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/**
 * Inverts a 2x3 affine matrix exactly as cv::warpAffine does when
 * WARP_INVERSE_MAP is not set (same operations, same order, in double).
 */
export function invertAffineLikeOpenCv(m: ArrayLike<number>): Float64Array {
  const r = Float64Array.from({ length: 6 }, (_, i) => m[i]);
  let d = r[0] * r[4] - r[1] * r[3];
  d = d !== 0 ? 1 / d : 0;
  const a11 = r[4] * d;
  const a22 = r[0] * d;
  r[0] = a11;
  r[1] *= -d;
  r[3] *= -d;
  r[4] = a22;
  const b1 = -r[0] * r[2] - r[1] * r[5];
  const b2 = -r[3] * r[2] - r[4] * r[5];
  r[2] = b1;
  r[5] = b2;
  return r;
}

/**
 * OpenCV-exact `cv::warpAffine(src, dst, m, Size(width, height), INTER_LINEAR)`
 * for a BGR 8-bit image; `m` is the forward 2x3 matrix (source -> destination),
 * row-major. Pixels mapped (partly) outside the source fade to / are 0.
 */
export function warpAffineBilinear(src: BgrImage, m: ArrayLike<number>, width: number, height: number): BgrImage {
  if (m.length < 6) throw new RangeError('warpAffineBilinear: the matrix needs 6 values (2x3, row-major)');
  const dst = createBgrImage(width, height);
  const inv = invertAffineLikeOpenCv(m);
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const d = dst.data;
  const rowStride = sw * 3;

  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    // OpenCV: saturate_cast<int>(M[0]*x*AB_SCALE), evaluated left to right
    adelta[x] = cvRound(inv[0] * x * AB_SCALE);
    bdelta[x] = cvRound(inv[3] * x * AB_SCALE);
  }

  let o = 0;
  for (let y = 0; y < height; y++) {
    const x0 = (cvRound((inv[1] * y + inv[2]) * AB_SCALE) + ROUND_DELTA) | 0;
    const y0 = (cvRound((inv[4] * y + inv[5]) * AB_SCALE) + ROUND_DELTA) | 0;
    for (let x = 0; x < width; x++, o += 3) {
      // int32 arithmetic and arithmetic shifts, as in C
      const X = ((x0 + adelta[x]) | 0) >> (AB_BITS - INTER_BITS);
      const Y = ((y0 + bdelta[x]) | 0) >> (AB_BITS - INTER_BITS);
      const sx = saturateShort(X >> INTER_BITS);
      const sy = saturateShort(Y >> INTER_BITS);
      const w = ((Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))) * 4;
      const w0 = BILINEAR_TAB[w];
      const w1 = BILINEAR_TAB[w + 1];
      const w2 = BILINEAR_TAB[w + 2];
      const w3 = BILINEAR_TAB[w + 3];
      if (sx >= 0 && sy >= 0 && sx + 1 < sw && sy + 1 < sh) {
        // all four neighbours inside: OpenCV's inner loop (scalar and SIMD agree)
        const p = sy * rowStride + sx * 3;
        const q = p + rowStride;
        d[o] = (s[p] * w0 + s[p + 3] * w1 + s[q] * w2 + s[q + 3] * w3 + COEF_ROUND) >> COEF_BITS;
        d[o + 1] = (s[p + 1] * w0 + s[p + 4] * w1 + s[q + 1] * w2 + s[q + 4] * w3 + COEF_ROUND) >> COEF_BITS;
        d[o + 2] = (s[p + 2] * w0 + s[p + 5] * w1 + s[q + 2] * w2 + s[q + 5] * w3 + COEF_ROUND) >> COEF_BITS;
      } else if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        // entirely outside: the border value (the output is already 0)
      } else {
        // partly outside (remapBilinear's border branch): borderInterpolate
        // gives -1 for an outside neighbour, which then reads the border value 0
        const in0x = sx >= 0;
        const in1x = sx + 1 < sw;
        const in0y = sy >= 0;
        const in1y = sy + 1 < sh;
        const p = sy * rowStride + sx * 3;
        const q = p + rowStride;
        for (let k = 0; k < 3; k++) {
          let sum = COEF_ROUND;
          if (in0y && in0x) sum += s[p + k] * w0;
          if (in0y && in1x) sum += s[p + 3 + k] * w1;
          if (in1y && in0x) sum += s[q + k] * w2;
          if (in1y && in1x) sum += s[q + 3 + k] * w3;
          d[o + k] = sum >> COEF_BITS;
        }
      }
    }
  }
  return dst;
}
