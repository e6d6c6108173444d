/**
 * Eye landmarks (2D and 3D) and gaze from the CLNF tracker's eye parts,
 * against OpenFace 2.2's CSV (needs ../shared and ffmpeg).
 *
 * On a spread of lab_640x480_h264 frames, one tracking step from 2.2's
 * previous-frame parameters (2.2 re-fits the eye parts from the main model's
 * landmarks on every frame, so they carry no state of their own) gives the
 * parts' final state; from it eyeLandmarks2d, eyeLandmarks3d (with the
 * parts' own PDMs) and gazeOutputs (with the frame's pose and 3D face
 * landmarks from headPose) are compared with the row's eye_lmk_*, gaze_*.
 * Measured (24 frames): every value bit-identical to 2.2's floats (worst
 * differences 5e-8 px / mm and 5e-11, the CSV's 10-digit rounding).
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { loadClnfModels } from '../../../src/core/clnf/modelLoader.ts';
import { ClnfTracker } from '../../../src/core/clnf/tracker.ts';
import { bgrToGray } from '../../../src/core/image.ts';
import { eyeLandmarks2d, eyeLandmarks3d } from '../../../src/core/gaze/eyeLandmarks.ts';
import { gazeOutputs } from '../../../src/core/gaze/gazeEstimate.ts';
import { cameraForFrame, headPose } from '../../../src/core/pose/headPose.ts';
import { openfaceModelsPath, referenceCsvPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe.skipIf(skip !== null)(suiteTitle('eye landmarks and gaze from the tracker\'s eye parts vs OpenFace 2.2', skip), () => {
  it('lab_640x480_h264: one tracking step per frame gives 2.2\'s eye_lmk_x/y/X/Y/Z and gaze', async () => {
    const name = 'lab_640x480_h264';
    const rows = parseLandmarkCsv(readFileSync(referenceCsvPath(name), 'utf8'), name);
    const models = await loadClnfModels(async (path) => {
      try {
        return new Uint8Array(await readFile(`${openfaceModelsPath()}/${path}`));
      } catch {
        return undefined;
      }
    }, '../shared/openface-2.2');
    const tracker = new ClnfTracker(models);
    const chosen = new Set(Array.from({ length: 24 }, (_, k) => 2 + k * 35));
    let frame = 0, compared = 0;
    let worst2d = 0, worst3d = 0, worstGaze = 0, same = 0, cells = 0;
    const last = Math.max(...chosen);
    for await (const decoded of decodeVideo(sharedPath(`videos/${name}.mp4`))) {
      frame++;
      if (frame > last) break;
      if (!chosen.has(frame)) continue;
      const { width, height } = decoded.image;
      const previous = rows[frame - 2], row = rows[frame - 1];
      const result = tracker.detectLandmarks(bgrToGray(decoded.image.data, width, height), width, height, { paramsGlobal: previous.paramsGlobal!, paramsLocal: previous.paramsLocal! });
      const camera = cameraForFrame(width, height);
      const eyes2d = eyeLandmarks2d(result.parts)!;
      const eyes3d = eyeLandmarks3d(result.parts, (part) => tracker.partPdm(part), camera)!;
      const { pose, landmarks3d } = headPose(tracker.pdm, result.landmarks, result.paramsGlobal, result.paramsLocal, camera);
      const gaze = gazeOutputs(eyes3d, landmarks3d, pose);
      worst2d = Math.max(worst2d, maxAbsDiff(eyes2d, row.eyeLandmarks!));
      worst3d = Math.max(worst3d, maxAbsDiff(eyes3d, row.eyeLandmarks3d!));
      worstGaze = Math.max(worstGaze, maxAbsDiff(gaze, row.gaze!));
      for (const [ours, theirs] of [[eyes2d, row.eyeLandmarks!], [eyes3d, row.eyeLandmarks3d!], [gaze, row.gaze!]] as const) {
        for (let i = 0; i < ours.length; i++) if (ours[i] === Math.fround(theirs[i])) same++;
        cells += ours.length;
      }
      compared++;
    }
    console.log(`${name}: ${compared} frames | eye 2D max ${worst2d.toExponential(2)} px, eye 3D max ${worst3d.toExponential(2)} mm, gaze max ${worstGaze.toExponential(2)} | ${((100 * same) / cells).toFixed(2)}% bit-identical`);
    expect(compared).toBe(chosen.size);
    expect(worst2d).toBeLessThan(1e-4);
    expect(worst3d).toBeLessThan(1e-4);
    expect(worstGaze).toBeLessThan(1e-5);
  }, 300_000);
});
