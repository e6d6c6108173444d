import { describe, expect, it } from 'vitest';
import { createBgrImage, type BgrImage } from '../../../src/core/image.ts';
import { cvRound, invertAffineLikeOpenCv, warpAffineBilinear } from '../../../src/core/align/warpAffine.ts';

/** A test image whose every byte is a different function of (x, y, channel). */
function patterned(width: number, height: number): BgrImage {
  const img = createBgrImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      img.data[o] = (x * 7 + y * 3) & 255;
      img.data[o + 1] = (x * 13 + y * 29 + 5) & 255;
      img.data[o + 2] = (x * x + y * 11) & 255;
    }
  }
  return img;
}

function px(img: BgrImage, x: number, y: number, k: number): number {
  return img.data[(y * img.width + x) * 3 + k];
}

function inside(img: BgrImage, x: number, y: number): boolean {
  return x >= 0 && y >= 0 && x < img.width && y < img.height;
}

describe('cvRound', () => {
  it('rounds half to even like SSE2 cvtsd2si', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5].map(cvRound)).toEqual([0, 2, 2, 4, -0, -2, -2, -4]);
    expect([2.4999999, 2.5000001, -7.2, 7.7].map(cvRound)).toEqual([2, 3, -7, 8]);
  });

  it('gives INT_MIN outside the int32 range and for NaN', () => {
    expect(cvRound(3e9)).toBe(-2147483648);
    expect(cvRound(Number.NaN)).toBe(-2147483648);
  });
});

describe('invertAffineLikeOpenCv', () => {
  it('inverts a similarity transform', () => {
    const c = Math.cos(0.3) * 1.7;
    const s = Math.sin(0.3) * 1.7;
    const m = [c, -s, 12, s, c, -4];
    const inv = invertAffineLikeOpenCv(m);
    // forward then inverse is the identity on a few points
    for (const [x, y] of [[0, 0], [10, 3], [-5, 40]]) {
      const u = m[0] * x + m[1] * y + m[2];
      const v = m[3] * x + m[4] * y + m[5];
      expect(inv[0] * u + inv[1] * v + inv[2]).toBeCloseTo(x, 12);
      expect(inv[3] * u + inv[4] * v + inv[5]).toBeCloseTo(y, 12);
    }
  });
});

describe('warpAffineBilinear', () => {
  const src = patterned(23, 17);

  it('returns the input for the identity (edge pixels included)', () => {
    const out = warpAffineBilinear(src, [1, 0, 0, 0, 1, 0], src.width, src.height);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
  });

  it('moves pixels by an integer translation and fills uncovered pixels with 0', () => {
    // forward map: dst = src + (-3, 2), so dst(x, y) = src(x + 3, y - 2)
    const out = warpAffineBilinear(src, [1, 0, -3, 0, 1, 2], 20, 20);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        for (let k = 0; k < 3; k++) {
          const expected = inside(src, x + 3, y - 2) ? px(src, x + 3, y - 2, k) : 0;
          expect(px(out, x, y, k)).toBe(expected);
        }
      }
    }
  });

  it('rotates by 90 degrees exactly', () => {
    // dst = (-y_s + 16, x_s + 1)  <=>  src = (y_d - 1, 16 - x_d)
    const out = warpAffineBilinear(src, [0, -1, 16, 1, 0, 1], 19, 26);
    for (let y = 0; y < 26; y++) {
      for (let x = 0; x < 19; x++) {
        const sx = y - 1;
        const sy = 16 - x;
        for (let k = 0; k < 3; k++) expect(px(out, x, y, k)).toBe(inside(src, sx, sy) ? px(src, sx, sy, k) : 0);
      }
    }
  });

  it('scales down by 2 by picking every second pixel', () => {
    const out = warpAffineBilinear(src, [0.5, 0, 0, 0, 0.5, 0], 11, 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 11; x++) for (let k = 0; k < 3; k++) expect(px(out, x, y, k)).toBe(px(src, 2 * x, 2 * y, k));
  });

  it('a half-pixel shift gives the average rounded up ((a + b + 1) >> 1), fading to 0 past the edge', () => {
    // dst(x) = src(x + 0.5): fraction 16/32, weights 16384 + 16384, (sum + 2^14) >> 15
    const out = warpAffineBilinear(src, [1, 0, -0.5, 0, 1, 0], src.width, src.height);
    for (let y = 0; y < src.height; y++) {
      for (let x = 0; x < src.width; x++) {
        for (let k = 0; k < 3; k++) {
          const a = px(src, x, y, k);
          const b = x + 1 < src.width ? px(src, x + 1, y, k) : 0; // border value 0 weighs in
          expect(px(out, x, y, k)).toBe((a + b + 1) >> 1);
        }
      }
    }
  });

  it('a quarter-pixel diagonal shift uses the 2^15-scaled weight table', () => {
    // fractions 8/32 in x and y: weights 24*24*32, 24*8*32, 8*24*32, 8*8*32
    const out = warpAffineBilinear(src, [1, 0, -0.25, 0, 1, -0.25], 10, 10);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        for (let k = 0; k < 3; k++) {
          const sum = px(src, x, y, k) * 18432 + px(src, x + 1, y, k) * 6144 + px(src, x, y + 1, k) * 6144 + px(src, x + 1, y + 1, k) * 2048;
          expect(px(out, x, y, k)).toBe((sum + 16384) >> 15);
        }
      }
    }
  });

  it('upscaling by 2 interpolates the odd pixels as rounded-up averages', () => {
    const out = warpAffineBilinear(src, [2, 0, 0, 0, 2, 0], 40, 30);
    for (let y = 0; y < 30; y += 2) {
      for (let x = 0; x < 40; x++) {
        const sx = x >> 1;
        for (let k = 0; k < 3; k++) {
          const expected = x % 2 === 0 ? px(src, sx, y / 2, k) : (px(src, sx, y / 2, k) + px(src, sx + 1, y / 2, k) + 1) >> 1;
          expect(px(out, x, y, k)).toBe(expected);
        }
      }
    }
  });

  it('quantises source positions to 1/32 pixel with OpenCV\'s rounding (round_delta, half to even)', () => {
    // A one-row ramp 0, 64, 128, 192 makes the fraction visible: value = 2 * fraction (in 1/32).
    const ramp = createBgrImage(4, 2);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) ramp.data.fill(x * 64, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const fractionAt = (shift: number): number => px(warpAffineBilinear(ramp, [1, 0, -shift, 0, 1, 0], 2, 1), 1, 0, 0) - 64;
    // X0 = cvRound(shift * 1024) + 16, fraction = (X0 >> 5) & 31
    expect(fractionAt(15 / 1024)).toBe(0); // 15 + 16 = 31 -> 0
    expect(fractionAt(16 / 1024)).toBe(2); // 32 -> 1/32, a value step of 2
    expect(fractionAt(15.5 / 1024)).toBe(2); // cvRound(15.5) = 16 (even)
    expect(fractionAt(47.4 / 1024)).toBe(2); // 47 + 16 = 63 -> 1
    expect(fractionAt(47.5 / 1024)).toBe(4); // cvRound(47.5) = 48 -> 64 -> 2
    // The two roundings combine: with inv = [1/2048, 0, 29/2048, ...] output x = 1 has
    // X0 = cvRound(14.5) + 16 = 30 and adelta = cvRound(0.5) = 0, so X = 30 >> 5 = 0:
    // fraction 0. Rounding halves up would give 31 + 1 = 32: fraction 1.
    const evenRounded = warpAffineBilinear(ramp, [2048, 0, -29, 0, 1, 0], 2, 1);
    expect(px(evenRounded, 1, 0, 0)).toBe(0);
  });

  it('fades a pixel whose neighbours are partly outside and zeroes one fully outside', () => {
    const flat = createBgrImage(4, 4);
    flat.data.fill(200);
    // shift by (-0.75, -0.75): the top-left output sees the source at (-0.75, -0.75)
    const out = warpAffineBilinear(flat, [1, 0, 0.75, 0, 1, 0.75], 6, 6);
    // the source position is (-1 + 8/32, -1 + 8/32): only the lower-right neighbour
    // (0, 0) is inside, with weight 8 * 8 * 32
    expect(px(out, 0, 0, 0)).toBe((200 * 2048 + 16384) >> 15);
    expect(px(out, 1, 1, 1)).toBe(200);
    // at (5, 5) the source is (4.25, 4.25): all neighbours outside
    expect(px(out, 5, 5, 2)).toBe(0);
  });
});
