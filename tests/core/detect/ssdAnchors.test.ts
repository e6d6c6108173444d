import { describe, expect, it } from 'vitest';
import { generateSsdAnchors } from '../../../src/core/detect/ssdAnchors.ts';
import { BLAZEFACE_BACK, BLAZEFACE_SHORT_RANGE } from '../../../src/core/detect/blazeface.ts';

describe('generateSsdAnchors', () => {
  it('builds the 896 short-range anchors: 16x16 cells x 2, then 8x8 cells x 6', () => {
    const a = generateSsdAnchors(BLAZEFACE_SHORT_RANGE.anchors);
    expect(a.count).toBe(896);
    // stride 8: cell (0,0) centre 0.5/16; both anchors of a cell share it
    expect([a.xCenter[0], a.yCenter[0], a.xCenter[1], a.yCenter[1]]).toEqual([0.03125, 0.03125, 0.03125, 0.03125]);
    // anchor 2 is cell (x=1, y=0)
    expect([a.xCenter[2], a.yCenter[2]]).toEqual([0.09375, 0.03125]);
    expect([a.xCenter[511], a.yCenter[511]]).toEqual([0.96875, 0.96875]);
    // the three stride-16 layers merge into one 8x8 map with 6 anchors per cell
    expect([a.xCenter[512], a.yCenter[512], a.xCenter[517], a.xCenter[518]]).toEqual([0.0625, 0.0625, 0.0625, 0.1875]);
    expect([a.xCenter[895], a.yCenter[895]]).toEqual([0.9375, 0.9375]);
    // fixed anchor size
    expect(a.width.every((w) => w === 1) && a.height.every((h) => h === 1)).toBe(true);
  });

  it('builds the back model anchors on 256x256 with strides 16 and 32 (same 896 layout)', () => {
    const a = generateSsdAnchors(BLAZEFACE_BACK.anchors);
    expect(a.count).toBe(896);
    expect([a.xCenter[0], a.xCenter[512]]).toEqual([0.03125, 0.0625]);
  });

  it('computes scale and aspect-ratio sizes when anchors are not fixed', () => {
    // one layer: scale = (min + max) / 2 = 0.5; interpolated anchor sqrt(0.5 * 1)
    const a = generateSsdAnchors({
      inputWidth: 64, inputHeight: 64, minScale: 0.2, maxScale: 0.8, strides: [32], aspectRatios: [1, 2],
      anchorOffsetX: 0.5, anchorOffsetY: 0.5, interpolatedScaleAspectRatio: 1, reduceBoxesInLowestLayer: false, fixedAnchorSize: false,
    });
    expect(a.count).toBe(2 * 2 * 3);
    expect(a.width[0]).toBeCloseTo(0.5, 6);
    expect(a.height[0]).toBeCloseTo(0.5, 6);
    expect(a.width[1]).toBeCloseTo(0.5 * Math.SQRT2, 6);
    expect(a.height[1]).toBeCloseTo(0.5 / Math.SQRT2, 6);
    expect(a.width[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect([a.xCenter[3], a.yCenter[3]]).toEqual([0.75, 0.25]);
  });
});
