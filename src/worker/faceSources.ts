/**
 * The face source of one video stream as the app builds it, in the analysis
 * worker itself or in a nested tracker worker (trackerWorker.ts): SplitFace's
 * own tracker with the OpenFace folder, the detector and landmark net alone
 * without it. One definition, so both places give the same landmarks and the
 * same provenance.
 */
import { createFaceTracker, type DetectionStages } from '../core/analysis/ownTracker.ts';
import { landmarkOnlyFaceSource, trackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
import { describeLandmarkModel } from '../core/model/landmarkModel.ts';
import type { TrackingModels } from '../core/track/trackingModels.ts';
import type { StartBoxShift } from '../core/track/singleFaceTracker.ts';

/** What a stream's source is built from. */
export interface SourceEngine {
  /** the inference backend's name, for the provenance */
  readonly inference: string;
  /** 2.2's CLNF and MTCNN from the user's folder, or null without it */
  readonly tracking: TrackingModels | null;
  /** the folder also held CE-CLM's CEN weights (said in the provenance) */
  readonly cenWeights: boolean;
}

/** How a stream is followed. */
export interface SourceChoice {
  /** every face instead of the largest */
  readonly allFaces: boolean;
  /** tests only: start the tracker from a box moved off the face */
  readonly startShift?: StartBoxShift;
}

/** Whether the source needs the npm-package nets (BlazeFace, face-api): every face, or no OpenFace folder. */
export function needsDetectionStages(engine: SourceEngine, choice: SourceChoice): boolean {
  return choice.allFaces || engine.tracking === null;
}

/** The source of one stream; the detection sessions outlive it (the worker reuses them), so `release` keeps them. */
export function streamFaceSource(engine: SourceEngine, stages: DetectionStages, choice: SourceChoice): FaceSource {
  const description = { inference: engine.inference, models: ['blazeface_back_256.onnx', 'face_landmark_68.onnx'], landmarkModel: describeLandmarkModel(engine.cenWeights) };
  const keepStages = async () => {};
  return engine.tracking
    ? trackerFaceSource(createFaceTracker(stages, engine.tracking, { allFaces: choice.allFaces, startShift: choice.startShift }), engine.tracking.clnf, choice.allFaces, description, keepStages)
    : landmarkOnlyFaceSource(stages.detector, stages.initial, choice.allFaces, description, keepStages);
}
