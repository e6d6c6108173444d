import { describe, expect, it } from 'vitest';
import { warpAreaOfInterest } from '../../../src/core/clnf/areaOfInterest.ts';
import { bgrToGray } from '../../../src/core/image.ts';
import { rng } from './synthetic.ts';

/** A w x h ramp-and-noise 8-bit image. */
function image(w: number, h: number, seed = 3): Uint8Array {
  const random = rng(seed);
  return Uint8Array.from({ length: w * h }, (_, i) => (((i % w) * 7 + Math.floor(i / w) * 3 + Math.floor(random() * 40)) & 0xff));
}

describe('area of interest (warpAffine, inverse map, bilinear, constant border 0)', () => {
  const w = 40, h = 30;
  const src = image(w, h);

  it('copies pixels for an integer translation', () => {
    const out = new Float64Array(5 * 4);
    warpAreaOfInterest(src, w, h, 1, 0, 10, 0, 1, 7, out, 5, 4);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) expect(out[y * 5 + x]).toBe(src[(7 + y) * w + 10 + x]);
  });

  it('interpolates on a 1/32-pixel grid: positions round to the nearest 32nd before the weights', () => {
    const out = new Float64Array(1);
    // x = 10.5 exactly: the average of two neighbours
    warpAreaOfInterest(src, w, h, 1, 0, 10.5, 0, 1, 5, out, 1, 1);
    expect(out[0]).toBe((src[5 * w + 10] + src[5 * w + 11]) / 2);
    // x = 10 + 0.01: rounds to 10 + 0/32, the pixel itself (getQuadrangleSubPix would interpolate)
    warpAreaOfInterest(src, w, h, 1, 0, 10.01, 0, 1, 5, out, 1, 1);
    expect(out[0]).toBe(src[5 * w + 10]);
    // x = 10 + 0.02: rounds to 10 + 1/32
    warpAreaOfInterest(src, w, h, 1, 0, 10.02, 0, 1, 5, out, 1, 1);
    expect(out[0]).toBe((src[5 * w + 10] * 31 + src[5 * w + 11]) / 32);
  });

  it('gives exact rational values for a rotated, scaled area', () => {
    const random = rng(11);
    for (let t = 0; t < 50; t++) {
      const s = 0.6 + random(), a = random() * 6;
      const c = Math.fround(s * Math.cos(a)), si = Math.fround(s * Math.sin(a));
      const out = new Float64Array(11 * 11);
      warpAreaOfInterest(src, w, h, c, -si, Math.fround(15 + random() * 5), si, c, Math.fround(10 + random() * 5), out, 11, 11);
      for (const v of out) {
        expect(v * 1024).toBe(Math.round(v * 1024));
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(255);
      }
    }
  });

  it('reads neighbours outside the image as 0', () => {
    const out = new Float64Array(3);
    // left of the image by half a pixel: half of the first column
    warpAreaOfInterest(src, w, h, 1, 0, -0.5, 0, 1, 2, out, 1, 1);
    expect(out[0]).toBe(src[2 * w] / 2);
    // entirely outside
    warpAreaOfInterest(src, w, h, 1, 0, -5, 0, 1, -5, out, 3, 1);
    expect(Array.from(out)).toEqual([0, 0, 0]);
    // on the last column: its right neighbour is outside
    warpAreaOfInterest(src, w, h, 1, 0, w - 1 + 0.25, 0, 1, 3, out, 1, 1);
    expect(out[0]).toBe(src[3 * w + w - 1] * 0.75);
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
