import { createDetectionStages, createFaceTracker } from '../core/analysis/ownTracker.ts';
import type { TrackerChoice } from '../core/analysis/ownTracker.ts';
import type { VideoFaceTracker } from '../core/track/videoFaceTracker.ts';
import { createNodeBackend, type ExecutionProvider, DEFAULT_EXECUTION_PROVIDER } from '../models/node.ts';
import { readModelFile } from '../models/nodeModelStore.ts';
import { MODEL_FILES, type ModelFileEntry } from '../models/manifest.ts';
import type { ModelFolder } from './modelFolder.ts';

export interface OwnTracker {
  readonly tracker: VideoFaceTracker;
  /** the inference backend actually used, e.g. 'onnxruntime-node (cpu, 1 thread)' */
  readonly backend: string;
  /** the npm-package models used, for the provenance file */
  readonly models: readonly ModelFileEntry[];
  release(): Promise<void>;
}

/** SplitFace's own face tracker on onnxruntime-node, with the models from public/models. */
export async function createOwnTracker(
  folder: ModelFolder,
  options: TrackerChoice,
  executionProvider: ExecutionProvider = DEFAULT_EXECUTION_PROVIDER,
  onFallback: (message: string) => void = () => {},
): Promise<OwnTracker> {
  const backend = createNodeBackend({ executionProvider, onFallback });
  const detectorFile = readModelFile(MODEL_FILES.blazeFaceBack);
  const landmarkFile = readModelFile(MODEL_FILES.faceApiLandmarks68);
  const stages = await createDetectionStages(backend, { blazeFaceBack: detectorFile.bytes, faceApi68: landmarkFile.bytes });
  return {
    tracker: createFaceTracker(stages, await folder.tracking(), options),
    backend: backend.name,
    models: [detectorFile.entry, landmarkFile.entry],
    release: () => stages.release(),
  };
}
