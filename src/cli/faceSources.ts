import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SplitFaceError } from '../core/errors.ts';
import { parseLandmarkCsv, type LandmarkRow } from '../core/csv/landmarkCsv.ts';
import type { FaceObservation } from '../core/pipeline.ts';
import type { FaceTrackerOptions } from '../core/track/faceTracker.ts';
import type { DecodedFrame } from './ffmpegDecode.ts';
import type { ModelFolder } from './modelFolder.ts';
import { createOwnTracker } from './ownTracker.ts';
import type { ExecutionProvider } from '../models/node.ts';
import { cameraForFrame, headPose } from '../core/pose/headPose.ts';
import type { Pdm } from '../core/pdm/pdm.ts';

/** Where a run's landmarks come from: an OpenFace CSV, or SplitFace's own tracker. */
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

function failedObservation(frame: DecodedFrame, faceId: number): FaceObservation {
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
  };
}

/** Per-frame landmarks (and parameters) from an OpenFace CSV, matched on `frame`. */
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

/** SplitFace's own detector, landmarks and CLNF tracking. */
export async function trackerFaceSource(
  folder: ModelFolder,
  options: Partial<FaceTrackerOptions>,
  executionProvider: ExecutionProvider = 'cpu',
  onFallback?: (message: string) => void,
): Promise<FaceSource> {
  const own = await createOwnTracker(folder, options, executionProvider, onFallback);
  const pdm: Pdm = folder.au.pdm;
  let poseMs = 0;
  const allFaces = options.allFaces === true;
  let failed = 0;
  return {
    async facesIn(frame) {
      const faces = await own.tracker.next(frame.image);
      if (!allFaces && faces.length === 0) {
        failed++;
        return [failedObservation(frame, 0)];
      }
      const camera = cameraForFrame(frame.image.width, frame.image.height);
      return faces.map(({ faceId, fit }) => {
        if (!fit.success) failed++;
        // OpenFace's pose: solvePnP from the PDM's 3D shape, camera guessed from the frame size.
        const start = performance.now();
        const { pose } = headPose(pdm, fit.landmarks, fit.paramsGlobal, fit.paramsLocal, camera);
        poseMs += performance.now() - start;
        return {
          frame: frame.index + 1,
          faceId,
          timestamp: frame.timestamp,
          success: fit.success,
          confidence: fit.confidence,
          landmarks: fit.landmarks,
          paramsGlobal: fit.paramsGlobal,
          paramsLocal: fit.paramsLocal,
          pose,
        };
      });
    },
    timings: () => ({ ...own.tracker.timings, pose: poseMs }),
    provenance: {
      source: 'splitface-tracker',
      inference: own.backend,
      detector: own.models[0],
      initial_landmarks: own.models[1],
      refinement: 'OpenFace CLNF (model/main_clnf_general.txt from the OpenFace model folder)',
      faces: allFaces ? 'all' : 'largest',
    },
    note: () => (failed > 0 ? `${failed} ${allFaces ? 'face-frames' : 'frames'} without a tracked face (success=0): no face found, or the face validator rejected the fit` : null),
    release: () => own.release(),
  };
}
