import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SplitFaceError } from '../core/errors.ts';
import { parseLandmarkCsv, type LandmarkRow } from '../core/csv/landmarkCsv.ts';
import { failedObservation, trackerFaceSource as coreTrackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
import type { TrackerChoice } from '../core/analysis/ownTracker.ts';
import type { ModelFolder } from './modelFolder.ts';
import { createOwnTracker } from './ownTracker.ts';
import { DEFAULT_EXECUTION_PROVIDER, type ExecutionProvider } from '../models/node.ts';

export type { FaceSource } from '../core/analysis/faceSource.ts';

/** Per-frame landmarks (and parameters, pose, gaze, eye and 3D landmarks) from an OpenFace CSV, matched on `frame`. */
export function csvFaceSource(path: string): FaceSource {
  if (!existsSync(path)) throw new SplitFaceError(`${path}: no such file`);
  const rows = parseLandmarkCsv(readFileSync(path, 'utf8'), path);
  const byFrame = new Map<number, LandmarkRow>(rows.map((row) => [row.frame, row]));
  let missing = 0;
  return {
    async facesIn(frame) {
      const row = byFrame.get(frame.index + 1);
      if (!row) {
        missing++;
        return [failedObservation(frame, 0)];
      }
      return [{
        frame: frame.index + 1,
        faceId: 0,
        timestamp: frame.timestamp,
        success: row.success,
        confidence: row.confidence,
        landmarks: row.landmarks,
        paramsGlobal: row.paramsGlobal,
        paramsLocal: row.paramsLocal,
        pose: row.pose,
        // OpenFace 2.2's gaze, eye landmarks and 3D landmarks, when the CSV has them
        gaze: row.gaze,
        eyeLandmarks: row.eyeLandmarks,
        eyeLandmarks3d: row.eyeLandmarks3d,
        landmarks3d: row.landmarks3d,
      }];
    },
    timings: () => ({}),
    get provenance() {
      return { source: 'openface-csv', file: resolve(path), frames_without_a_row: missing };
    },
    note: () => (missing > 0 ? `${missing} frames had no row in ${path} and were written as success=0` : null),
    release: async () => {},
  };
}

/** SplitFace's own detector, landmarks and CLNF tracking, on onnxruntime-node. */
export async function trackerFaceSource(
  folder: ModelFolder,
  options: TrackerChoice,
  executionProvider: ExecutionProvider = DEFAULT_EXECUTION_PROVIDER,
  onFallback?: (message: string) => void,
): Promise<FaceSource> {
  const own = await createOwnTracker(folder, options, executionProvider, onFallback);
  const tracking = await folder.tracking();
  const description = { inference: own.backend, models: own.models, landmarkModel: folder.landmarkModel };
  return coreTrackerFaceSource(own.tracker, tracking.clnf, options.allFaces === true, description, () => own.release());
}
