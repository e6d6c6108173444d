/**
 * OpenFace's approximate running median (FaceAnalyser::UpdateRunningMedian):
 * one histogram of `numBins` equal bins over [minVal, maxVal] per descriptor
 * dimension. Reproduced exactly, including its edge cases:
 *
 * - bin of a value: (value - min) * numBins / (max - min), capped to
 *   [0, numBins - 1], truncated;
 * - after `count` added descriptors the median of a dimension is the centre
 *   of the first bin whose cumulative count reaches (count + 1) / 2
 *   (integer division; `>=`, as in the OpenFace version that produced the
 *   reference outputs);
 * - while exactly one descriptor has been added, the median is the
 *   descriptor passed to the *current* call (added or not) — so a failed
 *   frame arriving then sets the median to the failed frame's descriptor;
 * - before any descriptor has been added the cut-off is 0, which the first
 *   bin satisfies: every dimension sits at the centre of bin 0.
 *
 * OpenFace rescans all bins of all dimensions on every update (4464 x 1000
 * for HOG). Here each dimension keeps its median bin and the count below it,
 * and walks from there: one increment can move the median by at most one
 * occupied bin, so an update costs O(dims) instead of O(dims * bins), with
 * the same result.
 */
export class HistogramRunningMedian {
  /** the current median per dimension (valid after the first `update`) */
  readonly median: Float64Array;
  private histogram: Uint16Array | Uint32Array;
  private readonly medianBin: Int32Array;
  /** per dimension: how many values lie in bins below `medianBin` */
  private readonly below: Int32Array;
  private readonly centres: Float64Array;
  private readonly scale: number;
  private readonly shift: number;
  private added = 0;
  /** medianBin/below describe the histogram (only kept once count >= 2) */
  private tracking = false;

  constructor(
    readonly dims: number,
    readonly numBins: number,
    readonly minVal: number,
    readonly maxVal: number,
  ) {
    if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`running median: bad dimension count ${dims}`);
    if (!Number.isInteger(numBins) || numBins <= 0) throw new RangeError(`running median: bad bin count ${numBins}`);
    const length = Math.abs(maxVal - minVal);
    if (!(length > 0)) throw new RangeError(`running median: empty range [${minVal}, ${maxVal}]`);
    this.median = new Float64Array(dims);
    // Counts start as 16-bit (halves the 4464 x 1000 HOG histogram) and widen
    // to 32-bit when a bin would pass 65535 updates (about 73 minutes at 30 fps).
    this.histogram = new Uint16Array(dims * numBins);
    this.medianBin = new Int32Array(dims);
    this.below = new Int32Array(dims);
    // OpenCV folds `(descriptor - min) * bins / length` into one convertTo
    // with alpha = bins * (1 / length) and beta = (-min) * bins * (1 / length);
    // evaluating it the same way keeps values on bin edges in the same bin.
    const inverse = 1 / length;
    this.scale = numBins * inverse;
    this.shift = -minVal * numBins * inverse;
    // Bin centre exactly as OpenFace computes it.
    this.centres = new Float64Array(numBins);
    for (let j = 0; j < numBins; j++) this.centres[j] = minVal + j * (length / numBins) + (0.5 * length) / numBins;
  }

  /** How many descriptors have been added to the histogram. */
  get count(): number {
    return this.added;
  }

  /** The histogram bin a value falls in. */
  binOf(value: number): number {
    const converted = value * this.scale + this.shift;
    if (converted > this.numBins - 1) return this.numBins - 1;
    // `!(>= 0)` also sends NaN to bin 0 instead of outside the histogram.
    if (!(converted >= 0)) return 0;
    return converted | 0;
  }

  /**
   * One call of UpdateRunningMedian: adds `descriptor` to the histogram when
   * `add` is true, then recomputes the median. `binsOut` (dims values), when
   * given with `add`, receives the bin of each value, so that the descriptor
   * can be taken out again (`remove`) without keeping its values.
   */
  update(descriptor: ArrayLike<number>, add: boolean, binsOut?: Uint16Array): void {
    const { dims, numBins } = this;
    if (descriptor.length !== dims) throw new RangeError(`running median: descriptor has ${descriptor.length} values, expected ${dims}`);
    if (binsOut && (binsOut.length !== dims || numBins > 0x10000)) throw new RangeError(`running median: cannot record ${dims} bins of ${numBins} in ${binsOut.length} 16-bit values`);
    if (add) {
      let histogram = this.histogram;
      for (let i = 0; i < dims; i++) {
        const bin = this.binOf(descriptor[i]);
        if (binsOut) binsOut[i] = bin;
        const at = i * numBins + bin;
        if (histogram[at] === 0xffff && histogram instanceof Uint16Array) {
          histogram = this.histogram = Uint32Array.from(histogram);
        }
        histogram[at]++;
        if (this.tracking && bin < this.medianBin[i]) this.below[i]++;
      }
      this.added++;
    }

    if (this.added === 1) {
      this.median.set(descriptor);
      return;
    }
    if (this.added === 0) {
      this.median.fill(this.centres[0]);
      return;
    }
    const cutoff = (this.added + 1) >> 1;
    if (!this.tracking) {
      this.scanAll(cutoff);
      this.tracking = true;
    } else {
      this.walk(cutoff);
    }
    for (let i = 0; i < dims; i++) this.median[i] = this.centres[this.medianBin[i]];
  }

  /**
   * Takes descriptors added earlier out of the histogram (their bins, as
   * `update` recorded them) and recomputes the median: the histogram, and so
   * every later median, is then the one a run that never added them has.
   * (Right after the removal the median is the histogram's even when one
   * descriptor is left, where OpenFace would show the current descriptor;
   * the next `update` restores its rule.)
   */
  remove(binned: readonly Uint16Array[]): void {
    if (binned.length === 0) return;
    if (binned.length > this.added) throw new RangeError(`running median: cannot remove ${binned.length} of ${this.added} descriptors`);
    const { dims, numBins, histogram } = this;
    for (const bins of binned) {
      if (bins.length !== dims) throw new RangeError(`running median: ${bins.length} bins, expected ${dims}`);
      for (let i = 0; i < dims; i++) {
        const at = i * numBins + bins[i];
        if (histogram[at] === 0) throw new RangeError(`running median: dimension ${i} has nothing in bin ${bins[i]} to remove`);
        histogram[at]--;
      }
      this.added--;
    }
    if (this.added === 0) {
      this.tracking = false;
      this.median.fill(this.centres[0]);
      return;
    }
    this.scanAll((this.added + 1) >> 1);
    this.tracking = true;
    for (let i = 0; i < dims; i++) this.median[i] = this.centres[this.medianBin[i]];
  }

  /** Finds, per dimension, the first bin whose cumulative count reaches `cutoff` (OpenFace's loop). */
  private scanAll(cutoff: number): void {
    const { dims, numBins, histogram } = this;
    for (let i = 0; i < dims; i++) {
      const base = i * numBins;
      let cumulative = 0;
      let j = 0;
      for (; j < numBins; j++) {
        const next = cumulative + histogram[base + j];
        if (next >= cutoff) break;
        cumulative = next;
      }
      // cutoff >= 1 and count >= cutoff, so some bin always reaches it.
      this.medianBin[i] = j;
      this.below[i] = cumulative;
    }
  }

  /** Moves each dimension's median bin to the first bin whose cumulative count reaches `cutoff`. */
  private walk(cutoff: number): void {
    const { dims, numBins, histogram, medianBin, below } = this;
    for (let i = 0; i < dims; i++) {
      const base = i * numBins;
      let m = medianBin[i];
      let under = below[i];
      // Too far right: the bins below already reach the cut-off.
      while (m > 0 && under >= cutoff) {
        m--;
        under -= histogram[base + m];
      }
      // Too far left: this bin does not reach it yet.
      while (under + histogram[base + m] < cutoff) {
        under += histogram[base + m];
        m++;
      }
      medianBin[i] = m;
      below[i] = under;
    }
  }
}
