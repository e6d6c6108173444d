import { describe, expect, it } from 'vitest';
import { cutoffOffset, postprocessIntensity, shiftAndClamp, smoothIntensity, smoothPresence } from '../../../src/core/au/postprocess.ts';

const all = (n: number): boolean[] => new Array<boolean>(n).fill(true);

describe('cutoffOffset', () => {
  it('takes the sorted tracked predictions at index (int)(n * cutoff)', () => {
    const values = [0.9, -0.2, 0.4, 0.1, 0.3];
    // sorted: -0.2, 0.1, 0.3, 0.4, 0.9
    expect(cutoffOffset(values, all(5), 0.5)).toBe(0.3); // index 2
    expect(cutoffOffset(values, all(5), 0.25)).toBe(0.1); // index 1.25 -> 1
    expect(cutoffOffset(values, all(5), 0)).toBe(-0.2);
    expect(cutoffOffset(values, all(5), 1)).toBe(0.9); // stays on the last element
  });

  it('ignores failed frames, and gives 0 without a cutoff or a tracked frame', () => {
    const values = [5, -0.2, 0.4, 0.1, 0.3];
    expect(cutoffOffset(values, [false, true, true, true, true], 0.5)).toBe(0.3); // -0.2, 0.1, 0.3, 0.4 -> index 2
    expect(cutoffOffset(values, all(5), null)).toBe(0);
    expect(cutoffOffset(values, all(5), -1)).toBe(0);
    expect(cutoffOffset(values, new Array<boolean>(5).fill(false), 0.5)).toBe(0);
  });
});

describe('shiftAndClamp / smoothing', () => {
  it('shifts tracked frames, clamps to [0, 5], zeroes failed frames', () => {
    const out = shiftAndClamp([1, 0.2, 7.5, 3, 2], [true, true, true, false, true], 0.5);
    expect(Array.from(out)).toEqual([0.5, 0, 5, 0, 1.5]);
  });

  it('averages each frame with its two neighbours, leaving the first and last', () => {
    expect(Array.from(smoothIntensity([3, 0, 0, 6, 3]))).toEqual([3, 1, 2, 3, 3]);
    expect(Array.from(smoothIntensity([2]))).toEqual([2]);
    expect(Array.from(smoothIntensity([]))).toEqual([]);
  });

  it('smooths presence over 7 frames with a 0.5 threshold, leaving three frames at each end', () => {
    const values = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1];
    // frame 3: frames 0..6 sum 4/7 -> 1; 4: 1..7 -> 4/7 -> 1; 5: 2..8 -> 3/7 -> 0; 6: 3..9 -> 3/7 -> 0
    expect(Array.from(smoothPresence(values))).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 0, 1]);
    expect(Array.from(smoothPresence([1, 0, 1]))).toEqual([1, 0, 1]);
    expect(Array.from(smoothPresence([0, 0, 0, 1, 0, 0, 0]))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('chains offset, clamp and smoothing for one AU', () => {
    const values = [0.5, 2.5, 0.25, 1.5, -1];
    const success = [true, true, true, true, false];
    // tracked sorted: 0.25, 0.5, 1.5, 2.5; cutoff 0.5 -> index 2 -> offset 1.5
    // shifted/clamped: 0, 1, 0, 0, 0 (failed) ; smoothed: 0, 1/3, 1/3, 0, 0
    const out = postprocessIntensity(values, success, 0.5);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(1 / 3, 15);
    expect(out[2]).toBeCloseTo(1 / 3, 15);
    expect(out[3]).toBe(0);
    expect(out[4]).toBe(0);
    // a static model (no cutoff): no shift, only clamp (6 -> 5) and smoothing
    expect(Array.from(postprocessIntensity([1, 2, 6, 3], all(4), null))).toEqual([1, (1 + 2 + 5) / 3, (2 + 5 + 3) / 3, 3]);
  });
});
