/**
 * What the analysis needs from a face tracker: the faces of each frame, in
 * order, and where the time went. Two trackers provide it: the single face
 * exactly as OpenFace 2.2's FeatureExtraction follows it (singleFaceTracker.ts)
 * and every face with stable ids (faceTracker.ts).
 */
import type { BgrImage } from '../image.ts';
import type { TrackedFace, TrackerTimings } from './faceTracker.ts';

export type { TrackedFace, TrackerTimings } from './faceTracker.ts';

export interface VideoFaceTracker {
  /** the faces in the next frame of the video, by face id */
  next(image: BgrImage): Promise<TrackedFace[]>;
  /** milliseconds per stage, summed over frames */
  readonly timings: TrackerTimings;
  /** what computes CLNF's hot loops (ClnfTracker.kernels), for the provenance; all choices give the same bits */
  readonly kernels?: string;
}
