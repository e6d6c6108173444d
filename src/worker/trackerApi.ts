/**
 * What a nested tracker worker offers its analysis worker (through comlink):
 * the face sources of one or more streams (a video; Face Mirror's source,
 * flipped source and sides), each followed by its own tracker, so that a
 * stream's tracking runs on another core than its AU analysis.
 */
import type { FaceObservation } from '../core/pipeline.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import type { DetectionModelBytes } from '../core/analysis/ownTracker.ts';
import type { SourceChoice } from './faceSources.ts';

/** The models a tracker worker loads once: the npm-package nets and only the tracking files of the OpenFace folder. */
export interface TrackerModels extends DetectionModelBytes {
  /** path relative to the folder -> bytes (CLNF and MTCNN files only), or null without a folder */
  readonly openfaceTracking: ReadonlyMap<string, Uint8Array> | null;
  readonly openfaceCenWeights: boolean;
  /** the analysis worker's inference backend, named in the provenance */
  readonly inference: string;
}

/** A stream's faces in one frame, with what the source says so far (its timings and note grow with the frames). */
export interface TrackedFrame {
  readonly faces: FaceObservation[];
  readonly timings: Record<string, number>;
  readonly note: string | null;
}

export interface TrackerWorkerApi {
  /** loads the models (the OpenFace files are parsed here, once per worker) */
  init(models: TrackerModels): Promise<void>;
  /** a new stream with its own tracker; returns its id and its source's provenance */
  open(choice: SourceChoice): Promise<{ readonly id: number; readonly provenance: Record<string, unknown> }>;
  /**
   * the faces in the stream's next frame; a frame whose pixels live in a
   * SharedArrayBuffer is read in place, any other is copied by the message
   */
  facesIn(id: number, frame: DecodedFrame): Promise<TrackedFrame>;
  /** the stream is over: its tracker goes */
  close(id: number): Promise<void>;
}
