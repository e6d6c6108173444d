/**
 * Face Mirror inside the analysis worker: the core's run
 * (src/core/mirror/faceMirrorRun.ts, the same as `splitface mirror`) fed with
 * frames the main thread decodes and pushes, pass by pass (FrameChannel
 * turns the pushes into the run's `for await`). The trackers are the ones
 * `process` uses in the app (own CLNF tracker with the OpenFace folder, the
 * detector and landmark net alone without); rows wait in OPFS; the videos
 * and tables are written into OPFS's results folder (or into a folder the
 * user picked: MirrorRunOptions.folder, File System Access) and handed back as
 * disk-backed Files.
 */
import type { RawVideoFrame, VideoInfo } from '../video/types.ts';
import { rawFrameToBgr, uprightSize } from '../video/rawFrameToBgr.ts';
import { SplitFaceError, VideoInputError } from '../core/errors.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import { streamFaceSource } from './faceSources.ts';
import { threadedFaceSource } from './trackerThread.ts';
import { memoryRecordStore, type RecordStoreFactory } from '../core/analysis/recordStore.ts';
import { ROW_RECORD_BYTES } from '../core/analysis/rowRecord.ts';
import type { BgrImage } from '../core/image.ts';
import type { FrameResult } from '../core/result.ts';
import type { FaceSide } from '../core/mirror/mirrorImage.ts';
import { ALL_SIDE_MEASURES, restPosition, sideValue } from '../core/mirror/faceGeometry.ts';
import { faceMirrorSummary, faceMirrorTables, runFaceMirror, summaryJson, type FaceMirrorRun, type MirroredFrameView, type MirrorFaceSources } from '../core/mirror/faceMirrorRun.ts';
import { hdrNote } from '../video/ffprobeInfo.ts';
import { symmetricFaceSource } from '../core/mirror/symmetricFaceSource.ts';
import { FrameChannel } from './frameChannel.ts';
import { OpfsRecordStore, RESULTS_DIR, SPILL_DIR, opfsFolder } from './opfsFiles.ts';
import { previewRgba, OPENFACE_FOLDER_LABEL, type FrameAnalyser } from './frameAnalyser.ts';
import { LOSSLESS_FORMAT, chooseVideoFormat, createVideoWriter, opfsOutputFolder, pickedOutputFolder, type BrowserVideoWriter, type MirrorVideoFormat, type OutputFolder } from './mirrorWriters.ts';
import packageJson from '../../package.json';
import type { MirrorFrameUpdate, MirrorOutputFile, MirrorPass, MirrorPreview, MirrorResult, MirrorRunOptions, MirrorSeries } from './mirrorApi.ts';

/** The live view gets a frame at most this often. */
const PREVIEW_INTERVAL_MS = 250;
/** each of the three pictures at most this wide */
const PREVIEW_MAX_WIDTH = 320;

/** a run cancelled before its first frame was tracked (nothing to keep) */
export const MIRROR_CANCELLED = 'Face Mirror was cancelled before its first frame: no files were written';

interface ActiveRun {
  readonly video: VideoInfo;
  readonly options: MirrorRunOptions;
  readonly faces: MirrorFaceSources;
  readonly channels: Record<MirrorPass, FrameChannel<DecodedFrame>>;
  /** where the files go: OPFS's results folder, or the folder the user picked */
  readonly output: OutputFolder;
  readonly format: MirrorVideoFormat;
  readonly writers: BrowserVideoWriter[];
  /** the core's run: both passes, then the tables can be written */
  done: Promise<FaceMirrorRun>;
  /** the last frame's update, made by the run's hooks */
  update: MirrorFrameUpdate | null;
  lastPreview: number;
  convertMs: number;
  /**
   * Two BGR buffers taken in turn by the frames of both passes (a push
   * resolves once the run has pulled the next frame, and a frame is read
   * until the frame after next is pulled: facesAhead.ts)
   */
  readonly bgr: Uint8Array[];
  bgrTurn: number;
  /** why the user stopped the run (then it keeps what it computed), or null */
  stopped: string | null;
}

/** NAME without its extension, for the output names. */
function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function previewLandmarks(landmarks: ArrayLike<number> | null, scale: number): Float64Array | null {
  if (!landmarks) return null;
  const out = new Float64Array(landmarks.length);
  for (let i = 0; i < out.length; i++) out[i] = landmarks[i] * scale;
  return out;
}

export class MirrorAnalyser {
  private run: ActiveRun | null = null;

  constructor(private readonly engine: FrameAnalyser) {}

  private faceSources(separateTrackers: boolean): MirrorFaceSources {
    const engine = this.engine;
    // with the cores free (the pool says), each step's two streams track at once: the first in a nested
    // tracker worker, the second here (two busy threads for two cores; two nested workers measured slower)
    const concurrent = separateTrackers && engine.canSeparateTrackers;
    // the source of `process` in the app (one face), one per stream: each keeps its own track
    const local = (): FaceSource => streamFaceSource(engine.sourceEngine, engine.stages, { allFaces: false });
    const nested = (): FaceSource => (concurrent ? threadedFaceSource(engine.trackerThread(0), { allFaces: false }) : local());
    // the source face: each frame tracked as it is and flipped, the fits averaged (flip invariance), as in the CLI
    const source = symmetricFaceSource(nested(), local(), concurrent);
    return { source, sides: engine.openface ? { right: nested(), left: local() } : null, concurrent };
  }

  async begin(video: VideoInfo, options: MirrorRunOptions): Promise<void> {
    this.abandon();
    const results = options.folder ? null : await opfsFolder(RESULTS_DIR);
    if (!options.folder && !results) throw new SplitFaceError('Face Mirror needs the browser\'s private file storage (OPFS) for its videos, and this browser does not offer it here: choose a folder for the files instead');
    const output = options.folder ? pickedOutputFolder(options.folder) : opfsOutputFolder(results!);
    const spill = await opfsFolder(SPILL_DIR);
    const recordStore: RecordStoreFactory = (bytes) => {
      if (!spill || bytes !== ROW_RECORD_BYTES) return memoryRecordStore(bytes);
      // created synchronously by VideoAnalysis: the OPFS store is opened ahead (see below)
      const store = this.spillStores.shift();
      return store ?? memoryRecordStore(bytes);
    };
    this.spillStores = spill ? await Promise.all([OpfsRecordStore.create(spill, ROW_RECORD_BYTES), OpfsRecordStore.create(spill, ROW_RECORD_BYTES)]).catch(() => []) : [];
    const format = options.lossless ? LOSSLESS_FORMAT : await chooseVideoFormat(video.width, video.height);
    const faces = this.faceSources(options.separateTrackers ?? false);
    const channels = { 1: new FrameChannel<DecodedFrame>(), 2: new FrameChannel<DecodedFrame>() };
    const stem = stemOf(video.name);
    const writers: BrowserVideoWriter[] = [];
    const open = (suffix: string) => createVideoWriter(output, `${stem}${suffix}${format.extension}`, format, video.width, video.height).then((w) => {
      writers.push(w);
      return w;
    });
    const run: ActiveRun = {
      video, options, faces, channels, output, format, writers,
      update: null,
      lastPreview: -Infinity,
      convertMs: 0,
      bgr: [],
      bgrTurn: 0,
      stopped: null,
      done: Promise.reject(new Error('not started')),
    };
    run.done.catch(() => {});
    run.done = runFaceMirror({
      decode: (pass) => channels[pass],
      frameCountHint: video.frameCountHint,
      width: video.width,
      height: video.height,
      faces,
      auModels: this.engine.openface?.au ?? null,
      recordStore,
      openWriters: async () => ({ right: await open('_right_mirrored'), left: await open('_left_mirrored'), qa: options.qaVideo ? await open('_debug') : null }),
      onTracked: (frame, face) => {
        run.update = { pass: 1, index: frame.index, preview: this.preview(run, frame.image, face.success ? face.landmarks : null, null, null) };
      },
      onMirrored: (view) => {
        run.update = { pass: 2, index: view.source.index, preview: this.preview(run, view.source.image, view.sourceLandmarks, view, view.line) };
      },
      stopped: () => run.stopped,
      // like `process`: a frame whose work fails ends the run there, with what was computed before it
      keepPartialOnError: true,
    });
    // a run that ends (failed, or stopped by a failure before the video's end) takes no more frames: the pushes return
    const stopTaking = () => {
      channels[1].stop();
      channels[2].stop();
    };
    run.done.then(stopTaking, stopTaking);
    this.run = run;
  }

  private spillStores: OpfsRecordStore[] = [];

  /** The three pictures when a preview is due (source always; the faces in pass 2). */
  private preview(run: ActiveRun, image: BgrImage, landmarks: ArrayLike<number> | null, view: MirroredFrameView | null, line: MirroredFrameView['line']): MirrorPreview | null {
    const now = performance.now();
    if (now - run.lastPreview < PREVIEW_INTERVAL_MS) return null;
    run.lastPreview = now;
    const source = previewRgba(image, PREVIEW_MAX_WIDTH);
    return {
      width: source.width,
      height: source.height,
      source: source.rgba,
      landmarks: previewLandmarks(landmarks, source.scale),
      midline: line ? { x: line.x * source.scale, y: line.y * source.scale, dx: line.dx, dy: line.dy } : null,
      right: view ? previewRgba(view.right, PREVIEW_MAX_WIDTH).rgba : null,
      left: view ? previewRgba(view.left, PREVIEW_MAX_WIDTH).rgba : null,
    };
  }

  async pushFrame(pass: MirrorPass, frame: RawVideoFrame): Promise<MirrorFrameUpdate> {
    const run = this.requireRun();
    const start = performance.now();
    const { width, height } = uprightSize(frame);
    const turn = run.bgrTurn++ % 2;
    if (run.bgr[turn]?.length !== width * height * 3) run.bgr[turn] = new Uint8Array(width * height * 3);
    const image = rawFrameToBgr(frame, run.bgr[turn]);
    run.convertMs += performance.now() - start;
    run.update = null;
    await run.channels[pass].push({ index: frame.index, timestamp: frame.timestamp, image });
    return run.update ?? { pass, index: frame.index, preview: null };
  }

  async endPass(pass: MirrorPass, stoppedBy: string | null, cancelled: boolean): Promise<void> {
    const run = this.requireRun();
    const channel = run.channels[pass];
    if (cancelled) {
      // like `process`: the run stops here and keeps what it computed (step 1's track; step 2's frames so far)
      run.stopped = stoppedBy ?? 'cancelled';
      run.channels[1].end();
      run.channels[2].end();
    } else if (stoppedBy) channel.fail(new VideoInputError(stoppedBy));
    else channel.end();
  }

  async finish(): Promise<MirrorResult> {
    const run = this.requireRun();
    this.run = null;
    let finished: FaceMirrorRun | null = null;
    try {
      finished = await run.done;
      if (finished.track.frames === 0 && finished.stoppedBy) throw new SplitFaceError(MIRROR_CANCELLED);
      return await this.writeResult(run, finished);
    } catch (error) {
      for (const writer of run.writers) writer.abort();
      throw error;
    } finally {
      finished?.dispose();
      this.releaseSpill();
      void releaseFaces(run.faces);
    }
  }

  private releaseSpill(): void {
    for (const store of this.spillStores.splice(0)) store.dispose();
  }

  /** Drops a run that was not finished (a new begin). */
  private abandon(): void {
    const run = this.run;
    this.run = null;
    if (!run) return;
    cancelPasses(run);
    void run.done.then((r) => r.dispose(), () => {}).finally(() => {
      for (const writer of run.writers) writer.abort();
      void releaseFaces(run.faces);
    });
    this.releaseSpill();
  }

  private async writeResult(run: ActiveRun, finished: FaceMirrorRun): Promise<MirrorResult> {
    const stem = stemOf(run.video.name);
    // a stopped run's files say so in their names (NAME_mirror.partial.csv), like `process`'s NAME.partial.csv
    const partial = finished.stoppedBy !== null;
    const named = (file: string) => (partial ? file.replace(/(\.[^.]+)$/, '.partial$1') : file);
    const outputs: MirrorOutputFile[] = run.writers.map((w) => {
      const written = w.written();
      // (in a picked folder the file keeps the name it was written under)
      return { name: run.output.kind === 'picked' ? written.file.name : named(written.downloadName), kind: 'video', file: written.file, storedAs: written.storedAs };
    });
    const auNames = finished.sides?.right.auColumns?.intensityNames ?? [];
    const sideSeries: Record<FaceSide, number[][]> = { right: auNames.map(() => []), left: auNames.map(() => []) };
    const observe = (side: FaceSide, row: FrameResult) => {
      if (row.faceId !== 0) return;
      const series = sideSeries[side];
      for (let i = 0; i < series.length; i++) series[i].push(row.success && row.auIntensity ? row.auIntensity[i] : Number.NaN);
    };
    const encoder = new TextEncoder();
    const writeText = async (name: string, pieces: Iterable<string>, kind: 'csv' | 'json') => {
      const file = await run.output.create(name);
      let size = 0;
      try {
        for (const piece of pieces) {
          const bytes = encoder.encode(piece);
          await file.write(bytes, size);
          size += bytes.length;
        }
      } catch (error) {
        file.abandon();
        throw error;
      }
      const written = await file.close();
      outputs.push({ name: run.output.kind === 'picked' ? written.name : name, kind, file: written, storedAs: run.output.kind === 'opfs' ? file.name : null });
    };
    const aus = await faceMirrorTables(finished, run.options.precision, (suffix, pieces) => writeText(named(`${stem}${suffix}`), pieces, 'csv'), observe);
    const summaryName = named(`${stem}_mirror.json`);
    const summary = faceMirrorSummary(finished, aus, {
      tool: 'splitface mirror (browser)',
      version: packageJson.version,
      video: run.video.name,
      videoInfo: { ...run.video, source_hdr: hdrNote(run.video.hdr) },
      outputs: [...outputs.map((o) => o.name), summaryName],
      videos: run.format.description,
      landmarks: run.faces.source.provenance,
      openfaceModels: this.engine.openface ? OPENFACE_FOLDER_LABEL : null,
      precision: run.options.precision,
      written: new Date().toISOString(),
    });
    const json = summaryJson(summary);
    await writeText(summaryName, [json], 'json');
    const { assessment, track } = finished;
    const timestamps = new Float64Array(track.frames);
    for (let f = 0; f < track.frames; f++) timestamps[f] = track.timestamp(f);
    const rest = restPosition(assessment.records, assessment.usable);
    const measureSeries = (side: FaceSide) => ALL_SIDE_MEASURES.map((m) => Float32Array.from({ length: track.frames }, (_, f) => sideValue(assessment.records, f, side, m, rest)));
    // (a run stopped in step 2 has AUs for its first frames only: NaN after them)
    const auSeries = (values: number[]) => Float32Array.from({ length: track.frames }, (_, f) => values[f] ?? Number.NaN);
    const series: MirrorSeries = {
      timestamps,
      names: [...auNames, ...ALL_SIDE_MEASURES],
      right: [...sideSeries.right.map(auSeries), ...measureSeries('right')],
      left: [...sideSeries.left.map(auSeries), ...measureSeries('left')],
    };
    return {
      frames: track.frames,
      mirroredFrames: finished.frames,
      partial,
      stoppedBy: finished.stoppedBy,
      facesFound: assessment.facesFound,
      flagged: assessment.flagged,
      notes: assessment.notes,
      outputs,
      summary: JSON.parse(json) as Record<string, unknown>,
      videoFormat: run.format.description,
      series,
      stageMs: { convert: run.convertMs, ...finished.stageMs },
    };
  }

  private requireRun(): ActiveRun {
    if (!this.run) throw new Error('no Face Mirror run started: call mirrorBegin first');
    return this.run;
  }
}

/** The run's trackers go (in a nested tracker worker: its streams are closed; in-thread: nothing to free). */
async function releaseFaces(faces: MirrorFaceSources): Promise<void> {
  await Promise.allSettled([faces.source.release(), faces.sides?.right.release(), faces.sides?.left.release()]);
}

/** Ends both passes' frame channels with the cancellation: the run stops where it is. */
function cancelPasses(run: ActiveRun): void {
  run.channels[1].fail(new SplitFaceError(MIRROR_CANCELLED));
  run.channels[2].fail(new SplitFaceError(MIRROR_CANCELLED));
}
