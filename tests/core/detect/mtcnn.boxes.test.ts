/**
 * MTCNN's box arithmetic on hand-made boxes: NMS (IoU and over the smaller
 * area, on boxes rounded to integers, ties to the later box), the
 * regression step, squaring, the CLNF-oriented correction and the widest
 * face; PNet's proposals from a heatmap; the pyramid's scales.
 */
import { describe, expect, it } from 'vitest';
import { applyRegression, clnfOrientedBox, nonMaximumSuppression, roundHalfEven, squareBox, toIntRect, widestIndex, type FloatBox } from '../../../src/core/detect/mtcnn/boxes.ts';
import { powInteger, proposalsFromHeatmap, pyramidLevels } from '../../../src/core/detect/mtcnn/pyramid.ts';

const f32 = Math.fround;
const box = (x: number, y: number, width: number, height: number): FloatBox => ({ x, y, width, height });

describe('MTCNN non-maximum suppression', () => {
  it('keeps the best box and drops those overlapping it by more than the threshold (IoU)', () => {
    // A and B: intersection 8x10 = 80, union 100 + 100 - 80 = 120, IoU 0.667; C is apart
    const boxes = [box(0, 0, 10, 10), box(2, 0, 10, 10), box(50, 50, 10, 10)];
    expect(nonMaximumSuppression(boxes, [0.9, 0.8, 0.7], 0.5, false)).toEqual([0, 2]);
    expect(nonMaximumSuppression(boxes, [0.9, 0.8, 0.7], 0.7, false)).toEqual([0, 1, 2]);
    // the kept order is by score, highest first
    expect(nonMaximumSuppression(boxes, [0.1, 0.8, 0.7], 0.5, false)).toEqual([1, 2]);
  });

  it('keeps a box whose overlap equals the threshold (strictly greater is removed)', () => {
    // intersection 5x10 = 50, union 150: IoU 1/3; over the smaller area: 0.5
    const boxes = [box(0, 0, 10, 10), box(5, 0, 10, 10)];
    expect(nonMaximumSuppression(boxes, [0.9, 0.8], 0.5, true)).toEqual([0, 1]);
    expect(nonMaximumSuppression(boxes, [0.9, 0.8], 0.49, true)).toEqual([0]);
  });

  it('over the smaller area removes a box inside a larger one that IoU keeps', () => {
    const boxes = [box(0, 0, 100, 100), box(10, 10, 20, 20)];
    expect(nonMaximumSuppression(boxes, [0.9, 0.95], 0.7, false)).toEqual([1, 0]);
    expect(nonMaximumSuppression(boxes, [0.9, 0.95], 0.7, true)).toEqual([1]);
  });

  it('measures overlap on boxes rounded to integers, halves to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
    expect(toIntRect(box(9.5, 10.5, 10.5, 9.5))).toEqual(box(10, 10, 10, 10));
    // in float, the second box overlaps the first by 5.5 of 10 columns (IoU 0.39);
    // rounded (x 4.5 -> 4, width 9.5 -> 10) it overlaps 6 of 10 (IoU 0.43)
    const boxes = [box(0, 0, 10, 10), box(4.5, 0, 9.5, 10)];
    expect(nonMaximumSuppression(boxes, [0.9, 0.8], 0.4, false)).toEqual([0]);
    expect(nonMaximumSuppression([box(0, 0, 10, 10), box(4.6, 0, 9.4, 10)], [0.9, 0.8], 0.4, false)).toEqual([0, 1]);
  });

  it('among equal scores keeps the later box first', () => {
    const boxes = [box(0, 0, 10, 10), box(1, 0, 10, 10), box(40, 0, 10, 10)];
    expect(nonMaximumSuppression(boxes, [0.5, 0.5, 0.5], 0.5, false)).toEqual([2, 1]);
  });

  it('keeps empty boxes (their overlap is 0/0) and handles no boxes', () => {
    expect(nonMaximumSuppression([box(0, 0, 0, 0), box(0, 0, 0, 0)], [0.9, 0.8], 0.5, false)).toEqual([0, 1]);
    expect(nonMaximumSuppression([], [], 0.5, false)).toEqual([]);
  });
});

describe('MTCNN box corrections', () => {
  it('applies the regression to the box rounded to integers', () => {
    // rounded: x 10, y 21, w 30 (30.5 to even), h 40
    const r = applyRegression(box(10.4, 20.6, 30.5, 40.2), { dx: 0.1, dy: -0.2, dw: 0.05, dh: 0.1 }, false);
    expect(r.x).toBe(f32(10 + f32(f32(0.1) * 30)));
    expect(r.x).toBeCloseTo(13, 5);
    expect(r.y).toBeCloseTo(13, 5);
    expect(r.width).toBeCloseTo(41.5 - 13, 5);
    expect(r.height).toBeCloseTo(65 - 13, 5);
  });

  it('with addOne, on a rectangle one pixel wider and taller', () => {
    const r = applyRegression(box(10, 21, 30, 40), { dx: 0.1, dy: -0.2, dw: 0.05, dh: 0.1 }, true);
    expect(r.x).toBeCloseTo(13.1, 5);
    expect(r.y).toBeCloseTo(12.8, 5);
    expect(r.x + r.width).toBeCloseTo(42.55, 4);
    expect(r.y + r.height).toBeCloseTo(66.1, 4);
    for (const v of [r.x, r.y, r.width, r.height]) expect(v).toBe(f32(v));
  });

  it('squares a box around its centre and truncates toward zero', () => {
    expect(squareBox(box(10.7, 20.2, 30.9, 40.5))).toEqual(box(5, 20, 40, 40));
    expect(squareBox(box(-3.4, -1.9, 20.6, 10.2))).toEqual(box(-3, -7, 20, 20));
  });

  it('makes the final box CLNF-shaped: x - 0.0075 w, y + 0.2459 h, w * 1.0323, h * 0.7751', () => {
    const b = clnfOrientedBox(box(100, 200, 50, 80));
    expect(b).toEqual(box(f32(99.625), f32(219.672), f32(51.615), f32(62.008)));
  });

  it('chooses the widest face, the first on ties', () => {
    expect(widestIndex([])).toBe(-1);
    expect(widestIndex([box(0, 0, 10, 50), box(0, 0, 30, 5), box(0, 0, 30, 90), box(0, 0, 20, 20)])).toBe(1);
  });
});

describe('MTCNN pyramid and PNet proposals', () => {
  it('computes 0.709^n correctly rounded (checked with exact integer arithmetic)', () => {
    const base = 0.709;
    // base = m * 2^-53 exactly (0.5 <= base < 1)
    const m = BigInt(base * 2 ** 53);
    for (let n = 0; n <= 20; n++) {
      const exact = m ** BigInt(n); // value = exact * 2^(-53 n)
      const bits = exact.toString(2).length;
      const shift = BigInt(Math.max(0, bits - 53));
      let mantissa = exact >> shift;
      const rest = exact - (mantissa << shift);
      const half = shift > 0n ? 1n << (shift - 1n) : 0n;
      if (shift > 0n && (rest > half || (rest === half && (mantissa & 1n) === 1n))) mantissa += 1n;
      const rounded = Number(mantissa) * 2 ** (Number(shift) - 53 * n);
      expect(powInteger(base, n)).toBe(rounded);
    }
  });

  it('stops the pyramid before the shorter side falls below a 12-pixel window', () => {
    for (const [w, h] of [[640, 480], [1440, 1080], [321, 239], [1080, 1920], [60, 60]]) {
      const levels = pyramidLevels(w, h, 60);
      expect(levels[0].scale).toBe(0.2);
      const shorter = Math.min(w, h);
      expect(levels.length).toBe(Math.floor(Math.log(60 / shorter) / Math.log(0.709)) + 1);
      for (const l of levels) {
        expect(l.width).toBe(Math.ceil(w * l.scale));
        expect(l.height).toBe(Math.ceil(h * l.scale));
        expect(Math.min(l.width, l.height)).toBeGreaterThanOrEqual(12);
      }
    }
  });

  it('turns heatmap cells at or above the threshold into frame boxes, column by column', () => {
    // 3 wide, 2 high; cells (x, y): (0,1) 0.6, (1,0) 0.9, (2,1) 0.59
    const heat = new Float32Array([0.1, 0.9, 0.2, 0.6, 0.3, 0.59]);
    const reg = [0, 1, 2, 3].map((k) => new Float32Array(6).map((_, i) => k + i / 10)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const p = proposalsFromHeatmap(heat, reg, 3, 2, 0.5, 0.6);
    // scale 0.5: x from (2x + 1) / 0.5 to (2x + 12) / 0.5
    expect(p.boxes).toEqual([box(2, 6, 22, 22), box(6, 2, 22, 22)]);
    expect(p.scores).toEqual([f32(0.6), f32(0.9)]);
    expect(p.regressions[1]).toEqual({ dx: f32(0.1), dy: f32(1.1), dw: f32(2.1), dh: f32(3.1) });
  });

  it('truncates the box edges computed with the scale as a float', () => {
    const scale = 0.1418; // float32(0.1418) is a little below 0.1418
    const p = proposalsFromHeatmap(new Float32Array([1]), [new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1)], 1, 1, scale, 0.6);
    expect(p.boxes[0]).toEqual(box(Math.trunc(f32(1 / f32(scale))), Math.trunc(f32(1 / f32(scale))), Math.trunc(f32(12 / f32(scale))) - 7, Math.trunc(f32(12 / f32(scale))) - 7));
    expect(p.boxes[0].x).toBe(7);
  });
});
