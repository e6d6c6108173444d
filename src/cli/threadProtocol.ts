/**
 * The messages between the CLI's thread and a tracking thread
 * (threadFaceSource.ts <-> threadFaceWorker.ts). Frames go over as
 * transferred buffers and come back with their faces, to be filled again.
 */
import type { FaceObservation } from '../core/pipeline.ts';
import type { TrackerChoice } from '../core/analysis/ownTracker.ts';
import type { ExecutionProvider } from '../models/node.ts';

/** Which tracker the thread hosts: the one `process` uses (src/cli/faceSources.ts trackerFaceSource), from the OpenFace folder at `models`. */
export interface TrackerThreadSetup {
  readonly models: string;
  readonly choice: TrackerChoice;
  readonly executionProvider: ExecutionProvider;
}

/** The TypeScript entry the boot module imports, and what it is given. */
export interface TrackerThreadData {
  readonly entry: string;
  readonly setup: TrackerThreadSetup;
  /** how many trackers the thread hosts (each follows its own video; they take turns on the thread) */
  readonly trackers: number;
}

export type ToTrackerThread =
  | { readonly type: 'frame'; readonly tracker: number; readonly index: number; readonly timestamp: number; readonly width: number; readonly height: number; readonly pixels: ArrayBuffer }
  | { readonly type: 'release' };

/** An error as it crosses the threads: its class name, message and stack. */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
}

export type FromTrackerThread =
  | { readonly type: 'ready'; readonly provenance: Record<string, unknown> }
  | { readonly type: 'log'; readonly message: string }
  | {
      readonly type: 'faces';
      readonly tracker: number;
      readonly faces: FaceObservation[];
      /** the frame's buffer, given back to be filled again */
      readonly pixels: ArrayBuffer;
      readonly timings: Record<string, number>;
      readonly note: string | null;
    }
  | { readonly type: 'failed'; readonly error: ThreadError }
  | { readonly type: 'released' };
