/** What the results view shows of a video's rows: per-AU summaries and face 0's intensity curves. */
import type { AuColumns, FrameResult } from '../result.ts';

export interface AuSummaryRow {
  readonly name: string;
  /** mean intensity over face 0's tracked frames; null for presence-only AUs or no tracked frame */
  readonly meanIntensity: number | null;
  /** share of face 0's tracked frames with the AU present, 0..1; null for intensity-only AUs or no tracked frame */
  readonly presentShare: number | null;
}

export interface AuSeries {
  readonly timestamps: Float64Array;
  /** one series per intensity AU, in `auColumns.intensityNames` order; NaN where the frame was not tracked */
  readonly intensities: Float32Array[];
}

/** A typed array grown by doubling (no per-value objects). */
class Growing<T extends Float64Array | Float32Array> {
  private data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * The summary and the chart's series, fed one row at a time (the rows of a
 * long video are streamed, never all held): `add` every row in CSV order,
 * then `summary()` and `series()`. The series keeps one timestamp and one
 * float per intensity AU for each of face 0's frames.
 */
export class AuSummaryAccumulator {
  private readonly names: string[];
  private readonly intensityIndex: number[];
  private readonly presenceIndex: number[];
  private readonly sums: Float64Array;
  private readonly present: Float64Array;
  private tracked = 0;
  private readonly timestamps = new Growing((n) => new Float64Array(n));
  private readonly intensities: Growing<Float32Array>[];

  constructor(aus: AuColumns) {
    this.names = [...aus.intensityNames, ...aus.presenceNames.filter((n) => !aus.intensityNames.includes(n))];
    this.intensityIndex = this.names.map((name) => aus.intensityNames.indexOf(name));
    this.presenceIndex = this.names.map((name) => aus.presenceNames.indexOf(name));
    this.sums = new Float64Array(this.names.length);
    this.present = new Float64Array(this.names.length);
    this.intensities = aus.intensityNames.map(() => new Growing((n) => new Float32Array(n)));
  }

  add(row: FrameResult): void {
    if (row.faceId !== 0) return;
    this.timestamps.push(row.timestamp);
    this.intensities.forEach((series, i) => series.push(row.success && row.auIntensity ? row.auIntensity[i] : Number.NaN));
    if (!row.success) return;
    this.tracked++;
    for (let k = 0; k < this.names.length; k++) {
      const i = this.intensityIndex[k];
      const p = this.presenceIndex[k];
      if (i >= 0 && row.auIntensity) this.sums[k] += row.auIntensity[i];
      if (p >= 0 && row.auPresence && row.auPresence[p] > 0.5) this.present[k]++;
    }
  }

  /** Mean intensity and share present per AU (union of intensity and presence names, intensity order first). */
  summary(): AuSummaryRow[] {
    const n = this.tracked;
    return this.names.map((name, k) => ({
      name,
      meanIntensity: this.intensityIndex[k] >= 0 && n > 0 ? this.sums[k] / n : null,
      presentShare: this.presenceIndex[k] >= 0 && n > 0 ? this.present[k] / n : null,
    }));
  }

  /** Face 0's intensities over time, for charts. */
  series(): AuSeries {
    return { timestamps: this.timestamps.done(), intensities: this.intensities.map((s) => s.done()) };
  }
}

function accumulate(rows: readonly FrameResult[], aus: AuColumns): AuSummaryAccumulator {
  const accumulator = new AuSummaryAccumulator(aus);
  for (const row of rows) accumulator.add(row);
  return accumulator;
}

/** Mean intensity and share present per AU (union of intensity and presence names, intensity order first). */
export function summarizeAus(rows: readonly FrameResult[], aus: AuColumns): AuSummaryRow[] {
  return accumulate(rows, aus).summary();
}

/** Face 0's intensities over time, for charts. */
export function auIntensitySeries(rows: readonly FrameResult[], aus: AuColumns): AuSeries {
  return accumulate(rows, aus).series();
}
