/**
 * One face through a video, exactly as OpenFace 2.2's FeatureExtraction
 * follows it: CLNF tracks from the previous frame's parameters
 * (ClnfTracker.track, 2.2's DetectLandmarksInVideo), and when there is no
 * track yet, or after failures at 2.2's cadence, 2.2's MTCNN looks for faces
 * in the frame as read (BGR) and CLNF restarts from the widest one.
 *
 * Nothing here is tuned: the face 2.2 follows is the face we follow (on
 * multi_face.avi it moves to another person when 2.2 does), so the AUs rest
 * on the same landmarks.
 */
import { bgrToGray, type BgrImage } from '../image.ts';
import type { ClnfTracker } from '../clnf/tracker.ts';
import { widestFace, type MtcnnDetector } from '../detect/mtcnn/index.ts';
import type { Box } from '../pdm/shape.ts';
import type { TrackedFace, TrackerTimings, VideoFaceTracker } from './videoFaceTracker.ts';

/**
 * For tests only: a deliberately wrong start. On the first `frames` frames
 * every face box the detector gives is moved by `dx` box widths and `dy`
 * box heights, so CLNF starts from the wrong place; on the frame after them
 * the track is dropped and starts again from the detector's own box (the
 * re-detection that corrects a wrong start). The tracking-quality tests use
 * it to make the evidence a real mis-initialisation leaves.
 */
export interface StartBoxShift {
  readonly frames: number;
  readonly dx: number;
  readonly dy: number;
}

/** Throws unless `shift` is usable (positive whole frame count, finite moves). */
export function checkStartBoxShift(shift: StartBoxShift): StartBoxShift {
  if (!Number.isInteger(shift.frames) || shift.frames < 1 || !Number.isFinite(shift.dx) || !Number.isFinite(shift.dy)) {
    throw new RangeError(`start box shift: needs a whole number of frames >= 1 and finite moves, got ${JSON.stringify(shift)}`);
  }
  return shift;
}

export class SingleFaceTracker implements VideoFaceTracker {
  readonly timings: TrackerTimings = { detect: 0, landmarks: 0, clnf: 0 };
  private gray = new Uint8Array(0);
  private framesSeen = 0;

  constructor(
    private readonly detector: MtcnnDetector,
    private readonly clnf: ClnfTracker,
    private readonly startShift: StartBoxShift | null = null,
  ) {
    if (startShift) checkStartBoxShift(startShift);
  }

  /** What computes CLNF's hot loops (see ClnfTracker.kernels). */
  get kernels(): string {
    return this.clnf.kernels;
  }

  async next(image: BgrImage): Promise<TrackedFace[]> {
    const { width, height } = image;
    if (this.gray.length !== width * height) this.gray = new Uint8Array(width * height);
    bgrToGray(image.data, width, height, this.gray);
    let detectMs = 0;
    const start = performance.now();
    this.framesSeen++;
    const shift = this.startShift && this.framesSeen <= this.startShift.frames ? this.startShift : null;
    if (this.startShift && this.framesSeen === this.startShift.frames + 1) this.clnf.reset();
    let boxGiven = false;
    const fit = this.clnf.track(this.gray, width, height, () => {
      const t0 = performance.now();
      const face = widestFace(this.detector.detect(image));
      detectMs += performance.now() - t0;
      if (!face) return null;
      boxGiven = true;
      const box: Box = { ...face.box };
      if (shift) {
        box.x += shift.dx * box.width;
        box.y += shift.dy * box.height;
      }
      return box;
    });
    this.timings.detect += detectMs;
    this.timings.clnf += performance.now() - start - detectMs;
    // a detector box CLNF did not keep (the validator rejected it mid-track) leaves the frame failed, not re-detected
    return [{ faceId: 0, fit, redetected: boxGiven && fit.success }];
  }
}
