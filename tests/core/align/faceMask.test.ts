import { describe, expect, it } from 'vitest';
import { triangleMask } from '../../../src/core/align/faceMask.ts';
import { alignedFaceMask } from '../../../src/core/align/alignFace.ts';

describe('triangleMask', () => {
  it('keeps the pixels inside a triangle, edges and vertices included', () => {
    // right triangle (10,10) (50,10) (10,50): inside <=> x >= 10, y >= 10, x + y <= 60
    const mask = triangleMask([10, 50, 10], [10, 10, 50], Int32Array.of(0, 1, 2), 64, 64);
    let count = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const expected = x >= 10 && y >= 10 && x + y <= 60 ? 1 : 0;
        expect(mask[y * 64 + x], `pixel (${x}, ${y})`).toBe(expected);
        count += expected;
      }
    }
    expect(count).toBe((41 * 42) / 2);
    expect(mask[30 * 64 + 30]).toBe(1); // on the hypotenuse
    expect(mask[30 * 64 + 31]).toBe(0); // just past it
  });

  it('treats the mask as the union of the triangles (shared edges once)', () => {
    // a square split along its diagonal: every pixel of [5, 20] x [5, 20]
    const xs = [5, 20, 20, 5];
    const ys = [5, 5, 20, 20];
    const mask = triangleMask(xs, ys, Int32Array.of(0, 1, 2, 0, 2, 3), 32, 32);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) expect(mask[y * 32 + x]).toBe(x >= 5 && x <= 20 && y >= 5 && y <= 20 ? 1 : 0);
  });

  it('is empty away from the triangles and handles points off the grid', () => {
    const mask = triangleMask([-10, 200, -10], [-10, -10, 200], Int32Array.of(0, 1, 2), 16, 16);
    expect(mask.every((v) => v === 1)).toBe(true);
    const none = triangleMask([100, 120, 100], [100, 100, 120], Int32Array.of(0, 1, 2), 16, 16);
    expect(none.every((v) => v === 0)).toBe(true);
  });
});

describe('alignedFaceMask', () => {
  it('moves the landmarks with the warp and raises the jaw ends and eyebrows by 30 pixels', () => {
    // 68 points all at (0, 0) except 0, 8 and 16; triangle (0, 8, 16) is the only one
    const landmarks = new Float64Array(136);
    landmarks[0] = 10;
    landmarks[68] = 70;
    landmarks[8] = 30;
    landmarks[68 + 8] = 90;
    landmarks[16] = 50;
    landmarks[68 + 16] = 70;
    // warp: translate by (+1, -2)
    const mask = alignedFaceMask(landmarks, Float64Array.of(1, 0, 1, 0, 1, -2), Int32Array.of(0, 8, 16), 64, 100);
    // vertices land at (11, 38), (31, 88), (51, 38): points 0 and 16 moved up 30
    expect(mask[38 * 64 + 11]).toBe(1);
    expect(mask[38 * 64 + 51]).toBe(1);
    expect(mask[37 * 64 + 31]).toBe(0);
    expect(mask[88 * 64 + 31]).toBe(1);
    expect(mask[89 * 64 + 31]).toBe(0);
  });
});
