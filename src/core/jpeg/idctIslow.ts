/*
 * libjpeg's JDCT_ISLOW inverse DCT (jidctint.c, jpeg_idct_islow), the
 * default dct_method, which OpenCV's imread does not change. It is the
 * Loeffler-Ligtenberg-Moschytz 1-D IDCT in 13-bit fixed point (CONST_BITS),
 * applied to the 8 columns first (outputs kept with PASS1_BITS = 2 extra
 * bits, rounded) and then to the 8 rows (rounded by 2^18 = 2^(13+2+3), the
 * 3 removing the factor 8 of the two unnormalised passes). The order
 * matters: ffmpeg's "int" IDCT (jrevdct.c) is the same algorithm rows first
 * and differs by one level on about 1% of the samples.
 *
 * Every intermediate of a valid 8-bit JPEG fits in 32 bits (the design
 * constraint stated in jidctint.c), so JavaScript numbers with `>>` (an
 * arithmetic shift of the int32 value) give libjpeg's results exactly.
 * libjpeg-turbo's SIMD versions are bit-exact with this C code.
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;

// FIX(x) = round(x * 2^13), as jidctint.c tabulates them.
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

const ONE_CONST = 1 << CONST_BITS;
const PASS1_SHIFT = CONST_BITS - PASS1_BITS;
const PASS1_ROUND = 1 << (PASS1_SHIFT - 1);
const PASS2_SHIFT = CONST_BITS + PASS1_BITS + 3;
const PASS2_ROUND = 1 << (PASS2_SHIFT - 1);
const DC_SHIFT = PASS1_BITS + 3;
const DC_ROUND = 1 << (DC_SHIFT - 1);

/**
 * libjpeg's IDCT range-limit table (jdmaster.c prepare_range_limit_table,
 * seen from sample_range_limit + CENTERJSAMPLE), indexed by the output value
 * & 1023: adds the 128 level shift and clamps values in -512..511 to 0..255.
 * Values beyond that (corrupt data only) wrap as libjpeg's do.
 */
const RANGE_LIMIT: Uint8Array = (() => {
  const t = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) {
    if (i < 128) t[i] = i + 128;
    else if (i < 512) t[i] = 255;
    else if (i < 896) t[i] = 0;
    else t[i] = i - 896;
  }
  return t;
})();

/**
 * Dequantizes and inverse-transforms one 8x8 block.
 * @param coef coefficients in natural (row-major) order, 64 from `coefOffset`
 * @param quant the component's quantization table in natural order; Int16 like
 *   libjpeg-turbo's ISLOW_MULT_TYPE (short in SIMD builds)
 * @param out samples written at `outOffset + row * stride + col`
 * @param ws 64-entry workspace (libjpeg's `int workspace[DCTSIZE2]`)
 */
export function idctIslow(coef: Int16Array, coefOffset: number, quant: Int16Array, out: Uint8Array, outOffset: number, stride: number, ws: Int32Array): void {
  // Pass 1: columns from the input into the workspace.
  for (let c = 0; c < 8; c++) {
    const i = coefOffset + c;
    if (coef[i + 8] === 0 && coef[i + 16] === 0 && coef[i + 24] === 0 && coef[i + 32] === 0 && coef[i + 40] === 0 && coef[i + 48] === 0 && coef[i + 56] === 0) {
      // AC terms all zero: the column is flat. Same value the full path gives, just faster.
      const dc = coef[i] * quant[c] * (1 << PASS1_BITS);
      ws[c] = dc;
      ws[c + 8] = dc;
      ws[c + 16] = dc;
      ws[c + 24] = dc;
      ws[c + 32] = dc;
      ws[c + 40] = dc;
      ws[c + 48] = dc;
      ws[c + 56] = dc;
      continue;
    }
    // Even part: the rotator is sqrt(2) * c(-6).
    let z2 = coef[i + 16] * quant[c + 16];
    let z3 = coef[i + 48] * quant[c + 48];
    let z1 = (z2 + z3) * FIX_0_541196100;
    const e2 = z1 - z3 * FIX_1_847759065;
    const e3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[i] * quant[c];
    z3 = coef[i + 32] * quant[c + 32];
    const e0 = (z2 + z3) * ONE_CONST;
    const e1 = (z2 - z3) * ONE_CONST;
    const t10 = e0 + e3;
    const t13 = e0 - e3;
    const t11 = e1 + e2;
    const t12 = e1 - e2;
    // Odd part.
    let o3 = coef[i + 8] * quant[c + 8];
    let o2 = coef[i + 24] * quant[c + 24];
    let o1 = coef[i + 40] * quant[c + 40];
    let o0 = coef[i + 56] * quant[c + 56];
    let z4 = o1 + o3;
    z3 = o0 + o2;
    z2 = o1 + o2;
    z1 = o0 + o3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    o3 *= FIX_1_501321110;
    o2 *= FIX_3_072711026;
    o1 *= FIX_2_053119869;
    o0 *= FIX_0_298631336;
    z4 = z5 - z4 * FIX_0_390180644;
    z3 = z5 - z3 * FIX_1_961570560;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    o3 += z1 + z4;
    o2 += z2 + z3;
    o1 += z2 + z4;
    o0 += z1 + z3;
    ws[c] = (t10 + o3 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 56] = (t10 - o3 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 8] = (t11 + o2 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 48] = (t11 - o2 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 16] = (t12 + o1 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 40] = (t12 - o1 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 24] = (t13 + o0 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[c + 32] = (t13 - o0 + PASS1_ROUND) >> PASS1_SHIFT;
  }

  // Pass 2: rows from the workspace to the output, with the final descale and range limit.
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    const o = outOffset + r * stride;
    if (ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 && ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0) {
      const v = RANGE_LIMIT[((ws[w] + DC_ROUND) >> DC_SHIFT) & 1023];
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = v;
      out[o + 4] = v;
      out[o + 5] = v;
      out[o + 6] = v;
      out[o + 7] = v;
      continue;
    }
    let z2 = ws[w + 2];
    let z3 = ws[w + 6];
    let z1 = (z2 + z3) * FIX_0_541196100;
    const e2 = z1 - z3 * FIX_1_847759065;
    const e3 = z1 + z2 * FIX_0_765366865;
    const e0 = (ws[w] + ws[w + 4]) * ONE_CONST;
    const e1 = (ws[w] - ws[w + 4]) * ONE_CONST;
    const t10 = e0 + e3;
    const t13 = e0 - e3;
    const t11 = e1 + e2;
    const t12 = e1 - e2;
    let o3 = ws[w + 1];
    let o2 = ws[w + 3];
    let o1 = ws[w + 5];
    let o0 = ws[w + 7];
    let z4 = o1 + o3;
    z3 = o0 + o2;
    z2 = o1 + o2;
    z1 = o0 + o3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    o3 *= FIX_1_501321110;
    o2 *= FIX_3_072711026;
    o1 *= FIX_2_053119869;
    o0 *= FIX_0_298631336;
    z4 = z5 - z4 * FIX_0_390180644;
    z3 = z5 - z3 * FIX_1_961570560;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    o3 += z1 + z4;
    o2 += z2 + z3;
    o1 += z2 + z4;
    o0 += z1 + z3;
    out[o] = RANGE_LIMIT[((t10 + o3 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 7] = RANGE_LIMIT[((t10 - o3 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 1] = RANGE_LIMIT[((t11 + o2 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 6] = RANGE_LIMIT[((t11 - o2 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 2] = RANGE_LIMIT[((t12 + o1 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 5] = RANGE_LIMIT[((t12 - o1 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 3] = RANGE_LIMIT[((t13 + o0 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 4] = RANGE_LIMIT[((t13 - o0 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
  }
}
