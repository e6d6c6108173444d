import type { BgrImage } from '../image.ts';
import { swsBicubicFilter, swsChromaSite, type SwsFilter } from './swsFilter.ts';
import { swsColorConstants, swsRoundToInt16, swsYuv2RgbCoefficients, type YuvColorInfo, type YuvMatrix } from './yuvToBgr.ts';

/*
 * Planar Y'CbCr → BGR24 at the same size, byte-identical to what libswscale
 * (ffmpeg 5.1, x86-64) produces when it cannot use its special unscaled
 * converter: high bit depths (9-12 bit), 4:4:4, and odd heights. That is
 * what OpenCV's reader hands OpenFace for such videos (sws_scale to BGR24,
 * SWS_BICUBIC, BT.601, no colour tags), and what `ffmpeg -vf
 * scale=in_color_matrix=bt601:in_range=... -pix_fmt bgr24` gives.
 * src/core/color/yuvToBgr.ts covers the special converter (8-bit 4:2:0 and
 * 4:2:2 with an even height).
 *
 * libswscale's general path, as configured for these conversions:
 *  1. Horizontal pass: every plane to 15-bit samples. Luma at the same
 *     width is one tap of weight 1 << 14: Y15 = Y << (15 - depth). Chroma too,
 *     unless it has to change width (below).
 *  2. Output chroma layout. For an even width and subsampled chroma, the
 *     output stage works on half-width chroma (one chroma value per pixel
 *     pair), so 4:2:0 and 4:2:2 chroma keep their width. An odd width or
 *     4:4:4 input switches on "full chroma interpolation": chroma at full
 *     width (4:2:0/4:2:2 then stretched with the bicubic filter).
 *  3. Vertical pass: luma one tap (1 << 12); chroma rows stretched to the full
 *     height with the bicubic filter (4:2:0), or one tap (4:2:2, 4:4:4).
 *  4. Output, per row:
 *     - half-width chroma, rows 0 .. height-3: the x86 MMX output routines
 *       (16-bit lanes: sums of pmulhw products plus a rounder of 4, then the
 *       same pmulhw colour arithmetic as the special converter);
 *     - half-width chroma, the last two rows: libswscale switches to its C
 *       routines there (the MMX ones would write past the end of their
 *       buffers), which round to 8 bits and read lookup tables;
 *     - full chroma, every row: the C routine with 30-bit intermediate values
 *       (yuv2rgb_write_full), B = ((Y - off) * cy + 2^21 + U * cbu) >> 22.
 *     Each has a one-tap form used when the vertical chroma filter has one tap
 *     (or two whose weights sum to one), which rounds differently from the
 *     general form.
 * No dithering happens on this path: BGR24 has 8 bits per channel, and
 * swscale dithers only when it writes fewer bits than it computes in planar
 * output. The rounding is all in the shifts above.
 */

/** Planar Y'CbCr of 8 to 12 bits per sample (Uint16Array above 8 bits, samples in the low bits). */
export interface PlanarYuvFrame extends YuvColorInfo {
  readonly y: Uint8Array | Uint16Array;
  readonly u: Uint8Array | Uint16Array;
  readonly v: Uint8Array | Uint16Array;
  readonly width: number;
  readonly height: number;
  /** samples (not bytes) from one row to the next */
  readonly yStride: number;
  readonly uvStride: number;
  readonly bitDepth: number;
  /** log2 of the chroma subsampling: 4:2:0 is (1, 1), 4:2:2 (1, 0), 4:4:4 (0, 0) */
  readonly chromaShiftX: 0 | 1;
  readonly chromaShiftY: 0 | 1;
}

/** The 8-bit lookup tables of libswscale's C output (ff_yuv2rgb_c_init_tables, 24 bits per pixel). */
interface CTables {
  /** clip8 of the luma ramp; an index is an offset into it */
  readonly ramp: Uint8Array;
  readonly rV: Int32Array;
  readonly gU: Int32Array;
  readonly gV: Int32Array;
  readonly bU: Int32Array;
}

const cTableCache = new Map<string, CTables>();

/** int64 >> n on values below 2^53 (floor division). */
function shiftDown(x: number, n: number): number {
  return Math.floor(x / 2 ** n);
}

function cTablesFor(matrix: YuvMatrix, fullRange: boolean): CTables {
  const key = `${matrix}/${fullRange}`;
  const cached = cTableCache.get(key);
  if (cached) return cached;
  const k = swsColorConstants(matrix, fullRange);
  const headroom = 512;
  const planeSize = 1024 + 2 * headroom;
  const yoffs = (fullRange ? 384 : 326) + headroom;
  const ramp = new Uint8Array(planeSize);
  let yb = -(384 * 65536) - headroom * k.cy - k.oy;
  for (let i = 0; i < planeSize; i++) {
    const v = shiftDown(yb + 0x8000, 16);
    ramp[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    yb += k.cy;
  }
  // The chroma terms rescaled by the luma gain (C int64 division truncates toward zero).
  const rescale = (c: number): number => Math.trunc((c * 65536 + 0x8000) / Math.max(k.cy, 1));
  const pointerTable = (inc: number): Int32Array => {
    const t = new Int32Array(256);
    for (let i = 0; i < 256; i++) t[i] = yoffs - shiftDown(inc, 9) + shiftDown(i * inc, 16);
    return t;
  };
  const cgv = rescale(k.cgv);
  const gV = new Int32Array(256);
  for (let i = 0; i < 256; i++) gV[i] = -shiftDown(cgv, 9) + shiftDown(i * cgv, 16);
  const tables: CTables = { ramp, rV: pointerTable(rescale(k.crv)), gU: pointerTable(rescale(k.cgu)), gV, bU: pointerTable(rescale(k.cbu)) };
  cTableCache.set(key, tables);
  return tables;
}

const wrap16 = (x: number): number => (x << 16) >> 16;
const pmulhw = (a: number, b: number): number => (a * b) >> 16;

const clip8 = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);
const MASK30 = (1 << 30) - 1;
const clip30 = (x: number): number => (x & ~MASK30 ? (~x >> 31) & MASK30 : x);

/** True when libswscale takes its general (scaled) path for this frame rather than the special unscaled converter. */
export function swsTakesScaledPath(bitDepth: number, chromaShiftX: number, height: number): boolean {
  const specialFormat = bitDepth === 8 && chromaShiftX === 1; // yuv420p, yuv422p
  return !specialFormat || (height & 1) === 1;
}

/** Horizontal pass of one chroma plane: 15-bit rows of `dstW` samples for every source row. */
function chroma15(plane: Uint8Array | Uint16Array, stride: number, rows: number, filter: SwsFilter, dstW: number, depth: number): Int16Array {
  const out = new Int16Array(rows * dstW);
  const shift = depth - 1; // filter weights sum to 1 << 14: (sum >> (depth - 1)) is a 15-bit sample
  const { size, pos, coeff } = filter;
  for (let r = 0; r < rows; r++) {
    const src = r * stride;
    const dst = r * dstW;
    if (size === 1 && coeff[0] === 1 << 14) {
      const up = 15 - depth;
      for (let x = 0; x < dstW; x++) out[dst + x] = plane[src + pos[x]] << up;
      continue;
    }
    for (let x = 0; x < dstW; x++) {
      let acc = 0;
      const p = src + pos[x];
      const c = x * size;
      for (let j = 0; j < size; j++) acc += plane[p + j] * coeff[c + j];
      const v = acc >> shift;
      out[dst + x] = v > 32767 ? 32767 : v < -32768 ? -32768 : v; // packssdw
    }
  }
  return out;
}

/**
 * Converts one frame through libswscale's general path (see the notes at the
 * top). `out`, when given, receives width * height * 3 bytes.
 */
export function swsScaledYuvToBgr(frame: PlanarYuvFrame, out?: Uint8Array): BgrImage {
  const { width: W, height: H, bitDepth: depth, chromaShiftX: sx, chromaShiftY: sy } = frame;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W <= 0 || H <= 0) throw new RangeError(`swsScaledYuvToBgr: bad size ${W}x${H}`);
  if (!Number.isInteger(depth) || depth < 8 || depth > 14) throw new RangeError(`swsScaledYuvToBgr: bit depth ${depth} is not supported`);
  const matrix = frame.matrix ?? 'bt601';
  const fullRange = frame.fullRange ?? false;
  const chrSrcW = (W + (1 << sx) - 1) >> sx;
  const chrSrcH = (H + (1 << sy) - 1) >> sy;
  if (frame.yStride < W || frame.uvStride < chrSrcW) throw new RangeError('swsScaledYuvToBgr: stride smaller than the row');
  if (frame.y.length < frame.yStride * (H - 1) + W) throw new RangeError('swsScaledYuvToBgr: y plane too short');
  const chromaEnd = frame.uvStride * (chrSrcH - 1) + chrSrcW;
  if (frame.u.length < chromaEnd || frame.v.length < chromaEnd) throw new RangeError('swsScaledYuvToBgr: chroma plane too short');
  const bytes = W * H * 3;
  if (out && out.length < bytes) throw new RangeError(`swsScaledYuvToBgr: output holds ${out.length} bytes, needs ${bytes}`);
  const dst = out ? out.subarray(0, bytes) : new Uint8Array(bytes);

  // Full chroma interpolation: forced by an odd width, or by unsubsampled input.
  const full = (W & 1) === 1 || (sx === 0 && sy === 0);
  const chrDstW = full ? W : (W + 1) >> 1;
  const hChr = swsBicubicFilter(chrSrcW, chrDstW, swsChromaSite(sx), swsChromaSite(full ? 0 : 1), 1 << 14, 4);
  const vChr = swsBicubicFilter(chrSrcH, H, swsChromaSite(sy), swsChromaSite(0), 1 << 12, 2);
  const u15 = chroma15(frame.u, frame.uvStride, chrSrcH, hChr, chrDstW, depth);
  const v15 = chroma15(frame.v, frame.uvStride, chrSrcH, hChr, chrDstW, depth);
  const yUp = 15 - depth;
  const ySrc = frame.y;
  const yStride = frame.yStride;
  const k = swsYuv2RgbCoefficients(matrix, fullRange);

  const vs = vChr.size;
  let mmx: MmxScratch | null = null;
  const fullYOffset = swsRoundToInt16(swsColorConstants(matrix, fullRange).oy * 512);
  for (let row = 0; row < H; row++) {
    const p0 = vChr.pos[row] * chrDstW;
    const cRow = row * vs;
    // Which output routine: one tap (or two taps summing to one, read as uint16 as swscale does), or the general one.
    let oneTap = vs === 1;
    let alpha = 0;
    if (vs === 2) {
      const c0 = vChr.coeff[cRow] & 0xffff;
      const c1 = vChr.coeff[cRow + 1] & 0xffff;
      if (c0 + c1 === 4096 && c1 <= 4096) {
        oneTap = true;
        alpha = c1;
      }
    }
    const yRow = row * yStride;
    let o = row * W * 3;
    if (full) {
      o = fullChromaRow(dst, o, W, ySrc, yRow, yUp, u15, v15, p0, chrDstW, vChr.coeff, cRow, vs, oneTap, alpha, k, fullYOffset);
    } else if (row < H - 2) {
      mmx ??= mmxScratch(chrDstW, depth, k);
      mmxHalfChromaRow(dst, o, W, ySrc, yRow, u15, v15, p0, chrDstW, vChr.coeff, cRow, vs, oneTap, alpha, k, mmx);
    } else {
      cHalfChromaRow(dst, o, W, ySrc, yRow, yUp, u15, v15, p0, chrDstW, vChr.coeff, cRow, vs, oneTap, alpha, cTablesFor(matrix, fullRange));
    }
  }
  return { width: W, height: H, data: dst };
}

type Coefficients = ReturnType<typeof swsYuv2RgbCoefficients>;

/** Per-row scratch for the MMX rows: the three chroma terms of each chroma sample. */
interface MmxScratch {
  readonly ub: Int32Array;
  readonly g: Int32Array;
  readonly vr: Int32Array;
  /** luma term pmulhw(Y - yOffset, yCoeff) by raw sample value, for the one-tap and the general routine */
  readonly lumaOneTap: Int32Array;
  readonly lumaGeneral: Int32Array;
}

function mmxScratch(chromaWidth: number, depth: number, k: Coefficients): MmxScratch {
  const levels = 1 << depth;
  const lumaOneTap = new Int32Array(levels);
  const lumaGeneral = new Int32Array(levels);
  const up = 15 - depth;
  for (let s = 0; s < levels; s++) {
    const l = s << up;
    // one tap: psraw 4; general: the rounder 4 plus pmulhw by the single weight 4096
    lumaOneTap[s] = pmulhw(wrap16((l >> 4) - k.yOffset), k.yCoeff);
    lumaGeneral[s] = pmulhw(wrap16(wrap16(4 + pmulhw(l, 4096)) - k.yOffset), k.yCoeff);
  }
  return { ub: new Int32Array(chromaWidth), g: new Int32Array(chromaWidth), vr: new Int32Array(chromaWidth), lumaOneTap, lumaGeneral };
}

/** x86 MMX output (yuv2bgr24_1 / yuv2bgr24_X): 16-bit lanes, pmulhw arithmetic. */
function mmxHalfChromaRow(
  dst: Uint8Array, o: number, W: number,
  ySrc: Uint8Array | Uint16Array, yRow: number,
  u15: Int16Array, v15: Int16Array, p0: number, cw: number,
  vCoeff: Int16Array, cRow: number, vs: number, oneTap: boolean, alpha: number, k: Coefficients, t: MmxScratch,
): void {
  const pairs = W >> 1;
  const { ub, g, vr } = t;
  const ubC = k.ubCoeff;
  const ugC = k.ugCoeff;
  const vgC = k.vgCoeff;
  const vrC = k.vrCoeff;
  // Chroma terms of the row, one per pixel pair.
  for (let i = 0; i < pairs; i++) {
    let u: number;
    let v: number;
    if (oneTap) {
      if (alpha < 2048) {
        u = (((u15[p0 + i] >> 4) - 1024) << 16) >> 16;
        v = (((v15[p0 + i] >> 4) - 1024) << 16) >> 16;
      } else {
        // psrlw 5 on the 16-bit sum of the two rows
        u = (((((u15[p0 + i] + u15[p0 + cw + i]) & 0xffff) >>> 5) - 1024) << 16) >> 16;
        v = (((((v15[p0 + i] + v15[p0 + cw + i]) & 0xffff) >>> 5) - 1024) << 16) >> 16;
      }
    } else {
      let ua = 4;
      let va = 4;
      // paddw cannot wrap here: |sum of pmulhw| <= 32767 * sum|c| / 65536, far inside 16 bits.
      for (let j = 0, at = p0 + i; j < vs; j++, at += cw) {
        const c = vCoeff[cRow + j];
        ua += (u15[at] * c) >> 16;
        va += (v15[at] * c) >> 16;
      }
      u = ((ua - 1024) << 16) >> 16;
      v = ((va - 1024) << 16) >> 16;
    }
    ub[i] = (u * ubC) >> 16;
    g[i] = ((((u * ugC) >> 16) + ((v * vgC) >> 16)) << 16) >> 16;
    vr[i] = (v * vrC) >> 16;
  }
  // Luma: one table load per pixel, then the three sums, saturated to bytes (packuswb).
  const luma = oneTap ? t.lumaOneTap : t.lumaGeneral;
  for (let i = 0, yi = yRow; i < pairs; i++, yi += 2) {
    const b = ub[i];
    const gg = g[i];
    const r = vr[i];
    const ya = luma[ySrc[yi]];
    const yb = luma[ySrc[yi + 1]];
    let x = ya + b;
    dst[o] = x < 0 ? 0 : x > 255 ? 255 : x;
    x = ya + gg;
    dst[o + 1] = x < 0 ? 0 : x > 255 ? 255 : x;
    x = ya + r;
    dst[o + 2] = x < 0 ? 0 : x > 255 ? 255 : x;
    x = yb + b;
    dst[o + 3] = x < 0 ? 0 : x > 255 ? 255 : x;
    x = yb + gg;
    dst[o + 4] = x < 0 ? 0 : x > 255 ? 255 : x;
    x = yb + r;
    dst[o + 5] = x < 0 ? 0 : x > 255 ? 255 : x;
    o += 6;
  }
}

/** libswscale's C output (yuv2bgr24_1_c / yuv2bgr24_X_c): values rounded to 8 bits, then the lookup tables. */
function cHalfChromaRow(
  dst: Uint8Array, o: number, W: number,
  ySrc: Uint8Array | Uint16Array, yRow: number, yUp: number,
  u15: Int16Array, v15: Int16Array, p0: number, cw: number,
  vCoeff: Int16Array, cRow: number, vs: number, oneTap: boolean, alpha: number, t: CTables,
): void {
  const pairs = W >> 1;
  const { ramp, rV, gU, gV, bU } = t;
  for (let i = 0; i < pairs; i++) {
    const l0 = ySrc[yRow + 2 * i] << yUp;
    const l1 = ySrc[yRow + 2 * i + 1] << yUp;
    let u: number;
    let v: number;
    let y0: number;
    let y1: number;
    if (oneTap) {
      y0 = (l0 + 64) >> 7;
      y1 = (l1 + 64) >> 7;
      if (alpha < 2048) {
        u = (u15[p0 + i] + 64) >> 7;
        v = (v15[p0 + i] + 64) >> 7;
      } else {
        u = (u15[p0 + i] + u15[p0 + cw + i] + 128) >> 8;
        v = (v15[p0 + i] + v15[p0 + cw + i] + 128) >> 8;
      }
    } else {
      y0 = ((1 << 18) + l0 * 4096) >> 19;
      y1 = ((1 << 18) + l1 * 4096) >> 19;
      let ua = 1 << 18;
      let va = 1 << 18;
      for (let j = 0; j < vs; j++) {
        const c = vCoeff[cRow + j];
        ua += u15[p0 + j * cw + i] * c;
        va += v15[p0 + j * cw + i] * c;
      }
      u = ua >> 19;
      v = va >> 19;
    }
    const cu = clip8(u);
    const cv = clip8(v);
    const r = rV[cv];
    const g = gU[cu] + gV[cv];
    const b = bU[cu];
    dst[o] = ramp[b + y0];
    dst[o + 1] = ramp[g + y0];
    dst[o + 2] = ramp[r + y0];
    dst[o + 3] = ramp[b + y1];
    dst[o + 4] = ramp[g + y1];
    dst[o + 5] = ramp[r + y1];
    o += 6;
  }
}

/** libswscale's full-chroma C output (yuv2bgr24_full_1_c / _X_c with yuv2rgb_write_full). */
function fullChromaRow(
  dst: Uint8Array, o: number, W: number,
  ySrc: Uint8Array | Uint16Array, yRow: number, yUp: number,
  u15: Int16Array, v15: Int16Array, p0: number, cw: number,
  vCoeff: Int16Array, cRow: number, vs: number, oneTap: boolean, alpha: number, k: Coefficients, yOffset: number,
): number {
  const yc = k.yCoeff;
  for (let i = 0; i < W; i++) {
    const l = ySrc[yRow + i] << yUp;
    let y: number;
    let u: number;
    let v: number;
    if (oneTap) {
      y = l * 4;
      if (alpha < 2048) {
        u = (u15[p0 + i] - (128 << 7)) * 4;
        v = (v15[p0 + i] - (128 << 7)) * 4;
      } else {
        u = (u15[p0 + i] + u15[p0 + cw + i] - (128 << 8)) * 2;
        v = (v15[p0 + i] + v15[p0 + cw + i] - (128 << 8)) * 2;
      }
    } else {
      y = ((1 << 9) + l * 4096) >> 10;
      let ua = (1 << 9) - (128 << 19);
      let va = (1 << 9) - (128 << 19);
      for (let j = 0; j < vs; j++) {
        const c = vCoeff[cRow + j];
        ua += u15[p0 + j * cw + i] * c;
        va += v15[p0 + j * cw + i] * c;
      }
      u = ua >> 10;
      v = va >> 10;
    }
    const yy = (Math.imul(y - yOffset, yc) + (1 << 21)) | 0;
    let R = (yy + Math.imul(v, k.vrCoeff)) | 0;
    let G = (yy + Math.imul(v, k.vgCoeff) + Math.imul(u, k.ugCoeff)) | 0;
    let B = (yy + Math.imul(u, k.ubCoeff)) | 0;
    if ((R | G | B) & 0xc0000000) {
      R = clip30(R);
      G = clip30(G);
      B = clip30(B);
    }
    dst[o] = B >> 22;
    dst[o + 1] = G >> 22;
    dst[o + 2] = R >> 22;
    o += 3;
  }
  return o;
}
