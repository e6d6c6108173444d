/**
 * What the UI shows of a batch. The controller (src/app/batch/controller.svelte.ts)
 * owns the jobs and updates these plain objects; Svelte components only read
 * them and call the controller's methods.
 */
import type { AnalysisResult } from '../../worker/analysisApi.ts';

export type JobState = 'queued' | 'decoding' | 'processing' | 'done' | 'failed' | 'cancelled';

export interface JobView {
  readonly id: number;
  readonly name: string;
  readonly sizeBytes: number;
  /** null until known */
  durationSeconds: number | null;
  state: JobState;
  framesDone: number;
  /** null when the container does not say */
  framesTotal: number | null;
  fps: number;
  etaSeconds: number | null;
  /** the reason for 'failed', or a note for 'done' (e.g. frames without a face) */
  message: string | null;
  /** the result, also for a cancelled or failed run that computed something (then `partial`) */
  result: AnalysisResult | null;
  /** the CSV file name to download: NAME.csv, or NAME.partial.csv */
  csvName: string | null;
}

/** The latest frame shown in the live view (throttled), with its landmarks. */
export interface LivePreview {
  readonly jobId: number;
  /** 0-based index of the frame shown */
  readonly frameIndex: number;
  readonly image: ImageData;
  /** one entry per face: 136 values x_0..x_67, y_0..y_67 in the video's (upright) pixels */
  readonly faces: readonly Float64Array[];
  /** `image`'s pixels per video pixel (below 1 when the worker downscaled a wide frame) */
  readonly scale: number;
  /** the CSV face_id of each entry of `faces` */
  readonly faceIds: readonly number[];
  /** Face Mirror: the midline in `image`'s pixels (a point and a direction) and both synthetic faces (step 2 only) */
  readonly mirror?: {
    readonly midline: { readonly x: number; readonly y: number; readonly dx: number; readonly dy: number } | null;
    readonly right: ImageData | null;
    readonly left: ImageData | null;
  };
}

/** What the model panel shows. */
export interface ModelStatus {
  /** the OpenFace folder imported, or null */
  readonly openface: { readonly name: string; readonly files: number; readonly importedAt: string } | null;
  /** compute path in use, e.g. 'WASM SIMD, 2 threads' or 'WebGPU' */
  readonly computePath: string | null;
  /** npm-package models from public/models/manifest.json */
  readonly npmModels: readonly { readonly file: string; readonly package: string; readonly version: string; readonly license: string }[];
}
