/**
 * Where a run's landmarks come from, one frame at a time: an OpenFace CSV
 * (CLI), SplitFace's own tracker (CLI and browser), or, without the user's
 * OpenFace folder, the npm-package nets alone (browser).
 */
import type { FaceObservation } from '../pipeline.ts';
import type { DecodedFrame } from './frame.ts';
import type { VideoFaceTracker } from '../track/videoFaceTracker.ts';
import type { FaceDetectorStage, InitialLandmarkStage } from '../track/faceTracker.ts';
import type { ClnfModels } from '../clnf/modelLoader.ts';
import type { ClnfResult } from '../clnf/tracker.ts';
import type { LandmarkModelInfo } from '../model/landmarkModel.ts';
import { cameraForFrame, headPose, type CameraIntrinsics } from '../pose/headPose.ts';
import { eyeLandmarks2d, eyeLandmarks3d, type PartPdmLookup } from '../gaze/eyeLandmarks.ts';
import { gazeOutputs } from '../gaze/gazeEstimate.ts';
import type { FaceOutputs3d } from '../result.ts';
import { NO_OUTPUTS_3D } from '../result.ts';

export interface FaceSource {
  /**
   * The faces in one frame. With one face there is always exactly one
   * observation (success false when no face was found), so every frame gets
   * its row, as in OpenFace.
   */
  facesIn(frame: DecodedFrame): Promise<FaceObservation[]>;
  /** milliseconds spent per stage, summed over frames */
  timings(): Record<string, number>;
  /** what produced the landmarks, for the provenance file */
  readonly provenance: Record<string, unknown>;
  /** a note for the user at the end of the run, or null */
  note(): string | null;
  release(): Promise<void>;
}

/** The row of a frame without a face: success 0, as OpenFace writes it. */
export function failedObservation(frame: DecodedFrame, faceId: number): FaceObservation {
  return {
    frame: frame.index + 1,
    faceId,
    timestamp: frame.timestamp,
    success: false,
    confidence: 0,
    landmarks: null,
    paramsGlobal: null,
    paramsLocal: null,
    pose: null,
    ...NO_OUTPUTS_3D,
  };
}

function missedFacesNote(failed: number, allFaces: boolean): string | null {
  if (failed === 0) return null;
  return `${failed} ${allFaces ? 'face-frames' : 'frames'} without a tracked face (success=0): no face found, or the face validator rejected the fit`;
}

/** Provenance fields shared by the tracker sources. */
export interface TrackerDescription {
  /** the inference backend, e.g. 'onnxruntime-web (wasm, 2 threads)' */
  readonly inference: string;
  /** the npm-package models that start every-face tracks (manifest entries or their file names) */
  readonly models: readonly unknown[];
  /** the landmark model from the OpenFace folder (2.2's CLNF and MTCNN) */
  readonly landmarkModel: LandmarkModelInfo;
}

/**
 * What OpenFace 2.2's FeatureExtraction writes beside the 2D landmarks:
 * head pose and 3D landmarks (GetPose, GetShape) and the eye models' 2D and
 * 3D landmarks, on every frame from the tracker's state, and gaze only on
 * frames it reports as tracked (zeros otherwise, as 2.2 writes them).
 */
function outputs3d(fit: ClnfResult, clnf: ClnfModels, partPdm: PartPdmLookup, camera: CameraIntrinsics): FaceOutputs3d & { pose: Float64Array } {
  const { pose, landmarks3d } = headPose(clnf.main.pdm, fit.landmarks, fit.paramsGlobal, fit.paramsLocal, camera);
  const eyeLandmarks = eyeLandmarks2d(fit.parts);
  const eyes3d = eyeLandmarks === null ? null : eyeLandmarks3d(fit.parts, partPdm, camera);
  const gaze = fit.success && eyes3d !== null ? gazeOutputs(eyes3d, landmarks3d, pose) : eyes3d === null ? null : new Float64Array(8);
  return { pose, landmarks3d, eyeLandmarks, eyeLandmarks3d: eyes3d, gaze };
}

/**
 * SplitFace's own tracker (OpenFace 2.2's MTCNN and CLNF for one face; for
 * every face, BlazeFace and face-api start CLNF's tracks), with 2.2's head
 * pose, 3D and eye landmarks and gaze. `release` frees the tracker's sessions.
 */
export function trackerFaceSource(
  tracker: VideoFaceTracker,
  clnf: ClnfModels,
  allFaces: boolean,
  description: TrackerDescription,
  release: () => Promise<void>,
): FaceSource {
  let poseMs = 0;
  let failed = 0;
  const partPdm: PartPdmLookup = (name) => clnf.parts.find((part) => part.name === name)?.model.pdm;
  return {
    async facesIn(frame) {
      const faces = await tracker.next(frame.image);
      if (!allFaces && faces.length === 0) {
        failed++;
        return [failedObservation(frame, 0)];
      }
      const camera = cameraForFrame(frame.image.width, frame.image.height);
      return faces.map(({ faceId, fit, redetected }) => {
        if (!fit.success) failed++;
        // the camera is 2.2's guess from the frame size
        const start = performance.now();
        const extra = outputs3d(fit, clnf, partPdm, camera);
        poseMs += performance.now() - start;
        return {
          frame: frame.index + 1,
          faceId,
          timestamp: frame.timestamp,
          success: fit.success,
          detectionSuccess: fit.detectionSuccess,
          confidence: fit.confidence,
          ...(redetected === undefined ? {} : { redetected }),
          landmarks: fit.landmarks,
          paramsGlobal: fit.paramsGlobal,
          paramsLocal: fit.paramsLocal,
          ...extra,
        };
      });
    },
    timings: () => ({ ...tracker.timings, pose: poseMs }),
    provenance: allFaces
      ? {
          source: 'splitface-tracker',
          faces: 'all (BlazeFace and face-api start a track per face, CLNF follows each)',
          landmark_model: description.landmarkModel,
          clnf_kernels: tracker.kernels,
          detector: description.models[0],
          initial_landmarks: description.models[1],
          inference: description.inference,
        }
      : {
          source: 'splitface-tracker',
          faces: 'one, followed as OpenFace 2.2 FeatureExtraction follows it',
          landmark_model: description.landmarkModel,
          clnf_kernels: tracker.kernels,
        },
    note: () => missedFacesNote(failed, allFaces),
    release,
  };
}

/**
 * Without the user's OpenFace folder there is no CLNF and no PDM: every frame
 * is detected afresh and face-api's 68 points are written as they come
 * (confidence = the detector's score), without pose, parameters or AUs.
 */
export function landmarkOnlyFaceSource(
  detector: FaceDetectorStage,
  initial: InitialLandmarkStage,
  allFaces: boolean,
  description: TrackerDescription,
  release: () => Promise<void>,
): FaceSource {
  const timings = { detect: 0, landmarks: 0 };
  let failed = 0;
  return {
    async facesIn(frame) {
      let start = performance.now();
      const detections = [...(await detector.detect(frame.image))].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
      timings.detect += performance.now() - start;
      const chosen = allFaces ? detections : detections.slice(0, 1);
      if (chosen.length === 0) {
        failed++;
        return allFaces ? [] : [failedObservation(frame, 0)];
      }
      start = performance.now();
      const observations: FaceObservation[] = [];
      for (const [faceId, detection] of chosen.entries()) {
        observations.push({
          frame: frame.index + 1,
          faceId,
          timestamp: frame.timestamp,
          success: true,
          confidence: detection.score,
          landmarks: await initial.landmarksFor(frame.image, detection),
          paramsGlobal: null,
          paramsLocal: null,
          pose: null,
          ...NO_OUTPUTS_3D,
        });
      }
      timings.landmarks += performance.now() - start;
      return observations;
    },
    timings: () => ({ ...timings }),
    provenance: {
      source: 'splitface-detector-only',
      inference: description.inference,
      detector: description.models[0],
      landmarks: description.models[1],
      refinement: 'none: no OpenFace model folder, so no CLNF, PDM, pose or AUs',
      faces: allFaces ? 'all (ids in order of size, not tracked)' : 'largest',
    },
    note: () => {
      const missed = missedFacesNote(failed, allFaces);
      const why = 'Landmarks only: AU columns, pose and PDM parameters need the OpenFace model folder.';
      return missed ? `${why} ${missed}` : why;
    },
    release,
  };
}
