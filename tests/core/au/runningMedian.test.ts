import { describe, expect, it } from 'vitest';
import { HistogramRunningMedian } from '../../../src/core/au/runningMedian.ts';

// OpenFace's HOG histogram: 1000 bins over [-0.005, 1]; bin width 0.001005.
const hogMedian = (dims = 1): HistogramRunningMedian => new HistogramRunningMedian(dims, 1000, -0.005, 1);
const centre = (bin: number): number => -0.005 + bin * 0.001005 + 0.0005025;

/** OpenFace's UpdateRunningMedian, written naively (full rescans), to check the incremental version. */
class NaiveMedian {
  readonly hist: number[][];
  count = 0;
  median: number[];
  constructor(
    private dims: number,
    private bins: number,
    private min: number,
    private max: number,
  ) {
    this.hist = Array.from({ length: dims }, () => new Array<number>(bins).fill(0));
    this.median = new Array<number>(dims).fill(0);
  }
  update(d: number[], add: boolean): void {
    const len = this.max - this.min;
    if (add) {
      for (let i = 0; i < this.dims; i++) {
        let c = (d[i] - this.min) * (this.bins / len);
        if (c > this.bins - 1) c = this.bins - 1;
        if (c < 0) c = 0;
        this.hist[i][Math.trunc(c)]++;
      }
      this.count++;
    }
    if (this.count === 1) {
      this.median = d.slice();
      return;
    }
    const cutoff = Math.trunc((this.count + 1) / 2);
    for (let i = 0; i < this.dims; i++) {
      let cum = 0;
      for (let j = 0; j < this.bins; j++) {
        cum += this.hist[i][j];
        if (cum >= cutoff) {
          this.median[i] = this.min + j * (len / this.bins) + (0.5 * len) / this.bins;
          break;
        }
      }
    }
  }
}

describe('HistogramRunningMedian (OpenFace UpdateRunningMedian)', () => {
  it('takes the first added descriptor as the median itself, then histogram bin centres', () => {
    const m = hogMedian();
    m.update([0.3], true);
    expect(m.median[0]).toBe(0.3); // one sample: the descriptor, not a bin centre
    m.update([0.1], true);
    // two samples: cutoff (2 + 1) / 2 = 1, the first bin reaching it holds 0.1:
    // (0.1 + 0.005) / 0.001005 = 104.48 -> bin 104, centre 0.1000225
    expect(m.median[0]).toBeCloseTo(0.1000225, 12);
    expect(m.median[0]).toBeCloseTo(centre(104), 12);
    m.update([0.2], true);
    // three samples: cutoff 2; bins 104, 203 (0.2 -> 203.98), 303 (0.3 -> 303.48): bin 203
    expect(m.median[0]).toBeCloseTo(0.1995175, 12);
    m.update([0.25], true);
    // four samples: cutoff (4 + 1) / 2 = 2 still: bin 203 again (a '>' rule would give 0.25's bin 253)
    expect(m.median[0]).toBeCloseTo(centre(203), 12);
    m.update([0.9], true);
    // five: cutoff 3 -> 0.25's bin 253
    expect(m.median[0]).toBeCloseTo(centre(253), 12);
  });

  it('recomputes without adding when told not to add (a failed frame)', () => {
    const m = hogMedian();
    m.update([0.3], true);
    m.update([0.1], true);
    m.update([0.7], false);
    expect(m.count).toBe(2);
    expect(m.median[0]).toBeCloseTo(centre(104), 12);
  });

  it('before anything is added, sits at the centre of bin 0 (cutoff 0)', () => {
    const m = hogMedian(2);
    m.update([0.4, 0.6], false);
    expect(m.count).toBe(0);
    expect(m.median[0]).toBeCloseTo(-0.0044975, 12);
    const geom = new HistogramRunningMedian(1, 10000, -60, 60);
    geom.update([3], false);
    expect(geom.median[0]).toBeCloseTo(-59.994, 10);
  });

  it('with exactly one sample added, takes whatever descriptor the current call passes', () => {
    const m = hogMedian();
    m.update([0.3], true);
    m.update([0], false); // OpenFace: `if (hist_count == 1) median = descriptor`
    expect(m.median[0]).toBe(0);
  });

  it('caps values outside the range into the end bins', () => {
    const m = hogMedian();
    m.update([5], true);
    m.update([7], true);
    expect(m.median[0]).toBeCloseTo(centre(999), 12);
    const low = hogMedian();
    low.update([-1], true);
    low.update([-2], true);
    expect(low.median[0]).toBeCloseTo(centre(0), 12);
  });

  it('matches a naive full-rescan implementation on random sequences', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const [bins, min, max] of [
      [7, 0, 1],
      [50, -0.5, 2],
      [3, -1, 1],
    ] as const) {
      const dims = 6;
      const fast = new HistogramRunningMedian(dims, bins, min, max);
      const naive = new NaiveMedian(dims, bins, min, max);
      for (let step = 0; step < 400; step++) {
        // mostly in range, some outside, with clusters so that bins repeat
        const d = Array.from({ length: dims }, (_, i) => (i % 2 === 0 ? min - 0.3 + random() * (max - min + 0.6) : Math.round(random() * 4) / 4));
        const add = random() < 0.8;
        fast.update(d, add);
        naive.update(d, add);
        expect(Array.from(fast.median)).toEqual(naive.median);
      }
    }
  });

  it('keeps counting past 65535 samples in one bin', () => {
    const m = new HistogramRunningMedian(1, 4, 0, 1);
    for (let i = 0; i < 70000; i++) m.update([0.1], true);
    for (let i = 0; i < 69999; i++) m.update([0.9], true);
    expect(m.median[0]).toBe(0.125); // 70000 of 139999 in bin 0: cutoff 70000 reached there
    m.update([0.9], true);
    m.update([0.9], true);
    expect(m.median[0]).toBe(0.875); // 140001 samples, cutoff 70001: now in bin 3
  });
});
