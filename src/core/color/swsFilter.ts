/*
 * The resampling filters libswscale builds for one axis (initFilter in
 * libswscale/utils.c, ffmpeg 5.1), for the only kind SplitFace needs: the
 * bicubic filter (B = 0, C = 0.6, swscale's defaults for SWS_BICUBIC, which
 * both OpenCV's reader and the ffmpeg command line use). Converting a frame
 * to BGR at its own size still resamples the chroma planes whenever their
 * size differs from the one the output stage wants (4:2:0 chroma is
 * stretched vertically to the full height; 4:2:0 with an odd width is
 * stretched horizontally), and AU intensities follow one-level differences,
 * so the integer coefficients must be swscale's to the last unit.
 *
 * What is reproduced, step by step, in 64-bit integers (BigInt here):
 *  - the coefficient of each tap from the fixed-point cubic, at the position
 *    of each output sample in the input (chroma sites given in 1/256 of a
 *    luma sample, as swscale's get_local_pos computes them);
 *  - the left shift that drops near-zero leading taps, the trimming of
 *    near-zero trailing taps, the rounding of the tap count up to the
 *    platform's alignment (x86: 4 horizontally, 2 vertically);
 *  - the border fix that folds taps outside the image into the edge samples;
 *  - the normalisation to `one` (1 << 14 horizontally, 1 << 12 vertically)
 *    with error diffusion from tap to tap.
 */

/** One axis: output sample i reads input samples pos[i] .. pos[i] + size - 1 with weights coeff[i * size + j]. */
export interface SwsFilter {
  readonly size: number;
  readonly pos: Int32Array;
  readonly coeff: Int16Array;
}

/** swscale's increment between output samples in input units, 16.16 fixed point, rounded. */
export function swsIncrement(srcSize: number, dstSize: number): number {
  return Math.floor((srcSize * 65536 + (dstSize >> 1)) / dstSize);
}

/**
 * Where the chroma samples sit, in 1/256 of a luma sample from the ideal left
 * (top) edge, divided down to chroma units, for swscale's default siting
 * (get_local_pos with the option left at -513): for a subsampled axis
 * 128 (centred between two luma samples), for a full-size axis 128 as well.
 */
export function swsChromaSite(subsampleShift: number): number {
  const pos = (128 << subsampleShift) - 128 + 128;
  return pos >> subsampleShift;
}

/** av_log2 of a non-negative integer (0 for 0). */
function log2Floor(n: number): number {
  return n <= 0 ? 0 : Math.floor(Math.log2(n));
}

const BIG_ABS = (x: bigint): bigint => (x < 0n ? -x : x);

/** C's ROUNDED_DIV on int64 (division truncating toward zero). */
function roundedDiv(a: bigint, b: bigint): bigint {
  return (a >= 0n ? a + (b >> 1n) : a - (b >> 1n)) / b;
}

/** Fixed-point cubic weight at distance d (1 << 30 = one input sample), times 2^54, as initFilter computes it. */
function bicubicWeight(d: bigint): bigint {
  // B = 0, C = 0.6 * 2^24 truncated to an integer, as the C assignment to int64 does.
  const C = 10066329n;
  const ONE24 = 1n << 24n;
  if (d >= 1n << 31n) return 0n;
  const dd = (d * d) >> 30n;
  const ddd = (dd * d) >> 30n;
  if (d < 1n << 30n) return (12n * ONE24 - 6n * C) * ddd + (-18n * ONE24 + 6n * C) * dd + 6n * ONE24 * (1n << 30n);
  return -6n * C * ddd + 30n * C * dd - 48n * C * d + 24n * C * (1n << 30n);
}

/**
 * The bicubic filter from `srcSize` samples to `dstSize` samples.
 * `srcSite`/`dstSite`: chroma siting from swsChromaSite (128 for luma).
 * `one`: 1 << 14 (horizontal) or 1 << 12 (vertical). `align`: the x86 tap
 * alignment (4 horizontal, 2 vertical; 1 is used by swscale for a vertical
 * single tap).
 */
export function swsBicubicFilter(srcSize: number, dstSize: number, srcSite: number, dstSite: number, one: number, align: number): SwsFilter {
  // Frames of one video share their filters: build each once (BigInt arithmetic is slow).
  const key = `${srcSize}/${dstSize}/${srcSite}/${dstSite}/${one}/${align}`;
  let filter = filterCache.get(key);
  if (!filter) {
    filter = buildBicubicFilter(srcSize, dstSize, srcSite, dstSite, one, align);
    if (filterCache.size >= 32) filterCache.delete(filterCache.keys().next().value as string);
    filterCache.set(key, filter);
  }
  return filter;
}

const filterCache = new Map<string, SwsFilter>();

function buildBicubicFilter(srcSize: number, dstSize: number, srcSite: number, dstSite: number, one: number, align: number): SwsFilter {
  const xInc = swsIncrement(srcSize, dstSize);
  const fone = 1n << BigInt(54 - Math.min(log2Floor(Math.trunc(srcSize / dstSize)), 8));
  let size: number;
  let pos = new Int32Array(dstSize);
  let taps: bigint[];
  if (Math.abs(xInc - 0x10000) < 10 && srcSite === dstSite) {
    // Same size, same siting: one tap of weight one.
    size = 1;
    taps = new Array<bigint>(dstSize).fill(fone);
    for (let i = 0; i < dstSize; i++) pos[i] = i;
  } else {
    size = xInc <= 1 << 16 ? 1 + 4 : 1 + Math.trunc((4 * srcSize + dstSize - 1) / dstSize);
    size = Math.max(Math.min(size, srcSize - 2), 1);
    taps = new Array<bigint>(dstSize * size);
    const inc = BigInt(xInc);
    // (dstPos * xInc) >> 7 - (srcPos * 0x10000) >> 7, arithmetic shifts on int64
    let dstInSrc = (BigInt(dstSite) * inc >> 7n) - ((BigInt(srcSite) * 0x10000n) >> 7n);
    for (let i = 0; i < dstSize; i++) {
      // int64 / int: truncation toward zero, which BigInt division also does
      let xx = (dstInSrc - BigInt(size - 2) * 65536n) / 131072n;
      pos[i] = Number(xx);
      for (let j = 0; j < size; j++) {
        let d = BIG_ABS(xx * 131072n - dstInSrc) << 13n;
        if (xInc > 1 << 16) d = (d * BigInt(dstSize)) / BigInt(srcSize);
        taps[i * size + j] = bicubicWeight(d) / ((1n << 54n) / fone);
        xx++;
      }
      dstInSrc += 2n * inc;
    }
  }

  // Drop near-zero taps: shift each row left while its leading weight is negligible, count trailing ones.
  const cutoff = 0.002 * Number(fone);
  let minSize = 0;
  for (let i = dstSize - 1; i >= 0; i--) {
    let kept = size;
    let acc = 0n;
    for (let j = 0; j < size; j++) {
      acc += BIG_ABS(taps[i * size]);
      if (Number(acc) > cutoff) break;
      if (i < dstSize - 1 && pos[i] >= pos[i + 1]) break; // positions must keep increasing
      for (let k = 1; k < size; k++) taps[i * size + k - 1] = taps[i * size + k];
      taps[i * size + size - 1] = 0n;
      pos[i]++;
    }
    acc = 0n;
    for (let j = size - 1; j > 0; j--) {
      acc += BIG_ABS(taps[i * size + j]);
      if (Number(acc) > cutoff) break;
      kept--;
    }
    if (kept > minSize) minSize = kept;
  }
  let alignTo = align;
  if (minSize === 1 && alignTo === 2) alignTo = 1; // x86: an unscaled vertical filter stays one tap
  const outSize = (minSize + alignTo - 1) & ~(alignTo - 1);
  const trimmed = new Array<bigint>(dstSize * outSize);
  for (let i = 0; i < dstSize; i++) {
    for (let j = 0; j < outSize; j++) trimmed[i * outSize + j] = j < size ? taps[i * size + j] : 0n;
  }

  // Borders: weights of samples before the first or after the last go to the edge sample.
  for (let i = 0; i < dstSize; i++) {
    const row = i * outSize;
    if (pos[i] < 0) {
      for (let j = 1; j < outSize; j++) {
        const left = Math.max(j + pos[i], 0);
        trimmed[row + left] += trimmed[row + j];
        trimmed[row + j] = 0n;
      }
      pos[i] = 0;
    }
    if (pos[i] + outSize > srcSize) {
      const shift = pos[i] + Math.min(outSize - srcSize, 0);
      let acc = 0n;
      for (let j = outSize - 1; j >= 0; j--) {
        if (pos[i] + j >= srcSize) {
          acc += trimmed[row + j];
          trimmed[row + j] = 0n;
        }
      }
      for (let j = outSize - 1; j >= 0; j--) trimmed[row + j] = j < shift ? 0n : trimmed[row + j - shift];
      pos[i] -= shift;
      trimmed[row + srcSize - 1 - pos[i]] += acc;
    }
  }

  // Normalise each row to `one`, carrying each tap's rounding error into the next.
  const coeff = new Int16Array(dstSize * outSize);
  const oneBig = BigInt(one);
  for (let i = 0; i < dstSize; i++) {
    let sum = 0n;
    for (let j = 0; j < outSize; j++) sum += trimmed[i * outSize + j];
    sum = (sum + oneBig / 2n) / oneBig;
    if (sum === 0n) sum = 1n;
    let error = 0n;
    for (let j = 0; j < outSize; j++) {
      const v = trimmed[i * outSize + j] + error;
      const w = roundedDiv(v, sum);
      coeff[i * outSize + j] = Number(w);
      error = v - w * sum;
    }
  }
  pos = pos.slice();
  return { size: outSize, pos, coeff };
}
