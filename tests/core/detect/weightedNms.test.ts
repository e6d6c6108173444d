import { describe, expect, it } from 'vitest';
import { intersectionOverUnion, weightedNonMaxSuppression } from '../../../src/core/detect/weightedNms.ts';
import type { SsdDetection } from '../../../src/core/detect/ssdDecode.ts';

function det(score: number, xmin: number, ymin: number, xmax: number, ymax: number, kx = xmin, ky = ymin): SsdDetection {
  return { score, xmin, ymin, xmax, ymax, keypoints: Float32Array.from([kx, ky]) };
}

describe('weightedNonMaxSuppression', () => {
  it('IoU of unit boxes shifted by 0.1 is 0.9 / 1.1', () => {
    expect(intersectionOverUnion(det(1, 0, 0, 1, 1), det(1, 0.1, 0, 1.1, 1))).toBeCloseTo(0.9 / 1.1, 12);
    expect(intersectionOverUnion(det(1, 0, 0, 1, 1), det(1, 1, 0, 2, 1))).toBe(0);
  });

  it('blends an overlapping cluster by score, keeps its best score, and leaves a separate face alone', () => {
    const a = det(0.9, 0, 0, 1, 1, 0.5, 0.5);
    const b = det(0.6, 0.1, 0, 1.1, 1, 0.6, 0.5);
    const c = det(0.8, 2, 2, 3, 3, 2.5, 2.5);
    const out = weightedNonMaxSuppression([b, c, a], 0.3);
    expect(out).toHaveLength(2);
    // xmin = (0 * 0.9 + 0.1 * 0.6) / 1.5 = 0.04; xmax = (1 * 0.9 + 1.1 * 0.6) / 1.5 = 1.04
    expect(out[0].score).toBe(0.9);
    expect(out[0].xmin).toBeCloseTo(0.04, 12);
    expect(out[0].xmax).toBeCloseTo(1.04, 12);
    expect(out[0].ymin).toBeCloseTo(0, 12);
    expect(out[0].ymax).toBeCloseTo(1, 12);
    // keypoint x = (0.5 * 0.9 + 0.6 * 0.6) / 1.5 = 0.54
    expect(out[0].keypoints[0]).toBeCloseTo(0.54, 6);
    expect(out[1].score).toBe(0.8);
    expect(out[1].xmax).toBeCloseTo(3, 12);
  });

  it('does not merge boxes whose IoU is at or below the threshold', () => {
    // IoU of [0,1] and [0.5,1.5] (full height) = 0.5 / 1.5 = 1/3
    const out = weightedNonMaxSuppression([det(0.9, 0, 0, 1, 1), det(0.7, 0.5, 0, 1.5, 1)], 0.34);
    expect(out.map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(weightedNonMaxSuppression([det(0.9, 0, 0, 1, 1), det(0.7, 0.5, 0, 1.5, 1)], 0.33)).toHaveLength(1);
  });

  it('returns nothing for no candidates', () => {
    expect(weightedNonMaxSuppression([], 0.3)).toEqual([]);
  });
});
