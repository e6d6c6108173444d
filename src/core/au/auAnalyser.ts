import { ModelFormatError } from '../errors.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { toFloat32Pdm } from '../pdm/calcParams.ts';
import type { AuColumns } from '../result.ts';
import type { AuModel, AuModelSet } from './auModels.ts';
import { computeGeometryFeatures, geometryFeatureLength } from './geometry.ts';
import { cutoffOffset, postprocessAuStream, shiftAndClamp, smoothIntensity, smoothPresence, type PostprocessedAuFrame } from './postprocess.ts';
import { AuPredictorBank } from './predict.ts';
import { HistogramRunningMedian } from './runningMedian.ts';

/**
 * The AU stage of OpenFace 2.2's FaceAnalyser, as FeatureExtraction drives it
 * (AddNextFrame with online = false, then PostprocessOutputFile with the
 * dynamic models), checked value for value against 2.2's per-frame
 * (NAME.raw.csv) and final CSVs:
 *
 * - person calibration: running medians of the HOG (1000 bins over
 *   [-0.005, 1]) and of the geometry features (10000 bins over [-60, 60]),
 *   updated on odd frames only (1st, 3rd, ... counting every frame, tracked
 *   or not) and only from tracked frames; the HOG median is clamped at 0
 *   after each update (bin 0's centre is negative);
 * - prediction: every linear SVR/SVM on [HOG, geometry], the dynamic ones
 *   minus the current medians;
 * - geometry: the local parameters of the analyser's own PDM fit and their
 *   shape offsets, with the PDM in float (2.2 reads it as float);
 * - failed frames (including a tracked frame the landmark validator
 *   rejected): HOG of the black aligned face (all zeros) and zero geometry;
 *   their predictions are output and recorded as 0;
 * - finish(): the first 3000 tracked frames are predicted again with the
 *   final medians, then each AU track is postprocessed (postprocess.ts).
 *
 * One addition, off unless asked for (`calibrationWindow`): recent frames
 * can be left out of the person calibration after the fact
 * (excludeFromCalibration), when the tracking says their fit was wrong.
 */

/** What the AU stage needs from one frame. */
export interface AuFrameInput {
  /** the 4464 FHOG values of the aligned face in OpenFace's order; ignored (may be null) when `success` is false */
  readonly hog: Float32Array | Float64Array | null;
  /** p_0..p_33 of the analyser's own PDM fit (calcParams); ignored (may be null) when `success` is false */
  readonly paramsLocal: Float64Array | null;
  /**
   * p_scale, p_rx, p_ry, p_rz, p_tx, p_ty. OpenFace picks a view-specific
   * median from the rotation, but ships one (frontal) view only, so this
   * does not change any result; accepted for completeness.
   */
  readonly paramsGlobal?: Float64Array | null;
  /** whether the analyser analyses this frame: tracked, and accepted by the landmark validator */
  readonly success: boolean;
}

/** AU predictions for one frame, in the order of the analyser's `intensityNames` / `presenceNames`. */
export interface AuFramePrediction {
  readonly intensity: Float64Array;
  readonly presence: Float64Array;
}

/** The postprocessed predictions of a whole video: `frames[i]` is the i-th frame added. */
export interface AuVideoResult extends AuColumns {
  readonly frames: readonly AuFramePrediction[];
}

/**
 * The postprocessed predictions of a whole video, one frame at a time
 * (AuAnalyser.finishStream): the same values as AuVideoResult's without a
 * row object per frame.
 */
export interface AuVideoStream extends AuColumns {
  readonly frameCount: number;
  /** the frames in the order added; each call starts again from the first */
  frames(): Generator<PostprocessedAuFrame>;
}

export interface AuAnalyserOptions {
  /** tracked frames re-predicted with the final median (OpenFace's max_init_frames: 3000) */
  readonly maxInitFrames?: number;
  /** HOG values per frame (OpenFace: 12 x 12 cells x 31 = 4464) */
  readonly hogLength?: number;
  /**
   * How many of the latest frames can still be left out of the calibration
   * (excludeFromCalibration). 0 (the default): none, and nothing is kept.
   * Otherwise each frame's histogram bins (2 bytes a value) and model
   * projections are kept for that many frames.
   */
  readonly calibrationWindow?: number;
}

/** The latest frames' calibration inputs, so that they can be taken out again. */
class CalibrationWindow {
  readonly hogBins: Uint16Array;
  readonly geomBins: Uint16Array;
  readonly projections: Float64Array;
  /** per slot: the frame (0-based, order added) it holds, -1 when empty */
  readonly frame: Int32Array;
  /** per slot: whether the frame's descriptors went into the running medians */
  readonly inMedians: Uint8Array;

  constructor(
    readonly size: number,
    readonly hogLength: number,
    readonly geomLength: number,
    readonly models: number,
  ) {
    this.hogBins = new Uint16Array(size * hogLength);
    this.geomBins = new Uint16Array(size * geomLength);
    this.projections = new Float64Array(size * models);
    this.frame = new Int32Array(size).fill(-1);
    this.inMedians = new Uint8Array(size);
  }

  slotOf(frame: number): number {
    return frame % this.size;
  }

  hogBinsAt(slot: number): Uint16Array {
    return this.hogBins.subarray(slot * this.hogLength, (slot + 1) * this.hogLength);
  }

  geomBinsAt(slot: number): Uint16Array {
    return this.geomBins.subarray(slot * this.geomLength, (slot + 1) * this.geomLength);
  }

  projectionAt(slot: number): Float64Array {
    return this.projections.subarray(slot * this.models, (slot + 1) * this.models);
  }
}

// FaceAnalyser's constructor settings.
const HOG_BINS = 1000;
const HOG_MIN = -0.005;
const HOG_MAX = 1;
const GEOM_BINS = 10000;
const GEOM_MIN = -60;
const GEOM_MAX = 60;
export const OPENFACE_MAX_INIT_FRAMES = 3000;
export const OPENFACE_HOG_LENGTH = 12 * 12 * 31;

/** Rows of fixed width appended one at a time, in one growing buffer. */
class RowBuffer {
  private data: Float64Array;
  rows = 0;

  constructor(readonly width: number) {
    this.data = new Float64Array(Math.max(width, 1) * 256);
  }

  push(values: Float64Array | null): void {
    const end = (this.rows + 1) * this.width;
    if (end > this.data.length) {
      const grown = new Float64Array(Math.max(end, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    if (values) this.data.set(values.subarray(0, this.width), this.rows * this.width);
    else this.data.fill(0, this.rows * this.width, end);
    this.rows++;
  }

  row(r: number): Float64Array {
    return this.data.subarray(r * this.width, (r + 1) * this.width);
  }

  get(r: number, c: number): number {
    return this.data[r * this.width + c];
  }
}

/** Indices of `models` of the given kinds, sorted by AU name (the CSV column order), names unique. */
function columnsOf(models: readonly AuModel[], kinds: readonly string[], what: string): { names: string[]; indices: number[] } {
  const chosen = models.map((m, k) => ({ m, k })).filter(({ m }) => kinds.includes(m.kind));
  // FeatureExtraction sorts the names with std::sort on std::string: plain code-unit order.
  chosen.sort((a, b) => (a.m.auName < b.m.auName ? -1 : a.m.auName > b.m.auName ? 1 : 0));
  for (let i = 1; i < chosen.length; i++) {
    if (chosen[i].m.auName === chosen[i - 1].m.auName) {
      throw new ModelFormatError(`${chosen[i].m.source}: a second ${what} model for ${chosen[i].m.auName} (also ${chosen[i - 1].m.source})`);
    }
  }
  return { names: chosen.map(({ m }) => m.auName), indices: chosen.map(({ k }) => k) };
}

/**
 * One video's AU stage. Frames must be added in display order (the running
 * median depends on it); all state belongs to the instance.
 */
export class AuAnalyser implements AuColumns {
  readonly intensityNames: readonly string[];
  readonly presenceNames: readonly string[];
  private readonly intensityModels: Int32Array;
  private readonly presenceModels: Int32Array;
  private readonly bank: AuPredictorBank;
  private readonly pdm: Pdm;
  private readonly hogLength: number;
  private readonly maxInitFrames: number;

  private readonly hogMedian: HistogramRunningMedian;
  private readonly geomMedian: HistogramRunningMedian;
  private readonly hogMedianClamped: Float64Array;

  private readonly zeroHog: Float64Array;
  private readonly hogFrame: Float64Array;
  private readonly geom: Float64Array;
  private readonly projection: Float64Array;
  private readonly outputs: Float64Array;

  /** every frame's predictions of every model (0 on failed frames), frame-major */
  private readonly history: RowBuffer;
  private successes: Uint8Array = new Uint8Array(256);
  /** projections of the first `maxInitFrames` tracked frames, and which frames they are */
  private initProjections: RowBuffer;
  private initFrames: number[] = [];
  /** the last frame that OpenFace's rule (the first maxInitFrames tracked) put among initFrames */
  private lastInitByRule = -1;

  /** recent frames' calibration inputs (null without calibrationWindow) */
  private readonly window: CalibrationWindow | null;
  /** frames left out of the calibration (1), by frame added */
  private excluded: Uint8Array = new Uint8Array(0);

  private framesSeen = 0;
  private framesTracked = 0;
  private result: AuVideoResult | null = null;
  /** the early frames were re-predicted: no more frames may come */
  private settled = false;

  /** `pdm`: the PDM whose local parameters the frames carry; its components are used as floats, as 2.2 holds them. */
  constructor(models: AuModelSet, pdm: Pdm, options: AuAnalyserOptions = {}) {
    this.pdm = toFloat32Pdm(pdm);
    this.hogLength = options.hogLength ?? OPENFACE_HOG_LENGTH;
    this.maxInitFrames = options.maxInitFrames ?? OPENFACE_MAX_INIT_FRAMES;
    if (!Number.isInteger(this.maxInitFrames) || this.maxInitFrames < 0) throw new RangeError(`AuAnalyser: bad maxInitFrames ${this.maxInitFrames}`);
    if (models.models.length === 0) throw new ModelFormatError(`${models.source}: no AU models`);
    const geomLength = geometryFeatureLength(pdm);
    this.bank = new AuPredictorBank(models.models, this.hogLength, geomLength);

    const intensity = columnsOf(models.models, ['svr-static', 'svr-dynamic'], 'intensity');
    const presence = columnsOf(models.models, ['svm-static', 'svm-dynamic'], 'presence');
    this.intensityNames = intensity.names;
    this.presenceNames = presence.names;
    this.intensityModels = Int32Array.from(intensity.indices);
    this.presenceModels = Int32Array.from(presence.indices);

    this.hogMedian = new HistogramRunningMedian(this.hogLength, HOG_BINS, HOG_MIN, HOG_MAX);
    this.geomMedian = new HistogramRunningMedian(geomLength, GEOM_BINS, GEOM_MIN, GEOM_MAX);
    this.hogMedianClamped = new Float64Array(this.hogLength);

    this.zeroHog = new Float64Array(this.hogLength);
    this.hogFrame = new Float64Array(this.hogLength);
    this.geom = new Float64Array(geomLength);
    this.projection = new Float64Array(this.bank.size);
    this.outputs = new Float64Array(this.bank.size);
    this.history = new RowBuffer(this.bank.size);
    this.initProjections = new RowBuffer(this.bank.size);
    const windowSize = options.calibrationWindow ?? 0;
    if (!Number.isInteger(windowSize) || windowSize < 0) throw new RangeError(`AuAnalyser: bad calibrationWindow ${windowSize}`);
    this.window = windowSize > 0 ? new CalibrationWindow(windowSize, this.hogLength, geomLength, this.bank.size) : null;
  }

  /** Frames added so far. */
  get frameCount(): number {
    return this.framesSeen;
  }

  /**
   * Adds the next frame and returns OpenFace's online prediction for it: the
   * raw SVR intensities (not shifted, clamped or smoothed) and the SVM
   * presences, with the running median as it stands after this frame — what
   * OpenFace writes to its CSV before the end-of-video postprocessing.
   */
  addFrame(input: AuFrameInput): AuFramePrediction {
    if (this.settled) throw new Error('AuAnalyser: addFrame after finish(); use a new analyser per video');
    const success = input.success;
    let hog: Float64Array;
    if (success) {
      if (!input.hog || input.hog.length !== this.hogLength) {
        throw new RangeError(`AuAnalyser frame ${this.framesSeen + 1}: expected ${this.hogLength} HOG values, got ${input.hog ? input.hog.length : 'none'}`);
      }
      if (!input.paramsLocal || input.paramsLocal.length !== this.pdm.numModes) {
        throw new RangeError(
          `AuAnalyser frame ${this.framesSeen + 1}: expected ${this.pdm.numModes} local PDM parameters, got ${input.paramsLocal ? input.paramsLocal.length : 'none'}`,
        );
      }
      // (as doubles, like OpenFace's descriptor; one element type also keeps
      // the dot products and histogram updates monomorphic)
      hog = this.hogFrame;
      hog.set(input.hog);
      computeGeometryFeatures(this.pdm, input.paramsLocal, this.geom);
    } else {
      // OpenFace aligns nothing on a failed frame: its aligned face is black,
      // whose FHOG is all zeros, and it zeroes params_local.
      hog = this.zeroHog;
      this.geom.fill(0);
    }

    this.framesSeen++;
    if (success) this.framesTracked++;

    // OpenFace updates the medians on odd frame counts only ("a small
    // speedup"), counting every frame; only tracked frames enter the
    // histograms, but the median is recomputed on failed odd frames too.
    const window = this.window;
    const slot = window ? window.slotOf(this.framesSeen - 1) : -1;
    const intoMedians = this.framesSeen % 2 === 1;
    if (intoMedians) {
      this.hogMedian.update(hog, success, window && success ? window.hogBinsAt(slot) : undefined);
      this.geomMedian.update(this.geom, success, window && success ? window.geomBinsAt(slot) : undefined);
      this.applyMedians();
    }

    this.bank.project(hog, this.geom, this.projection);
    if (window) {
      window.frame[slot] = this.framesSeen - 1;
      window.inMedians[slot] = intoMedians && success ? 1 : 0;
      window.projectionAt(slot).set(this.projection);
    }
    this.bank.evaluate(this.projection, this.outputs);

    // OpenFace records (and outputs) 0 for every AU of a failed frame.
    this.history.push(success ? this.outputs : null);
    if (this.framesSeen > this.successes.length) {
      const grown = new Uint8Array(this.successes.length * 2);
      grown.set(this.successes);
      this.successes = grown;
    }
    this.successes[this.framesSeen - 1] = success ? 1 : 0;
    if (this.excluded.length < this.successes.length) {
      const grown = new Uint8Array(this.successes.length);
      grown.set(this.excluded);
      this.excluded = grown;
    }
    if (success && this.framesTracked - 1 < this.maxInitFrames) {
      this.initProjections.push(this.projection);
      this.initFrames.push(this.framesSeen - 1);
      this.lastInitByRule = this.framesSeen - 1;
    }
    return this.pick(success ? this.outputs : null);
  }

  /**
   * Ends the video and returns OpenFace's final (offline) AU values for every
   * frame added: early frames re-predicted with the final medians, dynamic
   * intensities shifted by their cutoff quantile, clamped to [0, 5] and
   * smoothed over 3 frames, presences smoothed over 7. Calling it again
   * returns the same result.
   */
  finish(): AuVideoResult {
    if (this.result) return this.result;
    const n = this.framesSeen;
    this.settle();

    const successes = this.successes.subarray(0, n);
    const column = new Float64Array(n);
    const columnOf = (k: number): Float64Array => {
      for (let f = 0; f < n; f++) column[f] = this.history.get(f, k);
      return column;
    };

    const offsets = this.cutoffOffsets();
    const intensityTracks = Array.from(this.intensityModels, (k, j) => smoothIntensity(shiftAndClamp(columnOf(k), successes, offsets[j])));
    const presenceTracks = Array.from(this.presenceModels, (k) => smoothPresence(columnOf(k)));

    const frames: AuFramePrediction[] = new Array<AuFramePrediction>(n);
    for (let f = 0; f < n; f++) {
      const intensity = new Float64Array(intensityTracks.length);
      for (let j = 0; j < intensityTracks.length; j++) intensity[j] = intensityTracks[j][f];
      const presence = new Float64Array(presenceTracks.length);
      for (let j = 0; j < presenceTracks.length; j++) presence[j] = presenceTracks[j][f];
      frames[f] = { intensity, presence };
    }
    this.result = { intensityNames: this.intensityNames, presenceNames: this.presenceNames, frames };
    return this.result;
  }

  /**
   * Ends the video like finish(), but hands the final values out frame by
   * frame (postprocessAuStream): the first pass here finds each dynamic
   * model's offset from its whole track, the stream is the second. Memory
   * stays the per-frame raw predictions already held (one double per model
   * and frame) plus a 7-frame window, however long the video.
   */
  finishStream(): AuVideoStream {
    this.settle();
    const n = this.framesSeen;
    const successes = this.successes.subarray(0, n);
    const offsets = this.cutoffOffsets();
    const history = this.history;
    const intensityModels = this.intensityModels;
    const presenceModels = this.presenceModels;
    function* raw() {
      for (let f = 0; f < n; f++) {
        const row = history.row(f);
        yield {
          intensity: Float64Array.from(intensityModels, (k) => row[k]),
          presence: Float64Array.from(presenceModels, (k) => row[k]),
          success: successes[f] === 1,
        };
      }
    }
    return {
      intensityNames: this.intensityNames,
      presenceNames: this.presenceNames,
      frameCount: n,
      frames: () => postprocessAuStream(raw(), offsets, presenceModels.length),
    };
  }

  /**
   * Each intensity column's dynamic-model offset (cutoffOffset) from the
   * whole track, over the analysed frames that are part of the calibration
   * (all of them unless some were excluded).
   */
  private cutoffOffsets(): Float64Array {
    const n = this.framesSeen;
    const calibration = Uint8Array.from(this.successes.subarray(0, n), (s, f) => (s === 1 && this.excluded[f] !== 1 ? 1 : 0));
    const column = new Float64Array(n);
    return Float64Array.from(this.intensityModels, (k) => {
      const model = this.bank.models[k];
      if (model.kind !== 'svr-dynamic' || model.cutoff === null || model.cutoff === -1) return 0;
      for (let f = 0; f < n; f++) column[f] = this.history.get(f, k);
      return cutoffOffset(column, calibration, model.cutoff);
    });
  }

  /** The current running medians to the predictors (HOG clamped at 0: bin 0's centre is negative). */
  private applyMedians(): void {
    const median = this.hogMedian.median;
    for (let i = 0; i < median.length; i++) this.hogMedianClamped[i] = median[i] < 0 ? 0 : median[i];
    this.bank.setMedians(this.hogMedianClamped, this.geomMedian.median);
  }

  /**
   * Leaves frames out of the person calibration, as if their descriptors had
   * never entered it: out of the running medians (from now on and in the
   * final medians) and out of the dynamic models' offsets. They are still
   * predicted, with the final medians (like the first 3000 tracked frames),
   * since the medians they were predicted with held their own descriptors.
   * `frames` (0-based, order added) must be among the last
   * `calibrationWindow` frames. Returns how many analysed frames it took out
   * (frames already out, or not analysed, do not count).
   */
  excludeFromCalibration(frames: Iterable<number>): number {
    const window = this.window;
    if (this.settled) throw new Error('AuAnalyser: excludeFromCalibration after finish()');
    if (!window) throw new Error('AuAnalyser: excludeFromCalibration needs the calibrationWindow option');
    const hogOut: Uint16Array[] = [];
    const geomOut: Uint16Array[] = [];
    let taken = 0;
    for (const f of frames) {
      const slot = window.slotOf(f);
      if (!Number.isInteger(f) || f < 0 || window.frame[slot] !== f) {
        throw new RangeError(`AuAnalyser: frame ${f} is not among the last ${window.size} frames added (${this.framesSeen} so far)`);
      }
      if (this.excluded[f] === 1 || this.successes[f] !== 1) continue;
      this.excluded[f] = 1;
      taken++;
      if (window.inMedians[slot] === 1) {
        hogOut.push(window.hogBinsAt(slot));
        geomOut.push(window.geomBinsAt(slot));
        window.inMedians[slot] = 0;
      }
      // predicted again at the end, unless it already is (one of the first maxInitFrames tracked frames)
      if (f > this.lastInitByRule) {
        this.initProjections.push(window.projectionAt(slot));
        this.initFrames.push(f);
      }
    }
    if (hogOut.length > 0) {
      this.hogMedian.remove(hogOut);
      this.geomMedian.remove(geomOut);
      this.applyMedians();
    }
    return taken;
  }

  /** PostprocessPredictions: the stored early frames predicted again with the final medians (once). */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (let i = 0; i < this.initFrames.length; i++) {
      this.bank.evaluate(this.initProjections.row(i), this.outputs);
      this.history.row(this.initFrames[i]).set(this.outputs);
    }
    // The stored projections are not needed any more.
    this.initFrames = [];
    this.initProjections = new RowBuffer(0);
  }

  /** The intensity and presence columns of one frame's model outputs (zeros for null). */
  private pick(outputs: Float64Array | null): AuFramePrediction {
    const intensity = new Float64Array(this.intensityModels.length);
    const presence = new Float64Array(this.presenceModels.length);
    if (outputs) {
      for (let j = 0; j < intensity.length; j++) intensity[j] = outputs[this.intensityModels[j]];
      for (let j = 0; j < presence.length; j++) presence[j] = outputs[this.presenceModels[j]];
    }
    return { intensity, presence };
  }
}
