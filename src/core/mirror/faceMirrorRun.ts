/**
 * Face Mirror on one video, the same code in the CLI and in the browser
 * worker; they differ only in how frames are decoded, where rows wait and
 * how videos are written (given here as interfaces). Two passes over the
 * decoder, so that no frame's pixels are held:
 *
 * 1. Source tracking: each frame's landmarks and pose and its robust midline,
 *    kept compactly (MirrorTrack); then the midlines are smoothed with a
 *    centred window, which needs the frames after each one.
 * 2. Decoding again, each frame is mirrored both ways with the smoothed
 *    midline; the two synthetic faces go, in memory, through the same
 *    tracking and AU engine as `process` (one tracker and one VideoAnalysis
 *    per side: each side has its own person-specific calibration) and to the
 *    frame writers, with the QA frame beside them.
 *
 * Then `faceMirrorTables` writes the per-side CSVs (OpenFace's format) and
 * NAME_mirror.csv, and `faceMirrorSummary` makes NAME_mirror.json's object.
 */
import { VideoInputError } from '../errors.ts';
import { createBgrImage, type BgrImage } from '../image.ts';
import type { DecodedFrame } from '../analysis/frame.ts';
import type { FaceSource } from '../analysis/faceSource.ts';
import { workAhead, workInStep } from '../analysis/facesAhead.ts';
import { VideoAnalysis, type VideoOutput } from '../analysis/videoAnalysis.ts';
import type { RecordStoreFactory } from '../analysis/recordStore.ts';
import type { OpenFaceModels } from '../model/openfaceModels.ts';
import { formatAuCsvChunks, type CsvPrecision } from '../csv/auCsv.ts';
import type { FaceObservation } from '../pipeline.ts';
import type { FrameResult } from '../result.ts';
import { MirrorTrack } from './mirrorTrack.ts';
import { flipHorizontally, mirrorFace, DEFAULT_SEAM_PIXELS, type FaceSide } from './mirrorImage.ts';
import type { Midline } from './midline.ts';
import { drawQaFrame } from './qaOverlay.ts';
import { summariseGeometry } from './faceGeometry.ts';
import { assessTrack, type TrackAssessment } from './trackAssessment.ts';
import { OFFLINE_SIGMA_FRAMES } from './midlineSmoothing.ts';
import { mirrorCsvChunks } from './mirrorCsv.ts';
import { AuAsymmetryAccumulator, type AuAsymmetrySummary } from './auAsymmetry.ts';

export const FACE_SIDES: readonly FaceSide[] = ['right', 'left'];

/** One output video, fed frame by frame in order. */
export interface MirrorFrameWriter {
  /** where it is written: a path (CLI) or a file name (browser) */
  readonly path: string;
  /** Takes one frame at `seconds` from the start; the image may be reused once this resolves. */
  write(image: BgrImage, seconds: number): Promise<void>;
  /** Ends the video; throws when it could not be written. */
  close(): Promise<void>;
  /** Stops without a finished video (a run that failed midway). */
  abort(): void;
}

export interface MirrorWriters {
  readonly right: MirrorFrameWriter;
  readonly left: MirrorFrameWriter;
  /** the QA video, or null (skipped) */
  readonly qa: MirrorFrameWriter | null;
}

/** The three trackers: the source face, and one per synthetic face (null without the OpenFace folder: no AUs). */
export interface MirrorFaceSources {
  readonly source: FaceSource;
  readonly sides: Record<FaceSide, FaceSource> | null;
  /**
   * The trackers run on threads of their own (the CLI's worker_threads): the
   * two sides of a frame are tracked at the same time, and the next frame
   * while this one's AUs are computed and its videos written (one frame of
   * lookahead, facesAhead.ts: the decoder must keep a frame's pixels until
   * the frame after next is pulled). Absent or false: one frame, one
   * tracker at a time (in-thread trackers sharing inference sessions).
   */
  readonly concurrent?: boolean;
}

/** What a pass-2 frame looked like, for a live view. */
export interface MirroredFrameView {
  readonly source: DecodedFrame;
  /** the smoothed midline, or null (no face: the mirrored frames are the source) */
  readonly line: Midline | null;
  readonly sourceLandmarks: Float32Array | null;
  readonly right: BgrImage;
  readonly left: BgrImage;
  readonly sideFaces: Record<FaceSide, FaceObservation | null>;
}

export interface FaceMirrorInput {
  /** Decodes the video from its first frame (called once per pass). Throws VideoInputError on a damaged stream. */
  decode(pass: 1 | 2): AsyncIterable<DecodedFrame>;
  readonly frameCountHint: number | null;
  /** the upright frame size (of every decoded image, and of the videos) */
  readonly width: number;
  readonly height: number;
  readonly faces: MirrorFaceSources;
  /** the AU models (with `faces.sides`), or null */
  readonly auModels: OpenFaceModels | null;
  /** where each side's rows wait for the end of the video */
  readonly recordStore: RecordStoreFactory;
  /** opened when pass 2 starts */
  openWriters(): MirrorWriters | Promise<MirrorWriters>;
  /** progress: `frames` done in `pass`, of `total` when known */
  onProgress?(pass: 1 | 2, frames: number, total: number | null): void;
  /** pass 1's source face of each frame */
  onTracked?(frame: DecodedFrame, face: FaceObservation): void;
  onMirrored?(view: MirroredFrameView): void;
  /**
   * Why the run was stopped early (the browser's cancel), or null: asked when
   * a pass's frames end. Stopped in step 1, the run keeps the source track
   * (NAME_mirror.csv, the geometry) and writes no videos; stopped in step 2,
   * it finishes the videos and each side's rows with the frames done.
   */
  stopped?(): string | null;
  /**
   * Keep what was computed when the work on a frame fails (the browser, as
   * `process` keeps a partial CSV): the run ends at that frame as if it had
   * been stopped there, with the error's words as FaceMirrorRun.stoppedBy.
   * Absent (the CLI): the error is thrown.
   */
  readonly keepPartialOnError?: boolean;
}

/** A finished run: the source track, its assessment, each side's rows, the videos. Call `dispose` when the tables are written. */
export interface FaceMirrorRun {
  readonly track: MirrorTrack;
  readonly assessment: TrackAssessment;
  /** frames of pass 2 */
  readonly frames: number;
  /** each side's rows, or null without the OpenFace folder */
  readonly sides: Record<FaceSide, VideoOutput> | null;
  /** the videos written, in order right, left, QA (none when stopped in step 1) */
  readonly videos: readonly string[];
  /** why the run was stopped early (FaceMirrorInput.stopped), or null */
  readonly stoppedBy: string | null;
  /** milliseconds summed over frames per stage */
  readonly stageMs: Record<string, number>;
  dispose(): void;
}

function addTimings(into: Record<string, number>, prefix: string, timings: Record<string, number>): void {
  for (const [stage, ms] of Object.entries(timings)) into[`${prefix}${stage}`] = (into[`${prefix}${stage}`] ?? 0) + ms;
}

/**
 * Pass 1: the source face of every frame, and the centred-smoothed midlines.
 * A video that cannot be decoded to its end (truncated, damaged) keeps the
 * frames decoded so far: `stoppedBy` says why it ended early.
 */
async function trackSource(input: FaceMirrorInput, stageMs: Record<string, number>): Promise<{ track: MirrorTrack; stoppedBy: string | null; failure: string | null }> {
  const track = new MirrorTrack();
  const source = input.faces.source;
  let stoppedBy: string | null = null;
  let failure: string | null = null;
  let t = performance.now();
  const facesOf = (frame: DecodedFrame) => source.facesIn(frame);
  const tracked = input.faces.concurrent ? workAhead(input.decode(1), facesOf) : workInStep(input.decode(1), facesOf);
  try {
    for await (const { item: frame, result: faces } of tracked) {
      stageMs.decode = (stageMs.decode ?? 0) + performance.now() - t;
      const face = faces[0];
      track.add(face);
      input.onTracked?.(frame, face);
      input.onProgress?.(1, track.frames, input.frameCountHint);
      t = performance.now();
    }
  } catch (error) {
    if (track.frames === 0) throw error;
    if (error instanceof VideoInputError) stoppedBy = error.message;
    else if (input.keepPartialOnError) failure = errorWords(error);
    else throw error;
  }
  // a cut-off file, unless the run was stopped (cancelled) before its end
  if (!stoppedBy && !failure && !input.stopped?.() && input.frameCountHint !== null && track.frames < input.frameCountHint) {
    // ffmpeg decodes what it can of a cut-off file and still exits 0
    stoppedBy = `only ${track.frames} of the ${input.frameCountHint} frames the file announces could be decoded (is it truncated or damaged?)`;
  }
  addTimings(stageMs, 'source_', source.timings());
  track.smooth();
  return { track, stoppedBy, failure };
}

function errorWords(error: unknown): string {
  return error instanceof Error && error.message ? error.message : String(error);
}

type SideAnalyses = Record<FaceSide, VideoAnalysis> | null;

/**
 * Pass 2: each frame mirrored both ways with the smoothed midline; each
 * synthetic face tracked and fed to its side's AU engine, and written; the
 * QA frame drawn and written. Returns the videos written and the frames seen.
 */
async function mirrorFrames(input: FaceMirrorInput, track: MirrorTrack, analyses: SideAnalyses, stageMs: Record<string, number>): Promise<{ videos: string[]; frames: number; failure: string | null }> {
  const sides = input.faces.sides;
  const writers = await input.openWriters();
  const all = [writers.right, writers.left, ...(writers.qa ? [writers.qa] : [])];
  const time = (stage: string, since: number) => (stageMs[stage] = (stageMs[stage] ?? 0) + performance.now() - since);
  const sideFaces: Record<FaceSide, FaceObservation | null> = { right: null, left: null };
  const trackSides = async ({ frame, mirrored }: MirroredFrame): Promise<Record<FaceSide, FaceObservation[]> | null> => {
    if (!analyses || !sides) return null;
    const sideFrame = (side: FaceSide): DecodedFrame => ({ index: frame.index, timestamp: frame.timestamp, image: mirrored[side] });
    if (input.faces.concurrent) {
      const [right, left] = await Promise.all([sides.right.facesIn(sideFrame('right')), sides.left.facesIn(sideFrame('left'))]);
      return { right, left };
    }
    return { right: await sides.right.facesIn(sideFrame('right')), left: await sides.left.facesIn(sideFrame('left')) };
  };
  const frames = mirroredFrames(input, track, time);
  const tracked = input.faces.concurrent ? workAhead(frames, trackSides) : workInStep(frames, trackSides);
  let done = 0;
  let failure: string | null = null;
  // the QA frame is drawn into one buffer: each write is awaited before the next frame is drawn
  let qaBuffer: BgrImage | null = null;
  try {
    for await (const { item: { frame, line, mirrored }, result: faces } of tracked) {
      const f = frame.index;
      for (const side of FACE_SIDES) {
        if (analyses && faces) {
          sideFaces[side] = faces[side][0] ?? null;
          analyses[side].addFrame(mirrored[side], faces[side]);
        }
        const start = performance.now();
        await writers[side].write(mirrored[side], frame.timestamp);
        time('encode', start);
      }
      if (writers.qa) {
        const start = performance.now();
        qaBuffer ??= createBgrImage(input.width, input.height);
        const qa = drawQaFrame(frame.image, qaBuffer, track.landmarksAt(f), line, track.quality(f));
        await writers.qa.write(qa, frame.timestamp);
        time('qa', start);
      }
      input.onMirrored?.({ source: frame, line, sourceLandmarks: track.landmarksAt(f), right: mirrored.right, left: mirrored.left, sideFaces });
      // (counted outside the optional call: `f?.(++done)` does not count when there is no `f`)
      done++;
      input.onProgress?.(2, done, track.frames);
    }
  } catch (error) {
    if (!input.keepPartialOnError || done === 0) {
      for (const writer of all) writer.abort();
      throw error;
    }
    failure = errorWords(error);
  }
  const start = performance.now();
  const closed: MirrorFrameWriter[] = [];
  for (const writer of all) {
    try {
      await writer.close();
      closed.push(writer);
    } catch (error) {
      // after a failure a broken writer goes (the others keep their frames); otherwise the run fails
      if (!failure) throw error;
      writer.abort();
    }
  }
  time('encode', start);
  return { videos: closed.map((w) => w.path), frames: done, failure };
}

/** A pass-2 frame mirrored both ways (the source itself where no face was found). */
interface MirroredFrame {
  readonly frame: DecodedFrame;
  readonly line: Midline | null;
  readonly mirrored: Record<FaceSide, BgrImage>;
}

/**
 * Pass 2's frames, each mirrored both ways with its smoothed midline, up to
 * the first pass's frame count (a damaged file ends there, before the
 * decoder's error). The mirrored pictures take turns in two buffers per
 * side: a frame's are read (tracked, analysed, written) until the frame
 * after next is pulled, with or without lookahead.
 */
async function* mirroredFrames(input: FaceMirrorInput, track: MirrorTrack, time: (stage: string, since: number) => void): AsyncGenerator<MirroredFrame> {
  const { width, height } = input;
  const buffers: Record<FaceSide, BgrImage[]> = { right: [], left: [] };
  const bufferFor = (side: FaceSide, turn: number): BgrImage => (buffers[side][turn] ??= createBgrImage(width, height));
  let t = performance.now();
  for await (const frame of input.decode(2)) {
    time('decode', t);
    const f = frame.index;
    if (f >= track.frames) break;
    const line = track.midline(f);
    const mirrored: Record<FaceSide, BgrImage> = { right: frame.image, left: frame.image };
    const start = performance.now();
    for (const side of FACE_SIDES) {
      if (line) {
        mirrored[side] = bufferFor(side, f % 2);
        mirrorFace(frame.image, line, side, mirrored[side], DEFAULT_SEAM_PIXELS);
      } else if (side === 'left') {
        // no face: the source passes through, the left video flipped like its mirrored frames (one orientation)
        mirrored.left = bufferFor(side, f % 2);
        flipHorizontally(frame.image, mirrored.left);
      }
    }
    time('mirror', start);
    yield { frame, line, mirrored };
    t = performance.now();
  }
}

/** Runs both passes; the tables are then written with `faceMirrorTables`. */
export async function runFaceMirror(input: FaceMirrorInput): Promise<FaceMirrorRun> {
  const stageMs: Record<string, number> = {};
  const { sides } = input.faces;
  // each side's rows wait in the record store until the end of the video (flat memory), as in `process`
  const analyses: SideAnalyses = sides && input.auModels ? { right: new VideoAnalysis(input.auModels, input.recordStore), left: new VideoAnalysis(input.auModels, input.recordStore) } : null;
  const dispose = () => {
    analyses?.right.dispose();
    analyses?.left.dispose();
  };
  try {
    const { track, stoppedBy, failure: failureInStep1 } = await trackSource(input, stageMs);
    const assessment = assessTrack(track, sides !== null);
    if (stoppedBy) assessment.notes.unshift(`the video ended early after frame ${track.frames}: ${stoppedBy}; the outputs cover the frames decoded`);
    const stoppedInStep1 = input.stopped?.() ?? failureInStep1;
    if (stoppedInStep1) {
      const why = failureInStep1 ? `the analysis failed (${failureInStep1})` : stoppedInStep1;
      assessment.notes.unshift(`${why} in step 1 of 2, after ${track.frames} frames: the per-frame table (_mirror.csv) and the geometric measures cover them; no videos and no AUs were made`);
      dispose();
      return { track, assessment, frames: 0, sides: null, videos: [], stoppedBy: stoppedInStep1, stageMs, dispose: () => {} };
    }
    const { videos, frames, failure } = await mirrorFrames(input, track, analyses, stageMs);
    const stoppedInStep2 = failure ?? input.stopped?.() ?? null;
    if (stoppedInStep2) assessment.notes.unshift(`${failure ? `the analysis failed (${failure})` : stoppedInStep2} in step 2 of 2, after ${frames} of ${track.frames} frames: the videos and each side's CSV cover frames 1-${frames}; the per-frame table (_mirror.csv) and the geometric measures cover all ${track.frames}`);
    else if (frames !== track.frames) assessment.notes.push(`the second decoding gave ${frames} frames, the first ${track.frames}: the outputs follow the first`);
    if (sides) for (const side of FACE_SIDES) addTimings(stageMs, `${side}_`, sides[side].timings());
    if (analyses) for (const side of FACE_SIDES) addTimings(stageMs, `${side}_`, analyses[side].timings());
    const outputs = analyses ? { right: analyses.right.finish(), left: analyses.left.finish() } : null;
    return { track, assessment, frames, sides: outputs, videos, stoppedBy: stoppedInStep2, stageMs, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Writes a text file from its pieces, in order (a file in the CLI, OPFS in the browser); resolves when written. */
export type TextFileSink = (suffix: string, pieces: Iterable<string>) => Promise<void> | void;

/**
 * The per-side CSVs (`_right_mirrored.csv`, `_left_mirrored.csv`, only with
 * AUs) and `_mirror.csv`, handed to `write` by file-name suffix (`observe`
 * sees each side's rows as they are written). Returns the
 * per-AU asymmetry summary (null without AUs) for the JSON.
 */
export async function faceMirrorTables(run: FaceMirrorRun, precision: CsvPrecision, write: TextFileSink, observe?: (side: FaceSide, row: FrameResult) => void): Promise<AuAsymmetrySummary | null> {
  const sides = run.sides;
  if (sides) {
    for (const side of FACE_SIDES) {
      const rows = observe ? observed(sides[side].rows(), (row) => observe(side, row)) : sides[side].rows();
      await write(`_${side}_mirrored.csv`, formatAuCsvChunks(rows, sides[side].auColumns, precision));
    }
  }
  const auNames = sides?.right.auColumns?.intensityNames ?? null;
  const accumulator = auNames ? new AuAsymmetryAccumulator(auNames) : null;
  const rows = sides ? { right: sides.right.rows(), left: sides.left.rows() } : null;
  await write('_mirror.csv', mirrorCsvChunks(run.track, run.assessment, rows, auNames, accumulator));
  return accumulator?.summary() ?? null;
}

function* observed(rows: Iterable<FrameResult>, see: (row: FrameResult) => void): Generator<FrameResult> {
  for (const row of rows) {
    see(row);
    yield row;
  }
}

/** What only the caller knows, for NAME_mirror.json. */
export interface MirrorSummaryContext {
  readonly tool: string;
  readonly version: string;
  /** the video's path (CLI) or name (browser) */
  readonly video: string;
  readonly videoInfo: unknown;
  readonly outputs: readonly string[];
  /** how the videos were encoded, in words */
  readonly videos: string;
  readonly landmarks: Record<string, unknown>;
  readonly openfaceModels: string | null;
  readonly precision: CsvPrecision;
  readonly written: string;
}

/** NAME_mirror.json's object: the summary and provenance. */
export function faceMirrorSummary(run: FaceMirrorRun, aus: AuAsymmetrySummary | null, context: MirrorSummaryContext): Record<string, unknown> {
  const { flags, usable } = run.assessment;
  return {
    tool: context.tool,
    version: context.version,
    video: context.video,
    video_info: context.videoInfo,
    frames: run.track.frames,
    frames_with_face: run.assessment.facesFound,
    flags,
    flagged_frames: run.assessment.flagged,
    frames_in_summaries: usable.reduce((n, u) => n + u, 0),
    notes: run.assessment.notes,
    sides: 'anatomical: right = the patient\'s right = the image\'s left in an unmirrored frontal video',
    midline: {
      fit: 'per frame: least median of squares then Tukey-biweight IRLS (orthogonal distances) through landmarks 27-30, 33, 51, 57, 62, 66, 8 and the midpoints of 15 symmetric pairs (brows, eyes, nose wings, mouth corners)',
      smoothing: `centred Gaussian over the frames with a face, sigma ${OFFLINE_SIGMA_FRAMES} frames (two decoding passes: the track first, then the mirrored frames)`,
      seam_blend_pixels: DEFAULT_SEAM_PIXELS,
    },
    geometry: summariseGeometry(run.assessment.records, usable),
    aus,
    outputs: context.outputs,
    videos: context.videos,
    landmarks: context.landmarks,
    openface_models: context.openfaceModels,
    csv_precision: context.precision,
    written: context.written,
  };
}

/** The summary as JSON text (a NaN, a measure without frames, is written as null). */
export function summaryJson(summary: Record<string, unknown>): string {
  return JSON.stringify(summary, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
