/**
 * `splitface mirror`: Face Mirror on one video, in two passes over the
 * decoder so that memory stays flat (no frame is held):
 *
 * 1. Source tracking: each frame's landmarks and pose (CLNF with the OpenFace
 *    folder, BlazeFace + face-api without it) and its robust midline, kept
 *    compactly per frame (MirrorTrack). Then the midlines are smoothed with
 *    a centred window, which needs the frames after each one.
 * 2. Decoding again, each frame is mirrored both ways with the smoothed
 *    midline; the two synthetic faces go, in memory, through the same
 *    tracking and AU engine as `process` (one tracker and one VideoAnalysis
 *    per side: each side has its own person-specific calibration) and to
 *    ffmpeg for the videos, with the QA frame beside them.
 *
 * Then the per-side CSVs (OpenFace's format), NAME_mirror.csv and
 * NAME_mirror.json (summary and provenance).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { VideoInputError } from '../core/errors.ts';
import { formatAuCsvChunks, type CsvPrecision } from '../core/csv/auCsv.ts';
import { VideoAnalysis } from '../core/analysis/videoAnalysis.ts';
import { createBgrImage, type BgrImage } from '../core/image.ts';
import { createDetectionStages, createFaceTracker } from '../core/analysis/ownTracker.ts';
import { landmarkOnlyFaceSource, trackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
import { describeLandmarkModel } from '../core/model/landmarkModel.ts';
import { MirrorTrack } from '../core/mirror/mirrorTrack.ts';
import { mirrorFace, DEFAULT_SEAM_PIXELS, type FaceSide } from '../core/mirror/mirrorImage.ts';
import { drawQaOverlay } from '../core/mirror/qaOverlay.ts';
import { summariseGeometry } from '../core/mirror/faceGeometry.ts';
import { assessTrack, type TrackAssessment } from '../core/mirror/trackAssessment.ts';
import { OFFLINE_SIGMA_FRAMES } from '../core/mirror/midlineSmoothing.ts';
import { mirrorCsvChunks } from '../core/mirror/mirrorCsv.ts';
import { AuAsymmetryAccumulator } from '../core/mirror/auAsymmetry.ts';
import { decodeVideo, probeVideo, type VideoInfo } from './ffmpegDecode.ts';
import { loadModelFolder, type ModelFolder } from './modelFolder.ts';
import { createNodeBackend, DEFAULT_EXECUTION_PROVIDER, type ExecutionProvider } from '../models/node.ts';
import { readModelFile } from '../models/nodeModelStore.ts';
import { MODEL_FILES } from '../models/manifest.ts';
import { ProgressLine } from './progress.ts';
import { MirrorVideoWriter } from './mirrorEncoder.ts';
import { fileRecordStore } from './fileRecordStore.ts';

export interface MirrorOptions {
  video: string;
  /** the OpenFace folder; undefined: geometric measures only (no AUs) */
  models: string | undefined;
  outDir: string;
  /** FFV1 in MKV instead of H.264 in MP4 */
  lossless: boolean;
  qaVideo: boolean;
  precision?: CsvPrecision;
  executionProvider?: ExecutionProvider;
  /** print progress lines (the CLI); tests pass false */
  quiet?: boolean;
}

export interface MirrorSummary {
  readonly frames: number;
  readonly facesFound: number;
  readonly flagged: number;
  readonly outputs: readonly string[];
  readonly notes: readonly string[];
  readonly seconds: number;
  /** milliseconds summed over frames per stage */
  readonly stageMs: Record<string, number>;
  readonly summaryPath: string;
}

const SIDES: readonly FaceSide[] = ['right', 'left'];

/** The three trackers' sources (source face, right face, left face) and what frees them. */
interface Sources {
  readonly source: FaceSource;
  readonly sides: Record<FaceSide, FaceSource> | null;
  readonly models: ModelFolder | null;
  release(): Promise<void>;
}

async function createSources(options: MirrorOptions): Promise<Sources> {
  const ep = options.executionProvider ?? DEFAULT_EXECUTION_PROVIDER;
  const backend = createNodeBackend({ executionProvider: ep, onFallback: (m) => console.error(`splitface: ${m}`) });
  const detector = readModelFile(MODEL_FILES.blazeFaceBack);
  const landmarks = readModelFile(MODEL_FILES.faceApiLandmarks68);
  const stages = await createDetectionStages(backend, { blazeFaceBack: detector.bytes, faceApi68: landmarks.bytes });
  const folder = options.models ? await loadModelFolder(options.models) : null;
  const description = { inference: backend.name, models: [detector.entry, landmarks.entry], landmarkModel: describeLandmarkModel(folder?.landmarkModel.cenWeightsInFolder ?? false) };
  const keep = async () => {};
  if (!folder) {
    return { source: landmarkOnlyFaceSource(stages.detector, stages.initial, false, description, keep), sides: null, models: null, release: () => stages.release() };
  }
  const tracking = await folder.tracking();
  const tracked = () => trackerFaceSource(createFaceTracker(stages, tracking, {}), tracking.clnf, false, description, keep);
  return { source: tracked(), sides: { right: tracked(), left: tracked() }, models: folder, release: () => stages.release() };
}

function addTimings(into: Record<string, number>, prefix: string, timings: Record<string, number>): void {
  for (const [stage, ms] of Object.entries(timings)) into[`${prefix}${stage}`] = (into[`${prefix}${stage}`] ?? 0) + ms;
}

interface RunContext {
  readonly options: MirrorOptions;
  readonly info: VideoInfo;
  readonly sources: Sources;
  readonly stageMs: Record<string, number>;
  /** NAME + suffix in the output folder */
  out(suffix: string): string;
}

/**
 * Pass 1: the source face of every frame, and the centred-smoothed midlines.
 * A video that cannot be decoded to its end (truncated, damaged) keeps the
 * frames decoded so far: `stoppedBy` says why it ended early.
 */
async function trackSource(run: RunContext): Promise<{ track: MirrorTrack; stoppedBy: string | null }> {
  const { options, info, sources, stageMs } = run;
  const track = new MirrorTrack();
  const progress = options.quiet ? null : new ProgressLine(`${basename(options.video)} (1/2 source)`, info.frameCountHint);
  let stoppedBy: string | null = null;
  let t = performance.now();
  try {
    for await (const frame of decodeVideo(options.video, info)) {
      stageMs.decode = (stageMs.decode ?? 0) + performance.now() - t;
      track.add((await sources.source.facesIn(frame))[0]);
      progress?.update(track.frames);
      t = performance.now();
    }
  } catch (error) {
    if (!(error instanceof VideoInputError) || track.frames === 0) throw error;
    stoppedBy = error.message;
  } finally {
    progress?.end();
  }
  if (!stoppedBy && info.frameCountHint !== null && track.frames < info.frameCountHint) {
    // ffmpeg decodes what it can of a cut-off file and still exits 0
    stoppedBy = `only ${track.frames} of the ${info.frameCountHint} frames the file announces could be decoded (is it truncated or damaged?)`;
  }
  addTimings(stageMs, 'source_', sources.source.timings());
  track.smooth();
  return { track, stoppedBy };
}

type SideAnalyses = Record<FaceSide, VideoAnalysis> | null;

/**
 * Pass 2: each frame mirrored both ways with the smoothed midline; each
 * synthetic face tracked and fed to its side's AU engine, and encoded; the
 * QA frame drawn and encoded. Returns the videos written and the frames seen.
 */
async function mirrorFrames(run: RunContext, track: MirrorTrack, analyses: SideAnalyses): Promise<{ videos: string[]; frames: number }> {
  const { options, info, sources, stageMs } = run;
  const ext = options.lossless ? '.mkv' : '.mp4';
  const codec = options.lossless ? 'ffv1' : 'h264';
  const writers = {
    right: new MirrorVideoWriter(run.out(`_right_mirrored${ext}`), codec, info.width, info.height),
    left: new MirrorVideoWriter(run.out(`_left_mirrored${ext}`), codec, info.width, info.height),
    qa: options.qaVideo ? new MirrorVideoWriter(run.out(`_debug${ext}`), codec, info.width, info.height) : null,
  };
  const all = [writers.right, writers.left, ...(writers.qa ? [writers.qa] : [])];
  const progress = options.quiet ? null : new ProgressLine(`${basename(options.video)} (2/2 mirror)`, track.frames);
  const time = (stage: string, since: number) => (stageMs[stage] = (stageMs[stage] ?? 0) + performance.now() - since);
  let frames = 0;
  try {
    let t = performance.now();
    for await (const frame of decodeVideo(options.video, info)) {
      time('decode', t);
      const f = frame.index;
      // the outputs follow the first pass (a damaged file ends there, before the decoder's error)
      if (f >= track.frames) break;
      const known = f < track.frames;
      const line = known ? track.midline(f) : null;
      for (const side of SIDES) {
        let start = performance.now();
        let mirrored: BgrImage = frame.image;
        if (line) {
          mirrored = createBgrImage(info.width, info.height);
          mirrorFace(frame.image, line, side, mirrored, DEFAULT_SEAM_PIXELS);
        }
        time('mirror', start);
        if (analyses && sources.sides) analyses[side].addFrame(mirrored, await sources.sides[side].facesIn({ index: f, timestamp: frame.timestamp, image: mirrored }));
        start = performance.now();
        await writers[side].write(mirrored, frame.timestamp);
        time('encode', start);
      }
      if (writers.qa) {
        const start = performance.now();
        const qa: BgrImage = { width: info.width, height: info.height, data: frame.image.data.slice() };
        drawQaOverlay(qa, known ? track.landmarksAt(f) : null, line, track.quality(Math.min(f, track.frames - 1)));
        await writers.qa.write(qa, frame.timestamp);
        time('qa', start);
      }
      progress?.update(++frames);
      t = performance.now();
    }
  } catch (error) {
    for (const writer of all) writer.abort();
    throw error;
  } finally {
    progress?.end();
  }
  const start = performance.now();
  for (const writer of all) await writer.close();
  time('encode', start);
  return { videos: all.map((w) => w.path), frames };
}

/** The per-side CSVs, NAME_mirror.csv and NAME_mirror.json. Returns the files written and the summary's path. */
function writeTables(run: RunContext, track: MirrorTrack, assessment: TrackAssessment, analyses: SideAnalyses, videos: string[]): { files: string[]; summaryPath: string } {
  const { options, info, sources } = run;
  const files = [...videos];
  const precision = options.precision ?? 'stock';
  const sideOutputs = analyses ? { right: analyses.right.finish(), left: analyses.left.finish() } : null;
  if (sideOutputs) {
    for (const side of SIDES) {
      const path = run.out(`_${side}_mirrored.csv`);
      writeLines(path, formatAuCsvChunks(sideOutputs[side].rows(), sideOutputs[side].auColumns, precision));
      files.push(path);
    }
  }
  const auNames = sideOutputs?.right.auColumns?.intensityNames ?? null;
  const accumulator = auNames ? new AuAsymmetryAccumulator(auNames) : null;
  const csvPath = run.out('_mirror.csv');
  const rows = sideOutputs ? { right: sideOutputs.right.rows(), left: sideOutputs.left.rows() } : null;
  writeLines(csvPath, mirrorCsvChunks(track, assessment, rows, auNames, accumulator));
  files.push(csvPath);
  const summaryPath = run.out('_mirror.json');
  files.push(summaryPath);
  const { flags, usable } = assessment;
  const summary = {
    tool: 'splitface mirror',
    version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string,
    video: resolve(options.video),
    video_info: info,
    frames: track.frames,
    frames_with_face: assessment.facesFound,
    flags,
    flagged_frames: flags.yaw + flags['face-lost'],
    frames_in_summaries: usable.reduce((n, u) => n + u, 0),
    notes: assessment.notes,
    sides: 'anatomical: right = the patient\'s right = the image\'s left in an unmirrored frontal video',
    midline: {
      fit: 'per frame: least median of squares then Tukey-biweight IRLS (orthogonal distances) through landmarks 27-30, 33, 51, 57, 62, 66, 8 and the midpoints of 15 symmetric pairs (brows, eyes, nose wings, mouth corners)',
      smoothing: `centred Gaussian over the frames with a face, sigma ${OFFLINE_SIGMA_FRAMES} frames (two decoding passes: the track first, then the mirrored frames)`,
      seam_blend_pixels: DEFAULT_SEAM_PIXELS,
    },
    geometry: summariseGeometry(assessment.records, usable),
    aus: accumulator?.summary() ?? null,
    outputs: files.map((p) => basename(p)),
    videos: options.lossless ? 'FFV1 (lossless RGB) in MKV' : 'H.264 (libx264, CRF 18) in MP4',
    landmarks: sources.source.provenance,
    openface_models: options.models ? resolve(options.models) : null,
    csv_precision: precision,
    written: new Date().toISOString(),
  };
  // NaN (a measure without frames) is written as null
  writeFileSync(summaryPath, JSON.stringify(summary, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return { files, summaryPath };
}

/** Runs Face Mirror on one video; writes every output into options.outDir. */
export async function mirrorVideo(options: MirrorOptions): Promise<MirrorSummary> {
  if (!existsSync(options.video)) throw new VideoInputError(`${options.video}: no such file`);
  const info = probeVideo(options.video);
  mkdirSync(options.outDir, { recursive: true });
  const stem = basename(options.video, extname(options.video));
  const started = performance.now();
  const sources = await createSources(options);
  const run: RunContext = { options, info, sources, stageMs: {}, out: (suffix) => join(options.outDir, `${stem}${suffix}`) };
  // each side's rows wait in a temporary file until the end of the video (flat memory), as in `process`
  const analyses: SideAnalyses = sources.models ? { right: new VideoAnalysis(sources.models.au, fileRecordStore), left: new VideoAnalysis(sources.models.au, fileRecordStore) } : null;
  try {
    const { track, stoppedBy } = await trackSource(run);
    const assessment = assessTrack(track, sources.sides !== null);
    if (stoppedBy) assessment.notes.unshift(`the video ended early after frame ${track.frames}: ${stoppedBy}; the outputs cover the frames decoded`);
    const { videos, frames } = await mirrorFrames(run, track, analyses);
    if (frames !== track.frames) assessment.notes.push(`the second decoding gave ${frames} frames, the first ${track.frames}: the outputs follow the first`);
    if (sources.sides) for (const side of SIDES) addTimings(run.stageMs, `${side}_`, sources.sides[side].timings());
    if (analyses) for (const side of SIDES) addTimings(run.stageMs, `${side}_`, analyses[side].timings());
    const start = performance.now();
    const { files, summaryPath } = writeTables(run, track, assessment, analyses, videos);
    run.stageMs.outputs = performance.now() - start;
    const { facesFound, flags, notes } = assessment;
    return { frames: track.frames, facesFound, flagged: flags.yaw + flags['face-lost'], outputs: files, notes, seconds: (performance.now() - started) / 1000, stageMs: run.stageMs, summaryPath };
  } finally {
    analyses?.right.dispose();
    analyses?.left.dispose();
    await sources.release();
  }
}

function writeLines(path: string, pieces: Iterable<string>): void {
  const fd = openSync(path, 'w');
  try {
    for (const piece of pieces) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}
