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

export class SingleFaceTracker implements VideoFaceTracker {
  readonly timings: TrackerTimings = { detect: 0, landmarks: 0, clnf: 0 };
  private gray = new Uint8Array(0);

  constructor(
    private readonly detector: MtcnnDetector,
    private readonly clnf: ClnfTracker,
  ) {}

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
    const fit = this.clnf.track(this.gray, width, height, () => {
      const t0 = performance.now();
      const face = widestFace(this.detector.detect(image));
      detectMs += performance.now() - t0;
      return face ? ({ ...face.box } satisfies Box) : null;
    });
    this.timings.detect += detectMs;
    this.timings.clnf += performance.now() - start - detectMs;
    return [{ faceId: 0, fit }];
  }
}
