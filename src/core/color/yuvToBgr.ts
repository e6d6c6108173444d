import type { BgrImage } from '../image.ts';

/*
 * YUV 4:2:0 → BGR24, byte-identical to `ffmpeg -pix_fmt bgr24` with default
 * flags on x86-64 (Debian 12: ffmpeg 5.1, libswscale 6.7), which is also what
 * OpenCV's video reader, and so OpenFace, hands to the AU engine.
 *
 * Which libswscale code runs. The conversion is unscaled (same size in and
 * out), the source is yuv420p (yuvj420p is mapped to yuv420p plus a full-range
 * flag before this choice), the destination is packed RGB, SWS_ACCURATE_RND is
 * off, dithering is "auto" and the height is even: ff_get_unscaled_swscale
 * then picks the special converter from ff_yuv2rgb_get_func_ptr, and on a CPU
 * with SSSE3 ff_yuv2rgb_init_x86 returns yuv420_bgr24_ssse3 (the asm
 * yuv2rgb_fn in libswscale/x86/yuv_2_rgb.asm). It walks each output row in
 * blocks of 16 pixels / 8 chroma samples and has no scalar tail: the row is
 * rounded up to a multiple of 8 pixels and the last block may read and write
 * past the end into the frame's padding, so every visible pixel gets the same
 * arithmetic whatever the width. The plain-C converter (yuv2rgb_c_24_bgr,
 * table driven with 16-bit fractions) rounds differently; that is the path
 * `-cpuflags 0` shows, and it is not the one we want.
 *
 * The arithmetic, per pixel, in 16-bit lanes (all products are pmulhw: the
 * signed 32-bit product's high word, i.e. floor(a * b / 65536)):
 *   y8 = Y << 3, u8 = (U << 3) - 1024, v8 = (V << 3) - 1024
 *   yy = pmulhw(y8 - yOffset, yCoeff)
 *   B  = sat8(yy + pmulhw(u8, ubCoeff))
 *   G  = sat8(yy + (pmulhw(u8, ugCoeff) + pmulhw(v8, vgCoeff)))
 *   R  = sat8(yy + pmulhw(v8, vrCoeff))
 * The 16-bit adds saturate (paddsw) but cannot overflow for 8-bit input; sat8 is
 * packuswb (clamp to 0..255). One chroma sample serves the 2x2 pixel block it
 * covers (no interpolation: row y uses chroma row y >> 1, pixel x uses chroma
 * column x >> 1).
 *
 * The coefficients come from ff_yuv2rgb_c_init_tables (libswscale/yuv2rgb.c)
 * with swscale's defaults (contrast = saturation = 1 << 16, brightness 0),
 * starting from the 16.16 inverse matrix of ff_yuv2rgb_coeffs
 * [crv, cbu, -cgu, -cgv]:
 *   limited ("tv") range: cy = (65536 * 255) / 219 (integer division), oy = 16 << 16
 *   full ("pc"/jpeg) range: cy = 65536, oy = 0, and each chroma term scaled by
 *                           (x * 224) / 255 (C integer division, toward zero)
 *   coefficient = roundToInt16(x * 8192) = (x * 8192 + 32768) >> 16 (13-bit fraction)
 *   yOffset     = roundToInt16(oy * 8)   (16 << 3 = 128 in limited range)
 * For BT.601, limited range: yCoeff 9539, vrCoeff 13075, ubCoeff 16525,
 * ugCoeff -3209, vgCoeff -6660, yOffset 128.
 *
 * Checked against ffmpeg here: all 2^24 (Y, U, V) combinations for every
 * matrix in limited range and BT.601/BT.709 in full range, odd and
 * non-multiple-of-16 widths, and every frame of the shared videos with an
 * even height. The bytes are those of the x86 build; libswscale on ARM (NEON)
 * or with -cpuflags 0 rounds differently, so OpenFace builds there see other
 * pixels. This code reproduces the x86 bytes on any host.
 *
 * Matrix and range: which ones a frame must be read with depends on whom we
 * imitate, and the two differ on tagged streams (all checked on this machine
 * with OpenCV 4.6 / python3-opencv against ffmpeg 5.1):
 *  - OpenCV's reader (cap_ffmpeg_impl.hpp) calls sws_getCachedContext and
 *    never sws_setColorspaceDetails, so swscale keeps its defaults: BT.601
 *    whatever the stream says, and full range only when the decoder's output
 *    format is a "J" one (yuvj420p: H.264 and HEVC with the full-range flag,
 *    MJPEG). A full-range flag on a yuv420p output (VP9, AV1) is ignored.
 *    This is what OpenFace sees: openCvColorInfo().
 *  - `ffmpeg -pix_fmt bgr24` passes the frame's matrix and range to swscale
 *    (vf_scale's in_color_matrix/in_range default to "auto"), so a stream
 *    tagged BT.709 converts as BT.709 there, and differs from OpenCV on
 *    every such frame; untagged streams (all of ours) agree.
 *    ffmpegCliColorInfo() gives the CLI's choice.
 *
 * Not covered (ffmpeg takes its general scaler there, with bicubic vertical
 * chroma interpolation and other rounding): odd heights (e.g. the 320x239
 * 0490_03_007_bill_gates.avi) and 4:4:4 input. 4:2:2 takes the same SIMD
 * code with one chroma row per luma row: yuv422ToBgr.
 */

/** The YCbCr matrices swscale knows (ff_yuv2rgb_coeffs). */
export type YuvMatrix = 'bt601' | 'bt709' | 'fcc' | 'smpte240m' | 'bt2020';

/** How the stream's Y'CbCr is to be read; the defaults are what an untagged stream gets. */
export interface YuvColorInfo {
  /** default 'bt601' (swscale's choice for unspecified streams) */
  readonly matrix?: YuvMatrix;
  /** true for full ("pc", "jpeg", yuvj420p) range; default false (limited, "tv") */
  readonly fullRange?: boolean;
}

/** Planar 8-bit 4:2:0 (I420 / yuv420p): chroma planes are ceil(width/2) x ceil(height/2). */
export interface Yuv420Planes extends YuvColorInfo {
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** bytes from one luma row to the next (>= width) */
  readonly yStride: number;
  /** bytes from one chroma row to the next, same for u and v (>= ceil(width/2)) */
  readonly uvStride: number;
}

/** Semi-planar 8-bit 4:2:0 (NV12): one chroma plane of interleaved U,V pairs. */
export interface Nv12Planes extends YuvColorInfo {
  readonly y: Uint8Array;
  /** U0 V0 U1 V1 ..., ceil(width/2) pairs per row, ceil(height/2) rows */
  readonly uv: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly yStride: number;
  /** bytes from one chroma row to the next (>= 2 * ceil(width/2)) */
  readonly uvStride: number;
}

/** The fixed-point constants the SIMD converter loads (pmulhw operands, 13-bit fractions). */
export interface SwsYuv2RgbCoefficients {
  readonly yOffset: number;
  readonly yCoeff: number;
  readonly vrCoeff: number;
  readonly ubCoeff: number;
  readonly ugCoeff: number;
  readonly vgCoeff: number;
}

/**
 * ff_yuv2rgb_coeffs rows as 16.16 fixed point [crv, cbu, cgu, cgv] (the last
 * two are subtracted). These are swscale's own rounded numbers, not values
 * derived here from Kr/Kb: using anything else would shift some outputs by one.
 */
const INVERSE_TABLES: Readonly<Record<YuvMatrix, readonly [number, number, number, number]>> = {
  bt709: [117489, 138438, 13975, 34925],
  bt601: [104597, 132201, 25675, 53279],
  fcc: [104448, 132798, 24759, 53109],
  smpte240m: [117579, 136230, 16907, 35559],
  bt2020: [110013, 140363, 12277, 42626],
};

/**
 * The matrix swscale uses for a stream's colour-space tag: ffprobe's
 * `color_space` names (AVColorSpace) or WebCodecs' VideoColorSpace.matrix.
 * sws_getCoefficients() maps unspecified, reserved, YCgCo and unknown values
 * to its default (BT.601); bt470bg and smpte170m are BT.601 too.
 */
export function swsMatrixForColorspace(tag: string | null | undefined): YuvMatrix {
  switch ((tag ?? '').toLowerCase()) {
    case 'bt709':
      return 'bt709';
    case 'fcc':
      return 'fcc';
    case 'smpte240m':
      return 'smpte240m';
    case 'bt2020nc':
    case 'bt2020c':
    case 'bt2020_ncl':
    case 'bt2020_cl':
    case 'bt2020-ncl':
      return 'bt2020';
    default:
      return 'bt601';
  }
}

/** The matrix and range `ffmpeg -pix_fmt bgr24` uses: the stream's own tags (ffprobe color_space / color_range). */
export function ffmpegCliColorInfo(colorSpaceTag: string | null | undefined, fullRange: boolean): Required<YuvColorInfo> {
  return { matrix: swsMatrixForColorspace(colorSpaceTag), fullRange };
}

/**
 * The decoders for which ffmpeg 5.1 turns a full-range flag into a yuvj*
 * output format (checked: h264, hevc; mjpeg is always yuvj). Others (vp9,
 * av1, mpeg4, ...) keep yuv420p and only set color_range, which OpenCV ignores.
 */
const J_FORMAT_DECODERS = new Set(['h264', 'avc1', 'avc3', 'hevc', 'h265', 'hev1', 'hvc1', 'mjpeg', 'jpeg']);

/**
 * The matrix and range OpenCV (so OpenFace) converts with: BT.601 always;
 * full range only if the stream is flagged full range and its decoder is one
 * that then outputs a yuvj format. `codec` is ffprobe's codec_name or a
 * WebCodecs codec string ("avc1.64001f", "hvc1...", "vp09...").
 */
export function openCvColorInfo(codec: string, fullRange: boolean): Required<YuvColorInfo> {
  const family = codec.toLowerCase().split('.')[0];
  return { matrix: 'bt601', fullRange: fullRange && J_FORMAT_DECODERS.has(family) };
}

/** libswscale's roundToInt16: 16.16 → integer with rounding, clamped to int16. */
function roundToInt16(f: number): number {
  // f stays far below 2^53, so plain arithmetic is exact; floor is C's >> on int64.
  const r = Math.floor((f + 32768) / 65536);
  if (r < -0x7fff) return -0x8000;
  if (r > 0x7fff) return 0x7fff;
  return r;
}

/** C integer division (truncates toward zero), as int64 arithmetic does in ff_yuv2rgb_c_init_tables. */
function cDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/**
 * The 16.16 constants ff_yuv2rgb_c_init_tables starts from, after the range
 * adjustment (default contrast, saturation, brightness leave them as they are):
 * luma gain cy and offset oy, chroma terms crv, cbu, cgu, cgv (cgu, cgv negative).
 */
export interface SwsColorConstants {
  readonly cy: number;
  readonly oy: number;
  readonly crv: number;
  readonly cbu: number;
  readonly cgu: number;
  readonly cgv: number;
}

export function swsColorConstants(matrix: YuvMatrix = 'bt601', fullRange = false): SwsColorConstants {
  const [invCrv, invCbu, invCgu, invCgv] = INVERSE_TABLES[matrix];
  if (!fullRange) return { cy: cDiv(65536 * 255, 219), oy: 16 << 16, crv: invCrv, cbu: invCbu, cgu: -invCgu, cgv: -invCgv };
  return { cy: 65536, oy: 0, crv: cDiv(invCrv * 224, 255), cbu: cDiv(invCbu * 224, 255), cgu: cDiv(-invCgu * 224, 255), cgv: cDiv(-invCgv * 224, 255) };
}

/** libswscale's roundToInt16 for the converter constants (exported for the scaled path). */
export function swsRoundToInt16(f: number): number {
  return roundToInt16(f);
}

/** The coefficients ff_yuv2rgb_c_init_tables computes for a matrix and range (default contrast/saturation/brightness). */
export function swsYuv2RgbCoefficients(matrix: YuvMatrix = 'bt601', fullRange = false): SwsYuv2RgbCoefficients {
  const [invCrv, invCbu, invCgu, invCgv] = INVERSE_TABLES[matrix];
  let crv = invCrv;
  let cbu = invCbu;
  let cgu = -invCgu;
  let cgv = -invCgv;
  let cy = 1 << 16;
  let oy = 0;
  if (!fullRange) {
    cy = cDiv(cy * 255, 219);
    oy = 16 << 16;
  } else {
    crv = cDiv(crv * 224, 255);
    cbu = cDiv(cbu * 224, 255);
    cgu = cDiv(cgu * 224, 255);
    cgv = cDiv(cgv * 224, 255);
  }
  // contrast = saturation = 1 << 16: (x * contrast) >> 16 and (x * contrast * saturation) >> 32
  // leave every value unchanged, so they are not applied here.
  return {
    yOffset: roundToInt16(oy * 8),
    yCoeff: roundToInt16(cy * 8192),
    vrCoeff: roundToInt16(crv * 8192),
    ubCoeff: roundToInt16(cbu * 8192),
    ugCoeff: roundToInt16(cgu * 8192),
    vgCoeff: roundToInt16(cgv * 8192),
  };
}

/** pmulhw on one lane: high 16 bits of the signed 32-bit product (an arithmetic shift, so it floors). */
function pmulhw(a: number, b: number): number {
  return (a * b) >> 16;
}

/**
 * Lookup tables for one (matrix, range). Every SIMD lane computes each term
 * from one byte only, so 256-entry tables per term are exact:
 *   luma(Y) = pmulhw((Y << 3) - yOffset, yCoeff)
 *   ub(U)   = pmulhw((U << 3) - 1024, ubCoeff), likewise vr(V), ug(U), vg(V).
 * The final add-and-saturate is folded into one 2-D table as well:
 *   out[(term - termMin) * 256 + Y] = clamp(luma(Y) + term, 0, 255)
 * for every chroma term a channel can take (B: ub, R: vr, G: ug + vg). The
 * chroma tables below hold (term - termMin) * 256 ready to add to Y (G's
 * bias rides on vgRow), so a pixel channel is a single load.
 */
interface Tables {
  readonly out: Uint8Array;
  readonly ubRow: Int32Array;
  readonly vrRow: Int32Array;
  readonly ugRow: Int32Array;
  readonly vgRow: Int32Array;
}

const tableCache = new Map<string, Tables>();

function tablesFor(matrix: YuvMatrix, fullRange: boolean): Tables {
  const key = `${matrix}/${fullRange ? 'full' : 'limited'}`;
  const cached = tableCache.get(key);
  if (cached) return cached;
  const k = swsYuv2RgbCoefficients(matrix, fullRange);
  const luma = new Int32Array(256);
  const ub = new Int32Array(256);
  const vr = new Int32Array(256);
  const ug = new Int32Array(256);
  const vg = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    // psllw 3, then psubw yOffset for luma and psubsw 0x0400 (128 << 3) for chroma:
    // neither can wrap or saturate for byte input.
    luma[i] = pmulhw((i << 3) - k.yOffset, k.yCoeff);
    const c = (i << 3) - 1024;
    ub[i] = pmulhw(c, k.ubCoeff);
    vr[i] = pmulhw(c, k.vrCoeff);
    ug[i] = pmulhw(c, k.ugCoeff);
    vg[i] = pmulhw(c, k.vgCoeff);
  }
  // The G chroma sum is one paddsw of two pmulhw results; in int16 it cannot
  // saturate (|ug| + |vg| < 400), and neither can Y + term, so plain sums are exact.
  const min = (a: Int32Array): number => a.reduce((m, x) => Math.min(m, x), Infinity);
  const max = (a: Int32Array): number => a.reduce((m, x) => Math.max(m, x), -Infinity);
  const termMin = Math.min(min(ub), min(vr), min(ug) + min(vg));
  const termMax = Math.max(max(ub), max(vr), max(ug) + max(vg));
  const rows = termMax - termMin + 1;
  const out = new Uint8Array(rows * 256);
  for (let r = 0; r < rows; r++) {
    const term = r + termMin;
    for (let y = 0; y < 256; y++) {
      const x = luma[y] + term;
      out[r * 256 + y] = x < 0 ? 0 : x > 255 ? 255 : x; // packuswb
    }
  }
  const row = (a: Int32Array, bias: number): Int32Array => a.map((x) => (x + bias) * 256);
  const tables: Tables = { out, ubRow: row(ub, -termMin), vrRow: row(vr, -termMin), ugRow: row(ug, 0), vgRow: row(vg, -termMin) };
  tableCache.set(key, tables);
  return tables;
}

/** Uint32 stores put the lowest byte first only on little-endian hosts (all browsers' in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function checkGeometry(width: number, height: number, yStride: number, uvStride: number, chromaBytesPerSample: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`yuvToBgr: bad size ${width}x${height}`);
  }
  if (!Number.isInteger(yStride) || yStride < width) throw new RangeError(`yuvToBgr: yStride ${yStride} < width ${width}`);
  if (!Number.isInteger(uvStride) || uvStride < chromaBytesPerSample * ((width + 1) >> 1)) {
    throw new RangeError(`yuvToBgr: uvStride ${uvStride} too small for width ${width}`);
  }
}

function outputFor(width: number, height: number, out: Uint8Array | undefined): Uint8Array {
  const bytes = width * height * 3;
  if (!out) return new Uint8Array(bytes);
  if (out.length < bytes) throw new RangeError(`yuvToBgr: output buffer holds ${out.length} bytes, needs ${bytes}`);
  return out.length === bytes ? out : out.subarray(0, bytes);
}

/**
 * Converts one I420 (yuv420p) frame to OpenCV's BGR bytes exactly as
 * ffmpeg's default bgr24 conversion does (see the notes at the top of this
 * file). `out`, when given, is reused (it must hold width * height * 3 bytes).
 */
export function yuv420ToBgr(planes: Yuv420Planes, out?: Uint8Array): BgrImage {
  const { width, height, yStride, uvStride } = planes;
  checkGeometry(width, height, yStride, uvStride, 1);
  const cw = (width + 1) >> 1;
  const chromaEnd = uvStride * (((height + 1) >> 1) - 1) + cw;
  if (planes.y.length < yStride * (height - 1) + width) throw new RangeError('yuv420ToBgr: y plane too short');
  if (planes.u.length < chromaEnd || planes.v.length < chromaEnd) throw new RangeError('yuv420ToBgr: chroma plane too short');
  const data = outputFor(width, height, out);
  convert(planes.y, planes.u, planes.v, 0, 0, 1, yStride, uvStride, width, height, tablesFor(planes.matrix ?? 'bt601', planes.fullRange ?? false), data);
  return { width, height, data };
}

/** NV12, WebCodecs' other common layout: the same conversion, chroma read as interleaved U,V pairs. */
export function nv12ToBgr(planes: Nv12Planes, out?: Uint8Array): BgrImage {
  const { width, height, yStride, uvStride } = planes;
  checkGeometry(width, height, yStride, uvStride, 2);
  if (planes.y.length < yStride * (height - 1) + width) throw new RangeError('nv12ToBgr: y plane too short');
  if (planes.uv.length < uvStride * (((height + 1) >> 1) - 1) + 2 * ((width + 1) >> 1)) throw new RangeError('nv12ToBgr: uv plane too short');
  const data = outputFor(width, height, out);
  convert(planes.y, planes.uv, planes.uv, 0, 1, 2, yStride, uvStride, width, height, tablesFor(planes.matrix ?? 'bt601', planes.fullRange ?? false), data);
  return { width, height, data };
}

/**
 * Planar 4:2:2 (yuv422p / WebCodecs I422): chroma planes ceil(width/2) wide and
 * `height` tall. libswscale runs the same SIMD converter for it, only with
 * chroma row = luma row (checked against ffmpeg), so the bytes follow the same
 * formula. This takes the plain byte loop: 4:2:2 is rare in our inputs.
 */
export function yuv422ToBgr(planes: Yuv420Planes, out?: Uint8Array): BgrImage {
  const { width, height, yStride, uvStride } = planes;
  checkGeometry(width, height, yStride, uvStride, 1);
  const chromaEnd = uvStride * (height - 1) + ((width + 1) >> 1);
  if (planes.y.length < yStride * (height - 1) + width) throw new RangeError('yuv422ToBgr: y plane too short');
  if (planes.u.length < chromaEnd || planes.v.length < chromaEnd) throw new RangeError('yuv422ToBgr: chroma plane too short');
  const data = outputFor(width, height, out);
  const t = tablesFor(planes.matrix ?? 'bt601', planes.fullRange ?? false);
  for (let row = 0; row < height; row++) {
    convertRowBytes(planes.y, planes.u, planes.v, 0, 0, 1, row * yStride, row * uvStride, width, t, data, row * width * 3);
  }
  return { width, height, data };
}

/**
 * Chroma addressing shared by both layouts: in chroma row r, U sample k is
 * uPlane[r * uvStride + uFirst + k * step] and V sample k is
 * vPlane[r * uvStride + vFirst + k * step] (planar: two arrays, 0, 0, step 1;
 * NV12: one array, 0, 1, step 2). Luma row y uses chroma row y >> 1.
 */
function convert(
  yPlane: Uint8Array,
  uPlane: Uint8Array,
  vPlane: Uint8Array,
  uFirst: number,
  vFirst: number,
  step: number,
  yStride: number,
  uvStride: number,
  width: number,
  height: number,
  t: Tables,
  dst: Uint8Array,
): void {
  let firstByteRow = 0;
  if (LITTLE_ENDIAN && (width & 3) === 0 && (dst.byteOffset & 3) === 0) {
    // Word path: every row then starts on a 4-byte boundary (width * 3 is a
    // multiple of 12 bytes), 4 pixels are 3 whole words, and both rows of a
    // chroma row are written in one pass so each chroma pair is read once.
    const dst32 = new Uint32Array(dst.buffer, dst.byteOffset, (width * height * 3) >> 2);
    convertRowPairsWords(yPlane, uPlane, vPlane, uFirst, vFirst, step, yStride, uvStride, width, height & ~1, t, dst32);
    firstByteRow = height & ~1;
  }
  for (let row = firstByteRow; row < height; row++) {
    convertRowBytes(yPlane, uPlane, vPlane, uFirst, vFirst, step, row * yStride, (row >> 1) * uvStride, width, t, dst, row * width * 3);
  }
}

/** One output row, byte by byte: any width, any alignment. */
function convertRowBytes(
  yPlane: Uint8Array,
  uPlane: Uint8Array,
  vPlane: Uint8Array,
  uFirst: number,
  vFirst: number,
  step: number,
  yStart: number,
  cStart: number,
  width: number,
  t: Tables,
  dst: Uint8Array,
  o: number,
): void {
  const { out, ubRow, vrRow, ugRow, vgRow } = t;
  let yi = yStart;
  let ci = cStart;
  const pairs = width >> 1;
  for (let p = 0; p < pairs; p++, ci += step, yi += 2, o += 6) {
    const u = uPlane[ci + uFirst];
    const v = vPlane[ci + vFirst];
    const b = ubRow[u];
    const g = ugRow[u] + vgRow[v];
    const r = vrRow[v];
    const y0 = yPlane[yi];
    const y1 = yPlane[yi + 1];
    dst[o] = out[b + y0];
    dst[o + 1] = out[g + y0];
    dst[o + 2] = out[r + y0];
    dst[o + 3] = out[b + y1];
    dst[o + 4] = out[g + y1];
    dst[o + 5] = out[r + y1];
  }
  if (width & 1) {
    // The last column of an odd width has its own chroma sample (chroma width is ceil(width / 2)).
    const u = uPlane[ci + uFirst];
    const v = vPlane[ci + vFirst];
    const y0 = yPlane[yi];
    dst[o] = out[ubRow[u] + y0];
    dst[o + 1] = out[ugRow[u] + vgRow[v] + y0];
    dst[o + 2] = out[vrRow[v] + y0];
  }
}

/** Rows 0..rows-1 (rows even, width a multiple of 4), two rows and four pixels per step, as little-endian words. */
function convertRowPairsWords(
  yPlane: Uint8Array,
  uPlane: Uint8Array,
  vPlane: Uint8Array,
  uFirst: number,
  vFirst: number,
  step: number,
  yStride: number,
  uvStride: number,
  width: number,
  rows: number,
  t: Tables,
  dst: Uint32Array,
): void {
  const { out, ubRow, vrRow, ugRow, vgRow } = t;
  const quads = width >> 2;
  const rowWords = (width * 3) >> 2;
  for (let row = 0; row < rows; row += 2) {
    let y0i = row * yStride;
    let ci = (row >> 1) * uvStride;
    let o = row * rowWords;
    for (let q = 0; q < quads; q++, ci += 2 * step, y0i += 4, o += 3) {
      const u0 = uPlane[ci + uFirst];
      const v0 = vPlane[ci + vFirst];
      const u1 = uPlane[ci + uFirst + step];
      const v1 = vPlane[ci + vFirst + step];
      const b0 = ubRow[u0];
      const g0 = ugRow[u0] + vgRow[v0];
      const r0 = vrRow[v0];
      const b1 = ubRow[u1];
      const g1 = ugRow[u1] + vgRow[v1];
      const r1 = vrRow[v1];
      // Pixels a, b share chroma 0 and c, d chroma 1; bytes B G R per pixel.
      let ya = yPlane[y0i];
      let yb = yPlane[y0i + 1];
      let yc = yPlane[y0i + 2];
      let yd = yPlane[y0i + 3];
      dst[o] = out[b0 + ya] | (out[g0 + ya] << 8) | (out[r0 + ya] << 16) | (out[b0 + yb] << 24);
      dst[o + 1] = out[g0 + yb] | (out[r0 + yb] << 8) | (out[b1 + yc] << 16) | (out[g1 + yc] << 24);
      dst[o + 2] = out[r1 + yc] | (out[b1 + yd] << 8) | (out[g1 + yd] << 16) | (out[r1 + yd] << 24);
      const y1i = y0i + yStride;
      const o1 = o + rowWords;
      ya = yPlane[y1i];
      yb = yPlane[y1i + 1];
      yc = yPlane[y1i + 2];
      yd = yPlane[y1i + 3];
      dst[o1] = out[b0 + ya] | (out[g0 + ya] << 8) | (out[r0 + ya] << 16) | (out[b0 + yb] << 24);
      dst[o1 + 1] = out[g0 + yb] | (out[r0 + yb] << 8) | (out[b1 + yc] << 16) | (out[g1 + yc] << 24);
      dst[o1 + 2] = out[r1 + yc] | (out[b1 + yd] << 8) | (out[g1 + yd] << 16) | (out[r1 + yd] << 24);
    }
  }
}
