import { describe, expect, it } from 'vitest';
import { decodeSsdDetections } from '../../../src/core/detect/ssdDecode.ts';
import type { SsdAnchors } from '../../../src/core/detect/ssdAnchors.ts';

const options = { numKeypoints: 1, xScale: 128, yScale: 128, wScale: 128, hScale: 128, scoreClippingThresh: 100, minScoreThresh: 0.5, reverseOutputOrder: true };

function anchors(...centres: [number, number][]): SsdAnchors {
  return {
    count: centres.length,
    xCenter: Float32Array.from(centres.map((c) => c[0])),
    yCenter: Float32Array.from(centres.map((c) => c[1])),
    width: new Float32Array(centres.length).fill(1),
    height: new Float32Array(centres.length).fill(1),
  };
}

describe('decodeSsdDetections', () => {
  it('offsets box centre and keypoints from the anchor and scales sizes by 1/128', () => {
    // centre (0.25 + 12.8/128, 0.75 - 6.4/128) = (0.35, 0.70), size (0.2, 0.1)
    const boxes = Float32Array.from([12.8, -6.4, 25.6, 12.8, 6.4, 12.8]);
    const [d] = decodeSsdDetections(Float32Array.from([0]), boxes, anchors([0.25, 0.75]), options);
    expect(d.score).toBe(0.5);
    expect(d.xmin).toBeCloseTo(0.25, 6);
    expect(d.xmax).toBeCloseTo(0.45, 6);
    expect(d.ymin).toBeCloseTo(0.65, 6);
    expect(d.ymax).toBeCloseTo(0.75, 6);
    expect(d.keypoints[0]).toBeCloseTo(0.3, 6);
    expect(d.keypoints[1]).toBeCloseTo(0.85, 6);
  });

  it('reads y, x, h, w order when reverseOutputOrder is off', () => {
    const boxes = Float32Array.from([-6.4, 12.8, 12.8, 25.6, 12.8, 6.4]);
    const [d] = decodeSsdDetections(Float32Array.from([0]), boxes, anchors([0.25, 0.75]), { ...options, reverseOutputOrder: false });
    expect(d.xmin).toBeCloseTo(0.25, 6);
    expect(d.ymax).toBeCloseTo(0.75, 6);
    expect(d.keypoints[0]).toBeCloseTo(0.3, 6);
  });

  it('drops scores below the threshold (sigmoid(-1) = 0.269) and clips huge logits', () => {
    const boxes = new Float32Array(12);
    const out = decodeSsdDetections(Float32Array.from([-1, 1e6]), boxes, anchors([0.5, 0.5], [0.5, 0.5]), options);
    expect(out).toHaveLength(1);
    expect(out[0].score).toBeCloseTo(1 / (1 + Math.exp(-100)), 12);
  });

  it('rejects outputs whose size does not match the anchors', () => {
    expect(() => decodeSsdDetections(new Float32Array(2), new Float32Array(6), anchors([0.5, 0.5]), options)).toThrow(/1 anchors/);
  });
});
