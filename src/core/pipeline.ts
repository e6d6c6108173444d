import type { BgrImage } from './image.ts';
import type { AuColumns, FaceOutputs3d, FrameResult } from './result.ts';
import type { OpenFaceModels } from './model/openfaceModels.ts';
import { alignFace } from './align/alignFace.ts';
import { extractFhog, type FhogFeatures } from './hog/fhog.ts';
import { AuAnalyser } from './au/auAnalyser.ts';
import { fitPdm, INVERT_PROJECTION, type FitPdmOptions } from './pdm/fitPdm.ts';

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
  /** 136 values: x_0..x_67 then y_0..y_67 */
  readonly landmarks: Float64Array | null;
  /** p_scale..p_ty; fitted from the landmarks when null */
  readonly paramsGlobal: Float64Array | null;
  /** p_0..p_33; fitted from the landmarks when null */
  readonly paramsLocal: Float64Array | null;
  readonly pose: Float64Array | null;
}

/** The per-frame features, for callers that write them out (.hog, aligned PNGs). */
export interface FrameFeatures {
  readonly success: boolean;
  /** the 112x112 masked aligned face; null for a frame without a face */
  readonly alignedFace: BgrImage | null;
  readonly hog: FhogFeatures | null;
}

/** Where the time goes, in milliseconds summed over all frames. */
export const STAGES = ['fit', 'align', 'hog', 'au'] as const;
export type Stage = (typeof STAGES)[number];

export interface VideoResult {
  readonly rows: FrameResult[];
  readonly auColumns: AuColumns;
}

/**
 * OpenFace's FaceAnalyser for one face track: frames go in in order, each is
 * aligned, described (FHOG + geometry) and fed to the running-median AU
 * predictors; `finish` applies the end-of-video postprocessing. One instance
 * per video and face: all state (medians, history) lives here.
 */
export class AuPipeline {
  private readonly analyser: AuAnalyser;
  private readonly observations: FaceObservation[] = [];
  private readonly stageMs: Record<Stage, number> = { fit: 0, align: 0, hog: 0, au: 0 };

  /**
   * `fitOptions` govern the PDM fit for landmarks that come without
   * parameters. The default inverts the projection exactly (no
   * regularisation), which recovers OpenFace's own parameters from OpenFace's
   * landmarks; noisy landmarks from elsewhere want OpenFace's regularised
   * CalcParams (`{}`).
   */
  constructor(
    private readonly models: OpenFaceModels,
    private readonly fitOptions: FitPdmOptions = INVERT_PROJECTION,
  ) {
    this.analyser = new AuAnalyser(models.au, models.pdm);
  }

  addFrame(image: BgrImage, face: FaceObservation): FrameFeatures {
    const landmarks = face.success ? face.landmarks : null;
    if (!landmarks) {
      this.observations.push({ ...face, success: false });
      this.time('au', () => this.analyser.addFrame({ hog: null, paramsLocal: null, success: false }));
      return { success: false, alignedFace: null, hog: null };
    }
    let { paramsGlobal, paramsLocal } = face;
    if (!paramsGlobal || !paramsLocal) {
      const fit = this.time('fit', () => fitPdm(this.models.pdm, landmarks, this.fitOptions));
      paramsGlobal = fit.paramsGlobal;
      paramsLocal = fit.paramsLocal;
    }
    const rigid = paramsGlobal;
    const local = paramsLocal;
    this.observations.push({ ...face, paramsGlobal: rigid, paramsLocal: local });
    const alignedFace = this.time('align', () => alignFace(image, landmarks, rigid, this.models.pdm, this.models.triangulation));
    const hog = this.time('hog', () => extractFhog(alignedFace));
    this.time('au', () => this.analyser.addFrame({ hog: hog.values, paramsLocal: local, paramsGlobal: rigid, success: true }));
    return { success: true, alignedFace, hog };
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
