/**
 * An 8-bit, 3-channel image in OpenCV's memory layout: rows top to bottom,
 * pixels interleaved as B, G, R. OpenFace works on exactly these bytes, so every
 * stage of the AU engine takes and returns this type.
 */
export interface BgrImage {
  readonly width: number;
  readonly height: number;
  /** length width * height * 3, B G R per pixel, no row padding */
  readonly data: Uint8Array;
}

export function createBgrImage(width: number, height: number): BgrImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** An 8-bit grayscale image, rows top to bottom, no row padding (what the CLNF tracker works on). */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** length width * height */
  readonly data: Uint8Array;
}

/**
 * OpenCV's cvtColor(BGR2GRAY) for 8-bit images (the data of a BgrImage) as
 * OpenCV 4.x computes it (its bit-exact 15-bit fixed point): Y = (3735 B +
 * 19235 G + 9798 R + 16384) >> 15, bit-identical to what OpenFace 2.2 tracks
 * on (checked pixel for pixel against OpenCV 4.6's cvtColor; the older
 * 14-bit weights 1868/9617/4899 that OpenCV 2/3 used differ by one level on
 * about 1 pixel in 25000).
 */
export function bgrToGray(bgr: Uint8Array, width: number, height: number, out: Uint8Array = new Uint8Array(width * height)): Uint8Array {
  const count = width * height;
  let done = 0;
  // whole blocks of 16 pixels in WebAssembly SIMD when available (the same
  // integers: ~4x faster on a video frame, copies included), the rest here
  const kernel = count >= 1024 ? grayKernel() : null;
  if (kernel) done = kernel.convert(bgr, count >> 4, out);
  for (let i = done, j = 3 * done; i < count; i++, j += 3) out[i] = (bgr[j] * 3735 + bgr[j + 1] * 19235 + bgr[j + 2] * 9798 + 16384) >> 15;
  return out;
}

/**
 * bgrToGray's WebAssembly SIMD kernel: gray(blocks, dst) converts `blocks`
 * x 16 BGR pixels at address 0 into gray bytes at address dst. Per block:
 * the B, G and R bytes are gathered from the three 16-byte loads with
 * swizzles, widened to 16 and 32 bits, and Y = (3735 B + 19235 G + 9798 R +
 * 16384) >> 15 is computed in 32-bit integers (at most 8372224, so nothing
 * overflows and the narrowing back to bytes never saturates): exactly the
 * integers of the loop above.
 */
interface GrayKernel {
  /** converts blocks x 16 pixels of bgr into out; returns the pixels done */
  convert(bgr: Uint8Array, blocks: number, out: Uint8Array): number;
}

let grayKernelInstance: GrayKernel | null | undefined;

function grayKernel(): GrayKernel | null {
  if (grayKernelInstance !== undefined) return grayKernelInstance;
  grayKernelInstance = null;
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = grayModule();
    if (!WebAssembly.validate(bytes)) return null;
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as { memory: WebAssembly.Memory; gray(blocks: number, dst: number): void };
    let view = new Uint8Array(exports.memory.buffer);
    grayKernelInstance = {
      convert(bgr, blocks, out) {
        const srcBytes = blocks * 48, need = srcBytes + blocks * 16;
        if (view.length < need) {
          exports.memory.grow(Math.ceil((need - view.length) / 65536));
          view = new Uint8Array(exports.memory.buffer);
        }
        view.set(bgr.subarray(0, srcBytes), 0);
        exports.gray(blocks, srcBytes);
        out.set(view.subarray(srcBytes, need));
        return blocks * 16;
      },
    };
  } catch {
    grayKernelInstance = null;
  }
  return grayKernelInstance;
}

function grayModule(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number): number[] => {
    const b: number[] = [];
    do {
      let x = n & 0x7f;
      n >>>= 7;
      if (n !== 0) x |= 0x80;
      b.push(x);
    } while (n !== 0);
    return b;
  };
  const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
  const get = (l: number): number[] => [0x20, l];
  const set = (l: number): number[] => [0x21, l];
  const v128 = (bytes: number[]): number[] => simd(0x0c, ...bytes);
  const i16x8 = (v: number): number[] => v128(Array.from({ length: 16 }, (_, i) => (i & 1 ? v >> 8 : v) & 255));
  const i32x4 = (v: number): number[] => v128(Array.from({ length: 16 }, (_, i) => (v >> (8 * (i & 3))) & 255));
  /** swizzle mask taking byte 3i + channel of the 48 from the vector that starts at byte `from` (others 0) */
  const mask = (channel: number, from: number): number[] => v128(Array.from({ length: 16 }, (_, i) => {
    const k = 3 * i + channel - from;
    return k >= 0 && k < 16 ? k : 0xff;
  }));
  const LOAD = 0x00, STORE = 0x0b, SWIZZLE = 0x0e, OR = 0x50;
  const EXTEND_LOW_U = 0x89, EXTEND_HIGH_U = 0x8a, EXTMUL_LOW_U = 0xbe, EXTMUL_HIGH_U = 0xbf;
  const I32X4_ADD = 0xae, I32X4_SHR_U = 0xad, NARROW_I32_U = 0x86, NARROW_I16_U = 0x66;
  // params: blocks 0, dst 1; i32 locals: s 2, end 3; v128 locals: v0..v2 4-6, channels 7-9, wide 10-12, quarters 13-14, halves 15-16
  const code: number[] = [];
  const emit = (...b: number[]): void => {
    code.push(...b);
  };
  emit(...get(0), 0x41, 48, 0x6c /* i32.mul */, ...set(3));
  emit(0x02, 0x40, 0x03, 0x40); // block loop
  emit(...get(2), ...get(3), 0x4e /* i32.ge_s */, 0x0d, 1);
  for (let k = 0; k < 3; k++) emit(...get(2), ...simd(LOAD, 0, 16 * k), ...set(4 + k));
  for (let c = 0; c < 3; c++) {
    emit(...get(4), ...mask(c, 0), ...simd(SWIZZLE));
    emit(...get(5), ...mask(c, 16), ...simd(SWIZZLE), ...simd(OR));
    emit(...get(6), ...mask(c, 32), ...simd(SWIZZLE), ...simd(OR), ...set(7 + c));
  }
  const weights = [3735, 19235, 9798];
  for (const [h, extend] of [[0, EXTEND_LOW_U], [1, EXTEND_HIGH_U]] as const) {
    for (let c = 0; c < 3; c++) emit(...get(7 + c), ...simd(extend), ...set(10 + c));
    for (const [q, extmul] of [[0, EXTMUL_LOW_U], [1, EXTMUL_HIGH_U]] as const) {
      emit(...i32x4(16384));
      for (let c = 0; c < 3; c++) emit(...get(10 + c), ...i16x8(weights[c]), ...simd(extmul), ...simd(I32X4_ADD));
      emit(0x41, 15, ...simd(I32X4_SHR_U), ...set(13 + q));
    }
    emit(...get(13), ...get(14), ...simd(NARROW_I32_U), ...set(15 + h));
  }
  emit(...get(1), ...get(15), ...get(16), ...simd(NARROW_I16_U), ...simd(STORE, 0, 0));
  emit(...get(2), 0x41, 48, 0x6a /* i32.add */, ...set(2));
  emit(...get(1), 0x41, 16, 0x6a, ...set(1));
  emit(0x0c, 0, 0x0b, 0x0b); // br 0, end, end
  const body = [2, ...uleb(2), 0x7f, ...uleb(13), 0x7b, ...code, 0x0b];
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = (t: string): number[] => [...uleb(t.length), ...Array.from(t, (ch) => ch.charCodeAt(0))];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('gray'), 0, 0, ...name('memory'), 2, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}
