import { describe, expect, it } from 'vitest';
import { CausalMidlineSmoother, smoothMidlineEnds } from '../../../src/core/mirror/midlineSmoothing.ts';

describe('midline smoothing', () => {
  it('centred: a steadily moving line is not delayed; the causal smoother lags behind it', () => {
    const frames = 30;
    const ends = new Float64Array(frames * 4);
    for (let f = 0; f < frames; f++) ends.set([100 + 2 * f, 50, 100 + 2 * f, 250], f * 4);
    const smoothed = smoothMidlineEnds(ends);
    for (let f = 5; f < frames - 5; f++) expect(smoothed[f * 4]).toBeCloseTo(100 + 2 * f, 9);
    const causal = new CausalMidlineSmoother(0.5);
    let last: Float64Array | null = null;
    for (let f = 0; f < frames; f++) last = causal.next([100 + 2 * f, 50], [100 + 2 * f, 250]);
    expect(100 + 2 * (frames - 1) - last![0]).toBeGreaterThan(1.5);
  });

  it('removes jitter and leaves frames without a face without a line', () => {
    const ends = new Float64Array(40 * 4);
    for (let f = 0; f < 40; f++) ends.set([200 + (f % 2 ? 1 : -1), 50, 200, 250], f * 4);
    ends.fill(Number.NaN, 20 * 4, 21 * 4);
    const smoothed = smoothMidlineEnds(ends);
    expect(Number.isNaN(smoothed[20 * 4])).toBe(true);
    for (const f of [10, 30]) expect(Math.abs(smoothed[f * 4] - 200)).toBeLessThan(0.3);
  });
});
