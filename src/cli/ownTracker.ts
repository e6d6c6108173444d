import { BlazeFaceDetector, BLAZEFACE_BACK } from '../core/detect/blazeface.ts';
import { FaceApi68Landmarker } from '../core/landmarks/faceApi68.ts';
import { BLAZEFACE_TO_FACE_API_CROP, squareCropAround } from '../core/landmarks/faceCrop.ts';
import { ClnfTracker } from '../core/clnf/index.ts';
import { FaceTracker, type FaceTrackerOptions } from '../core/track/faceTracker.ts';
import { createNodeBackend, type ExecutionProvider } from '../models/node.ts';
import { readModelFile } from '../models/nodeModelStore.ts';
import { MODEL_FILES, type ModelFileEntry } from '../models/manifest.ts';
import type { ModelFolder } from './modelFolder.ts';

export interface OwnTracker {
  readonly tracker: FaceTracker;
  /** the inference backend actually used, e.g. 'onnxruntime-node (cpu, 1 thread)' */
  readonly backend: string;
  /** the npm-package models used, for the provenance file */
  readonly models: readonly ModelFileEntry[];
  release(): Promise<void>;
}

/**
 * SplitFace's own face tracker for Node: BlazeFace (back-camera variant, which
 * also finds small faces) and face-api's 68-point net from public/models start
 * a track, OpenFace's CLNF from the user's model folder follows it.
 */
export async function createOwnTracker(
  folder: ModelFolder,
  options: Partial<FaceTrackerOptions>,
  executionProvider: ExecutionProvider = 'cpu',
  onFallback: (message: string) => void = () => {},
): Promise<OwnTracker> {
  const backend = createNodeBackend({ executionProvider, onFallback });
  const detectorFile = readModelFile(MODEL_FILES.blazeFaceBack);
  const landmarkFile = readModelFile(MODEL_FILES.faceApiLandmarks68);
  const detector = await BlazeFaceDetector.create(backend, detectorFile.bytes, BLAZEFACE_BACK);
  const landmarker = await FaceApi68Landmarker.create(backend, landmarkFile.bytes);
  const clnf = new ClnfTracker(await folder.clnf());
  const tracker = new FaceTracker(
    detector,
    { landmarksFor: (image, detection) => landmarker.detect(image, squareCropAround(detection.box, BLAZEFACE_TO_FACE_API_CROP)) },
    clnf,
    options,
  );
  return {
    tracker,
    backend: backend.name,
    models: [detectorFile.entry, landmarkFile.entry],
    release: async () => {
      await detector.release();
      await landmarker.release();
    },
  };
}
