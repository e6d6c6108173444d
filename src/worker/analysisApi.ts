/**
 * What an analysis worker offers the main thread (through comlink). One
 * worker analyses one video at a time, frames in order, so a video's CSV is
 * the same whatever the number of workers; several workers analyse several
 * videos of a batch at once.
 */
import type { RawVideoFrame, VideoInfo, VideoSource } from '../video/types.ts';
import type { AuColumns } from '../core/result.ts';
import type { TrackingQuality } from '../core/quality/trackingQuality.ts';
import type { CsvPrecision } from '../core/csv/auCsv.ts';
import type { StartBoxShift } from '../core/track/singleFaceTracker.ts';
import type { AuSeries, AuSummaryRow } from '../core/analysis/auSummary.ts';
import type { MirrorJob, MirrorResult, MirrorWorkerApi } from './mirrorApi.ts';

/** The models a worker needs, as bytes (read once on the main thread, from our origin and IndexedDB). */
export interface AnalysisModels {
  /** npm-package models from public/models (BlazeFace back-camera, face-api 68) */
  readonly blazeFaceBack: Uint8Array;
  readonly faceApi68: Uint8Array;
  /** the user's OpenFace model folder, path relative to the folder -> bytes; null when not imported */
  readonly openface: ReadonlyMap<string, Uint8Array> | null;
  /** the imported folder also held CE-CLM's CEN weights (said in the provenance: SplitFace runs 2.2's CLNF) */
  readonly openfaceCenWeights: boolean;
}

export interface AnalysisOptions {
  /** one set of rows per face instead of the largest face */
  readonly allFaces: boolean;
  /** the CSV's numbers: OpenFace 2.2's stock fixed decimals, or 10 significant digits */
  readonly precision: CsvPrecision;
  /** tests only (the app's test hook): start the tracker from a box moved off the face */
  readonly startShift?: StartBoxShift;
  /**
   * track in a nested worker while this worker computes the previous frame's AUs (set by the pool
   * when a core is free for it; the CSV is the same either way)
   */
  readonly separateTracker?: boolean;
}

/** Sent back for every frame: enough to draw the live view and count progress. */
export interface FrameUpdate {
  readonly index: number;
  readonly faces: readonly { readonly faceId: number; readonly success: boolean; readonly landmarks: Float64Array | null }[];
  /**
   * the upright frame as RGBA for the live view, sent a few times a second (null otherwise),
   * downscaled for wide videos: `scale` takes the landmarks' pixel coordinates to the preview's
   */
  readonly preview: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray; readonly scale: number } | null;
  /** the frame's own buffer, handed back (transferred) once converted, for the source to fill again (VideoSource.recycle) */
  readonly frameBuffer?: ArrayBuffer;
}

/** Per-AU summary for the results table (computed by the core). */
export type { AuSummaryRow as AuSummary } from '../core/analysis/auSummary.ts';

/** A flagged frame as the results view shows it. */
export interface QualityFrame {
  /** 1-based frame number */
  readonly frame: number;
  /** why it is shown: 'before a jump', 'after a jump', 'low confidence', 'start of the track' */
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
  /** 136 values x_0..x_67, y_0..y_67 in this picture's pixels, or null */
  readonly landmarks: Float64Array | null;
}

/** One video's result. */
export interface AnalysisResult {
  /** the OpenFace-format CSV; a Blob, so a long video's hundreds of MB never sit in one JS string */
  readonly csv: Blob;
  /**
   * the CSV's file name in OPFS's results folder (src/worker/opfsFiles.ts: RESULTS_DIR) when it was
   * written there (then `csv` reads from disk), null when it is in memory; the results store keeps it
   */
  readonly storedAs: string | null;
  /** provenance: models, landmark path, compute path (written as a sidecar JSON) */
  readonly provenance: Record<string, unknown>;
  readonly frames: number;
  readonly rows: number;
  readonly tracked: number;
  readonly partial: boolean;
  /** why the run stopped early, or null */
  readonly stoppedBy: string | null;
  /** something the user should know (frames without a face, no AU models...), or null */
  readonly note: string | null;
  /** how far the tracking can be trusted (src/core/quality); absent on results kept from before it existed */
  readonly quality?: TrackingQuality;
  /** small pictures of the frames the verdict flags, with face 0's landmarks (absent like `quality`) */
  readonly qualityFrames?: readonly QualityFrame[];
  readonly auColumns: AuColumns | null;
  readonly auSummary: readonly AuSummaryRow[];
  /** face 0's AU intensities over time, for the chart: timestamps and one series per intensity AU */
  readonly series: AuSeries;
  /** milliseconds per stage, summed over frames */
  readonly stageMs: Record<string, number>;
}

export interface AnalysisWorkerApi extends MirrorWorkerApi {
  /** loads models and creates the inference sessions; returns the compute path in use */
  init(models: AnalysisModels): Promise<{ computePath: string }>;
  /** starts a video; any previous one is dropped */
  begin(video: VideoInfo, options: AnalysisOptions): Promise<void>;
  /**
   * analyses one frame (its buffer is transferred); resolves once its AUs are computed, which is
   * after the next frame was pushed or `endFrames` was called (the tracking looks one frame ahead)
   */
  pushFrame(frame: RawVideoFrame): Promise<FrameUpdate>;
  /** the video's last frame was pushed (or the run stops): the frames in flight are analysed */
  endFrames(): Promise<void>;
  /** ends the video: postprocessing and CSV; `stoppedBy` marks a partial result */
  finish(stoppedBy: string | null): Promise<AnalysisResult>;
}

/** One video for the pool (main thread side). */
export interface AnalysisJob {
  readonly source: VideoSource;
  readonly options: AnalysisOptions;
  /** abort = cancel: the run stops and resolves with a partial result of what was computed */
  readonly signal: AbortSignal;
  /** called for every analysed frame, in order */
  onFrame(update: FrameUpdate): void;
}

/**
 * The worker pool as the UI sees it (src/worker/pool.ts: `createAnalysisPool(models, size?)`).
 * `run` resolves with the result, partial when cancelled or when decoding failed midway; it
 * rejects (with the VideoInputError's message) only when not a single frame could be decoded.
 * Videos given to `run` at once are analysed in parallel, one per worker, the rest wait.
 */
export interface AnalysisRunner {
  readonly computePath: string;
  readonly workers: number;
  run(job: AnalysisJob): Promise<AnalysisResult>;
  /** Face Mirror on one video (src/worker/mirrorOnWorker.ts); rejects when it could not finish (absent in test fakes) */
  runMirror?(job: MirrorJob): Promise<MirrorResult>;
  dispose(): void;
}
