import { unzlibSync } from 'fflate';
import { SplitFaceError } from '../errors.ts';
import type { BgrImage } from '../image.ts';

/*
 * PNG to the BGR bytes OpenCV's cv::imread(path, IMREAD_COLOR) gives, which
 * is how OpenFace reads an image folder. PNG is lossless, so there is one
 * right answer per sample; what imread adds on top is fixed: alpha (and a
 * tRNS transparency) is dropped, not blended; grey is copied to B, G and R;
 * palettes are looked up; 1/2/4-bit grey is stretched to 0..255
 * (libpng's expand: v * 255 / (2^depth - 1)); 16-bit samples keep their high
 * byte (libpng's strip_16, which OpenCV asks for without IMREAD_ANYDEPTH);
 * gamma and colour chunks are ignored. Interlaced (Adam7) files are decoded.
 * Chunk CRCs are checked, as libpng does for the chunks that matter.
 */

/** The bytes are not a PNG file libpng would decode. */
export class PngFormatError extends SplitFaceError {}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Adam7 passes: first column and row, column and row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Samples per pixel by colour type: 0 grey, 2 RGB, 3 palette index, 4 grey + alpha, 6 RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

let crcTable: Uint32Array | null = null;

function crc32(data: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

export function isPng(data: Uint8Array): boolean {
  return data.length >= 8 && SIGNATURE.every((b, i) => data[i] === b);
}

function readHeader(data: Uint8Array): PngHeader {
  if (!isPng(data)) throw new PngFormatError('not a PNG file (no PNG signature)');
  if (data.length < 33 || u32(data, 8) !== 13 || String.fromCharCode(...data.subarray(12, 16)) !== 'IHDR') throw new PngFormatError('the PNG header (IHDR) is missing');
  const width = u32(data, 16);
  const height = u32(data, 20);
  const [bitDepth, colorType, compression, filter, interlace] = [data[24]!, data[25]!, data[26]!, data[27]!, data[28]!];
  if (width === 0 || height === 0) throw new PngFormatError(`the PNG is ${width}x${height} pixels`);
  if (!DEPTHS[colorType]?.includes(bitDepth)) throw new PngFormatError(`invalid PNG colour type ${colorType} with bit depth ${bitDepth}`);
  if (compression !== 0 || filter !== 0 || interlace > 1) throw new PngFormatError('unknown PNG compression, filter or interlace method');
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** The image's size from its header alone. */
export function readPngSize(data: Uint8Array): { width: number; height: number } {
  const { width, height } = readHeader(data);
  return { width, height };
}

/** Undoes the per-row filters of one (sub)image in place; `rows` of `rowBytes` each, each led by its filter byte. */
function unfilter(raw: Uint8Array, at: number, rows: number, rowBytes: number, bpp: number, out: Uint8Array): number {
  let prev = -1; // offset of the previous unfiltered row in `out`, -1 for the first
  for (let r = 0; r < rows; r++) {
    const filter = raw[at]!;
    const src = at + 1;
    const dst = r * rowBytes;
    if (src + rowBytes > raw.length) throw new PngFormatError('the PNG image data ends early');
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[src + i]!;
      const left = i >= bpp ? out[dst + i - bpp]! : 0;
      const up = prev >= 0 ? out[prev + i]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + left;
          break;
        case 2:
          v = x + up;
          break;
        case 3:
          v = x + ((left + up) >> 1);
          break;
        case 4: {
          const upLeft = i >= bpp && prev >= 0 ? out[prev + i - bpp]! : 0;
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          v = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          throw new PngFormatError(`unknown PNG row filter ${filter}`);
      }
      out[dst + i] = v & 0xff;
    }
    prev = dst;
    at += rowBytes + 1;
  }
  return at;
}

/** Sample `index` of a row at `depth` bits per sample, as 0..255 (grey stretched, palette index kept, 16-bit high byte). */
function sample(row: Uint8Array, rowStart: number, index: number, depth: number, stretch: boolean): number {
  if (depth === 8) return row[rowStart + index]!;
  if (depth === 16) return row[rowStart + 2 * index]!;
  const bit = index * depth;
  const v = (row[rowStart + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  return stretch ? (v * 255) / ((1 << depth) - 1) : v;
}

/**
 * Decodes a PNG into OpenCV's BGR bytes (see the top of this file).
 * Throws PngFormatError on anything libpng would reject.
 */
export function decodePngBgr(data: Uint8Array): BgrImage {
  const header = readHeader(data);
  const { width, height, bitDepth, colorType } = header;
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | null = null;
  let at = 8;
  let ended = false;
  while (at + 12 <= data.length) {
    const length = u32(data, at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    const end = at + 8 + length;
    if (end + 4 > data.length) throw new PngFormatError(`the PNG ends inside its ${type} chunk`);
    const critical = (data[at + 4]! & 0x20) === 0;
    if (critical && crc32(data, at + 4, end) !== u32(data, end)) throw new PngFormatError(`the PNG's ${type} chunk is damaged (CRC mismatch)`);
    if (type === 'PLTE') palette = data.subarray(at + 8, end);
    else if (type === 'IDAT') idat.push(data.subarray(at + 8, end));
    else if (type === 'IEND') {
      ended = true;
      break;
    } else if (critical && type !== 'IHDR') throw new PngFormatError(`unknown critical PNG chunk ${type}`);
    at = end + 4;
  }
  if (idat.length === 0) throw new PngFormatError('the PNG has no image data (IDAT)');
  if (colorType === 3 && !palette) throw new PngFormatError('the PNG has a palette image but no palette (PLTE)');
  let compressed: Uint8Array;
  if (idat.length === 1) compressed = idat[0]!;
  else {
    compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of idat) {
      compressed.set(c, o);
      o += c.length;
    }
  }
  let raw: Uint8Array;
  try {
    raw = unzlibSync(compressed);
  } catch (error) {
    throw new PngFormatError(`the PNG's image data cannot be decompressed (${(error as Error).message})${ended ? '' : '; the file looks truncated'}`);
  }

  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const out: BgrImage = { width, height, data: new Uint8Array(width * height * 3) };
  const bgr = out.data;
  const paletteEntries = palette ? palette.length / 3 : 0;
  const stretchGrey = colorType === 0;

  /** Writes one unfiltered row of a (sub)image whose pixel i lands at column x0 + i * dx of row y. */
  const emitRow = (row: Uint8Array, rowStart: number, pixels: number, y: number, x0: number, dx: number) => {
    for (let i = 0; i < pixels; i++) {
      const o = (y * width + x0 + i * dx) * 3;
      if (colorType === 2 || colorType === 6) {
        bgr[o] = sample(row, rowStart, i * channels + 2, bitDepth, false);
        bgr[o + 1] = sample(row, rowStart, i * channels + 1, bitDepth, false);
        bgr[o + 2] = sample(row, rowStart, i * channels, bitDepth, false);
      } else if (colorType === 3) {
        const index = sample(row, rowStart, i, bitDepth, false);
        // libpng fills indices past the palette's end with black
        const p = index < paletteEntries ? index * 3 : -1;
        bgr[o] = p >= 0 ? palette![p + 2]! : 0;
        bgr[o + 1] = p >= 0 ? palette![p + 1]! : 0;
        bgr[o + 2] = p >= 0 ? palette![p]! : 0;
      } else {
        const g = sample(row, rowStart, i * channels, bitDepth, stretchGrey);
        bgr[o] = g;
        bgr[o + 1] = g;
        bgr[o + 2] = g;
      }
    }
  };

  let pos = 0;
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    const rows = new Uint8Array(rowBytes * ph);
    pos = unfilter(raw, pos, ph, rowBytes, bpp, rows);
    for (let r = 0; r < ph; r++) emitRow(rows, r * rowBytes, pw, y0 + r * dy, x0, dx);
  }
  return out;
}
