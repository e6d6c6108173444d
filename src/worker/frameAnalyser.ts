/**
 * The analysis of one video inside a worker, frames in order: conversion of
 * the decoder's planes to OpenCV's BGR, landmarks (own tracker, or the
 * detector alone without an OpenFace folder), the AU engine, and the CSV at
 * the end. Free of worker plumbing so that it can be driven directly.
 */
import type { AnalysisModels, AnalysisOptions, AnalysisResult, FrameUpdate, QualityFrame } from './analysisApi.ts';
import type { RawVideoFrame, VideoInfo } from '../video/types.ts';
import { rawFrameToBgr, uprightSize } from '../video/rawFrameToBgr.ts';
import { hdrNote } from '../video/ffprobeInfo.ts';
import type { InferenceBackend } from '../models/onnx.ts';
import { loadOpenFaceModels, type OpenFaceModels } from '../core/model/openfaceModels.ts';
import { bytesReader } from '../models/openfaceReader.ts';
import { loadTrackingModels, type TrackingModels } from '../core/track/trackingModels.ts';
import { describeLandmarkModel } from '../core/model/landmarkModel.ts';
import { createDetectionStages, createFaceTracker, type DetectionStages } from '../core/analysis/ownTracker.ts';
import { landmarkOnlyFaceSource, trackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
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
}

interface Run {
  readonly video: VideoInfo;
  readonly options: AnalysisOptions;
  readonly source: FaceSource;
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
  /** the upright BGR pixels, one buffer for every frame of the video */
  bgr: Uint8Array;
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

  private constructor(
    readonly backend: InferenceBackend,
    /** the detection sessions and the OpenFace models, shared with Face Mirror (mirrorAnalyser.ts) */
    readonly stages: DetectionStages,
    readonly openface: OpenFaceSet | null,
  ) {}

  static async create(backend: InferenceBackend, models: AnalysisModels): Promise<FrameAnalyser> {
    const stages = await createDetectionStages(backend, models);
    let openface: OpenFaceSet | null = null;
    if (models.openface) {
      const read = bytesReader(models.openface);
      openface = { au: await loadOpenFaceModels(read, OPENFACE_FOLDER_LABEL), tracking: await loadTrackingModels(read, OPENFACE_FOLDER_LABEL), cenWeights: models.openfaceCenWeights };
    }
    return new FrameAnalyser(backend, stages, openface);
  }

  get computePath(): string {
    return this.backend.name;
  }

  async begin(video: VideoInfo, options: AnalysisOptions): Promise<void> {
    this.run?.analysis.dispose();
    this.run = null;
    const landmarkModel = describeLandmarkModel(this.openface?.cenWeights ?? false);
    const description = { inference: this.backend.name, models: ['blazeface_back_256.onnx', 'face_landmark_68.onnx'], landmarkModel };
    const keepStages = async () => {}; // the sessions outlive the video: the worker reuses them
    const source = this.openface
      ? trackerFaceSource(createFaceTracker(this.stages, this.openface.tracking, { allFaces: options.allFaces, startShift: options.startShift }), this.openface.tracking.clnf, options.allFaces, description, keepStages)
      : landmarkOnlyFaceSource(this.stages.detector, this.stages.initial, options.allFaces, description, keepStages);
    // the rows wait in OPFS where the browser has it, so a long video's rows are not in the tab's memory
    const spill = await opfsFolder(SPILL_DIR);
    const store: RecordStore | null = spill ? await OpfsRecordStore.create(spill, ROW_RECORD_BYTES).catch(() => null) : null;
    const analysis = new VideoAnalysis(this.openface?.au ?? null, store ? () => store : memoryRecordStore);
    this.run = {
      video,
      options,
      source,
      analysis,
      frames: 0,
      convertMs: 0,
      lastPreview: -Infinity,
      qualityFrames: [],
      previousThumb: null,
      trackStartThumb: null,
      thumbPixels: [new Uint8ClampedArray(0), new Uint8ClampedArray(0)],
      thumbTurn: 0,
      bgr: new Uint8Array(0),
    };
  }

  async pushFrame(frame: RawVideoFrame): Promise<FrameUpdate> {
    const run = this.requireRun();
    let start = performance.now();
    const upright = uprightSize(frame);
    if (run.bgr.length !== upright.width * upright.height * 3) run.bgr = new Uint8Array(upright.width * upright.height * 3);
    // the same pixels buffer every frame: nothing keeps a frame's image past this call
    const image = rawFrameToBgr(frame, run.bgr);
    run.convertMs += performance.now() - start;
    const faces = await run.source.facesIn({ index: frame.index, timestamp: frame.timestamp, image });
    const hadSuspect = run.analysis.startSuspect !== null;
    run.analysis.addFrame(image, faces);
    run.frames++;
    this.watchQuality(run, image, faces, hadSuspect);
    start = performance.now();
    const preview = start - run.lastPreview >= PREVIEW_INTERVAL_MS ? previewRgba(image) : null;
    if (preview) run.lastPreview = start;
    return {
      index: frame.index,
      faces: faces.map((f) => ({ faceId: f.faceId, success: f.success, landmarks: f.landmarks })),
      preview,
      // converted: its planes are no longer read, the source may fill the buffer again
      frameBuffer: frame.data,
    };
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
      return await this.writeResult(run, stoppedBy);
    } finally {
      run.analysis.dispose();
    }
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
