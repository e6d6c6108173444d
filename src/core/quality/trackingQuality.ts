/**
 * How far a video's numbers can be trusted, from its tracking alone: a
 * per-video verdict (good / check frames N-M / poor) for the results page
 * and the provenance JSON. AUs and the person-specific calibration follow
 * the landmark fit, so a doubtful fit means doubtful numbers.
 *
 * Evidence per frame (face 0, the face OpenFace follows first):
 * - not tracked (success 0);
 * - low confidence: CLNF's validator confidence (the CSV's `confidence`)
 *   below LOW_CONFIDENCE; OpenFace 2.2 itself stays above 0.8 on every frame
 *   of the shared test clips with a face in view;
 * - a jump: the landmarks move, on average, more than JUMP_IOD inter-ocular
 *   distances from one tracked frame to the next. A head does not move that
 *   far in 1/25 s; a re-detection or a correction of a wrong fit does, so
 *   either the frames before or the frames after were wrong.
 * A jump early in a track (within START_WINDOW) says the start was probably
 * wrong: those frames are reported as `startSuspect`, since they also went
 * into the calibration's median.
 *
 * Not covered here (no such evidence in the rows): a fit that is wrong but
 * steady and confident (then only a second tracker's opinion would tell).
 */
export interface FrameQualityInput {
  /** 1-based frame number */
  readonly frame: number;
  readonly faceId: number;
  readonly success: boolean;
  readonly confidence: number;
  /** 136 values x_0..x_67, y_0..y_67, or null */
  readonly landmarks: ArrayLike<number> | null;
}

export type QualityReason = 'low-confidence' | 'jump';

export interface FrameRange {
  /** 1-based, inclusive */
  readonly first: number;
  readonly last: number;
  readonly reasons: readonly QualityReason[];
}

export interface TrackingQuality {
  readonly verdict: 'good' | 'check' | 'poor';
  /** one plain sentence for the results page */
  readonly summary: string;
  readonly frames: number;
  readonly tracked: number;
  readonly lowConfidenceFrames: number;
  /** frame numbers where the fit jumped (the first frame after the jump) */
  readonly jumps: readonly number[];
  /** stretches to look at, frames close together merged */
  readonly ranges: readonly FrameRange[];
  /** the frames before an early jump: the start of the track was probably wrong (null when no such evidence) */
  readonly startSuspect: { readonly first: number; readonly last: number } | null;
  readonly thresholds: { readonly lowConfidence: number; readonly jumpIod: number; readonly startWindow: number; readonly poorShare: number };
}

export const LOW_CONFIDENCE = 0.7;
export const JUMP_IOD = 0.3;
/** a jump within this many frames of a track's start marks the start as suspect */
export const START_WINDOW = 150;
/** below this share tracked, or above this share flagged, the verdict is poor */
export const POOR_SHARE = 0.25;
/** flagged frames this close are one range */
const MERGE_GAP = 10;

/** Outer eye corners 36 and 45: the inter-ocular distance the jump is measured in. */
function interOcular(l: ArrayLike<number>): number {
  const n = l.length / 2;
  return Math.hypot(l[45]! - l[36]!, l[n + 45]! - l[n + 36]!);
}

function meanDisplacement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length / 2;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.hypot(a[k]! - b[k]!, a[n + k]! - b[n + k]!);
  return sum / n;
}

function rangeText(r: { first: number; last: number }): string {
  return r.first === r.last ? `${r.first}` : `${r.first}–${r.last}`;
}

/**
 * Reads the rows one at a time, in frame order, keeping only the previous
 * frame's landmarks and the flagged frames: a long video's rows need not
 * sit in memory (the app streams them from disk).
 */
export class TrackingQualityAccumulator {
  #frames = 0;
  #tracked = 0;
  #lowConfidence = 0;
  readonly #flags = new Map<number, Set<QualityReason>>();
  readonly #jumps: number[] = [];
  #previous: { frame: number; landmarks: Float64Array } | null = null;
  #trackStart: number | null = null;
  #startSuspect: { first: number; last: number } | null = null;

  /**
   * Adds a frame's row; face 0's rows count (OpenFace numbers faces from 0;
   * with one face per video that is the face). Returns what this row was
   * flagged for (empty when nothing), so a caller can keep a picture of it.
   */
  add(row: FrameQualityInput): readonly QualityReason[] {
    if (row.faceId !== 0) return [];
    this.#frames++;
    if (!row.success || !row.landmarks) {
      this.#previous = null;
      this.#trackStart = null;
      return [];
    }
    this.#tracked++;
    this.#trackStart ??= row.frame;
    if (row.confidence < LOW_CONFIDENCE) {
      this.#lowConfidence++;
      this.#flag(row.frame, 'low-confidence');
    }
    const previous = this.#previous;
    if (previous && previous.frame === row.frame - 1) {
      const iod = interOcular(previous.landmarks);
      if (iod > 0 && meanDisplacement(previous.landmarks, row.landmarks) > JUMP_IOD * iod) {
        this.#jumps.push(row.frame);
        this.#flag(row.frame, 'jump');
        if (!this.#startSuspect && row.frame - this.#trackStart <= START_WINDOW) {
          this.#startSuspect = { first: this.#trackStart, last: row.frame - 1 };
          for (let f = this.#trackStart; f < row.frame; f++) this.#flag(f, 'jump');
        }
      }
    }
    this.#previous = { frame: row.frame, landmarks: Float64Array.from(row.landmarks) };
    return [...(this.#flags.get(row.frame) ?? [])];
  }

  /** the first frame of the current track, and whether an early jump just made it suspect */
  get startSuspect(): { readonly first: number; readonly last: number } | null {
    return this.#startSuspect;
  }

  #flag(frame: number, reason: QualityReason): void {
    (this.#flags.get(frame) ?? this.#flags.set(frame, new Set()).get(frame)!).add(reason);
  }

  result(): TrackingQuality {
    const ranges: FrameRange[] = [];
    for (const frame of [...this.#flags.keys()].sort((a, b) => a - b)) {
      const last = ranges.at(-1);
      const reasons = this.#flags.get(frame)!;
      if (last && frame - last.last <= MERGE_GAP) {
        ranges[ranges.length - 1] = { first: last.first, last: frame, reasons: [...new Set([...last.reasons, ...reasons])] };
      } else ranges.push({ first: frame, last: frame, reasons: [...reasons] });
    }
    const frames = this.#frames;
    const tracked = this.#tracked;
    const flagged = this.#flags.size;
    const startSuspect = this.#startSuspect;
    const poor = frames === 0 || tracked / frames < 1 - POOR_SHARE || flagged / Math.max(1, tracked) > POOR_SHARE;
    const verdict = poor ? 'poor' : ranges.length ? 'check' : 'good';
    const listed = ranges.slice(0, 4).map(rangeText).join(', ') + (ranges.length > 4 ? ', …' : '');
    const summary =
      verdict === 'good'
        ? 'Tracking looks good: no low-confidence frames and no sudden jumps of the face fit.'
        : verdict === 'check'
          ? `Check frames ${listed}: the face fit there ${ranges.some((r) => r.reasons.includes('jump')) ? 'jumped' : 'had low confidence'}, so the AU values there may be wrong.` +
            (startSuspect ? ` The start of the track (frames ${rangeText(startSuspect)}) was probably wrong, and it also entered the person's calibration.` : '')
          : frames === 0
            ? 'No face was tracked, so there are no AU values to trust.'
            : `Poor tracking: ${tracked} of ${frames} frames tracked, ${flagged} of them doubtful. Treat these AU values with caution.`;
    return {
      verdict,
      summary,
      frames,
      tracked,
      lowConfidenceFrames: this.#lowConfidence,
      jumps: [...this.#jumps],
      ranges,
      startSuspect,
      thresholds: { lowConfidence: LOW_CONFIDENCE, jumpIod: JUMP_IOD, startWindow: START_WINDOW, poorShare: POOR_SHARE },
    };
  }
}

/** The verdict on a whole set of rows (tests, the CLI): face 0's rows in frame order. */
export function assessTracking(rows: Iterable<FrameQualityInput>): TrackingQuality {
  const sorted = [...rows].filter((r) => r.faceId === 0).sort((a, b) => a.frame - b.frame);
  const accumulator = new TrackingQualityAccumulator();
  for (const row of sorted) accumulator.add(row);
  return accumulator.result();
}
