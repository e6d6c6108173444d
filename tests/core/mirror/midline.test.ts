import { describe, expect, it } from 'vitest';
import { fitMidline, lineThrough, signedDistance } from '../../../src/core/mirror/midline.ts';
import { LANDMARK_COUNT, MIDLINE_POINTS, SYMMETRIC_PAIRS } from '../../../src/core/mirror/faceLandmarks.ts';

/**
 * A synthetic face symmetric about x = 0 (midline points on it, each pair at
 * ±x), with small deterministic jitter, then rotated by `rollDegrees` about
 * (320, 240) + offset.
 */
function syntheticFace(rollDegrees: number, jitter = 0.3): Float64Array {
  const points = new Float64Array(2 * LANDMARK_COUNT);
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648 - 0.5) * 2 * jitter;
  };
  const put = (i: number, x: number, y: number) => {
    points[i] = x;
    points[i + LANDMARK_COUNT] = y;
  };
  MIDLINE_POINTS.forEach((i, k) => put(i, noise(), -60 + k * 14 + noise()));
  SYMMETRIC_PAIRS.forEach(([r, l], k) => {
    const x = 10 + (k % 5) * 9, y = -50 + k * 7;
    put(r, -x + noise(), y + noise());
    put(l, x + noise(), y + noise());
  });
  const a = (rollDegrees * Math.PI) / 180;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const x = points[i], y = points[i + LANDMARK_COUNT];
    points[i] = 320 + x * Math.cos(a) - y * Math.sin(a);
    points[i + LANDMARK_COUNT] = 240 + x * Math.sin(a) + y * Math.cos(a);
  }
  return points;
}

const angleOf = (dx: number, dy: number) => (Math.atan2(dx, dy) * 180) / Math.PI;

describe('fitMidline', () => {
  it('finds the symmetry axis of an upright face, directed brow to chin', () => {
    const fit = fitMidline(syntheticFace(0))!;
    expect(Math.abs(angleOf(fit.line.dx, fit.line.dy))).toBeLessThan(0.5);
    expect(fit.line.dy).toBeGreaterThan(0);
    expect(Math.abs(signedDistance(fit.line, 320, 240))).toBeLessThan(0.3);
  });

  for (const roll of [-25, 12, 40]) {
    it(`follows a head rolled ${roll} deg in the image plane`, () => {
      const fit = fitMidline(syntheticFace(roll))!;
      // rotating the face by +roll turns its downward axis (0, 1) to (-sin, cos): angle -roll
      expect(angleOf(fit.line.dx, fit.line.dy)).toBeCloseTo(-roll, 0);
      expect(Math.abs(signedDistance(fit.line, 320, 240))).toBeLessThan(0.5);
    });
  }

  it('one bad point (the chin 40 px off) does not move the line; the glabella-chin line swings', () => {
    const good = syntheticFace(8);
    const bad = good.slice();
    bad[8] += 40; // landmark 8's x
    const a = fitMidline(good)!, b = fitMidline(bad)!;
    expect(Math.abs(angleOf(a.line.dx, a.line.dy) - angleOf(b.line.dx, b.line.dy))).toBeLessThan(0.3);
    expect(Math.abs(signedDistance(a.line, b.line.x, b.line.y))).toBeLessThan(0.5);
    expect(b.inliers).toBe(b.pointCount - 1);
    // the desktop tool's line: glabella (mid 21/22) to chin 8
    const glabellaChin = (p: Float64Array) => lineThrough((p[21] + p[22]) / 2, (p[21 + 68] + p[22 + 68]) / 2, p[8], p[8 + 68])!;
    const g1 = glabellaChin(good), g2 = glabellaChin(bad);
    expect(Math.abs(angleOf(g1.dx, g1.dy) - angleOf(g2.dx, g2.dy))).toBeGreaterThan(5);
  });

  it('a frame with non-finite landmarks has no midline', () => {
    const face = syntheticFace(0);
    face[30] = Number.NaN;
    expect(fitMidline(face)).toBeNull();
  });
});
