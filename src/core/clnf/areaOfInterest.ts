/**
 * OpenCV's cvGetQuadrangleSubPix for an 8-bit single-channel source and a
 * float destination (getQuadrangleSubPix_8u32f_CnR), which OpenFace uses to
 * cut the area of interest around each landmark, rotated and scaled into the
 * patch experts' reference frame.
 *
 * The affine map is [[m00, m01, cx], [m10, m11, cy]]; destination pixel
 * (x, y) samples the source at m · (x - (w-1)/2, y - (h-1)/2) + (cx, cy).
 * OpenFace builds that matrix as a cv::Mat_<float>, so every coefficient,
 * including the landmark position, is rounded to float32 first.
 *
 * The arithmetic follows OpenCV step by step: the source position walks along
 * a row by repeated double additions; the fractional parts and the bilinear
 * weights are float; each sample is a float sum of four float products in a
 * fixed order (stored in a Float64Array, the values are float32). Rows whose ends fall outside the image use OpenCV's border
 * path: rows and columns are clamped (replicated), and a pixel beyond the
 * left/right edge interpolates only vertically.
 */
export function getQuadrangleSubPix(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  m00: number,
  m01: number,
  cx: number,
  m10: number,
  m11: number,
  cy: number,
  dst: Float64Array,
  dstWidth: number,
  dstHeight: number,
): void {
  const fr = Math.fround;
  const A11 = fr(m00), A12 = fr(m01), A21 = fr(m10), A22 = fr(m11);
  const dx = (dstWidth - 1) * 0.5;
  const dy = (dstHeight - 1) * 0.5;
  const A13 = fr(cx) - (A11 * dx + A12 * dy);
  const A23 = fr(cy) - (A21 * dx + A22 * dy);
  const step = srcWidth;
  let o = 0;
  for (let y = 0; y < dstHeight; y++) {
    let xs = A12 * y + A13;
    let ys = A22 * y + A23;
    const xe = A11 * (dstWidth - 1) + A12 * y + A13;
    const ye = A21 * (dstWidth - 1) + A22 * y + A23;
    // OpenCV's unsigned comparison: (unsigned)(floor(v) - 1) < (unsigned)(size - 3)
    const inside =
      insideRange(Math.floor(xs) - 1, srcWidth - 3) &&
      insideRange(Math.floor(ys) - 1, srcHeight - 3) &&
      insideRange(Math.floor(xe) - 1, srcWidth - 3) &&
      insideRange(Math.floor(ye) - 1, srcHeight - 3);
    for (let x = 0; x < dstWidth; x++) {
      let ixs = Math.floor(xs);
      const iys = Math.floor(ys);
      const a = fr(xs - ixs), b = fr(ys - iys);
      const a1 = fr(1 - a), b1 = fr(1 - b);
      const w00 = fr(a1 * b1), w01 = fr(a * b1), w10 = fr(a1 * b), w11 = fr(a * b);
      xs += A11;
      ys += A21;
      // an inside row takes OpenCV's fast path: no per-pixel border checks
      let row0: number, row1: number;
      if (inside || (iys >= 0 && iys < srcHeight - 1)) {
        row0 = iys * step;
        row1 = row0 + step;
      } else {
        row0 = row1 = (iys < 0 ? 0 : srcHeight - 1) * step;
      }
      if (inside || (ixs >= 0 && ixs < srcWidth - 1)) {
        dst[o++] = fr(fr(fr(fr(src[row0 + ixs] * w00) + fr(src[row0 + ixs + 1] * w01)) + fr(src[row1 + ixs] * w10)) + fr(src[row1 + ixs + 1] * w11));
      } else {
        ixs = ixs < 0 ? 0 : srcWidth - 1;
        dst[o++] = fr(fr(src[row0 + ixs] * b1) + fr(src[row1 + ixs] * b));
      }
    }
  }
}

/** (unsigned)v < (unsigned)limit, as C++ evaluates it for ints (limit may be negative). */
function insideRange(v: number, limit: number): boolean {
  return (v >>> 0) < (limit >>> 0);
}
