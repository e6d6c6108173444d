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
import type { FrameResult } from '../core/result.ts';
import { createDetectionStages, createFaceTracker } from '../core/analysis/ownTracker.ts';
import { landmarkOnlyFaceSource, trackerFaceSource, type FaceSource } from '../core/analysis/faceSource.ts';
import { describeLandmarkModel } from '../core/model/landmarkModel.ts';
import { MirrorTrack } from '../core/mirror/mirrorTrack.ts';
import { mirrorFace, DEFAULT_SEAM_PIXELS, type FaceSide } from '../core/mirror/mirrorImage.ts';
import { drawQaOverlay } from '../core/mirror/qaOverlay.ts';
import { FRAME_RECORD_LENGTH, measureFrame, restPosition, summariseGeometry } from '../core/mirror/faceGeometry.ts';
import { midlineAngleDegrees, OFFLINE_SIGMA_FRAMES } from '../core/mirror/midlineSmoothing.ts';
import { mirrorCsvHeader, mirrorCsvRow } from '../core/mirror/mirrorCsv.ts';
import { AuAsymmetryAccumulator, type AuAsymmetrySummary } from '../core/mirror/auAsymmetry.ts';
import type { MirrorFlag } from '../core/mirror/mirrorQuality.ts';
import { decodeVideo, probeVideo } from './ffmpegDecode.ts';
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

/** Runs Face Mirror on one video; writes every output into options.outDir. */
export async function mirrorVideo(options: MirrorOptions): Promise<MirrorSummary> {
  if (!existsSync(options.video)) throw new VideoInputError(`${options.video}: no such file`);
  const info = probeVideo(options.video);
  mkdirSync(options.outDir, { recursive: true });
  const stem = basename(options.video, extname(options.video));
  const out = (suffix: string) => join(options.outDir, `${stem}${suffix}`);
  const started = performance.now();
  const stageMs: Record<string, number> = {};
  const sources = await createSources(options);
  try {
    // pass 1: the source face of every frame
    const track = new MirrorTrack();
    const progress = options.quiet ? null : new ProgressLine(`${basename(options.video)} (1/2 source)`, info.frameCountHint);
    let t = performance.now();
    for await (const frame of decodeVideo(options.video, info)) {
      stageMs.decode = (stageMs.decode ?? 0) + performance.now() - t;
      const faces = await sources.source.facesIn(frame);
      track.add(faces[0]);
      progress?.update(track.frames);
      t = performance.now();
    }
    progress?.end();
    addTimings(stageMs, 'source_', sources.source.timings());
    track.smooth();
    const records = new Float64Array(track.frames * FRAME_RECORD_LENGTH);
    const usable = new Uint8Array(track.frames);
    const flags: Record<MirrorFlag, number> = { ok: 0, yaw: 0, 'face-lost': 0 };
    for (let f = 0; f < track.frames; f++) {
      measureFrame(track.landmarksAt(f), track.midline(f), records.subarray(f * FRAME_RECORD_LENGTH, (f + 1) * FRAME_RECORD_LENGTH));
      const flag = track.quality(f).flag;
      flags[flag]++;
      usable[f] = flag === 'ok' ? 1 : 0;
    }
    const facesFound = track.frames - flags['face-lost'];
    const notes: string[] = [];
    if (facesFound === 0) notes.push('no face was found in any frame: the mirrored videos are copies of the source, and there are no measures');
    else if (flags.ok === 0) {
      // nothing is frontal: summarise what there is rather than nothing, and say so
      for (let f = 0; f < track.frames; f++) usable[f] = track.quality(f).flag === 'yaw' ? 1 : 0;
      notes.push(`the face is turned away from the camera (|yaw| > 5 deg) in all ${facesFound} frames with a face (a profile?): mirroring assumes a frontal face, so every frame is flagged and the summaries, made from these frames, are unreliable`);
    } else if (flags.yaw > flags.ok) {
      notes.push(`the face is turned away from the camera (|yaw| > 5 deg) in ${flags.yaw} of the ${facesFound} frames with a face: mirroring assumes a frontal face, so these frames are flagged and left out of the summaries`);
    }
    if (flags['face-lost'] > 0 && facesFound > 0) notes.push(`${flags['face-lost']} frames without a face pass through unmirrored (flag face-lost)`);
    if (!sources.sides) notes.push('no OpenFace model folder: geometric measures only (no AU CSVs, no head pose; the yaw flag needs the folder)');

    // pass 2: mirror, track and measure each side, encode
    // each side's rows wait in a temporary file until the end of the video (flat memory), as in `process`
    const analyses = sources.models ? { right: new VideoAnalysis(sources.models.au, fileRecordStore), left: new VideoAnalysis(sources.models.au, fileRecordStore) } : null;
    try {
      const ext = options.lossless ? '.mkv' : '.mp4';
      const codec = options.lossless ? 'ffv1' : 'h264';
      const writers = {
        right: new MirrorVideoWriter(out(`_right_mirrored${ext}`), codec, info.width, info.height),
        left: new MirrorVideoWriter(out(`_left_mirrored${ext}`), codec, info.width, info.height),
        qa: options.qaVideo ? new MirrorVideoWriter(out(`_debug${ext}`), codec, info.width, info.height) : null,
      };
      const progress2 = options.quiet ? null : new ProgressLine(`${basename(options.video)} (2/2 mirror)`, track.frames);
      let frames = 0;
      try {
        t = performance.now();
        for await (const frame of decodeVideo(options.video, info)) {
          stageMs.decode = (stageMs.decode ?? 0) + performance.now() - t;
          const f = frame.index;
          const line = f < track.frames ? track.midline(f) : null;
          const quality = track.quality(Math.min(f, track.frames - 1));
          for (const side of SIDES) {
            let start = performance.now();
            let mirrored: BgrImage = frame.image;
            if (line) {
              mirrored = createBgrImage(info.width, info.height);
              mirrorFace(frame.image, line, side, mirrored, DEFAULT_SEAM_PIXELS);
            }
            stageMs.mirror = (stageMs.mirror ?? 0) + performance.now() - start;
            if (analyses && sources.sides) {
              const faces = await sources.sides[side].facesIn({ index: f, timestamp: frame.timestamp, image: mirrored });
              analyses[side].addFrame(mirrored, faces);
            }
            start = performance.now();
            await writers[side].write(mirrored, frame.timestamp);
            stageMs.encode = (stageMs.encode ?? 0) + performance.now() - start;
          }
          if (writers.qa) {
            const start = performance.now();
            const qa: BgrImage = { width: info.width, height: info.height, data: frame.image.data.slice() };
            drawQaOverlay(qa, f < track.frames ? track.landmarksAt(f) : null, line, quality);
            await writers.qa.write(qa, frame.timestamp);
            stageMs.qa = (stageMs.qa ?? 0) + performance.now() - start;
          }
          frames++;
          progress2?.update(frames);
          t = performance.now();
        }
      } catch (error) {
        for (const writer of [writers.right, writers.left, writers.qa]) writer?.abort();
        throw error;
      } finally {
        progress2?.end();
      }
      if (frames !== track.frames) notes.push(`the second decoding gave ${frames} frames, the first ${track.frames}: the outputs follow the first`);
      let start = performance.now();
      for (const writer of [writers.right, writers.left, writers.qa]) await writer?.close();
      stageMs.encode = (stageMs.encode ?? 0) + performance.now() - start;
      if (sources.sides) for (const side of SIDES) addTimings(stageMs, `${side}_`, sources.sides[side].timings());
      if (analyses) for (const side of SIDES) addTimings(stageMs, `${side}_`, analyses[side].timings());

      // outputs
      start = performance.now();
      const outputs: string[] = [writers.right.path, writers.left.path, ...(writers.qa ? [writers.qa.path] : [])];
      let auSummary: AuAsymmetrySummary | null = null;
      let auNames: readonly string[] | null = null;
      const precision = options.precision ?? 'stock';
      const sideOutputs = analyses ? { right: analyses.right.finish(), left: analyses.left.finish() } : null;
      if (sideOutputs) {
        for (const side of SIDES) {
          const path = out(`_${side}_mirrored.csv`);
          writeLines(path, formatAuCsvChunks(sideOutputs[side].rows(), sideOutputs[side].auColumns, precision));
          outputs.push(path);
        }
        auNames = sideOutputs.right.auColumns?.intensityNames ?? null;
      }
      const accumulator = auNames ? new AuAsymmetryAccumulator(auNames) : null;
      const rest = restPosition(records, usable);
      const csvPath = out('_mirror.csv');
      writeLines(csvPath, mirrorCsvLines());
      outputs.push(csvPath);
      auSummary = accumulator?.summary() ?? null;

      function* mirrorCsvLines(): Generator<string> {
        yield mirrorCsvHeader(auNames) + '\n';
        const right = sideOutputs ? sideOutputs.right.rows() : null;
        const left = sideOutputs ? sideOutputs.left.rows() : null;
        const difference = new Float64Array(auNames?.length ?? 0);
        let lines: string[] = [];
        for (let f = 0; f < track.frames; f++) {
          const r: FrameResult | undefined = right?.next().value ?? undefined;
          const l: FrameResult | undefined = left?.next().value ?? undefined;
          let hasDifference = false;
          if (r?.success && l?.success && r.auIntensity && l.auIntensity) {
            for (let i = 0; i < difference.length; i++) difference[i] = r.auIntensity[i] - l.auIntensity[i];
            hasDifference = true;
            if (usable[f]) accumulator?.add(r.auIntensity, l.auIntensity);
          }
          const ends = track.midlineEnds(f);
          const line = track.midline(f);
          lines.push(mirrorCsvRow({
            index: f, timestamp: track.timestamp(f), ends, angle: line ? midlineAngleDegrees(line) : Number.NaN, quality: track.quality(f),
            records, rest, auDifference: hasDifference ? difference : null, auCount: difference.length,
          }));
          if (lines.length >= 1000) {
            yield lines.join('\n') + '\n';
            lines = [];
          }
        }
        if (lines.length) yield lines.join('\n') + '\n';
      }

      const summaryPath = out('_mirror.json');
      const flagged = flags.yaw + flags['face-lost'];
      const summary = {
        tool: 'splitface mirror',
        version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string,
        video: resolve(options.video),
        video_info: info,
        frames: track.frames,
        frames_with_face: facesFound,
        flags,
        flagged_frames: flagged,
        frames_in_summaries: usable.reduce((n, u) => n + u, 0),
        notes,
        sides: 'anatomical: right = the patient\'s right = the image\'s left in an unmirrored frontal video',
        midline: {
          fit: 'per frame: least median of squares then Tukey-biweight IRLS (orthogonal distances) through landmarks 27-30, 33, 51, 57, 62, 66, 8 and the midpoints of 15 symmetric pairs (brows, eyes, nose wings, mouth corners)',
          smoothing: `centred Gaussian over the frames with a face, sigma ${OFFLINE_SIGMA_FRAMES} frames (two decoding passes: the track first, then the mirrored frames)`,
          seam_blend_pixels: DEFAULT_SEAM_PIXELS,
        },
        geometry: summariseGeometry(records, usable),
        aus: auSummary,
        outputs: outputs.map((p) => basename(p)),
        videos: options.lossless ? 'FFV1 (lossless RGB) in MKV' : 'H.264 (libx264, CRF 18) in MP4',
        landmarks: sources.source.provenance,
        openface_models: options.models ? resolve(options.models) : null,
        csv_precision: precision,
        written: new Date().toISOString(),
      };
      writeFileSync(summaryPath, JSON.stringify(summary, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
      outputs.push(summaryPath);
      stageMs.outputs = performance.now() - start;
      return { frames: track.frames, facesFound, flagged, outputs, notes, seconds: (performance.now() - started) / 1000, stageMs, summaryPath };
    } finally {
      analyses?.right.dispose();
      analyses?.left.dispose();
    }
  } finally {
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
