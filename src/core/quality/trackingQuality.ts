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
 *   distances (outer eye corners, of the earlier fit) from one tracked frame
 *   to the next. A head does not move that
 *   far in 1/25 s; a re-detection or a correction of a wrong fit does, so
 *   either the frames before or the frames after were wrong.
 * - a re-detection that moves the fit: the tracker started afresh from the
 *   face detector's box (after the validator rejected the fit) and the new
 *   fit lies more than REDETECT_IOD from the last tracked one, at most
 *   TRACK_GAP frames earlier. A right track re-detected lands about where
 *   it was; a wrong one is corrected.
 *
 * The evidence that the start of a track was wrong (`startSuspect`), in one
 * place (START_EVIDENCE): one of these corrections (a jump, or a re-detection
 * that moves the fit) within START_WINDOW frames of the track's first frame.
 * A track starts at the first tracked frame after more than TRACK_GAP
 * untracked ones (or the video's start); a shorter loss, the validator
 * rejecting a few frames, does not start a new one. The suspect stretch is
 * the track's first frame to the last tracked frame before the correction
 * (before the last one, when there are several that early in the track).
 * Those frames also went into the person calibration, which the analysis
 * then computes again without them (VideoAnalysis).
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
  /** the tracker started this fit afresh from a detector's box (undefined: not known) */
  readonly redetected?: boolean;
}

/** Evidence that a track's start was wrong: the frames, and what corrected them. */
export interface SuspectStart {
  /** the track's first frame and the last tracked frame before the correction (1-based, inclusive) */
  readonly first: number;
  readonly last: number;
  /** the frame whose fit corrected them */
  readonly correctedAt: number;
  /** a jump between consecutive frames, or a re-detection that moved the fit */
  readonly by: 'jump' | 'redetection';
  /** how far the fit moved, in inter-ocular distances (mean over the 68 landmarks) */
  readonly moveIod: number;
}

/** The person calibration computed again without a suspect start (null: not done). */
export interface Recalibration {
  /** the frames left out (the suspect start) */
  readonly first: number;
  readonly last: number;
  /** how many of them the AU engine had analysed (the rest had no fit it accepted) */
  readonly framesLeftOut: number;
  /** why, in plain words */
  readonly reason: string;
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
  /** the start of a track was probably wrong (START_EVIDENCE); null when no such evidence */
  readonly startSuspect: SuspectStart | null;
  /** the person calibration was computed again without the suspect start (null: it was not) */
  readonly recalibration: Recalibration | null;
  readonly thresholds: {
    readonly lowConfidence: number;
    readonly jumpIod: number;
    readonly redetectIod: number;
    readonly trackGap: number;
    readonly startWindow: number;
    readonly poorShare: number;
    /** START_EVIDENCE: when a track's start counts as wrong, in words */
    readonly startEvidence: string;
  };
}

export const LOW_CONFIDENCE = 0.7;
export const JUMP_IOD = 0.3;
/** a re-detection that moves the fit further than this (inter-ocular distances) corrected it */
export const REDETECT_IOD = 0.15;
/** untracked frames a track survives (2.2 re-detects after the validator rejects a few frames) */
export const TRACK_GAP = 25;
/** a correction within this many frames of a track's start marks the start as suspect */
export const START_WINDOW = 150;
/** START_EVIDENCE in words, for the provenance and the README */
export const START_EVIDENCE =
  `within ${START_WINDOW} frames of a track's first frame, the face fit jumped by more than ${JUMP_IOD} inter-ocular distances ` +
  `between two consecutive frames, or a re-detection (a fresh fit from the face detector's box) put it more than ${REDETECT_IOD} ` +
  `inter-ocular distances from the last tracked fit (a track goes on through up to ${TRACK_GAP} untracked frames)`;
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

function framesText(r: { first: number; last: number }): string {
  return `${r.first === r.last ? 'frame' : 'frames'} ${rangeText(r)}`;
}

/** The plain-words reason a calibration left a suspect start out (results page, JSON). */
export function recalibrationReason(start: SuspectStart): string {
  const how =
    start.by === 'redetection'
      ? `when the face was found again at frame ${start.correctedAt}, the face fit moved by ${start.moveIod.toFixed(2)} eye-distances`
      : `at frame ${start.correctedAt} the face fit jumped by ${start.moveIod.toFixed(2)} eye-distances`;
  return `The face fit on ${framesText(start)}, at the start of the track, was probably in the wrong place (${how}), so the person's calibration (their neutral face, which every AU value is measured from) was computed again without ${start.first === start.last ? 'it' : 'them'}.`;
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
  /** the current track's last tracked frame */
  #previous: { frame: number; landmarks: Float64Array } | null = null;
  #trackStart: number | null = null;
  #startSuspect: SuspectStart | null = null;

  /**
   * Adds a frame's row; face 0's rows count (OpenFace numbers faces from 0;
   * with one face per video that is the face). Returns what this row was
   * flagged for (empty when nothing), so a caller can keep a picture of it.
   */
  add(row: FrameQualityInput): readonly QualityReason[] {
    if (row.faceId !== 0) return [];
    this.#frames++;
    if (!row.success || !row.landmarks) return [];
    this.#tracked++;
    let previous = this.#previous;
    if (previous && row.frame - previous.frame - 1 > TRACK_GAP) {
      previous = null;
      this.#trackStart = null;
    }
    this.#trackStart ??= row.frame;
    if (row.confidence < LOW_CONFIDENCE) {
      this.#lowConfidence++;
      this.#flag(row.frame, 'low-confidence');
    }
    if (previous) {
      const iod = interOcular(previous.landmarks);
      const move = iod > 0 ? meanDisplacement(previous.landmarks, row.landmarks) / iod : 0;
      const by = previous.frame === row.frame - 1 && move > JUMP_IOD ? 'jump' : row.redetected === true && move > REDETECT_IOD ? 'redetection' : null;
      if (by) {
        this.#jumps.push(row.frame);
        this.#flag(row.frame, 'jump');
        // the first track with an early correction; a later correction still early in it extends the stretch
        const sameTrack = !this.#startSuspect || this.#startSuspect.first === this.#trackStart;
        if (sameTrack && row.frame - this.#trackStart <= START_WINDOW) {
          this.#startSuspect = { first: this.#trackStart, last: previous.frame, correctedAt: row.frame, by, moveIod: move };
          for (let f = this.#trackStart; f <= previous.frame; f++) this.#flag(f, 'jump');
        }
      }
    }
    this.#previous = { frame: row.frame, landmarks: Float64Array.from(row.landmarks) };
    return [...(this.#flags.get(row.frame) ?? [])];
  }

  /** the evidence that a track's start was wrong, once there is some (a new object when it grows) */
  get startSuspect(): SuspectStart | null {
    return this.#startSuspect;
  }

  #flag(frame: number, reason: QualityReason): void {
    (this.#flags.get(frame) ?? this.#flags.set(frame, new Set()).get(frame)!).add(reason);
  }

  /** The verdict so far; `recalibration`: what the analysis did about a suspect start (null: nothing). */
  result(recalibration: Recalibration | null = null): TrackingQuality {
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
            (startSuspect
              ? recalibration
                ? ` The start of the track (frames ${rangeText(startSuspect)}) was probably wrong, so the person's calibration was computed again without it.`
                : ` The start of the track (frames ${rangeText(startSuspect)}) was probably wrong.`
              : '')
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
      recalibration,
      thresholds: { lowConfidence: LOW_CONFIDENCE, jumpIod: JUMP_IOD, redetectIod: REDETECT_IOD, trackGap: TRACK_GAP, startWindow: START_WINDOW, poorShare: POOR_SHARE, startEvidence: START_EVIDENCE },
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
