import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { VideoInputError } from '../core/errors.ts';
import { formatAuCsvChunks, type CsvPrecision } from '../core/csv/auCsv.ts';
import { encodeHogFrame } from '../core/hog/hogFile.ts';
import { VideoAnalysis } from '../core/analysis/videoAnalysis.ts';
import type { BgrImage } from '../core/image.ts';
import { decodeVideo, probeVideo, type VideoInfo } from './ffmpegDecode.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import { decodeImageSequence, probeImageSequence } from './imageSequence.ts';
import { loadModelFolder, type ModelFolder } from './modelFolder.ts';
import { DEFAULT_EXECUTION_PROVIDER, type ExecutionProvider } from '../models/node.ts';
import { threadFaceSource, DEFAULT_THREADS } from './threadFaceSource.ts';
import type { OpenFaceModels } from '../core/model/openfaceModels.ts';
import type { FrameResult } from '../core/result.ts';
import { ProgressLine } from './progress.ts';
import { csvFaceSource, trackerFaceSource, type FaceSource } from './faceSources.ts';
import { fileRecordStore } from './fileRecordStore.ts';
import { facesAhead } from '../core/analysis/facesAhead.ts';
import type { StartBoxShift } from '../core/track/singleFaceTracker.ts';
import type { TrackingQuality } from '../core/quality/trackingQuality.ts';

export interface ProcessOptions {
  video: string;
  models: string;
  landmarksFrom: string | undefined;
  out: string;
  /** how the CSV writes numbers: OpenFace 2.2's stock decimals (default) or 10 significant digits */
  precision?: CsvPrecision;
  hogOut: string | undefined;
  alignedOut: string | undefined;
  fps: number;
  /** follow every face (one set of rows per face_id) instead of one */
  allFaces: boolean;
  /** onnxruntime-node execution provider for the detector and landmark nets */
  executionProvider?: ExecutionProvider;
  /**
   * told when the models are loaded and the first frame is about to be read
   * ('frames'), when the last frame was analysed ('postprocess'), and when the
   * CSV's last byte is written ('written'): the benchmark's memory marks
   */
  onStage?: (stage: 'frames' | 'postprocess' | 'written') => void;
  /** landmarks from this source instead of --landmarks-from or the own tracker (the benchmark's replayed landmarks) */
  faceSource?: FaceSource;
  /** tests only: start the own tracker from a box moved off the face (see StartBoxShift) */
  startShift?: StartBoxShift;
  /**
   * threads to use: 2 (default) tracks each frame on a thread of its own while
   * this one computes the previous frame's AUs; 1 does both here, one after
   * the other (the same CSV either way)
   */
  threads?: number;
}

/** What one `process` run did, for the CLI's summary and the benchmarks. */
export interface ProcessSummary {
  /** the CSV written (NAME.partial.csv when the run stopped early) */
  out: string;
  frames: number;
  tracked: number;
  /** something the user should know about the landmarks (frames without a face...), or null */
  note: string | null;
  /** why the run stopped before the end of the video, or null */
  stoppedBy: string | null;
  seconds: number;
  /** milliseconds summed over all frames: decode, the landmark stages, the AU pipeline's stages */
  stageMs: Record<string, number>;
  video: VideoInfo;
  /** the tracking verdict (and whether the calibration left a suspect start out), as in the JSON */
  trackingQuality: TrackingQuality;
}

function openFrames(video: string, fps: number): { info: VideoInfo; frames: AsyncGenerator<DecodedFrame> } {
  if (statSync(video).isDirectory()) {
    const info = probeImageSequence(video);
    return { info, frames: decodeImageSequence(video, fps, info) };
  }
  const info = probeVideo(video);
  return { info, frames: decodeVideo(video, info) };
}

function writeAlignedPng(dir: string, index: number, face: BgrImage): void {
  const rgb = new Uint8Array(face.data.length);
  for (let i = 0; i < rgb.length; i += 3) {
    rgb[i] = face.data[i + 2];
    rgb[i + 1] = face.data[i + 1];
    rgb[i + 2] = face.data[i];
  }
  const png = encodePng({ width: face.width, height: face.height, data: rgb, channels: 3, depth: 8 });
  writeFileSync(join(dir, `frame_det_${String(index).padStart(6, '0')}.png`), png);
}

/**
 * Runs the AU engine over one video (or image folder) and writes the CSV and
 * its provenance JSON (and, on request, .hog and aligned faces). A decode
 * failure or Ctrl-C midway keeps what was computed as NAME.partial.csv.
 */
export async function processVideo(options: ProcessOptions): Promise<ProcessSummary> {
  if (!existsSync(options.video)) throw new VideoInputError(`${options.video}: no such file or folder`);
  const folder = await loadModelFolder(options.models);
  if (!options.landmarksFrom && !options.faceSource) {
    const starts = options.allFaces ? ' With --all-faces, BlazeFace and face-api start each face\'s track instead.' : '';
    console.error(`splitface: ${folder.landmarkModel.summary}${starts}`);
  }
  const source: FaceSource = options.faceSource
    ? options.faceSource
    : options.landmarksFrom
    ? csvFaceSource(options.landmarksFrom)
    : await ownTrackerSource(options, folder);
  try {
    return await runFrames(options, folder.au, source);
  } finally {
    await source.release();
  }
}

/** The own tracker, on a thread of its own unless `threads` is 1. */
function ownTrackerSource(options: ProcessOptions, folder: ModelFolder): Promise<FaceSource> {
  const choice = { allFaces: options.allFaces, startShift: options.startShift };
  const onFallback = (message: string) => console.error(`splitface: ${message}`);
  if ((options.threads ?? DEFAULT_THREADS) === 1) return trackerFaceSource(folder, choice, options.executionProvider, onFallback);
  return threadFaceSource({ models: options.models, choice, executionProvider: options.executionProvider ?? DEFAULT_EXECUTION_PROVIDER }, onFallback);
}

async function runFrames(options: ProcessOptions, models: OpenFaceModels, source: FaceSource): Promise<ProcessSummary> {
  const { info, frames } = openFrames(options.video, options.fps);
  // the rows wait in a temporary file: memory stays flat over an hour-long video
  const analysis = new VideoAnalysis(models, fileRecordStore);
  try {
    return await analyseAndWrite(options, models, source, info, frames, analysis);
  } finally {
    analysis.dispose();
  }
}

async function analyseAndWrite(
  options: ProcessOptions,
  models: OpenFaceModels,
  source: FaceSource,
  info: VideoInfo,
  frames: AsyncGenerator<DecodedFrame>,
  analysis: VideoAnalysis,
): Promise<ProcessSummary> {
  const progress = new ProgressLine(basename(options.video), info.frameCountHint);
  if (options.alignedOut) mkdirSync(options.alignedOut, { recursive: true });
  const hogFd = options.hogOut ? openSync(options.hogOut, 'w') : null;
  let frameCount = 0;
  // A decode failure or Ctrl-C midway keeps what was computed, written as a partial result.
  let stoppedBy: string | null = null;
  let decodeMs = 0;
  const onInterrupt = () => (stoppedBy = 'interrupted (Ctrl-C)');
  process.once('SIGINT', onInterrupt);
  options.onStage?.('frames');
  try {
    // the next frame is tracked (on the tracker's thread) while this one's AUs are computed
    for await (const { frame: decoded, faces } of facesAhead(timedFrames(frames, (ms) => (decodeMs += ms)), source)) {
      if (stoppedBy) break;
      // The .hog file and aligned faces follow OpenFace's single face: face 0.
      const first = analysis.addFrame(decoded.image, faces);
      if (first && hogFd !== null) writeSync(hogFd, encodeHogFrame(first.hog, { success: first.success }));
      if (first?.alignedFace && options.alignedOut) writeAlignedPng(options.alignedOut, decoded.index, first.alignedFace);
      frameCount++;
      progress.update(frameCount);
    }
  } catch (error) {
    if (!(error instanceof VideoInputError) || frameCount === 0) throw error;
    stoppedBy ??= error.message;
  } finally {
    process.off('SIGINT', onInterrupt);
    if (hogFd !== null) closeSync(hogFd);
    progress.end();
  }
  if (!stoppedBy && info.frameCountHint !== null && frameCount < info.frameCountHint) {
    // ffmpeg decodes what it can of a cut-off file and still exits 0.
    stoppedBy = `only ${frameCount} of the ${info.frameCountHint} frames the file announces could be decoded (is it truncated or damaged?)`;
  }
  options.onStage?.('postprocess');
  const output = analysis.finish();
  const stageMs: Record<string, number> = { decode: decodeMs, ...source.timings(), ...analysis.timings() };
  const out = stoppedBy ? options.out.replace(/(\.csv)?$/i, '.partial.csv') : options.out;
  let tracked = 0;
  // one pass over the stored rows: each is counted and printed as it is read back
  function* counted(): Generator<FrameResult> {
    for (const row of output.rows()) {
      if (row.success) tracked++;
      yield row;
    }
  }
  writeCsv(out, formatAuCsvChunks(counted(), output.auColumns, options.precision ?? 'stock'));
  options.onStage?.('written');
  const provenance = {
    tool: 'splitface',
    version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string,
    video: resolve(options.video),
    video_info: info,
    frames: frameCount,
    rows: output.rowCount,
    rows_tracked: tracked,
    faces: analysis.faces,
    landmarks: source.provenance,
    tracking_quality: output.trackingQuality,
    openface_models: { folder: resolve(options.models), files: models.files },
    au_models: 'AU_all_best.txt (dynamic models with person-specific running median, offline postprocessing)',
    csv_precision: options.precision ?? 'stock',
    partial: stoppedBy !== null,
    stopped_by: stoppedBy,
    written: new Date().toISOString(),
  };
  const metaPath = out.replace(/\.csv$/i, '') + '.json';
  writeFileSync(metaPath, JSON.stringify(provenance, null, 2) + '\n');
  return {
    out,
    frames: frameCount,
    tracked,
    note: source.note(),
    stoppedBy,
    seconds: progress.elapsedSeconds(),
    stageMs,
    video: info,
    trackingQuality: output.trackingQuality,
  };
}

/** `frames` as they come, telling `spent` the milliseconds each one took to decode. */
async function* timedFrames(frames: AsyncIterable<DecodedFrame>, spent: (ms: number) => void): AsyncGenerator<DecodedFrame> {
  const iterator = frames[Symbol.asyncIterator]();
  try {
    for (;;) {
      const start = performance.now();
      const next = await iterator.next();
      spent(performance.now() - start);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Writes the CSV piece by piece: a long video's CSV is hundreds of MB, never one string. */
function writeCsv(path: string, pieces: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    for (const piece of pieces) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}
