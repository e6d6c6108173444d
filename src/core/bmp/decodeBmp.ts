import { SplitFaceError } from '../errors.ts';
import type { BgrImage } from '../image.ts';

/*
 * Uncompressed Windows BMP to the BGR bytes cv::imread(path, IMREAD_COLOR)
 * gives (how OpenFace reads an image folder): the stored samples as they
 * are. 24-bit pixels are already BGR; 32-bit ones drop their fourth byte;
 * 1/4/8-bit ones look up their palette (B, G, R, reserved). Rows are stored
 * bottom-up unless the height is negative, each padded to 4 bytes.
 * Not decoded here (BmpUnsupportedError): run-length (RLE) compression,
 * 16-bit pixels and bit-field layouts, which the command line decodes.
 */

/** Not a BMP file OpenCV would read. */
export class BmpFormatError extends SplitFaceError {}

/** A valid BMP using a layout this decoder does not handle. */
export class BmpUnsupportedError extends SplitFaceError {}

interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly topDown: boolean;
  readonly bitsPerPixel: number;
  readonly compression: number;
  readonly dataOffset: number;
  /** where the palette starts and the bytes per entry (4, or 3 in OS/2 files) */
  readonly paletteOffset: number;
  readonly paletteEntrySize: number;
  readonly paletteEntries: number;
}

export function isBmp(data: Uint8Array): boolean {
  return data.length >= 26 && data[0] === 0x42 && data[1] === 0x4d;
}

function readHeader(data: Uint8Array): BmpHeader {
  if (!isBmp(data)) throw new BmpFormatError('not a BMP file (no "BM" signature)');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let signedHeight: number;
  let bitsPerPixel: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    signedHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else if (headerSize >= 40 && data.length >= 14 + 40) {
    width = view.getInt32(18, true);
    signedHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
  } else throw new BmpFormatError(`unknown BMP header size ${headerSize}`);
  const height = Math.abs(signedHeight);
  if (!(width > 0) || !(height > 0)) throw new BmpFormatError(`the BMP is ${width}x${signedHeight} pixels`);
  const paletteEntrySize = headerSize === 12 ? 3 : 4;
  const paletteEntries = bitsPerPixel <= 8 ? Math.min(colorsUsed || 1 << bitsPerPixel, 1 << bitsPerPixel) : 0;
  return { width, height, topDown: signedHeight < 0, bitsPerPixel, compression, dataOffset, paletteOffset: 14 + headerSize, paletteEntrySize, paletteEntries };
}

/** The image's size from its header alone. */
export function readBmpSize(data: Uint8Array): { width: number; height: number } {
  const { width, height } = readHeader(data);
  return { width, height };
}

/** Decodes an uncompressed 1/4/8/24/32-bit BMP into OpenCV's BGR bytes. */
export function decodeBmpBgr(data: Uint8Array): BgrImage {
  const h = readHeader(data);
  const { width, height, bitsPerPixel } = h;
  // BI_RGB = 0; BI_BITFIELDS (3) with 32 bits is the usual 8-8-8 layout only when its masks say so, so it is not assumed
  if (h.compression !== 0) throw new BmpUnsupportedError(`compressed BMP (compression ${h.compression}: RLE or bit fields)`);
  if (![1, 4, 8, 24, 32].includes(bitsPerPixel)) throw new BmpUnsupportedError(`${bitsPerPixel}-bit BMP`);
  const stride = Math.floor((width * bitsPerPixel + 31) / 32) * 4;
  if (h.dataOffset + stride * height > data.length) throw new BmpFormatError('the BMP file ends before its last row');
  if (h.paletteEntries > 0 && h.paletteOffset + h.paletteEntries * h.paletteEntrySize > data.length) throw new BmpFormatError('the BMP palette is cut short');
  const out: BgrImage = { width, height, data: new Uint8Array(width * height * 3) };
  const bgr = out.data;
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    if (bitsPerPixel >= 24) {
      const step = bitsPerPixel >> 3;
      for (let x = 0, i = row; x < width; x++, i += step, o += 3) {
        bgr[o] = data[i]!;
        bgr[o + 1] = data[i + 1]!;
        bgr[o + 2] = data[i + 2]!;
      }
    } else {
      const mask = (1 << bitsPerPixel) - 1;
      for (let x = 0; x < width; x++, o += 3) {
        const bit = x * bitsPerPixel;
        const index = (data[row + (bit >> 3)]! >> (8 - bitsPerPixel - (bit & 7))) & mask;
        // an index past the palette reads as black
        if (index >= h.paletteEntries) continue;
        const p = h.paletteOffset + index * h.paletteEntrySize;
        bgr[o] = data[p]!;
        bgr[o + 1] = data[p + 1]!;
        bgr[o + 2] = data[p + 2]!;
      }
    }
  }
  return out;
}
