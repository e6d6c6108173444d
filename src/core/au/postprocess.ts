/**
 * OpenFace's end-of-video AU postprocessing (FaceAnalyser::
 * ExtractAllPredictionsOfflineReg / ExtractAllPredictionsOfflineClass, as
 * used by FeatureExtraction with the dynamic models). Applied per AU to the
 * whole video's predictions after the early frames have been re-predicted
 * with the final running median (see AuAnalyser.finish):
 *
 * Intensity (`_r`):
 *  1. offset: for a dynamic SVR with cutoff c != -1, sort the predictions of
 *     the tracked frames and take the element at index (int)(n * c); every
 *     other model's offset is 0;
 *  2. tracked frames: value - offset, clamped to [0, 5]; failed frames: 0;
 *  3. a centred 3-frame moving average over all frames (failed ones
 *     included), leaving the first and last frame as they are.
 *
 * Presence (`_c`): a centred 7-frame moving average of the 0/1 predictions
 * (0 on failed frames), thresholded at 0.5, leaving the first and last three
 * frames as they are (and videos of 3 frames or fewer untouched).
 */

/** Frame success flags: any indexable of booleans or 0/1. */
export type SuccessFlags = ArrayLike<boolean | number>;

/**
 * The value the dynamic-model shift moves to 0: the predictions of the
 * tracked frames, sorted, at index (int)(n * cutoff). Returns 0 when there
 * is no cutoff (null, or -1 as stored) or no tracked frame.
 */
export function cutoffOffset(values: ArrayLike<number>, success: SuccessFlags, cutoff: number | null): number {
  if (cutoff === null || cutoff === -1) return 0;
  const good: number[] = [];
  for (let f = 0; f < values.length; f++) if (success[f]) good.push(values[f]);
  if (good.length === 0) return 0;
  good.sort((a, b) => a - b);
  // OpenFace's index, (int)((double)n * cutoff); a cutoff of 1 would read
  // one past the end (std::out_of_range there), so stay on the last element.
  const index = Math.min(Math.trunc(good.length * cutoff), good.length - 1);
  return good[index];
}

/** Step 2: subtracts `offset` on tracked frames and clamps to [0, 5]; failed frames become 0. */
export function shiftAndClamp(values: ArrayLike<number>, success: SuccessFlags, offset: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let f = 0; f < values.length; f++) {
    if (!success[f]) continue;
    let v = values[f] - offset;
    if (v < 0) v = 0;
    if (v > 5) v = 5;
    out[f] = v;
  }
  return out;
}

/** Step 3: the centred 3-frame moving average; the first and last frame keep their values. */
export function smoothIntensity(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = Float64Array.from(values);
  for (let i = 1; i < n - 1; i++) out[i] = (values[i - 1] + values[i] + values[i + 1]) / 3;
  return out;
}

/** Presence smoothing: centred 7-frame mean thresholded at 0.5; three frames at each end untouched. */
export function smoothPresence(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = Float64Array.from(values);
  if (n <= 3) return out;
  for (let i = 3; i < n - 3; i++) {
    let sum = 0;
    for (let w = -3; w <= 3; w++) sum += values[i + w];
    out[i] = sum / 7 < 0.5 ? 0 : 1;
  }
  return out;
}

/** Steps 1-3 for one AU intensity track. `cutoff` is the model's (null for static models). */
export function postprocessIntensity(values: ArrayLike<number>, success: SuccessFlags, cutoff: number | null): Float64Array {
  return smoothIntensity(shiftAndClamp(values, success, cutoffOffset(values, success, cutoff)));
}

/** One frame's raw AU predictions as the streaming postprocessing takes them. */
export interface RawAuFrame {
  /** SVR outputs in intensity column order (before the shift) */
  readonly intensity: ArrayLike<number>;
  /** SVM outputs (0/1) in presence column order */
  readonly presence: ArrayLike<number>;
  /** whether the analyser analysed the frame (failed frames' intensities become 0) */
  readonly success: boolean;
}

/** One frame after the postprocessing. */
export interface PostprocessedAuFrame {
  readonly intensity: Float64Array;
  readonly presence: Float64Array;
}

/** frames around the one emitted that the widest smoothing (presence, 7 frames) reads */
const PRESENCE_REACH = 3;
const RING = 2 * PRESENCE_REACH + 1;

/**
 * The same postprocessing as postprocessIntensity / smoothPresence, frame by
 * frame, for a video whose per-frame values are too many to hold as one row
 * object per frame. Two passes over the raw predictions: the caller's first
 * pass finds each intensity track's offset (cutoffOffset needs the whole
 * track's distribution), this is the second. It keeps only the last seven
 * frames, emits frame i once frame i + 3 has arrived (or the track ended) and
 * adds the same terms in the same order as the whole-track functions, so
 * every value is the same double.
 *
 * `offsets`: one per intensity column (0 for static models and models
 * without a cutoff).
 */
export function* postprocessAuStream(frames: Iterable<RawAuFrame>, offsets: ArrayLike<number>, presenceCount: number): Generator<PostprocessedAuFrame> {
  const intensityCount = offsets.length;
  const shifted = Array.from({ length: RING }, () => new Float64Array(intensityCount));
  const presence = Array.from({ length: RING }, () => new Float64Array(presenceCount));
  let received = 0;
  /** frame `i` with `n` known (n = Infinity while the track goes on: i is then at most received - 4) */
  const emit = (i: number, n: number): PostprocessedAuFrame => {
    const outIntensity = new Float64Array(intensityCount);
    const at = (k: number) => shifted[(k + RING) % RING];
    const self = at(i);
    if (i >= 1 && i <= n - 2) {
      const before = at(i - 1);
      const after = at(i + 1);
      for (let j = 0; j < intensityCount; j++) outIntensity[j] = (before[j] + self[j] + after[j]) / 3;
    } else {
      outIntensity.set(self);
    }
    const outPresence = Float64Array.from(presence[i % RING]);
    if (n > PRESENCE_REACH && i >= PRESENCE_REACH && i <= n - 1 - PRESENCE_REACH) {
      for (let j = 0; j < presenceCount; j++) {
        let sum = 0;
        for (let w = -PRESENCE_REACH; w <= PRESENCE_REACH; w++) sum += presence[(i + w) % RING][j];
        outPresence[j] = sum / 7 < 0.5 ? 0 : 1;
      }
    }
    return { intensity: outIntensity, presence: outPresence };
  };
  for (const frame of frames) {
    const slot = received % RING;
    const s = shifted[slot];
    for (let j = 0; j < intensityCount; j++) {
      if (!frame.success) {
        s[j] = 0;
        continue;
      }
      let v = frame.intensity[j] - offsets[j];
      if (v < 0) v = 0;
      if (v > 5) v = 5;
      s[j] = v;
    }
    const p = presence[slot];
    for (let j = 0; j < presenceCount; j++) p[j] = frame.presence[j];
    received++;
    if (received > PRESENCE_REACH) yield emit(received - 1 - PRESENCE_REACH, Infinity);
  }
  const n = received;
  for (let i = Math.max(0, n - PRESENCE_REACH); i < n; i++) yield emit(i, n);
}
