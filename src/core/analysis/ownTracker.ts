/**
 * SplitFace's own face tracking, assembled from its parts for any ONNX
 * runtime. One face (the default) is followed exactly as OpenFace 2.2 does:
 * its MTCNN and CLNF, both from the user's model folder. Every face
 * (`allFaces`): BlazeFace (back-camera variant, which also finds small faces)
 * and face-api's 68-point net start the tracks, CLNF follows them. Without
 * the folder, BlazeFace and face-api alone give landmarks. The CLI passes
 * onnxruntime-node, the browser's workers onnxruntime-web.
 */
import { BlazeFaceDetector, BLAZEFACE_BACK } from '../detect/blazeface.ts';
import { FaceApi68Landmarker } from '../landmarks/faceApi68.ts';
import { BLAZEFACE_TO_FACE_API_CROP, squareCropAround } from '../landmarks/faceCrop.ts';
import { ClnfTracker } from '../clnf/index.ts';
import { MtcnnDetector } from '../detect/mtcnn/index.ts';
import { FaceTracker, type FaceDetectorStage, type FaceTrackerOptions, type InitialLandmarkStage } from '../track/faceTracker.ts';
import { SingleFaceTracker, type StartBoxShift } from '../track/singleFaceTracker.ts';
import type { TrackingModels } from '../track/trackingModels.ts';
import type { VideoFaceTracker } from '../track/videoFaceTracker.ts';
import type { InferenceBackend } from '../../models/onnx.ts';

/** The npm-package nets (bytes of public/models files). */
export interface DetectionModelBytes {
  readonly blazeFaceBack: Uint8Array;
  readonly faceApi68: Uint8Array;
}

/** The detector and the rough-landmark stage, with their inference sessions. */
export interface DetectionStages {
  readonly detector: FaceDetectorStage;
  readonly initial: InitialLandmarkStage;
  release(): Promise<void>;
}

export async function createDetectionStages(backend: InferenceBackend, models: DetectionModelBytes): Promise<DetectionStages> {
  const detector = await BlazeFaceDetector.create(backend, models.blazeFaceBack, BLAZEFACE_BACK);
  const landmarker = await FaceApi68Landmarker.create(backend, models.faceApi68);
  return {
    detector,
    initial: { landmarksFor: (image, detection) => landmarker.detect(image, squareCropAround(detection.box, BLAZEFACE_TO_FACE_API_CROP)) },
    release: async () => {
      await detector.release();
      await landmarker.release();
    },
  };
}

/** The tracker options a caller picks; `startShift` (one face only) is for tests: a deliberately wrong start. */
export type TrackerChoice = Partial<FaceTrackerOptions> & { readonly startShift?: StartBoxShift | null };

/** A new tracker (one per video: it holds the video's tracks); the every-face tracker uses the shared stages. */
export function createFaceTracker(stages: DetectionStages, models: TrackingModels, options: TrackerChoice): VideoFaceTracker {
  if (options.allFaces) return new FaceTracker(stages.detector, stages.initial, new ClnfTracker(models.clnf), options);
  return new SingleFaceTracker(new MtcnnDetector(models.mtcnn), new ClnfTracker(models.clnf), options.startShift ?? null);
}
