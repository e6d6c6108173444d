import { describe, expect, it } from 'vitest';
import { getQuadrangleSubPix } from '../../../src/core/clnf/areaOfInterest.ts';
import { bgrToGray } from '../../../src/core/image.ts';
import { WasmKernels } from '../../../src/core/clnf/wasmKernels.ts';
import { rng } from './synthetic.ts';

const W = 12, H = 10;
const img = Uint8Array.from({ length: W * H }, (_, i) => (i * 37) % 251);
const at = (x: number, y: number) => img[y * W + x];

describe('getQuadrangleSubPix (OpenCV 8u → 32f)', () => {
  it('copies pixels for an identity map centred on a pixel', () => {
    const out = new Float64Array(5 * 3);
    getQuadrangleSubPix(img, W, H, 1, 0, 6, 0, 1, 4, out, 5, 3);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) expect(out[y * 5 + x]).toBe(at(4 + x, 3 + y));
  });

  it('interpolates bilinearly between pixels', () => {
    const out = new Float64Array(1);
    getQuadrangleSubPix(img, W, H, 1, 0, 5.5, 0, 1, 4.25, out, 1, 1);
    const expected = 0.5 * 0.75 * at(5, 4) + 0.5 * 0.75 * at(6, 4) + 0.5 * 0.25 * at(5, 5) + 0.5 * 0.25 * at(6, 5);
    expect(out[0]).toBeCloseTo(expected, 4);
  });

  it('rotates: destination x runs along the source y axis for a 90° map', () => {
    const out = new Float64Array(3 * 3);
    // [[0, -1], [1, 0]]: dst (x, y) samples src (cx - (y - 1), cy + (x - 1))
    getQuadrangleSubPix(img, W, H, 0, -1, 5, 1, 0, 5, out, 3, 3);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(out[y * 3 + x]).toBe(at(5 - (y - 1), 5 + (x - 1)));
  });

  it('replicates the border outside the image', () => {
    const out = new Float64Array(3);
    getQuadrangleSubPix(img, W, H, 1, 0, -5, 0, 1, 0, out, 3, 1);
    for (const v of out) expect(v).toBe(at(0, 0));
  });
});

describe('getQuadrangleSubPix in WebAssembly', () => {
  const wasm = WasmKernels.create();
  it.skipIf(!wasm)('matches the TypeScript version bit for bit, inside the image and across its borders', () => {
    const random = rng(9);
    const w = 40, h = 30;
    const image = { data: Uint8Array.from({ length: w * h }, () => Math.floor(random() * 256)), width: w, height: h };
    wasm!.useImage(image);
    for (let trial = 0; trial < 200; trial++) {
      const angle = (random() - 0.5) * 2, scale = 0.5 + random() * 2;
      const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
      const cx = -5 + random() * (w + 10), cy = -5 + random() * (h + 10);
      const size = 3 + Math.floor(random() * 20);
      const a = new Float64Array(size * size), b = new Float64Array(size * size);
      getQuadrangleSubPix(image.data, w, h, c, -s, cx, s, c, cy, a, size, size);
      wasm!.quad(w, h, c, -s, cx, s, c, cy, b, size, size);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });
});

describe('bgrToGray', () => {
  it('is OpenCV 4.x fixed point: (3735 B + 19235 G + 9798 R + 16384) >> 15', () => {
    const bgr = Uint8Array.of(255, 255, 255, 0, 0, 255, 10, 200, 30, 1, 2, 3, 0, 27, 49, 86, 8, 0);
    // 10·3735 + 200·19235 + 30·9798 + 16384 = 4194674 → 128; the last two are
    // pixels of al_pacino frame 10 where the old 14-bit weights give 30 and 15
    expect(Array.from(bgrToGray(bgr, 6, 1))).toEqual([255, 76, 128, 2, 31, 14]);
  });

  it('gives the same bytes in its vectorised path (frames of 1024 pixels and more) as the formula', () => {
    // every combination of 32 levels per channel (the extremes included), then random pixels; odd sizes leave a tail
    const levels = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 100, 126, 127, 128, 129, 150, 191, 192, 200, 223, 224, 239, 240, 247, 248, 251, 252, 253, 254, 255];
    const random = rng(27);
    const count = 32 * 32 * 32 + 70001;
    const bgr = new Uint8Array(3 * count);
    let p = 0;
    for (const b of levels) for (const g of levels) for (const r of levels) bgr.set([b, g, r], 3 * p++);
    for (; p < count; p++) bgr.set([Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)], 3 * p);
    const gray = bgrToGray(bgr, count, 1);
    let mismatches = 0;
    for (let i = 0; i < count; i++) if (gray[i] !== (bgr[3 * i] * 3735 + bgr[3 * i + 1] * 19235 + bgr[3 * i + 2] * 9798 + 16384) >> 15) mismatches++;
    expect(mismatches).toBe(0);
  });
});
