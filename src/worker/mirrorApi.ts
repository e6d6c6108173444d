/**
 * Face Mirror as an analysis worker offers it (part of AnalysisWorkerApi),
 * and as the pool offers it to the page. The main thread decodes the video
 * twice (the same VideoSource, once per pass) and pushes each pass's frames;
 * the worker runs the core's Face Mirror (src/core/mirror/faceMirrorRun.ts,
 * the CLI's run) on them and writes the videos and tables into OPFS.
 */
import type { CsvPrecision } from '../core/csv/auCsv.ts';
import type { RawVideoFrame, VideoInfo, VideoSource } from '../video/types.ts';

export interface MirrorRunOptions {
  /** the videos uncompressed (BGR in Matroska: exactly the measured pixels) instead of H.264/VP9/AV1 */
  readonly lossless: boolean;
  /** write NAME_debug (the QA video) */
  readonly qaVideo: boolean;
  readonly precision: CsvPrecision;
  /** track each stream in a nested worker, two at a time (set by the pool when the cores are free; same results) */
  readonly separateTrackers?: boolean;
  /**
   * a folder the user picked (File System Access API, readwrite): the files are streamed straight into it
   * under their names; absent: into OPFS, to download from there (and kept across reloads)
   */
  readonly folder?: FileSystemDirectoryHandle;
}

export type MirrorPass = 1 | 2;

/** What the live view draws, a few times a second: the source with its midline, and both synthetic faces. */
export interface MirrorPreview {
  readonly width: number;
  readonly height: number;
  /** RGBA of the source frame */
  readonly source: Uint8ClampedArray;
  /** face 0's landmarks in the preview's pixels (x_0..x_67, y_0..y_67), or null */
  readonly landmarks: Float64Array | null;
  /** the midline in the preview's pixels (a point and a direction), or null */
  readonly midline: { readonly x: number; readonly y: number; readonly dx: number; readonly dy: number } | null;
  /** RGBA of the patient's right and left synthetic faces (pass 2 only) */
  readonly right: Uint8ClampedArray | null;
  readonly left: Uint8ClampedArray | null;
}

export interface MirrorFrameUpdate {
  readonly pass: MirrorPass;
  /** 0-based frame index */
  readonly index: number;
  readonly preview: MirrorPreview | null;
}

/** One file Face Mirror wrote. */
export interface MirrorOutputFile {
  /** the name it is downloaded as, e.g. NAME_right_mirrored.mp4 (in a picked folder: its name there) */
  readonly name: string;
  readonly kind: 'video' | 'csv' | 'json';
  /** disk-backed (OPFS, or the picked folder) */
  readonly file: Blob;
  /** its name in OPFS's results folder, or null when elsewhere (a folder the user picked) */
  readonly storedAs: string | null;
}

/** Right against left over time for the results chart (face 0 of each synthetic face). */
export interface MirrorSeries {
  readonly timestamps: Float64Array;
  /** names of the series, e.g. AU12_r, or geometric measures like eye_opening */
  readonly names: readonly string[];
  /** one series per name; NaN where the frame has no value */
  readonly right: readonly Float32Array[];
  readonly left: readonly Float32Array[];
}

export interface MirrorResult {
  /** frames of step 1 (the source track: NAME_mirror.csv's rows) */
  readonly frames: number;
  /** frames of step 2 (in the videos and each side's CSV): `frames`, fewer when stopped in step 2, 0 in step 1 */
  readonly mirroredFrames: number;
  /** the run was stopped before the end (cancelled): its files are named NAME_….partial.* */
  readonly partial: boolean;
  /** why it was stopped, or null */
  readonly stoppedBy: string | null;
  readonly facesFound: number;
  readonly flagged: number;
  readonly notes: readonly string[];
  readonly outputs: readonly MirrorOutputFile[];
  /** NAME_mirror.json's object (summary and provenance) */
  readonly summary: Record<string, unknown>;
  /** how the videos were written, in words */
  readonly videoFormat: string;
  readonly series: MirrorSeries;
  /** milliseconds per stage, summed over frames */
  readonly stageMs: Record<string, number>;
}

/** The worker's side (comlink). Calls come in this order: begin, pass 1's frames, end of pass 1, pass 2's, end of pass 2, finish. */
export interface MirrorWorkerApi {
  mirrorBegin(video: VideoInfo, options: MirrorRunOptions): Promise<void>;
  /** one frame of a pass (its buffer is transferred); resolves when the run has used it */
  mirrorPushFrame(pass: MirrorPass, frame: RawVideoFrame): Promise<MirrorFrameUpdate>;
  /**
   * the pass's last frame was pushed; `stoppedBy`: decoding failed with this message, or, `cancelled`,
   * why the user stopped the run (it then ends here and keeps what it computed)
   */
  mirrorEndPass(pass: MirrorPass, stoppedBy: string | null, cancelled: boolean): Promise<void>;
  /** waits for the run and writes the tables; rejects with the run's error */
  mirrorFinish(): Promise<MirrorResult>;
}

/** One video for Face Mirror (main thread side). */
export interface MirrorJob {
  readonly source: VideoSource;
  readonly options: MirrorRunOptions;
  /** abort = cancel: the run stops and resolves with what it computed (MirrorResult.partial) */
  readonly signal: AbortSignal;
  onFrame(update: MirrorFrameUpdate): void;
}
