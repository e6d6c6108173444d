/**
 * Gaze and eye-landmark agreement between SplitFace's CSV and OpenFace 2.2's
 * for the same video (au-compare.mjs covers the AUs and the 68 landmarks):
 * the mean absolute difference of gaze_angle_x and gaze_angle_y (radians)
 * and the mean distance of the 56 eye landmarks (pixels), over the frames
 * both tracked.
 */
import { readFileSync } from 'node:fs';
import { parseLandmarkCsv, type LandmarkRow } from '../../src/core/csv/landmarkCsv.ts';

export interface GazeAgreement {
  /** frames both CSVs tracked and gave gaze for */
  readonly frames: number;
  /** mean |ours - theirs| of gaze_angle_x and of gaze_angle_y, radians */
  readonly gazeAngleX: number;
  readonly gazeAngleY: number;
  /** mean Euclidean distance of the eye landmarks, pixels */
  readonly eyeLandmarksPx: number;
}

function trackedByFrame(path: string): Map<number, LandmarkRow> {
  const rows = parseLandmarkCsv(readFileSync(path, 'utf8'), path);
  return new Map(rows.filter((r) => r.success).map((r) => [r.frame, r]));
}

export function gazeAgreement(oursPath: string, referencePath: string): GazeAgreement | null {
  const ours = trackedByFrame(oursPath);
  const theirs = trackedByFrame(referencePath);
  let frames = 0, ax = 0, ay = 0, eyes = 0, eyePoints = 0;
  for (const [frame, ref] of theirs) {
    const row = ours.get(frame);
    if (!row?.gaze || !ref.gaze || !row.eyeLandmarks || !ref.eyeLandmarks) continue;
    frames++;
    ax += Math.abs(row.gaze[6] - ref.gaze[6]);
    ay += Math.abs(row.gaze[7] - ref.gaze[7]);
    const n = ref.eyeLandmarks.length / 2;
    for (let i = 0; i < n; i++) {
      eyes += Math.hypot(row.eyeLandmarks[i] - ref.eyeLandmarks[i], row.eyeLandmarks[n + i] - ref.eyeLandmarks[n + i]);
      eyePoints++;
    }
  }
  if (frames === 0) return null;
  return { frames, gazeAngleX: ax / frames, gazeAngleY: ay / frames, eyeLandmarksPx: eyes / eyePoints };
}
