import { SplitFaceError } from '../errors.ts';
import type { BgrImage } from '../image.ts';
import { jpegYccToBgr, type JpegColorSpace, type JpegPlane, type JpegPlanes } from '../color/jpegYcc.ts';
import { idctIslow } from './idctIslow.ts';

/*
 * A JPEG decoder that gives the bytes OpenCV's cv::imread gives (OpenCV 4.6
 * on Debian 12, which decodes with the system libjpeg-turbo 2.1 at its
 * defaults: JDCT_ISLOW, fancy upsampling, no block smoothing needed for
 * complete progressive files). OpenFace reads image folders with imread, and
 * AU intensities move with one-level pixel differences, so "close" is not
 * enough: this reproduces libjpeg's entropy decoding (baseline, extended
 * sequential and progressive Huffman), its quantization-table latching, its
 * ISLOW IDCT and (in ../color/jpegYcc.ts) its upsampling and colour
 * conversion. Also like imread(path, IMREAD_UNCHANGED) as OpenFace calls it,
 * EXIF orientation is ignored.
 *
 * Not reproduced (JpegUnsupportedError; callers may fall back to a near
 * decoder): arithmetic coding, lossless and hierarchical JPEG, 12-bit
 * samples, CMYK/YCCK and 2-component files, DNL-defined heights,
 * fractional sampling ratios, and progressive files whose low-frequency AC
 * bands are incomplete (libjpeg would apply inter-block smoothing).
 * Corrupt data is handled as libjpeg does where it matters for otherwise
 * intact files: missing bits read as zeros, the rest of a restart interval
 * after running out of data stays zero (uniform grey), missing Huffman
 * tables 0/1 default to the standard ones (Motion-JPEG frames).
 */

/** The bytes are not a JPEG file libjpeg could decode either. */
export class JpegFormatError extends SplitFaceError {}

/** A valid JPEG using a feature this decoder does not reproduce byte for byte. */
export class JpegUnsupportedError extends SplitFaceError {}

/** jpeg_natural_order: zigzag index -> row-major index, with libjpeg's 16 extra entries that keep corrupt runs inside the block. */
const NATURAL_ORDER = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/** JPEG markers this decoder acts on (the byte after 0xFF). */
const M = {
  SOF0: 0xc0,
  SOF1: 0xc1,
  SOF2: 0xc2,
  DHT: 0xc4,
  JPG: 0xc8,
  DAC: 0xcc,
  RST0: 0xd0,
  RST7: 0xd7,
  SOI: 0xd8,
  EOI: 0xd9,
  SOS: 0xda,
  DQT: 0xdb,
  DNL: 0xdc,
  DRI: 0xdd,
  APP0: 0xe0,
  APP14: 0xee,
  APP15: 0xef,
  COM: 0xfe,
  TEM: 0x01,
} as const;

// ---------------------------------------------------------------- Huffman tables

const LOOKAHEAD = 9;

interface HuffTable {
  /** indexed by the next 9 bits: (code length << 8) | symbol, or 0 when the code is longer */
  readonly lookup: Uint16Array;
  /** largest code of each length (-1 if none); [17] is a sentinel that ends the search */
  readonly maxcode: Int32Array;
  /** symbol index = code + valoffset[length] */
  readonly valoffset: Int32Array;
  readonly values: Uint8Array;
}

/** jpeg_make_d_derived_tbl: canonical codes from the 16 length counts. */
function buildHuffTable(counts: Uint8Array, values: Uint8Array, isDc: boolean): HuffTable {
  const sizes: number[] = [];
  for (let l = 1; l <= 16; l++) for (let i = 0; i < counts[l - 1]; i++) sizes.push(l);
  const codes = new Int32Array(sizes.length);
  let code = 0;
  let si = sizes[0] ?? 1;
  for (let p = 0; p < sizes.length; ) {
    while (p < sizes.length && sizes[p] === si) codes[p++] = code++;
    if (code >= 1 << si) throw new JpegFormatError('bad Huffman table (code lengths overflow)');
    code <<= 1;
    si++;
  }
  const maxcode = new Int32Array(18).fill(-1);
  const valoffset = new Int32Array(18);
  let p = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1];
    if (n) {
      valoffset[l] = p - codes[p];
      p += n;
      maxcode[l] = codes[p - 1];
    }
  }
  maxcode[17] = 0xfffff;
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  for (let i = 0; i < sizes.length; i++) {
    const l = sizes[i];
    if (l > LOOKAHEAD) break;
    const shift = LOOKAHEAD - l;
    const first = codes[i] << shift;
    for (let k = 0; k < 1 << shift; k++) lookup[first + k] = (l << 8) | values[i];
  }
  // libjpeg rejects DC tables with symbols above 15 (a DC difference has at most 15 bits).
  if (isDc) for (let i = 0; i < sizes.length; i++) if (values[i] > 15) throw new JpegFormatError('bad Huffman table (DC symbol above 15)');
  return { lookup, maxcode, valoffset, values };
}

/** The Annex K.3 tables libjpeg-turbo (jstdhuff.c) and OpenCV substitute when a file has none. */
const STD_TABLES: { dc: [number[], number[]][]; ac: [number[], number[]][] } = {
  dc: [
    [[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
    [[0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
  ],
  ac: [
    [
      [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
      [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23,
        0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
        0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
        0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
      ],
    ],
    [
      [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
      [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1,
        0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92,
        0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9,
        0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
        0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
      ],
    ],
  ],
};

// ---------------------------------------------------------------- entropy-coded data reader

/**
 * Bit reader over an entropy-coded segment with libjpeg's rules
 * (jdhuff.c jpeg_fill_bit_buffer): FF 00 is a data byte FF, runs of FF before
 * a marker are padding, and at a marker (or the end of the file, where
 * libjpeg's data source inserts a fake EOI) the reader supplies zero bits.
 * Consuming such a made-up bit sets `insufficient`, after which libjpeg
 * leaves the remaining MCUs of the restart interval at zero.
 */
class BitReader {
  pos: number;
  /** the marker code that ended the data, 0 while data continues */
  marker = 0;
  /** where the marker that ended the data starts (its last FF byte) */
  markerPos = 0;
  insufficient = false;
  private acc = 0;
  private nbits = 0;
  /** how many of the low `nbits` buffered bits are made-up zeros */
  private fakeBits = 0;

  constructor(private readonly data: Uint8Array, pos: number) {
    this.pos = pos;
  }

  private nextByte(): number {
    return this.pos < this.data.length ? this.data[this.pos++] : -1;
  }

  /** Tops the buffer up to at least 25 bits. */
  private fill(): void {
    while (this.nbits <= 24) {
      let c = 0;
      if (this.marker === 0) {
        c = this.nextByte();
        if (c === 0xff) {
          do c = this.nextByte();
          while (c === 0xff);
          if (c === 0) c = 0xff;
          else {
            this.marker = c < 0 ? M.EOI : c;
            this.markerPos = c < 0 ? this.data.length : this.pos - 2;
            c = 0;
          }
        } else if (c < 0) {
          this.marker = M.EOI;
          this.markerPos = this.data.length;
          c = 0;
        }
        if (this.marker !== 0) this.fakeBits += 8;
      } else {
        this.fakeBits += 8;
      }
      this.acc = (this.acc << 8) | c;
      this.nbits += 8;
    }
  }

  private consume(n: number): void {
    this.nbits -= n;
    if (this.nbits < this.fakeBits) {
      this.insufficient = true;
      this.fakeBits = this.nbits;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.nbits < n) this.fill();
    this.consume(n);
    return (this.acc >>> this.nbits) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.nbits < 1) this.fill();
    this.consume(1);
    return (this.acc >>> this.nbits) & 1;
  }

  /** One Huffman symbol (jdhuff.c HUFF_DECODE / jpeg_huff_decode). */
  decode(t: HuffTable): number {
    if (this.nbits < 17) this.fill();
    const entry = t.lookup[(this.acc >>> (this.nbits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (entry !== 0) {
      this.consume(entry >> 8);
      return entry & 0xff;
    }
    let l = LOOKAHEAD + 1;
    let code = (this.acc >>> (this.nbits - l)) & ((1 << l) - 1);
    while (code > t.maxcode[l]) {
      l++;
      if (l > 16) break;
      code = (this.acc >>> (this.nbits - l)) & ((1 << l) - 1);
    }
    if (l > 16) {
      // libjpeg reads 17 bits of an invalid code and returns symbol 0 (with a warning).
      this.consume(17);
      return 0;
    }
    this.consume(l);
    return t.values[code + t.valoffset[l]];
  }

  /** Drops buffered bits at a restart boundary (process_restart); the byte position is already past them. */
  discardBits(): void {
    this.nbits = 0;
    this.fakeBits = 0;
  }
}

/** HUFF_EXTEND: an s-bit magnitude category value to a signed number. */
function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

// ---------------------------------------------------------------- frame state

interface Component {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  /** libjpeg's width_in_blocks / height_in_blocks: the blocks that hold image samples */
  readonly widthInBlocks: number;
  readonly heightInBlocks: number;
  /** allocated blocks per row (whole MCUs of an interleaved scan) */
  readonly blocksPerLine: number;
  /** coefficients, 64 per block in natural order; Int16 like libjpeg's JCOEF */
  readonly coefs: Int16Array;
  /** quantization table latched at the component's first scan (jdinput.c latch_quant_tables) */
  quant: Int16Array | null;
  /** per coefficient, the Al of the last progressive scan that coded it, -1 if none (cinfo->coef_bits) */
  readonly coefBits: Int8Array;
  pred: number;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly maxH: number;
  readonly maxV: number;
  readonly mcusPerLine: number;
  readonly mcuRows: number;
  readonly components: Component[];
}

interface DecoderState {
  readonly data: Uint8Array;
  frame: Frame | null;
  readonly quant: (Int16Array | null)[];
  readonly dc: (HuffTable | null)[];
  readonly ac: (HuffTable | null)[];
  restartInterval: number;
  sawJfif: boolean;
  adobeTransform: number | null;
  scans: number;
}

function u16(data: Uint8Array, pos: number): number {
  if (pos + 1 >= data.length) throw new JpegFormatError('the file ends inside a marker segment');
  return (data[pos] << 8) | data[pos + 1];
}

/** A marker segment's payload (after its 2-byte length). */
function segment(data: Uint8Array, pos: number): { body: Uint8Array; end: number } {
  const length = u16(data, pos);
  if (length < 2 || pos + length > data.length) throw new JpegFormatError('a marker segment runs past the end of the file');
  return { body: data.subarray(pos + 2, pos + length), end: pos + length };
}

function readDqt(state: DecoderState, body: Uint8Array): void {
  let p = 0;
  while (p < body.length) {
    const pq = body[p] >> 4;
    const tq = body[p] & 15;
    p++;
    if (tq > 3) throw new JpegFormatError(`bad quantization table number ${tq}`);
    const table = new Int16Array(64);
    for (let i = 0; i < 64; i++) {
      const value = pq ? (body[p] << 8) | body[p + 1] : body[p];
      p += pq ? 2 : 1;
      if (p > body.length) throw new JpegFormatError('quantization table segment too short');
      // Stored in zigzag order; the 16-bit value is truncated to Int16 as ISLOW_MULT_TYPE (short) does.
      table[NATURAL_ORDER[i]] = value;
    }
    state.quant[tq] = table;
  }
}

function readDht(state: DecoderState, body: Uint8Array): void {
  let p = 0;
  while (p < body.length) {
    const tc = body[p] >> 4;
    const th = body[p] & 15;
    p++;
    if (tc > 1 || th > 3) throw new JpegFormatError(`bad Huffman table id ${tc}/${th}`);
    const counts = body.subarray(p, p + 16);
    p += 16;
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i];
    if (counts.length < 16 || total > 256 || p + total > body.length) throw new JpegFormatError('bad Huffman table segment');
    const values = body.slice(p, p + total);
    p += total;
    (tc === 0 ? state.dc : state.ac)[th] = buildHuffTable(counts, values, tc === 0);
  }
}

function readSof(state: DecoderState, marker: number, body: Uint8Array): void {
  if (state.frame) throw new JpegFormatError('more than one frame header (SOF)');
  if (body.length < 6) throw new JpegFormatError('frame header too short');
  const precision = body[0];
  const height = (body[1] << 8) | body[2];
  const width = (body[3] << 8) | body[4];
  const nf = body[5];
  if (precision !== 8) throw new JpegUnsupportedError(`${precision}-bit samples (OpenCV's 8-bit libjpeg cannot read them either)`);
  if (height === 0) throw new JpegUnsupportedError('image height defined by a DNL marker');
  if (width === 0) throw new JpegFormatError('image width 0');
  if (nf < 1 || nf > 10 || body.length < 6 + nf * 3) throw new JpegFormatError(`bad component count ${nf}`);
  const raw: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < nf; i++) {
    const o = 6 + i * 3;
    const h = body[o + 1] >> 4;
    const v = body[o + 1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegFormatError(`bad sampling factors ${h}x${v}`);
    raw.push({ id: body[o], h, v, tq: body[o + 2] });
  }
  const maxH = Math.max(...raw.map((c) => c.h));
  const maxV = Math.max(...raw.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcuRows = Math.ceil(height / (8 * maxV));
  const components = raw.map((c): Component => {
    const blocksPerLine = mcusPerLine * c.h;
    return {
      ...c,
      widthInBlocks: Math.ceil((width * c.h) / (8 * maxH)),
      heightInBlocks: Math.ceil((height * c.v) / (8 * maxV)),
      blocksPerLine,
      coefs: new Int16Array(blocksPerLine * mcuRows * c.v * 64),
      quant: null,
      coefBits: new Int8Array(64).fill(-1),
      pred: 0,
    };
  });
  state.frame = { width, height, progressive: marker === M.SOF2, maxH, maxV, mcusPerLine, mcuRows, components };
}

// ---------------------------------------------------------------- scans

interface Scan {
  readonly components: Component[];
  readonly dc: (HuffTable | null)[];
  readonly ac: (HuffTable | null)[];
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
}

type BlockDecoder = (r: BitReader, c: Component, off: number, dc: HuffTable | null, ac: HuffTable | null, eob: { run: number }) => void;

/** Sequential Huffman (jdhuff.c decode_mcu): DC difference, then run/size coded AC terms. */
function makeSequentialDecoder(): BlockDecoder {
  return (r, c, off, dc, ac) => {
    const coefs = c.coefs;
    const s = r.decode(dc as HuffTable);
    const dcValue = c.pred + (s ? extend(r.bits(s), s) : 0);
    c.pred = dcValue;
    coefs[off] = dcValue;
    const act = ac as HuffTable;
    for (let k = 1; k < 64; k++) {
      const rs = r.decode(act);
      const run = rs >> 4;
      const size = rs & 15;
      if (size) {
        k += run;
        coefs[off + NATURAL_ORDER[k]] = extend(r.bits(size), size);
      } else {
        if (run !== 15) break;
        k += 15;
      }
    }
  };
}

/** jdphuff.c decode_mcu_DC_first / _DC_refine / _AC_first / _AC_refine. */
function makeProgressiveDecoder(scan: Scan): BlockDecoder {
  const { ss, se, ah, al } = scan;
  const p1 = 1 << al;
  const m1 = -1 << al;
  if (ss === 0) {
    if (ah === 0) {
      return (r, c, off, dc) => {
        const s = r.decode(dc as HuffTable);
        const value = c.pred + (s ? extend(r.bits(s), s) : 0);
        c.pred = value;
        c.coefs[off] = value * p1;
      };
    }
    return (r, c, off) => {
      if (r.bit()) c.coefs[off] |= p1;
    };
  }
  if (ah === 0) {
    return (r, c, off, _dc, ac, eob) => {
      if (eob.run > 0) {
        eob.run--;
        return;
      }
      const coefs = c.coefs;
      const act = ac as HuffTable;
      for (let k = ss; k <= se; k++) {
        const rs = r.decode(act);
        const run = rs >> 4;
        const size = rs & 15;
        if (size) {
          k += run;
          coefs[off + NATURAL_ORDER[k]] = extend(r.bits(size), size) * p1;
        } else if (run === 15) {
          k += 15;
        } else {
          eob.run = (1 << run) - 1;
          if (run) eob.run += r.bits(run);
          break;
        }
      }
    };
  }
  return (r, c, off, _dc, ac, eob) => {
    const coefs = c.coefs;
    const act = ac as HuffTable;
    // Correction bit for an already-nonzero coefficient: 1 means its magnitude grows by p1.
    const refine = (pos: number): void => {
      if (r.bit()) {
        const v = coefs[pos];
        if ((v & p1) === 0) coefs[pos] = v >= 0 ? v + p1 : v + m1;
      }
    };
    let k = ss;
    if (eob.run === 0) {
      for (; k <= se; k++) {
        const rs = r.decode(act);
        let run = rs >> 4;
        const size = rs & 15;
        let value = 0;
        if (size) {
          // size should be 1 (libjpeg warns otherwise and carries on)
          value = r.bit() ? p1 : m1;
        } else if (run !== 15) {
          eob.run = 1 << run;
          if (run) eob.run += r.bits(run);
          break;
        }
        // Skip already-nonzero coefficients (refining them) and `run` zero ones.
        do {
          const pos = off + NATURAL_ORDER[k];
          if (coefs[pos] !== 0) refine(pos);
          else if (--run < 0) break;
          k++;
        } while (k <= se);
        if (value) coefs[off + NATURAL_ORDER[k]] = value;
      }
    }
    if (eob.run > 0) {
      for (; k <= se; k++) {
        const pos = off + NATURAL_ORDER[k];
        if (coefs[pos] !== 0) refine(pos);
      }
      eob.run--;
    }
  };
}

function readSos(state: DecoderState, body: Uint8Array): Scan {
  const frame = state.frame;
  if (!frame) throw new JpegFormatError('scan before frame header');
  const ns = body[0];
  if (ns < 1 || ns > 4 || body.length < 4 + ns * 2) throw new JpegFormatError(`bad scan header (${ns} components)`);
  const components: Component[] = [];
  const dc: (HuffTable | null)[] = [];
  const ac: (HuffTable | null)[] = [];
  for (let i = 0; i < ns; i++) {
    const id = body[1 + i * 2];
    const tables = body[2 + i * 2];
    const c = frame.components.find((x) => x.id === id && !components.includes(x));
    if (!c) throw new JpegFormatError(`scan names unknown component ${id}`);
    if (tables >> 4 > 3 || (tables & 15) > 3) throw new JpegFormatError('bad Huffman table number in scan header');
    components.push(c);
    dc.push(state.dc[tables >> 4]);
    ac.push(state.ac[tables & 15]);
  }
  const o = 1 + ns * 2;
  const scan: Scan = { components, dc, ac, ss: body[o], se: body[o + 1], ah: body[o + 2] >> 4, al: body[o + 2] & 15 };
  if (ns > 1) {
    let blocks = 0;
    for (const c of components) blocks += c.h * c.v;
    if (blocks > 10) throw new JpegFormatError('too many blocks in an MCU');
  }
  if (frame.progressive) checkProgression(scan);
  return scan;
}

/** jdphuff.c start_pass_phuff_decoder: legal band parameters, and the coef_bits bookkeeping. */
function checkProgression(scan: Scan): void {
  const { ss, se, ah, al, components } = scan;
  const dcBand = ss === 0;
  let bad = dcBand ? se !== 0 : ss > se || se > 63 || components.length !== 1;
  if (ah !== 0 && al !== ah - 1) bad = true;
  if (al > 13) bad = true;
  if (bad) throw new JpegFormatError(`bad progressive scan parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`);
  for (const c of components) for (let k = ss; k <= se; k++) c.coefBits[k] = al;
}

function latchQuantTables(state: DecoderState, scan: Scan): void {
  for (const c of scan.components) {
    if (c.quant) continue;
    const q = state.quant[c.tq];
    if (!q) throw new JpegFormatError(`quantization table ${c.tq} is not defined`);
    c.quant = q.slice();
  }
}

/** Missing tables 0 and 1 become the standard ones when decoding starts (jstdhuff.c std_huff_tables). */
function defaultHuffTables(state: DecoderState): void {
  for (let i = 0; i < 2; i++) {
    const [dcCounts, dcValues] = STD_TABLES.dc[i];
    const [acCounts, acValues] = STD_TABLES.ac[i];
    state.dc[i] ??= buildHuffTable(Uint8Array.from(dcCounts), Uint8Array.from(dcValues), true);
    state.ac[i] ??= buildHuffTable(Uint8Array.from(acCounts), Uint8Array.from(acValues), false);
  }
}

/** Finds the next marker from `pos` the way libjpeg's next_marker does (skipping garbage and FF fill). Returns [code, position after it]. */
function nextMarker(data: Uint8Array, pos: number): [number, number] {
  let p = pos;
  for (;;) {
    while (p < data.length && data[p] !== 0xff) p++;
    while (p < data.length && data[p] === 0xff) p++;
    if (p >= data.length) return [M.EOI, data.length];
    const code = data[p++];
    if (code !== 0) return [code, p];
  }
}

/**
 * read_restart_marker / jpeg_resync_to_restart: expects RSTn with the right
 * n; for a damaged file, follows libjpeg's choice of skipping, accepting or
 * leaving the marker it finds.
 */
function readRestart(r: BitReader, data: Uint8Array, expected: number): void {
  let marker = r.marker;
  let pos = r.pos;
  if (marker === 0) [marker, pos] = nextMarker(data, pos);
  const desired = M.RST0 + expected;
  for (;;) {
    if (marker === desired) {
      r.pos = pos;
      r.marker = 0;
      return;
    }
    let action: 1 | 2 | 3;
    if (marker < M.SOF0) action = 2;
    else if (marker < M.RST0 || marker > M.RST7) action = 3;
    else if (marker === M.RST0 + ((expected + 1) & 7) || marker === M.RST0 + ((expected + 2) & 7)) action = 3;
    else if (marker === M.RST0 + ((expected - 1) & 7) || marker === M.RST0 + ((expected - 2) & 7)) action = 2;
    else action = 1;
    if (action === 1) {
      r.pos = pos;
      r.marker = 0;
      return;
    }
    if (action === 3) {
      // Leave the marker for later: the reader keeps supplying zero bits.
      r.pos = pos;
      r.marker = marker;
      r.markerPos = Math.max(pos - 2, 0);
      return;
    }
    [marker, pos] = nextMarker(data, pos);
  }
}

/** Decodes one scan's entropy-coded data starting at `pos`; returns where the following marker search starts. */
function decodeScan(state: DecoderState, scan: Scan, pos: number): number {
  const frame = state.frame as Frame;
  const data = state.data;
  const r = new BitReader(data, pos);
  const decodeBlock = frame.progressive ? makeProgressiveDecoder(scan) : makeSequentialDecoder();
  const needsDc = !frame.progressive || (scan.ss === 0 && scan.ah === 0);
  const needsAc = !frame.progressive || scan.ss !== 0;
  scan.components.forEach((c, i) => {
    if (needsDc && !scan.dc[i]) throw new JpegFormatError(`scan uses an undefined DC Huffman table (component ${c.id})`);
    if (needsAc && !scan.ac[i]) throw new JpegFormatError(`scan uses an undefined AC Huffman table (component ${c.id})`);
  });
  const eob = { run: 0 };
  const resetPredictions = (): void => {
    for (const c of scan.components) c.pred = 0;
    eob.run = 0;
  };
  resetPredictions();

  const single = scan.components.length === 1;
  const c0 = scan.components[0];
  const mcusPerLine = single ? c0.widthInBlocks : frame.mcusPerLine;
  const totalMcus = single ? c0.widthInBlocks * c0.heightInBlocks : frame.mcusPerLine * frame.mcuRows;
  const interval = state.restartInterval;
  let nextRestart = 0;
  // DC refinement does not look at the flag in libjpeg; with zero bits it changes nothing anyway.
  const skipWhenInsufficient = !(frame.progressive && scan.ss === 0 && scan.ah !== 0);

  for (let m = 0; m < totalMcus; m++) {
    if (interval && m > 0 && m % interval === 0) {
      // process_restart: drop leftover bits, read RSTn, reset DC predictions and EOB run.
      r.discardBits();
      readRestart(r, data, nextRestart);
      nextRestart = (nextRestart + 1) & 7;
      resetPredictions();
      if (r.marker === 0) r.insufficient = false;
    }
    if (r.insufficient && skipWhenInsufficient) continue;
    const my = Math.floor(m / mcusPerLine);
    const mx = m - my * mcusPerLine;
    if (single) {
      decodeBlock(r, c0, (my * c0.blocksPerLine + mx) * 64, scan.dc[0], scan.ac[0], eob);
      continue;
    }
    for (let i = 0; i < scan.components.length; i++) {
      const c = scan.components[i];
      for (let v = 0; v < c.v; v++) {
        const row = (my * c.v + v) * c.blocksPerLine + mx * c.h;
        for (let h = 0; h < c.h; h++) decodeBlock(r, c, (row + h) * 64, scan.dc[i], scan.ac[i], eob);
      }
    }
  }
  // The marker that ended the data (if the reader reached it) is where parsing resumes.
  return r.marker !== 0 ? r.markerPos : r.pos;
}

// ---------------------------------------------------------------- top level

function colorSpaceOf(state: DecoderState, frame: Frame): JpegColorSpace {
  const n = frame.components.length;
  if (n === 1) return 'gray';
  if (n !== 3) throw new JpegUnsupportedError(`${n}-component JPEG (${n === 4 ? 'CMYK/YCCK' : 'unknown colour space'})`);
  // jdapimin.c default_decompress_parms
  if (state.sawJfif) return 'ycbcr';
  if (state.adobeTransform !== null) return state.adobeTransform === 0 ? 'rgb' : 'ycbcr';
  const [a, b, c] = frame.components.map((x) => x.id);
  if (a === 82 && b === 71 && c === 66) return 'rgb';
  return 'ycbcr';
}

/** Image size from the frame header, without decoding. */
export function readJpegSize(data: Uint8Array): { width: number; height: number } {
  if (data[0] !== 0xff || data[1] !== M.SOI) throw new JpegFormatError('not a JPEG file (no SOI marker)');
  let pos = 2;
  for (;;) {
    const [marker, p] = nextMarker(data, pos);
    if (marker === M.EOI || marker === M.SOS) throw new JpegFormatError('no frame header before the image data');
    if (marker === M.TEM || (marker >= M.RST0 && marker <= M.RST7)) {
      pos = p;
      continue;
    }
    const { body, end } = segment(data, p);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== M.DHT && marker !== M.JPG && marker !== M.DAC) {
      if (body.length < 5) throw new JpegFormatError('frame header too short');
      return { width: (body[3] << 8) | body[4], height: (body[1] << 8) | body[2] };
    }
    pos = end;
  }
}

/** True when the bytes start like a JPEG file (what OpenCV's signature check looks at). */
export function isJpeg(data: Uint8Array): boolean {
  return data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/** Decodes a JPEG to libjpeg's component planes (after the IDCT, before upsampling). */
export function decodeJpegPlanes(data: Uint8Array): JpegPlanes {
  if (data[0] !== 0xff || data[1] !== M.SOI) throw new JpegFormatError('not a JPEG file (no SOI marker)');
  const state: DecoderState = {
    data,
    frame: null,
    quant: [null, null, null, null],
    dc: [null, null, null, null],
    ac: [null, null, null, null],
    restartInterval: 0,
    sawJfif: false,
    adobeTransform: null,
    scans: 0,
  };
  let pos = 2;
  for (;;) {
    const [marker, p] = nextMarker(data, pos);
    if (marker === M.EOI) break;
    if (marker === M.TEM || (marker >= M.RST0 && marker <= M.RST7)) {
      pos = p;
      continue;
    }
    const { body, end } = segment(data, p);
    pos = end;
    switch (marker) {
      case M.SOF0:
      case M.SOF1:
      case M.SOF2:
        readSof(state, marker, body);
        break;
      case M.DHT:
        readDht(state, body);
        break;
      case M.DQT:
        readDqt(state, body);
        break;
      case M.DRI:
        if (body.length < 2) throw new JpegFormatError('bad DRI segment');
        state.restartInterval = (body[0] << 8) | body[1];
        break;
      case M.SOS: {
        // libjpeg fills in missing standard tables when decoding starts, i.e. at the first scan.
        if (state.scans === 0) defaultHuffTables(state);
        const scan = readSos(state, body);
        latchQuantTables(state, scan);
        state.scans++;
        pos = decodeScan(state, scan, end);
        break;
      }
      case M.APP0:
        // examine_app0: at least 14 bytes starting "JFIF\0"
        if (body.length >= 14 && body[0] === 0x4a && body[1] === 0x46 && body[2] === 0x49 && body[3] === 0x46 && body[4] === 0) state.sawJfif = true;
        break;
      case M.APP14:
        // examine_app14: at least 12 bytes starting "Adobe"; the transform flag is byte 11
        if (body.length >= 12 && body[0] === 0x41 && body[1] === 0x64 && body[2] === 0x6f && body[3] === 0x62 && body[4] === 0x65) state.adobeTransform = body[11];
        break;
      case M.DNL:
      case M.COM:
        break;
      default:
        if (marker >= M.APP0 && marker <= M.APP15) break;
        if (marker >= 0xc3 && marker <= 0xcf && marker !== M.DHT && marker !== M.JPG && marker !== M.DAC) {
          throw new JpegUnsupportedError(marker >= 0xc9 ? 'arithmetic-coded JPEG' : `JPEG process SOF${marker - 0xc0} (lossless or hierarchical)`);
        }
        if (marker === M.DAC) throw new JpegUnsupportedError('arithmetic-coded JPEG');
        throw new JpegFormatError(`unexpected marker 0x${marker.toString(16)}`);
    }
  }
  const frame = state.frame;
  if (!frame) throw new JpegFormatError('no frame header');
  if (state.scans === 0) throw new JpegFormatError('no image data (no scan)');
  const colorSpace = colorSpaceOf(state, frame);
  if (frame.progressive) checkNoBlockSmoothing(frame);
  return { width: frame.width, height: frame.height, colorSpace, planes: frame.components.map((c) => componentPlane(frame, c)) };
}

/**
 * jdcoefct.c smoothing_ok: with every coefficient fully decoded libjpeg does
 * no block smoothing; when a low-frequency AC band (coefficients 1..9) was
 * never sent or never fully refined it would, and we do not reproduce that.
 */
function checkNoBlockSmoothing(frame: Frame): void {
  let useful = false;
  for (const c of frame.components) {
    if (c.coefBits[0] < 0) return;
    for (let k = 1; k < 10; k++) if (c.coefBits[k] !== 0) useful = true;
  }
  if (useful) throw new JpegUnsupportedError('progressive JPEG with incomplete low-frequency scans (libjpeg smooths its blocks)');
}

function componentPlane(frame: Frame, c: Component): JpegPlane {
  if (frame.maxH % c.h !== 0 || frame.maxV % c.v !== 0) {
    throw new JpegUnsupportedError(`fractional sampling ratio ${frame.maxH}/${c.h} x ${frame.maxV}/${c.v}`);
  }
  const stride = c.widthInBlocks * 8;
  const data = new Uint8Array(stride * c.heightInBlocks * 8);
  // A component that no scan carried has no latched table: libjpeg's zeroed multiplier table gives flat 128.
  const quant = c.quant ?? new Int16Array(64);
  const ws = new Int32Array(64);
  for (let by = 0; by < c.heightInBlocks; by++) {
    for (let bx = 0; bx < c.widthInBlocks; bx++) {
      idctIslow(c.coefs, (by * c.blocksPerLine + bx) * 64, quant, data, by * 8 * stride + bx * 8, stride, ws);
    }
  }
  const xScale = frame.maxH / c.h;
  const yScale = frame.maxV / c.v;
  return { data, stride, width: Math.ceil(frame.width / xScale), height: Math.ceil(frame.height / yScale), xScale, yScale };
}

/** Decodes a JPEG file's bytes to the BGR image cv::imread returns for it. */
export function decodeJpegBgr(data: Uint8Array, out?: BgrImage): BgrImage {
  return jpegYccToBgr(decodeJpegPlanes(data), out);
}
