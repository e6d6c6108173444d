/**
 * `splitface mirror`: Face Mirror on one video (src/core/mirror/faceMirrorRun.ts,
 * the same run as the browser worker's), with the Node pieces: the system
 * ffmpeg decodes (twice, one pass each) and encodes, each side's rows wait
 * in a temporary file, and the tables go to files in the output folder.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { VideoInputError } from '../core/errors.ts';
import type { CsvPrecision } from '../core/csv/auCsv.ts';
import { createDetectionStages, createFaceTracker } from '../core/analysis/ownTracker.ts';
import { landmarkOnlyFaceSource, trackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
import { describeLandmarkModel } from '../core/model/landmarkModel.ts';
import type { FaceSide } from '../core/mirror/mirrorImage.ts';
import { symmetricFaceSource } from '../core/mirror/symmetricFaceSource.ts';
import { faceMirrorSummary, faceMirrorTables, runFaceMirror, summaryJson, type FaceMirrorRun } from '../core/mirror/faceMirrorRun.ts';
import { decodeVideo, probeVideo } from './ffmpegDecode.ts';
import { loadModelFolder, type ModelFolder } from './modelFolder.ts';
import { createNodeBackend, DEFAULT_EXECUTION_PROVIDER, type ExecutionProvider } from '../models/node.ts';
import { readModelFile } from '../models/nodeModelStore.ts';
import { MODEL_FILES } from '../models/manifest.ts';
import { ProgressLine } from './progress.ts';
import { MirrorVideoWriter } from './mirrorEncoder.ts';
import { fileRecordStore } from './fileRecordStore.ts';
import { DEFAULT_THREADS, threadFaceSources } from './threadFaceSource.ts';

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
  /**
   * 2 (default): with the OpenFace folder, the four trackers (the source and
   * its flip, the right and left faces) each on a thread of their own, the
   * two of a frame at the same time; 1: all in this thread, one after the
   * other (the same outputs)
   */
  threads?: number;
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

/** The three trackers' sources (source face, right face, left face) and what frees them. */
interface Sources {
  readonly source: FaceSource;
  readonly sides: Record<FaceSide, FaceSource> | null;
  readonly models: ModelFolder | null;
  /** the trackers run on threads of their own (see MirrorFaceSources.concurrent) */
  readonly concurrent: boolean;
  release(): Promise<void>;
}

async function createSources(options: MirrorOptions): Promise<Sources> {
  const ep = options.executionProvider ?? DEFAULT_EXECUTION_PROVIDER;
  if (options.models && (options.threads ?? DEFAULT_THREADS) > 1) return createThreadSources(options.models, ep);
  const backend = createNodeBackend({ executionProvider: ep, onFallback: (m) => console.error(`splitface: ${m}`) });
  const detector = readModelFile(MODEL_FILES.blazeFaceBack);
  const landmarks = readModelFile(MODEL_FILES.faceApiLandmarks68);
  const stages = await createDetectionStages(backend, { blazeFaceBack: detector.bytes, faceApi68: landmarks.bytes });
  const folder = options.models ? await loadModelFolder(options.models) : null;
  const description = { inference: backend.name, models: [detector.entry, landmarks.entry], landmarkModel: describeLandmarkModel(folder?.landmarkModel.cenWeightsInFolder ?? false) };
  const keep = async () => {};
  if (!folder) {
    const detected = () => landmarkOnlyFaceSource(stages.detector, stages.initial, false, description, keep);
    return { source: symmetricFaceSource(detected(), detected()), sides: null, models: null, concurrent: false, release: () => stages.release() };
  }
  const tracking = await folder.tracking();
  const tracked = () => trackerFaceSource(createFaceTracker(stages, tracking, {}), tracking.clnf, false, description, keep);
  // the source face: each frame tracked as it is and flipped, the fits averaged (flip invariance: docs/mirror.md)
  return { source: symmetricFaceSource(tracked(), tracked()), sides: { right: tracked(), left: tracked() }, models: folder, concurrent: false, release: () => stages.release() };
}

/**
 * The same four trackers as createSources makes in-thread (`process`'s
 * single-face tracker from the OpenFace folder) on two threads: one tracks
 * the source and then the right face, the other the flipped source and then
 * the left face, so the two trackers of each pass run at the same time.
 */
async function createThreadSources(models: string, executionProvider: ExecutionProvider): Promise<Sources> {
  const folder = await loadModelFolder(models);
  const setup = { models, choice: { allFaces: false }, executionProvider };
  const onFallback = (message: string) => console.error(`splitface: ${message}`);
  const started = await Promise.allSettled([threadFaceSources(setup, 2, onFallback), threadFaceSources(setup, 2, onFallback)]);
  const trackers = started.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  const release = async () => {
    await Promise.all(trackers.map((tracker) => tracker.release()));
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await release();
    throw failed.reason;
  }
  const [direct, right, ofFlipped, left] = trackers as [FaceSource, FaceSource, FaceSource, FaceSource];
  return { source: symmetricFaceSource(direct, ofFlipped, true), sides: { right, left }, models: folder, concurrent: true, release };
}

/** Runs Face Mirror on one video; writes every output into options.outDir. */
export async function mirrorVideo(options: MirrorOptions): Promise<MirrorSummary> {
  if (!existsSync(options.video)) throw new VideoInputError(`${options.video}: no such file`);
  const info = probeVideo(options.video);
  mkdirSync(options.outDir, { recursive: true });
  const stem = basename(options.video, extname(options.video));
  const out = (suffix: string) => join(options.outDir, `${stem}${suffix}`);
  const started = performance.now();
  const sources = await createSources(options);
  let progress: ProgressLine | null = null;
  let progressPass = 0;
  const ext = options.lossless ? '.mkv' : '.mp4';
  const codec = options.lossless ? 'ffv1' : 'h264';
  const writer = (suffix: string) => new MirrorVideoWriter(out(`${suffix}${ext}`), codec, info.width, info.height);
  let run: FaceMirrorRun | null = null;
  try {
    run = await runFaceMirror({
      decode: () => decodeVideo(options.video, info),
      frameCountHint: info.frameCountHint,
      width: info.width,
      height: info.height,
      faces: sources,
      auModels: sources.models?.au ?? null,
      recordStore: fileRecordStore,
      openWriters: () => ({ right: writer('_right_mirrored'), left: writer('_left_mirrored'), qa: options.qaVideo ? writer('_debug') : null }),
      onProgress: options.quiet ? undefined : (pass, frames, total) => {
        if (pass !== progressPass) {
          progress?.end();
          progressPass = pass;
          progress = new ProgressLine(`${basename(options.video)} (${pass}/2 ${pass === 1 ? 'source' : 'mirror'})`, total);
        }
        progress?.update(frames);
      },
    });
    (progress as ProgressLine | null)?.end();
    const start = performance.now();
    const files = [...run.videos];
    const precision = options.precision ?? 'stock';
    const aus = await faceMirrorTables(run, precision, (suffix, pieces) => {
      writeLines(out(suffix), pieces);
      files.push(out(suffix));
    });
    const summaryPath = out('_mirror.json');
    files.push(summaryPath);
    const summary = faceMirrorSummary(run, aus, {
      tool: 'splitface mirror',
      version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string,
      video: resolve(options.video),
      videoInfo: info,
      outputs: files.map((p) => basename(p)),
      videos: options.lossless ? 'FFV1 (lossless RGB) in MKV' : 'H.264 (libx264, CRF 18) in MP4',
      landmarks: sources.source.provenance,
      openfaceModels: options.models ? resolve(options.models) : null,
      precision,
      written: new Date().toISOString(),
    });
    writeFileSync(summaryPath, summaryJson(summary));
    run.stageMs.outputs = performance.now() - start;
    const { facesFound, flagged, notes } = run.assessment;
    return { frames: run.track.frames, facesFound, flagged, outputs: files, notes, seconds: (performance.now() - started) / 1000, stageMs: run.stageMs, summaryPath };
  } finally {
    (progress as ProgressLine | null)?.end();
    run?.dispose();
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
