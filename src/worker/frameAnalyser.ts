/**
 * The analysis of one video inside a worker, frames in order: conversion of
 * the decoder's planes to OpenCV's BGR, landmarks (own tracker, or the
 * detector alone without an OpenFace folder), the AU engine, and the CSV at
 * the end. Free of worker plumbing so that it can be driven directly.
 *
 * Frames go through the core's one-frame lookahead (facesAhead): frame
 * i + 1's faces are asked for before frame i's AUs are computed. With the
 * tracker in a nested worker (`separateTracker`, trackerThread.ts) the two
 * overlap on two cores; in the worker itself they simply take turns. Either
 * way the CSV is the same.
 */
import type { AnalysisModels, AnalysisOptions, AnalysisResult, FrameUpdate, QualityFrame } from './analysisApi.ts';
import type { RawVideoFrame, VideoInfo } from '../video/types.ts';
import { rawFrameToBgr, uprightSize } from '../video/rawFrameToBgr.ts';
import { hdrNote } from '../video/ffprobeInfo.ts';
import type { InferenceBackend } from '../models/onnx.ts';
import { loadOpenFaceModels, type OpenFaceModels } from '../core/model/openfaceModels.ts';
import { bytesReader } from '../models/openfaceReader.ts';
import { normalizeModelPath } from '../models/openfaceLayout.ts';
import type { ModelFileReader } from '../core/model/openfaceModels.ts';
import { loadTrackingModels, type TrackingModels } from '../core/track/trackingModels.ts';
import { createDetectionStages, type DetectionStages } from '../core/analysis/ownTracker.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import { facesAhead } from '../core/analysis/facesAhead.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import { streamFaceSource, type SourceEngine } from './faceSources.ts';
import { TrackerThread, threadedFaceSource } from './trackerThread.ts';
import type { TrackerModels } from './trackerApi.ts';
import { FrameChannel } from './frameChannel.ts';
import { VideoAnalysis } from '../core/analysis/videoAnalysis.ts';
import { ROW_RECORD_BYTES } from '../core/analysis/rowRecord.ts';
import { AuSummaryAccumulator } from '../core/analysis/auSummary.ts';
import { TRACK_GAP } from '../core/quality/trackingQuality.ts';
import { formatAuCsvChunks } from '../core/csv/auCsv.ts';
import { memoryRecordStore, type RecordStore } from '../core/analysis/recordStore.ts';
import type { FrameResult } from '../core/result.ts';
import type { FaceObservation } from '../core/pipeline.ts';
import { OpfsRecordStore, OpfsTextWriter, RESULTS_DIR, SPILL_DIR, opfsFolder, uniqueName } from './opfsFiles.ts';
import type { BgrImage } from '../core/image.ts';

/** The live view gets a frame at most this often. */
const PREVIEW_INTERVAL_MS = 250;
/** and at most this wide (nearest-neighbour downscale keeps the transfer small) */
const PREVIEW_MAX_WIDTH = 640;

export const OPENFACE_FOLDER_LABEL = 'OpenFace model folder';

/**
 * Upright BGR → RGBA for a canvas, every `step`-th pixel; `scale` (1 / step)
 * takes the image's pixel coordinates (landmarks) to the preview's. `reuse`:
 * a buffer to draw into when it has the right length (else a new one).
 */
export function previewRgba(image: BgrImage, maxWidth = PREVIEW_MAX_WIDTH, reuse?: Uint8ClampedArray): { width: number; height: number; rgba: Uint8ClampedArray; scale: number } {
  const step = Math.max(1, Math.ceil(image.width / maxWidth));
  const width = Math.floor(image.width / step);
  const height = Math.floor(image.height / step);
  const rgba = reuse?.length === width * height * 4 ? reuse : new Uint8ClampedArray(width * height * 4);
  for (let y = 0, o = 0; y < height; y++) {
    let i = y * step * image.width * 3;
    for (let x = 0; x < width; x++, o += 4, i += step * 3) {
      rgba[o] = image.data[i + 2];
      rgba[o + 1] = image.data[i + 1];
      rgba[o + 2] = image.data[i];
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba, scale: 1 / step };
}

export interface OpenFaceSet {
  readonly au: OpenFaceModels;
  readonly tracking: TrackingModels;
  readonly cenWeights: boolean;
  /** the folder's files the tracking read (normalised path -> bytes), all a tracker worker needs of it */
  readonly trackingFiles: ReadonlyMap<string, Uint8Array>;
}

/** Starts a nested tracker worker (analysisWorker.ts gives one; null where there are no workers, e.g. Node tests). */
export type TrackerWorkerFactory = () => Worker;

/** A frame handed to the lookahead, waiting for its analysis. */
interface WaitingFrame {
  resolve(update: FrameUpdate): void;
  reject(error: unknown): void;
  /** the decoder's buffer, handed back with the update */
  readonly frameBuffer: ArrayBuffer;
  /** the BGR pixels' buffer, reused once the frame is analysed */
  readonly bgr: Uint8Array;
}

interface Run {
  readonly video: VideoInfo;
  readonly options: AnalysisOptions;
  readonly source: FaceSource;
  /** the source tracks in a nested worker, one frame ahead of the AUs */
  readonly separateTracker: boolean;
  readonly analysis: VideoAnalysis;
  frames: number;
  convertMs: number;
  lastPreview: number;
  /** pictures of frames the verdict flags (at most QUALITY_FRAMES), and of the previous and first tracked frame */
  readonly qualityFrames: QualityFrame[];
  previousThumb: QualityFrame | null;
  trackStartThumb: QualityFrame | null;
  /** two pictures' pixels, drawn into in turn (thumbTurn): this frame's and the previous one's (copied only when kept) */
  readonly thumbPixels: Uint8ClampedArray[];
  thumbTurn: number;
  /** BGR pixel buffers no frame is using: at most two frames are in use at once (facesAhead) */
  readonly freeBgr: Uint8Array[];
  /** frames handed over and not analysed yet, in order */
  readonly waiting: WaitingFrame[];
  /** the lookahead's input: one frame handed over at a time */
  readonly input: FrameChannel<DecodedFrame>;
  /** the analysis loop over `frames`; resolves when it ended */
  readonly loop: Promise<void>;
  /** why the loop stopped early, when it did */
  failure: { error: unknown } | null;
  /** endFrames was called */
  ended: boolean;
}

/**
 * CSV rows per piece written to OPFS: 16 rows (about 70 kB of text) stay
 * below V8's large-object size, so each piece's string dies young in a
 * scavenge instead of waiting for a full collection; 100-row pieces (450 kB)
 * piled up as large objects and made the page's peak at the end of a video.
 */
const CSV_ROWS_PER_PIECE = 16;

/** How many flagged frames keep a picture, and how wide it is. */
const QUALITY_FRAMES = 12;
const QUALITY_FRAME_WIDTH = 160;

/** A small picture of a frame with face 0's landmarks in its pixels, for the results view; drawn into `pixels` when it fits. */
function qualityThumb(image: BgrImage, face: FaceObservation | undefined, label: string, pixels?: Uint8ClampedArray): QualityFrame {
  const { width, height, rgba, scale } = previewRgba(image, QUALITY_FRAME_WIDTH, pixels);
  const landmarks = face?.landmarks ? face.landmarks.map((v) => v * scale) : null;
  return { frame: face?.frame ?? 0, label, width, height, rgba, landmarks };
}

export class FrameAnalyser {
  private run: Run | null = null;

  /** nested tracker workers by slot, started when first needed and kept for the next videos */
  private readonly threads: TrackerThread[] = [];

  private constructor(
    readonly backend: InferenceBackend,
    /** the detection sessions and the OpenFace models, shared with Face Mirror (mirrorAnalyser.ts) */
    readonly stages: DetectionStages,
    readonly openface: OpenFaceSet | null,
    private readonly models: AnalysisModels,
    private readonly spawnTracker: TrackerWorkerFactory | null,
  ) {}

  static async create(backend: InferenceBackend, models: AnalysisModels, spawnTracker: TrackerWorkerFactory | null = null): Promise<FrameAnalyser> {
    const stages = await createDetectionStages(backend, models);
    let openface: OpenFaceSet | null = null;
    if (models.openface) {
      const read = bytesReader(models.openface);
      const trackingFiles = new Map<string, Uint8Array>();
      const readTracking: ModelFileReader = async (path) => {
        const bytes = await read(path);
        if (bytes) trackingFiles.set(normalizeModelPath(path), bytes);
        return bytes;
      };
      const au = await loadOpenFaceModels(read, OPENFACE_FOLDER_LABEL);
      openface = { au, tracking: await loadTrackingModels(readTracking, OPENFACE_FOLDER_LABEL), cenWeights: models.openfaceCenWeights, trackingFiles };
    }
    return new FrameAnalyser(backend, stages, openface, models, spawnTracker);
  }

  /** What this worker's own face sources are built from. */
  get sourceEngine(): SourceEngine {
    return { inference: this.backend.name, tracking: this.openface?.tracking ?? null, cenWeights: this.openface?.cenWeights ?? false };
  }

  /** Whether streams can be tracked in nested workers here (not in Node, where there are no workers). */
  get canSeparateTrackers(): boolean {
    return this.spawnTracker !== null;
  }

  /**
   * The nested tracker worker of `slot` (0: a video's tracker or Face
   * Mirror's first stream, 1: its second), started on first use with the
   * tracking models (copied once), started again if it crashed.
   */
  trackerThread(slot: number): TrackerThread {
    const current = this.threads[slot];
    if (current?.alive) return current;
    if (!this.spawnTracker) throw new Error('this analysis engine cannot start tracker workers');
    const models: TrackerModels = {
      blazeFaceBack: this.models.blazeFaceBack,
      faceApi68: this.models.faceApi68,
      openfaceTracking: this.openface?.trackingFiles ?? null,
      openfaceCenWeights: this.models.openfaceCenWeights,
      inference: this.backend.name,
    };
    const thread = new TrackerThread(this.spawnTracker(), models);
    this.threads[slot] = thread;
    return thread;
  }

  get computePath(): string {
    return this.backend.name;
  }

  async begin(video: VideoInfo, options: AnalysisOptions): Promise<void> {
    if (this.run) await this.abandon(this.run);
    const choice = { allFaces: options.allFaces, startShift: options.startShift };
    // the tracker on another core only when there is AU analysis to overlap with (the OpenFace folder)
    const separateTracker = !!(options.separateTracker && this.openface && this.spawnTracker);
    const source = separateTracker ? threadedFaceSource(this.trackerThread(0), choice) : streamFaceSource(this.sourceEngine, this.stages, choice);
    // the rows wait in OPFS where the browser has it, so a long video's rows are not in the tab's memory
    const spill = await opfsFolder(SPILL_DIR);
    const store: RecordStore | null = spill ? await OpfsRecordStore.create(spill, ROW_RECORD_BYTES).catch(() => null) : null;
    const analysis = new VideoAnalysis(this.openface?.au ?? null, store ? () => store : memoryRecordStore);
    const run: Run = {
      video,
      options,
      source,
      separateTracker,
      analysis,
      frames: 0,
      convertMs: 0,
      lastPreview: -Infinity,
      qualityFrames: [],
      previousThumb: null,
      trackStartThumb: null,
      thumbPixels: [new Uint8ClampedArray(0), new Uint8ClampedArray(0)],
      thumbTurn: 0,
      freeBgr: [],
      waiting: [],
      input: new FrameChannel<DecodedFrame>(),
      loop: Promise.resolve(),
      failure: null,
      ended: false,
    };
    (run as { loop: Promise<void> }).loop = this.analyseFrames(run);
    this.run = run;
  }

  /** The video's frames as the lookahead hands them over, each with its faces: AUs, quality, the update. */
  private async analyseFrames(run: Run): Promise<void> {
    try {
      for await (const { frame, faces } of facesAhead(run.input, run.source)) {
        const waiting = run.waiting.shift()!;
        waiting.resolve(this.analyseFrame(run, frame, faces, waiting.frameBuffer));
        if (run.freeBgr.length < FREE_BGR_BUFFERS) run.freeBgr.push(waiting.bgr);
      }
    } catch (error) {
      run.failure = { error };
      // later frames are not analysed: their pushes return at once, with this error
      run.input.stop();
      for (const waiting of run.waiting.splice(0)) waiting.reject(error);
    }
  }

  private analyseFrame(run: Run, frame: DecodedFrame, faces: FaceObservation[], frameBuffer: ArrayBuffer): FrameUpdate {
    const { image } = frame;
    const hadSuspect = run.analysis.startSuspect !== null;
    run.analysis.addFrame(image, faces);
    run.frames++;
    this.watchQuality(run, image, faces, hadSuspect);
    const start = performance.now();
    const preview = start - run.lastPreview >= PREVIEW_INTERVAL_MS ? previewRgba(image) : null;
    if (preview) run.lastPreview = start;
    return {
      index: frame.index,
      faces: faces.map((f) => ({ faceId: f.faceId, success: f.success, landmarks: f.landmarks })),
      preview,
      // converted: its planes are no longer read, the source may fill the buffer again
      frameBuffer,
    };
  }

  /**
   * Converts one frame and hands it to the lookahead. Resolves once the
   * lookahead has taken it and asked for the next one (so the next frame can
   * be sent), with `analysed`: the frame's update, which comes when the
   * frame after it was handed over (or `endFrames` was called) and the
   * frame's AUs are computed.
   */
  async sendFrame(frame: RawVideoFrame): Promise<{ readonly analysed: Promise<FrameUpdate> }> {
    const run = this.requireRun();
    if (run.failure) return { analysed: Promise.reject(run.failure.error) };
    if (run.ended) return { analysed: Promise.reject(new Error('a frame came after the last one (endFrames)')) };
    const start = performance.now();
    const upright = uprightSize(frame);
    const bytes = upright.width * upright.height * 3;
    const bgr = takeBgr(run.freeBgr, bytes);
    // nothing keeps a frame's image past its analysis: its buffer is reused for a later frame
    const image = rawFrameToBgr(frame, bgr);
    run.convertMs += performance.now() - start;
    const analysed = new Promise<FrameUpdate>((resolve, reject) => run.waiting.push({ resolve, reject, frameBuffer: frame.data, bgr }));
    analysed.catch(() => {}); // the caller awaits it
    await run.input.push({ index: frame.index, timestamp: frame.timestamp, image });
    return { analysed };
  }

  /** No more frames: the last one is analysed. */
  endFrames(): void {
    if (!this.run) return;
    this.run.ended = true;
    this.run.input.end();
  }

  /**
   * Ends the video: one pass over the stored rows writes the CSV (to OPFS
   * where there is one, else into a Blob of pieces) and gathers the summary
   * and the chart's series as it goes.
   */
  async finish(stoppedBy: string | null): Promise<AnalysisResult> {
    const run = this.requireRun();
    this.run = null;
    try {
      // the frames handed over are analysed first (a cancelled run keeps them)
      run.input.end();
      await run.loop;
      return await this.writeResult(run, stoppedBy ?? (run.failure ? messageOf(run.failure.error) : null));
    } finally {
      await run.source.release();
      run.analysis.dispose();
    }
  }

  /** Drops a run that was not finished (a new begin): its frames stop, its tracker goes. */
  private async abandon(run: Run): Promise<void> {
    this.run = null;
    run.input.fail(new Error('the video was dropped for another one'));
    await run.loop;
    await run.source.release();
    run.analysis.dispose();
  }

  private async writeResult(run: Run, stoppedBy: string | null): Promise<AnalysisResult> {
    const output = run.analysis.finish();
    const auColumns = output.auColumns;
    const accumulator = auColumns ? new AuSummaryAccumulator(auColumns) : null;
    let tracked = 0;
    function* observed(): Generator<FrameResult> {
      for (const row of output.rows()) {
        if (row.success) tracked++;
        accumulator?.add(row);
        yield row;
      }
    }
    const pieces = formatAuCsvChunks(observed(), auColumns, run.options.precision, CSV_ROWS_PER_PIECE);
    const results = await opfsFolder(RESULTS_DIR);
    const { csv, storedAs } = results ? await csvToOpfs(results, pieces) : { csv: csvBlob(pieces), storedAs: null };
    const trackingQuality = output.trackingQuality;
    const provenance: Record<string, unknown> = {
      tool: 'splitface (browser)',
      video: run.video,
      source_hdr: hdrNote(run.video.hdr),
      frames: run.frames,
      rows: output.rowCount,
      rows_tracked: tracked,
      faces: run.analysis.faces,
      landmarks: run.source.provenance,
      tracking_thread: run.separateTracker ? 'a nested tracker worker, one frame ahead of the AU analysis' : 'the analysis worker',
      tracking_quality: trackingQuality,
      openface_models: this.openface ? { folder: OPENFACE_FOLDER_LABEL, files: this.openface.au.files } : null,
      au_models: this.openface ? 'AU_all_best.txt (dynamic models with person-specific running median, offline postprocessing)' : 'none (no OpenFace model folder imported)',
      partial: stoppedBy !== null,
      stopped_by: stoppedBy,
      written: new Date().toISOString(),
    };
    return {
      csv,
      storedAs,
      provenance,
      frames: run.frames,
      rows: output.rowCount,
      tracked,
      partial: stoppedBy !== null,
      stoppedBy,
      note: run.source.note(),
      quality: trackingQuality,
      qualityFrames: run.qualityFrames,
      auColumns,
      auSummary: accumulator ? accumulator.summary() : [],
      series: accumulator ? accumulator.series() : { timestamps: new Float64Array(0), intensities: [] },
      stageMs: { convert: run.convertMs, ...run.source.timings(), ...run.analysis.timings() },
    };
  }

  /**
   * Keeps pictures of what the verdict (judged by the core's VideoAnalysis
   * as the frame went in) flagged on face 0: a jump's before and after, a
   * low-confidence frame, a suspect start.
   */
  private watchQuality(run: Run, image: BgrImage, faces: readonly FaceObservation[], hadSuspect: boolean): void {
    const face = faces.find((f) => f.faceId === 0);
    const reasons = run.analysis.frameFlags;
    const tracked = !!face?.success && !!face.landmarks;
    if (!tracked) return;
    // a track survives a short loss (TRACK_GAP, the core's rule): its start and last frame stay
    if (run.previousThumb && face.frame - run.previousThumb.frame - 1 > TRACK_GAP) {
      run.previousThumb = null;
      run.trackStartThumb = null;
    }
    // a picture of every tracked frame is cheap at 160 px, drawn into the buffer the frame before last used;
    // only flagged ones are kept, as copies
    run.thumbTurn ^= 1;
    const thumb = qualityThumb(image, face, '', run.thumbPixels[run.thumbTurn]);
    run.thumbPixels[run.thumbTurn] = thumb.rgba;
    run.trackStartThumb ??= { ...thumb, rgba: thumb.rgba.slice(), label: 'start of the track' };
    const keep = (t: QualityFrame) => {
      if (run.qualityFrames.length < QUALITY_FRAMES && !run.qualityFrames.some((q) => q.frame === t.frame)) run.qualityFrames.push({ ...t, rgba: t.rgba.slice() });
    };
    if (reasons.includes('jump')) {
      if (!hadSuspect && run.analysis.startSuspect && run.trackStartThumb.frame !== run.previousThumb?.frame) keep(run.trackStartThumb);
      if (run.previousThumb) keep({ ...run.previousThumb, label: 'before a jump' });
      keep({ ...thumb, label: 'after a jump' });
    } else if (reasons.includes('low-confidence')) keep({ ...thumb, label: 'low confidence' });
    run.previousThumb = thumb;
  }

  private requireRun(): Run {
    if (!this.run) throw new Error('no video started: call begin first');
    return this.run;
  }
}

/** BGR buffers kept for reuse: the frame analysed, the frame being tracked, one being converted. */
const FREE_BGR_BUFFERS = 3;

/**
 * A BGR buffer of `bytes` bytes, a free one when there is one. In shared
 * memory where the page is cross-origin isolated: a nested tracker worker
 * then reads the pixels in place instead of receiving a copy.
 */
function takeBgr(free: Uint8Array[], bytes: number): Uint8Array {
  const at = free.findIndex((buffer) => buffer.length === bytes);
  if (at !== -1) return free.splice(at, 1)[0]!;
  const shared = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated;
  return new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The CSV written to a new OPFS file piece by piece; the File handed on reads from disk. */
async function csvToOpfs(folder: FileSystemDirectoryHandle, pieces: Iterable<string>): Promise<{ csv: Blob; storedAs: string }> {
  const writer = await OpfsTextWriter.create(folder, uniqueName('.csv'));
  try {
    for (const piece of pieces) writer.write(piece);
  } catch (error) {
    await writer.abandon(folder);
    throw error;
  }
  return { csv: await writer.close(), storedAs: writer.name };
}

/** The CSV's pieces as one Blob (no OPFS), each piece a Blob of its own as soon as it is made, so its string can go. */
function csvBlob(pieces: Iterable<string>): Blob {
  const parts: Blob[] = [];
  for (const piece of pieces) parts.push(new Blob([piece]));
  return new Blob(parts, { type: 'text/csv;charset=utf-8' });
}
