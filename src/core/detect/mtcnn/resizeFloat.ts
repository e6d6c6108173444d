/**
 * OpenCV's cv::resize with its default interpolation (INTER_LINEAR) on a
 * float32 image, to the bit: MTCNN resizes a float copy of the frame, so
 * OpenCV takes its floating-point path here, not the 11-bit fixed-point one
 * it uses for 8-bit images.
 *
 * What OpenCV does for float input (imgproc resize, OpenCV 4.6):
 * - same size: a plain copy;
 * - exactly half the size in both directions: the "area fast" path, each
 *   output the mean of a 2x2 block, summed left to right, top row first,
 *   in float, times 0.25;
 * - otherwise separable bilinear: the source coordinate of output column dx
 *   is (dx + 0.5) * (srcW / dstW) - 0.5, evaluated in double and rounded to
 *   float; its floor picks the column, the remainder (float) is the weight.
 *   Columns left of the image clamp to column 0 with weight 0; columns whose
 *   right neighbour is outside take the last column unweighted. Rows are
 *   looked up the same way but only the row index is clamped: both taps may
 *   be the same edge row, still weighted (1 - f, f). Each row is first
 *   resized horizontally (a*s0 + b*s1 in float, no fused multiply-add), then
 *   two such rows are blended the same way.
 *
 * Images are interleaved (channels per pixel), rows without padding.
 */

const f32 = Math.fround;

/** One axis of the bilinear lookup: left/top tap index and its two float weights per output position. */
interface LinearTaps {
  readonly index: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

/**
 * The taps of one axis. `clampWeights` is OpenCV's horizontal treatment
 * (outside the image: weight 0 on a clamped column); vertically OpenCV keeps
 * the weights and only clamps the row index when it reads.
 */
function linearTaps(srcSize: number, dstSize: number, clampWeights: boolean): LinearTaps {
  const scale = 1 / (dstSize / srcSize);
  const index = new Int32Array(dstSize);
  const w0 = new Float32Array(dstSize);
  const w1 = new Float32Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampWeights) {
      if (s < 0) {
        s = 0;
        f = 0;
      }
      if (s >= srcSize - 1) {
        s = srcSize - 1;
        f = 0;
      }
    }
    index[d] = s;
    w0[d] = f32(1 - f);
    w1[d] = f;
  }
  return { index, w0, w1 };
}

/** Mean of each 2x2 block: OpenCV's INTER_AREA fast path, which INTER_LINEAR takes for an exact halving. */
function halveByArea(src: Float32Array, width: number, channels: number, dstWidth: number, dstHeight: number): Float32Array {
  const out = new Float32Array(dstWidth * dstHeight * channels);
  const rowStride = width * channels;
  for (let y = 0; y < dstHeight; y++) {
    const top = 2 * y * rowStride;
    const bottom = top + rowStride;
    for (let x = 0; x < dstWidth; x++) {
      for (let c = 0; c < channels; c++) {
        const left = 2 * x * channels + c;
        const right = left + channels;
        const sum = f32(f32(f32(src[top + left] + src[top + right]) + src[bottom + left]) + src[bottom + right]);
        out[(y * dstWidth + x) * channels + c] = f32(sum * 0.25);
      }
    }
  }
  return out;
}

/**
 * cv::resize(src, dst, Size(dstWidth, dstHeight)) for a float32 image of
 * `channels` interleaved channels. Returns a new interleaved float32 image.
 */
export function resizeFloatLikeOpenCv(src: Float32Array, width: number, height: number, channels: number, dstWidth: number, dstHeight: number): Float32Array {
  if (src.length !== width * height * channels) throw new Error(`resizeFloatLikeOpenCv: ${src.length} values for a ${width}x${height}x${channels} image`);
  if (dstWidth <= 0 || dstHeight <= 0) throw new Error(`resizeFloatLikeOpenCv: bad target size ${dstWidth}x${dstHeight}`);
  if (dstWidth === width && dstHeight === height) return src.slice();
  const scaleX = 1 / (dstWidth / width);
  const scaleY = 1 / (dstHeight / height);
  if (Math.abs(scaleX - 2) < Number.EPSILON && Math.abs(scaleY - 2) < Number.EPSILON) {
    return halveByArea(src, width, channels, dstWidth, dstHeight);
  }
  const cols = linearTaps(width, dstWidth, true);
  const rows = linearTaps(height, dstHeight, false);
  const rowLength = dstWidth * channels;
  const out = new Float32Array(rowLength * dstHeight);
  // horizontally resized source rows, cached by source row index (consecutive output rows share them)
  let rowA = new Float32Array(rowLength);
  let rowB = new Float32Array(rowLength);
  let rowAIndex = -1;
  let rowBIndex = -1;
  const resizeRow = (sy: number, target: Float32Array): void => {
    const base = sy * width * channels;
    for (let dx = 0; dx < dstWidth; dx++) {
      const sx = base + cols.index[dx] * channels;
      const a = cols.w0[dx];
      const b = cols.w1[dx];
      const o = dx * channels;
      if (b === 0 && cols.index[dx] === width - 1) {
        // OpenCV's right border: the last column as it is
        for (let c = 0; c < channels; c++) target[o + c] = src[sx + c];
      } else {
        for (let c = 0; c < channels; c++) target[o + c] = f32(f32(src[sx + c] * a) + f32(src[sx + channels + c] * b));
      }
    }
  };
  for (let dy = 0; dy < dstHeight; dy++) {
    const top = Math.min(Math.max(rows.index[dy], 0), height - 1);
    const bottom = Math.min(Math.max(rows.index[dy] + 1, 0), height - 1);
    if (rowAIndex !== top) {
      if (rowBIndex === top) {
        [rowA, rowB] = [rowB, rowA];
        [rowAIndex, rowBIndex] = [rowBIndex, rowAIndex];
      } else {
        resizeRow(top, rowA);
        rowAIndex = top;
      }
    }
    if (rowBIndex !== bottom) {
      if (bottom === top) rowB.set(rowA);
      else resizeRow(bottom, rowB);
      rowBIndex = bottom;
    }
    const a = rows.w0[dy];
    const b = rows.w1[dy];
    const o = dy * rowLength;
    for (let i = 0; i < rowLength; i++) out[o + i] = f32(f32(rowA[i] * a) + f32(rowB[i] * b));
  }
  return out;
}
