/**
 * AU asymmetry between the two synthetic faces. Each face is symmetric, so
 * its AU intensities describe one side of the patient's face moving on both
 * sides; right minus left per frame is how much more the patient's right
 * side moves.
 *
 * Per AU: mean intensity per side and an asymmetry index (R - L) / (R + L)
 * of the means, in -1..1 (0 symmetric, +1 only the right side moves); an AU
 * that barely moves on either side (both means below 0.1) gets no index
 * (null), since a ratio of two noise floors says nothing.
 *
 * Per region (the regions of the clinical grading systems: Sunnybrook's
 * voluntary movements and eFACE's dynamic items), a symmetry index
 * 1 - sum|R - L| / sum(R + L) over the region's AUs and the frames, in
 * 0..1 (1 = both sides move alike, 0 = one side does not move at all), and
 * the signed version (R - L) / (R + L) of the same sums.
 */

export const AU_REGIONS: Readonly<Record<string, readonly string[]>> = {
  brow: ['AU01', 'AU02', 'AU04'],
  eye: ['AU05', 'AU06', 'AU07', 'AU45'],
  'mid-face': ['AU09', 'AU10'],
  mouth: ['AU12', 'AU14', 'AU15', 'AU17', 'AU20', 'AU23', 'AU25', 'AU26'],
};

/** both sides' means below this: the AU does not move enough for an index */
export const MOVING_THRESHOLD = 0.1;

export interface AuSideSummary {
  readonly right_mean: number;
  readonly left_mean: number;
  /** (R - L) / (R + L) of the means; null when the AU barely moves */
  readonly asymmetry_index: number | null;
}

export interface RegionSummary {
  readonly aus: readonly string[];
  /** 1 - sum|R - L| / sum(R + L), or null when nothing in the region moves */
  readonly symmetry_index: number | null;
  /** sum(R - L) / sum(R + L): positive when the right side moves more */
  readonly signed_asymmetry: number | null;
}

export interface AuAsymmetrySummary {
  readonly frames: number;
  readonly aus: Record<string, AuSideSummary>;
  readonly regions: Record<string, RegionSummary>;
}

/** Accumulates frames of both sides' AU intensities (same column order) into the summary. */
export class AuAsymmetryAccumulator {
  private readonly sumRight: Float64Array;
  private readonly sumLeft: Float64Array;
  private readonly sumAbsDiff: Float64Array;
  private frames = 0;

  constructor(private readonly names: readonly string[]) {
    this.sumRight = new Float64Array(names.length);
    this.sumLeft = new Float64Array(names.length);
    this.sumAbsDiff = new Float64Array(names.length);
  }

  add(right: ArrayLike<number>, left: ArrayLike<number>): void {
    for (let i = 0; i < this.names.length; i++) {
      this.sumRight[i] += right[i];
      this.sumLeft[i] += left[i];
      this.sumAbsDiff[i] += Math.abs(right[i] - left[i]);
    }
    this.frames++;
  }

  summary(): AuAsymmetrySummary {
    const n = Math.max(this.frames, 1);
    const aus: Record<string, AuSideSummary> = {};
    this.names.forEach((name, i) => {
      const r = this.sumRight[i] / n, l = this.sumLeft[i] / n;
      const moving = this.frames > 0 && Math.max(r, l) >= MOVING_THRESHOLD && r + l > 0;
      aus[name] = { right_mean: this.frames ? r : Number.NaN, left_mean: this.frames ? l : Number.NaN, asymmetry_index: moving ? (r - l) / (r + l) : null };
    });
    const regions: Record<string, RegionSummary> = {};
    for (const [region, members] of Object.entries(AU_REGIONS)) {
      let sum = 0, absDiff = 0, diff = 0;
      const present: string[] = [];
      for (const name of members) {
        const i = this.names.indexOf(name);
        if (i < 0) continue;
        present.push(name);
        if (Math.max(this.sumRight[i], this.sumLeft[i]) / n < MOVING_THRESHOLD) continue;
        sum += this.sumRight[i] + this.sumLeft[i];
        absDiff += this.sumAbsDiff[i];
        diff += this.sumRight[i] - this.sumLeft[i];
      }
      regions[region] = { aus: present, symmetry_index: sum > 0 ? 1 - absDiff / sum : null, signed_asymmetry: sum > 0 ? diff / sum : null };
    }
    return { frames: this.frames, aus, regions };
  }
}
