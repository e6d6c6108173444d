import type { BgrImage } from './image.ts';
import type { AuColumns, FaceOutputs3d, FrameResult } from './result.ts';
import type { OpenFaceModels } from './model/openfaceModels.ts';
import { createBgrImage } from './image.ts';
import { alignFace } from './align/alignFace.ts';
import { extractFhog, type FhogFeatures } from './hog/fhog.ts';
import { AuAnalyser, type AuFramePrediction, type AuVideoStream } from './au/auAnalyser.ts';
import { calcParams, toFloat32Pdm, type Float32Pdm } from './pdm/calcParams.ts';
import type { Pdm } from './pdm/pdm.ts';

/** What the landmark stage knows about the face in one frame. */
export interface FaceObservation extends FaceOutputs3d {
  /** 1-based frame number */
  readonly frame: number;
  /** which face (0 for the only or first face) */
  readonly faceId: number;
  readonly timestamp: number;
  /** the CSV's success column */
  readonly success: boolean;
  /**
   * Whether the landmark validator accepted this frame's fit, which is what
   * OpenFace 2.2's FaceAnalyser is given (face_model.detection_success). It
   * differs from `success` only on an initial detection that the validator
   * rejects: the tracker keeps that fit (success = 1 in the CSV), but the AU
   * engine treats the frame as failed. Undefined: same as `success`.
   */
  readonly detectionSuccess?: boolean;
  readonly confidence: number;
  /**
   * The tracker started this fit afresh from the face detector's box on this
   * frame (a re-detection); undefined when the source cannot say (an
   * OpenFace CSV). The tracking-quality verdict reads it.
   */
  readonly redetected?: boolean;
  /** 136 values: x_0..x_67 then y_0..y_67 */
  readonly landmarks: Float64Array | null;
  /**
   * p_scale..p_ty of the tracker, written to the CSV. The AU engine does not
   * use them: like OpenFace 2.2's FaceAnalyser it fits its own parameters to
   * the landmarks. When null the CSV gets that fit instead.
   */
  readonly paramsGlobal: Float64Array | null;
  /** p_0..p_33 of the tracker (see paramsGlobal) */
  readonly paramsLocal: Float64Array | null;
  readonly pose: Float64Array | null;
}

/** The per-frame features, for callers that write them out (.hog, aligned PNGs). */
export interface FrameFeatures {
  /** the CSV's success: the .hog file's flag, and whether OpenFace writes the aligned face */
  readonly success: boolean;
  /**
   * the 112x112 masked aligned face; black when the tracker kept a fit the
   * validator rejected (frame-1 rule); null for a frame without a face
   */
  readonly alignedFace: BgrImage | null;
  /** its FHOG (all zeros for a black face); null for a frame without a face */
  readonly hog: FhogFeatures | null;
  /**
   * The AU predictions as OpenFace 2.2 has them during tracking (its CSV
   * before the end-of-video postprocessing): raw SVR intensities (not shifted,
   * clipped or smoothed) and SVM presences, with the running medians as they
   * stand after this frame; all 0 on a frame the analyser did not analyse.
   */
  readonly online: AuFramePrediction;
  /** the frame's CSV row before the AU columns: the observation, with this fit's parameters where it had none */
  readonly row: FaceObservation;
}

/** OpenFace's aligned face size (FaceAnalyserParameters: sim_size_au). */
const ALIGNED_SIZE = 112;

const float32Pdms = new WeakMap<Pdm, Float32Pdm>();

/** FaceAnalyser's PDM: the model folder's, held in float as 2.2 reads it (one copy per loaded PDM). */
function analyserPdm(pdm: Pdm): Float32Pdm {
  let f = float32Pdms.get(pdm);
  if (!f) float32Pdms.set(pdm, (f = toFloat32Pdm(pdm)));
  return f;
}

/** Where the time goes, in milliseconds summed over all frames. */
export const STAGES = ['fit', 'align', 'hog', 'au'] as const;
export type Stage = (typeof STAGES)[number];

/** Options of one face's AU pipeline. */
export interface AuPipelineOptions {
  /** `false`: the caller stores each frame's `row` itself (a long video's rows spilled out of memory) and ends with finishStream */
  readonly keepRows?: boolean;
  /** how many of the latest frames can still be left out of the calibration (excludeFromCalibration); 0: none */
  readonly calibrationWindow?: number;
}

export interface VideoResult {
  readonly rows: FrameResult[];
  readonly auColumns: AuColumns;
}

/**
 * OpenFace 2.2's FaceAnalyser for one face track, as FeatureExtraction drives
 * it: frames go in in order; on each frame the analyser's own PDM is fitted
 * to the landmarks (CalcParams), the face aligned with that fit's
 * translation, described (FHOG + the fit's local parameters as geometry) and
 * fed to the running-median AU predictors; `finish` applies the end-of-video
 * postprocessing. One instance per video and face: all state (medians,
 * history) lives here.
 */
export class AuPipeline {
  private readonly analyser: AuAnalyser;
  private readonly pdm: Float32Pdm;
  private readonly observations: FaceObservation[] = [];
  private readonly stageMs: Record<Stage, number> = { fit: 0, align: 0, hog: 0, au: 0 };
  /** the black face and its FHOG, for frames the validator rejected (made once) */
  private blank: { face: BgrImage; hog: FhogFeatures } | null = null;
  private readonly keepRows: boolean;
  /** the video frame numbers of the latest frames added, by the analyser's frame index modulo the window */
  private readonly recentFrames: Int32Array;

  constructor(
    private readonly models: OpenFaceModels,
    options: AuPipelineOptions = {},
  ) {
    this.pdm = analyserPdm(models.pdm);
    this.keepRows = options.keepRows ?? true;
    const window = options.calibrationWindow ?? 0;
    this.analyser = new AuAnalyser(models.au, this.pdm, { calibrationWindow: window });
    this.recentFrames = new Int32Array(window).fill(-1);
  }

  /**
   * Leaves the frames numbered `first`..`last` (the rows' 1-based `frame`)
   * out of the person calibration (AuAnalyser.excludeFromCalibration); they
   * must be among the last `calibrationWindow` frames added. Returns how
   * many analysed frames were taken out.
   */
  excludeFromCalibration(first: number, last: number): number {
    const size = this.recentFrames.length;
    const added = this.analyser.frameCount;
    const indices: number[] = [];
    for (let index = Math.max(0, added - size); index < added; index++) {
      const frame = this.recentFrames[index % size];
      if (frame >= first && frame <= last) indices.push(index);
    }
    return this.analyser.excludeFromCalibration(indices);
  }

  /** Remembers which video frame the analyser's next frame is (for excludeFromCalibration). */
  private noteFrame(frame: number): void {
    const size = this.recentFrames.length;
    if (size > 0) this.recentFrames[this.analyser.frameCount % size] = frame;
  }

  /**
   * Adds one frame. `face.success` is the tracker's verdict (the CSV's
   * success); the AU engine analyses the frame only when the landmark
   * validator accepted it too (`detectionSuccess`, what 2.2 hands
   * FaceAnalyser). A tracked frame it does not analyse gets a black aligned
   * face, zero FHOG and AUs 0, and stays out of the running medians.
   */
  addFrame(image: BgrImage, face: FaceObservation): FrameFeatures {
    this.noteFrame(face.frame);
    const landmarks = face.success ? face.landmarks : null;
    if (!landmarks) {
      const row = this.record({ ...face, success: false });
      const online = this.time('au', () => this.analyser.addFrame({ hog: null, paramsLocal: null, success: false }));
      return { success: false, alignedFace: null, hog: null, online, row };
    }
    if (face.detectionSuccess === false) {
      const row = this.record(face);
      const online = this.time('au', () => this.analyser.addFrame({ hog: null, paramsLocal: null, success: false }));
      const blank = this.blankFace();
      return { success: true, alignedFace: { ...blank.face, data: blank.face.data.slice() }, hog: blank.hog, online, row };
    }
    const fit = this.time('fit', () => calcParams(this.pdm, landmarks));
    const row = this.record(face.paramsGlobal && face.paramsLocal ? face : { ...face, paramsGlobal: fit.paramsGlobal, paramsLocal: fit.paramsLocal });
    const alignedFace = this.time('align', () => alignFace(image, landmarks, fit.paramsGlobal, this.pdm, this.models.triangulation));
    const hog = this.time('hog', () => extractFhog(alignedFace));
    const online = this.time('au', () => this.analyser.addFrame({ hog: hog.values, paramsLocal: fit.paramsLocal, paramsGlobal: fit.paramsGlobal, success: true }));
    return { success: true, alignedFace, hog, online, row };
  }

  private record(row: FaceObservation): FaceObservation {
    if (this.keepRows) this.observations.push(row);
    return row;
  }

  /** The end-of-video AU values, frame by frame in the order added (for rows the caller kept; see keepRows). */
  finishStream(): AuVideoStream {
    return this.time('au', () => this.analyser.finishStream());
  }

  private blankFace(): { face: BgrImage; hog: FhogFeatures } {
    if (!this.blank) {
      const face = createBgrImage(ALIGNED_SIZE, ALIGNED_SIZE);
      this.blank = { face, hog: extractFhog(face) };
    }
    return this.blank;
  }

  /** The rows of the whole video, after OpenFace's offline postprocessing. */
  finish(): VideoResult {
    const aus = this.time('au', () => this.analyser.finish());
    const rows = this.observations.map((face, i): FrameResult => ({
      frame: face.frame,
      faceId: face.faceId,
      timestamp: face.timestamp,
      confidence: face.confidence,
      success: face.success,
      pose: face.pose,
      gaze: face.gaze,
      eyeLandmarks: face.eyeLandmarks,
      eyeLandmarks3d: face.eyeLandmarks3d,
      landmarks3d: face.landmarks3d,
      landmarks: face.landmarks,
      paramsGlobal: face.paramsGlobal,
      paramsLocal: face.paramsLocal,
      auIntensity: aus.frames[i].intensity,
      auPresence: aus.frames[i].presence,
    }));
    return { rows, auColumns: { intensityNames: aus.intensityNames, presenceNames: aus.presenceNames } };
  }

  /** The AU column names, in the order of `FrameFeatures.online` and of the rows' AU values. */
  get auColumns(): AuColumns {
    return { intensityNames: this.analyser.intensityNames, presenceNames: this.analyser.presenceNames };
  }

  timings(): Readonly<Record<Stage, number>> {
    return { ...this.stageMs };
  }

  private time<T>(stage: Stage, work: () => T): T {
    const start = performance.now();
    const result = work();
    this.stageMs[stage] += performance.now() - start;
    return result;
  }
}
