import { createBgrImage, type BgrImage } from '../image.ts';

/*
 * The second half of libjpeg-turbo's decoder (2.1.x, the library OpenCV's
 * cv::imread uses on Debian 12), reproduced to the byte: chroma upsampling
 * (jdsample.c) and colour conversion (jdcolor.c / jdcolext.c), with the
 * library defaults OpenCV leaves alone (grfmt_jpeg.cpp only sets
 * out_color_space): do_fancy_upsampling = TRUE, so the merged upsampler of
 * jdmerge.c is never used (jdmaster.c use_merged_upsample() refuses it when
 * fancy upsampling is on).
 *
 * Upsampling, per component, from its sampling factors relative to the
 * largest ones (libjpeg's h_out_group / h_in_group, here xScale / yScale):
 *   1x1: used as is.
 *   2x1 ("h2v1", 4:2:2): triangle filter, output = (3 * nearer + further + bias) >> 2
 *        with bias 1 for the left output of a pair and 2 for the right one
 *        (libjpeg's ordered dither so that .5 does not always round up);
 *        the first and last output columns copy the edge sample.
 *        Box replication instead when the component is at most 2 samples wide.
 *   1x2 ("h1v2", 4:4:0): the same filter vertically, bias 1 above / 2 below,
 *        at any width.
 *   2x2 ("h2v2", 4:2:0): the filter in both directions: column sums
 *        3 * nearer row + further row, then (3 * this + neighbour + 8) >> 4 for
 *        the left output and (3 * this + neighbour + 7) >> 4 for the right one;
 *        first column (4 * sum + 8) >> 4, last column (4 * sum + 7) >> 4.
 *        Box replication instead when the component is at most 2 samples wide.
 *   other integral factors (4:1:1, 3x...): box replication (int_upsample).
 * The "further" row above the first row and below the last real row is that
 * row itself: jdmainct.c duplicates the first and last sample rows as context
 * (make_funny_pointers / set_bottom_pointers).
 *
 * Colour conversion (SCALEBITS = 16, fixed point, table driven):
 *   R = Y + Cr_r[Cr]   with Cr_r[i] = (FIX(1.40200) * (i - 128) + ONE_HALF) >> 16
 *   B = Y + Cb_b[Cb]   with Cb_b[i] = (FIX(1.77200) * (i - 128) + ONE_HALF) >> 16
 *   G = Y + ((Cb_g[Cb] + Cr_g[Cr]) >> 16)
 *                      with Cr_g[i] = -FIX(0.71414) * (i - 128),
 *                           Cb_g[i] = -FIX(0.34414) * (i - 128) + ONE_HALF
 * each clamped to 0..255 (range_limit). Greyscale becomes B = G = R = Y
 * (gray_rgb_convert); an RGB-coded JPEG is copied (rgb_rgb_convert).
 * libjpeg-turbo's SIMD versions of these steps are bit-exact with its C code.
 */

/** One decoded JPEG component at its own, possibly subsampled, resolution. */
export interface JpegPlane {
  /** samples, row-major; row r starts at r * stride */
  readonly data: Uint8Array;
  readonly stride: number;
  /** libjpeg's downsampled_width: ceil(image width / xScale) */
  readonly width: number;
  /** libjpeg's downsampled_height: ceil(image height / yScale) */
  readonly height: number;
  /** output pixels per sample horizontally: max_h_samp_factor / h_samp_factor (1 = full resolution) */
  readonly xScale: number;
  /** output pixels per sample vertically: max_v_samp_factor / v_samp_factor */
  readonly yScale: number;
}

/** How the components are coded: greyscale (1), YCbCr (3, the usual JFIF case) or plain RGB (3). */
export type JpegColorSpace = 'gray' | 'ycbcr' | 'rgb';

/** The output of a JPEG decoder's IDCT stage: what libjpeg holds before upsampling. */
export interface JpegPlanes {
  readonly width: number;
  readonly height: number;
  readonly colorSpace: JpegColorSpace;
  /** Y (or grey) / Cb / Cr, or R / G / B, in that order */
  readonly planes: readonly JpegPlane[];
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
/** libjpeg's FIX(): the constant scaled by 2^16, rounded (the C cast truncates a positive value). */
const fix = (x: number): number => Math.floor(x * (1 << SCALEBITS) + 0.5);

const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
/**
 * libjpeg's range_limit (sample_range_limit): index value + RANGE_OFFSET,
 * clamps to 0..255. Every sum below lies in -227..482.
 */
const RANGE_OFFSET = 256;
const RANGE_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) RANGE_LIMIT[i] = Math.min(255, Math.max(0, i - RANGE_OFFSET));

for (let i = 0; i < 256; i++) {
  const x = i - 128;
  // `>>` is the arithmetic shift libjpeg's RIGHT_SHIFT is; every value fits in 32 bits.
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

/**
 * Produces one full-resolution row of a component per call, the way
 * libjpeg's per-component upsampling method does.
 */
class RowUpsampler {
  /** where the current row's samples are: `src` from `offset` */
  src: Uint8Array;
  offset = 0;
  private readonly buf: Uint8Array;
  private readonly mode: 'full' | 'h2v1' | 'h1v2' | 'h2v2' | 'box';

  constructor(private readonly plane: JpegPlane, outWidth: number) {
    const { xScale, yScale, width } = plane;
    if (xScale === 1 && yScale === 1) this.mode = 'full';
    // libjpeg falls back to replication for components at most 2 samples wide (jinit_upsampler).
    else if (xScale === 2 && yScale === 1) this.mode = width > 2 ? 'h2v1' : 'box';
    else if (xScale === 1 && yScale === 2) this.mode = 'h1v2';
    else if (xScale === 2 && yScale === 2) this.mode = width > 2 ? 'h2v2' : 'box';
    else this.mode = 'box';
    // The fancy upsamplers write 2 * width samples, which can exceed the image width by one.
    this.buf = new Uint8Array(Math.max(outWidth, width * xScale));
    this.src = this.mode === 'full' ? plane.data : this.buf;
  }

  row(y: number): void {
    const { data, stride, width, height, xScale, yScale } = this.plane;
    const out = this.buf;
    switch (this.mode) {
      case 'full':
        this.offset = y * stride;
        return;
      case 'h2v1': {
        const p = y * stride;
        let v = data[p];
        out[0] = v;
        out[1] = (v * 3 + data[p + 1] + 2) >> 2;
        for (let x = 1; x < width - 1; x++) {
          v = data[p + x] * 3;
          out[2 * x] = (v + data[p + x - 1] + 1) >> 2;
          out[2 * x + 1] = (v + data[p + x + 1] + 2) >> 2;
        }
        v = data[p + width - 1];
        out[2 * width - 2] = (v * 3 + data[p + width - 2] + 1) >> 2;
        out[2 * width - 1] = v;
        return;
      }
      case 'h1v2': {
        const inRow = y >> 1;
        const below = (y & 1) === 1;
        const near = inRow * stride;
        const far = (below ? Math.min(inRow + 1, height - 1) : Math.max(inRow - 1, 0)) * stride;
        const bias = below ? 2 : 1;
        for (let x = 0; x < width; x++) out[x] = (data[near + x] * 3 + data[far + x] + bias) >> 2;
        return;
      }
      case 'h2v2': {
        const inRow = y >> 1;
        const below = (y & 1) === 1;
        const near = inRow * stride;
        const far = (below ? Math.min(inRow + 1, height - 1) : Math.max(inRow - 1, 0)) * stride;
        // Column sums carry the vertical 3:1 weights; the horizontal pass rounds once, by 16.
        let thisSum = data[near] * 3 + data[far];
        let nextSum = data[near + 1] * 3 + data[far + 1];
        out[0] = (thisSum * 4 + 8) >> 4;
        out[1] = (thisSum * 3 + nextSum + 7) >> 4;
        let lastSum = thisSum;
        thisSum = nextSum;
        for (let x = 2; x < width; x++) {
          nextSum = data[near + x] * 3 + data[far + x];
          out[2 * x - 2] = (thisSum * 3 + lastSum + 8) >> 4;
          out[2 * x - 1] = (thisSum * 3 + nextSum + 7) >> 4;
          lastSum = thisSum;
          thisSum = nextSum;
        }
        out[2 * width - 2] = (thisSum * 3 + lastSum + 8) >> 4;
        out[2 * width - 1] = (thisSum * 4 + 7) >> 4;
        return;
      }
      case 'box': {
        const p = Math.floor(y / yScale) * stride;
        const n = out.length;
        for (let x = 0, sx = 0; x < n; sx++) {
          const v = data[p + sx];
          for (let k = 0; k < xScale && x < n; k++) out[x++] = v;
        }
        return;
      }
    }
  }
}

function checkPlanes(planes: JpegPlanes): void {
  const { width, height, colorSpace } = planes;
  const expected = colorSpace === 'gray' ? 1 : 3;
  if (planes.planes.length !== expected) {
    throw new RangeError(`jpegYccToBgr: ${colorSpace} needs ${expected} plane(s), got ${planes.planes.length}`);
  }
  if (!(width > 0 && height > 0)) throw new RangeError(`jpegYccToBgr: bad image size ${width}x${height}`);
  for (const [i, p] of planes.planes.entries()) {
    if (!(Number.isInteger(p.xScale) && Number.isInteger(p.yScale) && p.xScale >= 1 && p.yScale >= 1)) {
      throw new RangeError(`jpegYccToBgr: plane ${i} needs integer scale factors, got ${p.xScale}x${p.yScale}`);
    }
    // The edge rules (last column, bottom context row) depend on these exact sizes.
    const w = Math.ceil(width / p.xScale);
    const h = Math.ceil(height / p.yScale);
    if (p.width !== w || p.height !== h) {
      throw new RangeError(`jpegYccToBgr: plane ${i} is ${p.width}x${p.height}, expected ${w}x${h} for ${width}x${height} at 1/${p.xScale}x1/${p.yScale}`);
    }
    if (p.stride < p.width || p.data.length < (p.height - 1) * p.stride + p.width) {
      throw new RangeError(`jpegYccToBgr: plane ${i} data is too short for ${p.width}x${p.height} with stride ${p.stride}`);
    }
  }
}

/** ycc_rgb_convert for one row, written B, G, R. Small on purpose: V8 optimizes it as a whole. */
function yccRow(dst: Uint8Array, o: number, width: number, y: Uint8Array, yo: number, cb: Uint8Array, cbo: number, cr: Uint8Array, cro: number): void {
  for (let x = 0; x < width; x++, o += 3) {
    const base = y[yo + x] + RANGE_OFFSET;
    const b = cb[cbo + x];
    const r = cr[cro + x];
    dst[o] = RANGE_LIMIT[base + CB_B[b]];
    dst[o + 1] = RANGE_LIMIT[base + ((CB_G[b] + CR_G[r]) >> SCALEBITS)];
    dst[o + 2] = RANGE_LIMIT[base + CR_R[r]];
  }
}

/** rgb_rgb_convert for one row of an RGB-coded JPEG: a copy in B, G, R order. */
function rgbRow(dst: Uint8Array, o: number, width: number, r: Uint8Array, ro: number, g: Uint8Array, go: number, b: Uint8Array, bo: number): void {
  for (let x = 0; x < width; x++, o += 3) {
    dst[o] = b[bo + x];
    dst[o + 1] = g[go + x];
    dst[o + 2] = r[ro + x];
  }
}

/**
 * Upsamples and colour-converts decoded JPEG planes exactly as libjpeg-turbo
 * does with its default settings, writing OpenCV's BGR layout. `out`, when
 * given, must be width x height and is filled in place.
 */
export function jpegYccToBgr(planes: JpegPlanes, out?: BgrImage): BgrImage {
  checkPlanes(planes);
  const { width, height, colorSpace } = planes;
  const image = out ?? createBgrImage(width, height);
  if (image.width !== width || image.height !== height) {
    throw new RangeError(`jpegYccToBgr: output is ${image.width}x${image.height}, planes are ${width}x${height}`);
  }
  const dst = image.data;
  const rows = planes.planes.map((p) => new RowUpsampler(p, width));

  if (colorSpace === 'gray') {
    const g = rows[0];
    for (let y = 0; y < height; y++) {
      g.row(y);
      const src = g.src;
      const s = g.offset;
      let o = y * width * 3;
      for (let x = 0; x < width; x++, o += 3) {
        const v = src[s + x];
        dst[o] = v;
        dst[o + 1] = v;
        dst[o + 2] = v;
      }
    }
    return image;
  }

  const [c0, c1, c2] = rows;
  const convert = colorSpace === 'ycbcr' ? yccRow : rgbRow;
  for (let y = 0; y < height; y++) {
    c0.row(y);
    c1.row(y);
    c2.row(y);
    convert(dst, y * width * 3, width, c0.src, c0.offset, c1.src, c1.offset, c2.src, c2.offset);
  }
  return image;
}
