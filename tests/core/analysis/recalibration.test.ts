/**
 * Issue #15, point 1: a wrong start of the track leaves the person
 * calibration. The first 30 frames of al_pacino, tracked twice: as is, and
 * with the tracker started from a box moved off the face for the first 8
 * frames (then started again from the detector's box, the correction). The
 * analysis finds the wrong start and leaves it out; the shifted run's AUs
 * after the stretch are then the ones a right track gives with the same
 * frames calibrated, much closer than when the wrong start stays in.
 *
 * Against the unshifted run with OpenFace's calibration (frames 1-8
 * included, fitted right) the gain is not there on this clip: the median
 * barely moves for 4 wrong frames of 15, and leaving 4 right ones out moves
 * it about as much. Both distances are printed for the record.
 */
import { describe, expect, it } from 'vitest';
import '../../../src/cli/relaxedSimd.ts';
import { loadModelFolder } from '../../../src/cli/modelFolder.ts';
import { trackerFaceSource } from '../../../src/cli/faceSources.ts';
import { decodeVideo } from '../../../src/cli/ffmpegDecode.ts';
import { VideoAnalysis } from '../../../src/core/analysis/videoAnalysis.ts';
import { AuPipeline, type FaceObservation } from '../../../src/core/pipeline.ts';
import type { BgrImage } from '../../../src/core/image.ts';
import type { StartBoxShift } from '../../../src/core/track/singleFaceTracker.ts';
import type { FrameResult } from '../../../src/core/result.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true);
const FRAMES = 30;
// measured: with this move CLNF settles 0.3-0.36 eye-distances off the face on al_pacino and the validator accepts it
const SHIFT: StartBoxShift = { frames: 8, dx: 0.35, dy: 0.1 };

describe.skipIf(skip !== null)(suiteTitle('calibration without a wrong start (al_pacino, 30 frames)', skip), () => {
  it('finds the wrong start, leaves it out, and gives the AUs of a right track calibrated on the same frames', async () => {
    const folder = await loadModelFolder(openfaceModelsPath());
    const images: BgrImage[] = [];
    for await (const frame of decodeVideo(sharedPath('videos/0188_03_021_al_pacino.avi'))) {
      images.push(frame.image);
      if (images.length === FRAMES) break;
    }
    async function track(startShift: StartBoxShift | null): Promise<FaceObservation[][]> {
      const source = await trackerFaceSource(folder, { allFaces: false, startShift });
      try {
        const faces: FaceObservation[][] = [];
        for (const [index, image] of images.entries()) faces.push(await source.facesIn({ index, timestamp: index / 25, image }));
        return faces;
      } finally {
        await source.release();
      }
    }
    const au = folder.au;
    function analyse(faces: FaceObservation[][], recalibrate: boolean) {
      const analysis = new VideoAnalysis(au, undefined, { recalibrate });
      faces.forEach((f, i) => analysis.addFrame(images[i], f));
      const output = analysis.finish();
      return { rows: [...output.rows()], quality: output.trackingQuality };
    }
    /** the right track's AUs with frames 1..SHIFT.frames left out of its calibration (as the shifted run decides, before frame 9) */
    function analyseWithout(faces: FaceObservation[][]): FrameResult[] {
      const pipeline = new AuPipeline(au, { calibrationWindow: FRAMES });
      faces.forEach((f, i) => {
        if (i === SHIFT.frames) pipeline.excludeFromCalibration(1, SHIFT.frames);
        pipeline.addFrame(images[i], f[0]!);
      });
      return pipeline.finish().rows;
    }
    const plainFaces = await track(null);
    const shiftedFaces = await track(SHIFT);
    const unshifted = analyse(plainFaces, true);
    const rightTrackSameFrames = analyseWithout(plainFaces);
    const kept = analyse(shiftedFaces, false);
    const recalibrated = analyse(shiftedFaces, true);

    expect(unshifted.quality.verdict).toBe('good');
    expect(unshifted.quality.recalibration).toBeNull();
    // the evidence: the fit moved when the tracker started again from the detector's box on frame 9
    // (8 doubtful frames of 30 make it 'poor' by the share rule; on a longer clip the same start is 'check')
    expect(['check', 'poor']).toContain(recalibrated.quality.verdict);
    expect(recalibrated.quality.startSuspect).toMatchObject({ first: 1, last: SHIFT.frames });
    expect(recalibrated.quality.recalibration).toMatchObject({ first: 1, last: SHIFT.frames, framesLeftOut: SHIFT.frames });
    expect(kept.quality.recalibration).toBeNull();

    /** mean |difference| of the AU intensities from frame `from` (after the stretch and the smoothing's reach) */
    const distance = (a: FrameResult[], b: FrameResult[], from: number): number => {
      let sum = 0;
      let count = 0;
      for (let f = from - 1; f < FRAMES; f++) {
        const x = a[f].auIntensity!, y = b[f].auIntensity!;
        for (let j = 0; j < x.length; j++, count++) sum += Math.abs(x[j] - y[j]);
      }
      return sum / count;
    };
    const from = SHIFT.frames + 4;
    const keptToRight = distance(kept.rows, rightTrackSameFrames, from);
    const recalibratedToRight = distance(recalibrated.rows, rightTrackSameFrames, from);
    console.log(
      `mean |AU_r difference| on frames ${from}-${FRAMES}: to the right track calibrated on the same frames: ` +
        `${keptToRight.toFixed(4)} keeping the wrong start, ${recalibratedToRight.toFixed(4)} without it; ` +
        `to the unshifted run with OpenFace's calibration: ${distance(kept.rows, unshifted.rows, from).toFixed(4)} keeping it, ` +
        `${distance(recalibrated.rows, unshifted.rows, from).toFixed(4)} without it`,
    );
    // (the fits after the correction are within 0.02 eye-distances of the right track's, not identical)
    expect(recalibratedToRight).toBeLessThan(keptToRight / 2);
  }, 300_000);
});
