/**
 * The batch: the videos a user added, run through the analysis pool a few at
 * a time (as many as it has workers). Each job moves
 * queued -> decoding -> processing -> done | failed | cancelled, and one bad
 * file never stops the others: its error lands in its own row. Cancelling
 * keeps what was computed (a partial result, NAME.partial.csv; Face Mirror's
 * files NAME_….partial.*).
 *
 * Components read the reactive fields and call the methods; nothing else
 * writes them.
 */
import type { AnalysisOptions, AnalysisResult, AnalysisRunner, FrameUpdate } from '../../worker/analysisApi.ts';
import type { StartBoxShift } from '../../core/track/singleFaceTracker.ts';
import type { VideoSource } from '../../video/types.ts';
import type { MirrorFrameUpdate, MirrorResult, MirrorRunOptions } from '../../worker/mirrorApi.ts';
import type { JobState, JobView, LivePreview } from './types.ts';
import { groupInputFiles, type InputFile, type InputGroup } from './inputFiles.ts';
import { csvFileName, sidecarFileName } from './naming.ts';
import { ProgressRate } from './rate.ts';
import { buildZip, sidecarJson, zipEntries } from './zip.ts';
import { asSentence } from '../formatting.ts';
import type { PersistenceState, ResultsStore, SavedJob } from '../storage/resultsStore.ts';

/** What the controller needs from the outside world (real: services.ts; tests: fakes). */
export interface BatchDeps {
  openVideo(file: File): Promise<VideoSource>;
  openImageSequence(files: File[]): Promise<VideoSource>;
  /** the analysis pool; may reject (then queued jobs fail with its message, and the next add retries) */
  runner(): Promise<AnalysisRunner>;
  /** monotonic milliseconds (performance.now) */
  now?(): number;
  /** where finished results are kept across reloads (null: nowhere, they live as long as the page) */
  results?(): Promise<ResultsStore | null>;
}

/** How often the live view may change, at most. */
const PREVIEW_INTERVAL_MS = 100;

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'decoding', 'processing']);

/** One row of the batch. */
export class Job implements JobView {
  readonly id: number;
  readonly name: string;
  sizeBytes: number;
  /** what the downloads are named after: the video's name without extension, or the folder's name */
  readonly stem: string;
  readonly kind: 'video' | 'images';
  /** frames in an image sequence (known before decoding) */
  readonly imageCount: number | null;
  /** what the worker is asked for: every face or one, stock or full CSV precision (fixed when the job is added) */
  readonly options: AnalysisOptions;
  /** Face Mirror instead of `process` (fixed when the job is added), or null */
  readonly mirror: MirrorRunOptions | null;

  durationSeconds: number | null = $state(null);
  state: JobState = $state('queued');
  framesDone = $state(0);
  framesTotal: number | null = $state(null);
  fps = $state(0);
  etaSeconds: number | null = $state(null);
  message: string | null = $state(null);
  result: AnalysisResult | null = $state.raw(null);
  csvName: string | null = $state(null);
  /** Face Mirror's files and summary (a mirror job's result; `result` stays null) */
  mirrorResult: MirrorResult | null = $state.raw(null);

  /** the id of its saved copy (src/app/storage/resultsStore.ts), or null while not saved */
  savedId: string | null = null;

  /** @internal */
  readonly files: readonly File[];
  /** @internal */
  readonly abort = new AbortController();
  #jsonBlob: Blob | null = null;

  constructor(id: number, group: InputGroup<File>, options: AnalysisOptions, mirror: MirrorRunOptions | null = null) {
    this.id = id;
    this.name = group.name;
    this.stem = group.stem;
    this.kind = group.kind;
    this.files = group.files.map((f) => f.file);
    this.sizeBytes = this.files.reduce((sum, f) => sum + f.size, 0);
    this.imageCount = group.kind === 'images' ? group.files.length : null;
    this.framesTotal = this.imageCount;
    this.options = options;
    this.mirror = mirror;
  }

  get active(): boolean {
    return ACTIVE.has(this.state);
  }

  /** A job finished in an earlier session, read back from the results store. */
  static restored(id: number, saved: SavedJob): Job {
    // the video itself is not kept: an empty stand-in (its size and duration come from the provenance)
    const standIn: InputFile<File> = { file: new File([], saved.name), path: saved.name, type: '' };
    const job = new Job(id, { kind: 'video', name: saved.name, stem: saved.stem, files: [standIn] }, { allFaces: false, precision: 'stock' });
    const video = saved.kind === 'mirror' ? saved.mirror.summary['video_info'] : saved.result.provenance['video'];
    if (typeof video === 'object' && video !== null) {
      const { sizeBytes, durationSeconds } = video as Record<string, unknown>;
      if (typeof sizeBytes === 'number') job.sizeBytes = sizeBytes;
      if (typeof durationSeconds === 'number') job.durationSeconds = durationSeconds;
    }
    if (saved.kind === 'mirror') job.mirrorResult = saved.mirror;
    else job.setResult(saved.result);
    job.savedId = saved.id;
    job.state = saved.state;
    job.framesDone = saved.kind === 'mirror' ? saved.mirror.frames : saved.result.frames;
    job.framesTotal = job.framesDone;
    const when = new Date(saved.savedAt);
    const kept = `Kept from an earlier session (${Number.isNaN(when.getTime()) ? saved.savedAt : when.toLocaleString()}).`;
    job.message = saved.message ? `${saved.message} ${kept}` : kept;
    return job;
  }

  /** the sidecar JSON's file name, next to `csvName` */
  get jsonName(): string | null {
    return this.result ? sidecarFileName(this.stem, this.result.partial) : null;
  }

  /** the CSV (the worker's Blob, shared by every download link) */
  csvBlob(): Blob | null {
    return this.result?.csv ?? null;
  }

  /** the provenance sidecar as a Blob */
  jsonBlob(): Blob | null {
    if (!this.result) return null;
    return (this.#jsonBlob ??= new Blob([sidecarJson(this.result)], { type: 'application/json' }));
  }

  /** @internal */
  setResult(result: AnalysisResult): void {
    this.#jsonBlob = null;
    this.result = result;
    this.csvName = csvFileName(this.stem, result.partial);
  }
}

/** A job as the test hook and logs see it: plain data, without the CSV text or the chart series. */
export interface JobSnapshot {
  readonly id: number;
  readonly name: string;
  readonly sizeBytes: number;
  readonly durationSeconds: number | null;
  readonly state: JobState;
  readonly framesDone: number;
  readonly framesTotal: number | null;
  readonly fps: number;
  readonly etaSeconds: number | null;
  readonly message: string | null;
  readonly csvName: string | null;
  readonly result: {
    readonly frames: number;
    readonly rows: number;
    readonly tracked: number;
    readonly partial: boolean;
    readonly stoppedBy: string | null;
    readonly note: string | null;
    readonly auColumns: { readonly intensityNames: readonly string[]; readonly presenceNames: readonly string[] } | null;
    readonly auSummary: readonly { readonly name: string; readonly meanIntensity: number | null; readonly presentShare: number | null }[];
    readonly provenance: Record<string, unknown>;
    readonly csvBytes: number;
  } | null;
}

export function snapshotJob(job: JobView): JobSnapshot {
  const r = job.result;
  return {
    id: job.id,
    name: job.name,
    sizeBytes: job.sizeBytes,
    durationSeconds: job.durationSeconds,
    state: job.state,
    framesDone: job.framesDone,
    framesTotal: job.framesTotal,
    fps: job.fps,
    etaSeconds: job.etaSeconds,
    message: job.message,
    csvName: job.csvName,
    result: r && {
      frames: r.frames,
      rows: r.rows,
      tracked: r.tracked,
      partial: r.partial,
      stoppedBy: r.stoppedBy,
      note: r.note,
      auColumns: r.auColumns && { intensityNames: [...r.auColumns.intensityNames], presenceNames: [...r.auColumns.presenceNames] },
      auSummary: r.auSummary.map((s) => ({ name: s.name, meanIntensity: s.meanIntensity, presentShare: s.presentShare })),
      provenance: JSON.parse(JSON.stringify(r.provenance)) as Record<string, unknown>,
      csvBytes: r.csv.size,
    },
  };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return String(error) || 'unknown error';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The live view's copy of a worker preview (the worker's buffer may be reused or shared). */
function previewImage(preview: NonNullable<FrameUpdate['preview']>): ImageData | null {
  if (typeof ImageData === 'undefined') return null;
  const { width, height, rgba } = preview;
  if (rgba.length !== width * height * 4) return null;
  const own = rgba.buffer instanceof ArrayBuffer ? (rgba as Uint8ClampedArray<ArrayBuffer>) : new Uint8ClampedArray(rgba);
  return new ImageData(own, width, height);
}

export class BatchController {
  jobs: Job[] = $state([]);
  /** the latest frame of the job being watched (throttled) */
  preview: LivePreview | null = $state.raw(null);
  /** the job whose results (or live frames) the user chose to look at */
  selectedId: number | null = $state(null);
  /** applies to videos added from now on: one set of rows per face instead of one face */
  allFaces = $state(false);
  /** CSV numbers with 10 significant digits instead of OpenFace 2.2's stock decimals */
  fullPrecision = $state(false);
  /** videos added from now on get Face Mirror (mirrored videos, AUs per side, symmetry) instead of one CSV */
  faceMirror = $state(false);
  /** Face Mirror's videos uncompressed (exactly the measured pixels) instead of H.264/VP9/AV1 */
  mirrorLossless = $state(false);
  /** the folder Face Mirror's files are streamed into (File System Access, src/app/batch/outputFolder.ts), or null: OPFS */
  mirrorFolder: FileSystemDirectoryHandle | null = $state.raw(null);
  /** what happened to the last files added that did not become jobs ('' when nothing to say) */
  notice = $state('');
  /** whether the browser agreed to keep saved results under storage pressure; null until asked, or with no results store */
  persistence: PersistenceState | null = $state(null);
  /** whether finished results are kept across reloads (a results store opened) */
  keepsResults = $state(false);
  /** tests only (set through the test hook): videos added from now on start their track from a box moved off the face */
  testStartShift: StartBoxShift | null = null;

  #nextId = 1;
  #store: Promise<ResultsStore | null> | null = null;
  #running = 0;
  #pumping = false;
  #lastPreviewMs = -Infinity;
  readonly #now: () => number;

  constructor(private readonly deps: BatchDeps) {
    this.#now = deps.now ?? (() => performance.now());
  }

  /** true while any job is queued or running */
  get busy(): boolean {
    return this.jobs.some((j) => j.active);
  }

  get selected(): Job | null {
    return this.jobs.find((j) => j.id === this.selectedId) ?? null;
  }

  /** jobs with something to download, in batch order */
  get withResults(): Job[] {
    return this.jobs.filter((j) => j.result !== null || j.mirrorResult !== null);
  }

  job(id: number): Job | null {
    return this.jobs.find((j) => j.id === id) ?? null;
  }

  /**
   * Adds picked or dropped files: each video one job, each folder of images
   * one sequence job. Returns the new jobs (already queued).
   */
  add(files: readonly InputFile<File>[]): Job[] {
    const { groups, skipped } = groupInputFiles(files);
    const precision = this.fullPrecision ? 'full' : 'stock';
    const folder = this.mirrorFolder ? { folder: this.mirrorFolder } : {};
    const mirror: MirrorRunOptions | null = this.faceMirror ? { lossless: this.mirrorLossless, qaVideo: true, precision, ...folder } : null;
    const shift = this.testStartShift ? { startShift: this.testStartShift } : {};
    const added = groups.map((group) => new Job(this.#nextId++, group, { allFaces: this.allFaces, precision, ...shift }, group.kind === 'video' ? mirror : null));
    this.notice = skipped.length
      ? `Skipped ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} neither a video nor an image: ${skipped
          .slice(0, 3)
          .map((f) => f.path)
          .join(', ')}${skipped.length > 3 ? ', …' : ''}.`
      : '';
    if (added.length === 0) return [];
    this.jobs.push(...added);
    void this.#pump();
    return added;
  }

  /** Cancels one job: a queued job just stops; a running one stops and keeps what it computed. */
  cancel(id: number): void {
    const job = this.job(id);
    if (!job || !job.active) return;
    job.abort.abort();
    if (job.state === 'queued') {
      job.state = 'cancelled';
      job.message = 'Cancelled before it started.';
    }
  }

  cancelAll(): void {
    for (const job of this.jobs) this.cancel(job.id);
  }

  /**
   * Reads back the results kept from earlier sessions (as finished rows, at
   * the top) and asks the browser to keep them (navigator.storage.persist).
   */
  async restore(): Promise<void> {
    const store = await this.#results();
    if (!store) return;
    this.keepsResults = true;
    const saved = await store.list().catch(() => []);
    if (saved.length > 0) this.jobs = [...saved.map((s) => Job.restored(this.#nextId++, s)), ...this.jobs];
    this.persistence = await store.requestPersistence();
  }

  /** Removes finished rows (done, failed, cancelled) from the list, and their saved copies. */
  clearFinished(): void {
    const saved = this.jobs.filter((j) => !j.active && j.savedId !== null).map((j) => j.savedId!);
    if (saved.length > 0) void this.#results().then((store) => Promise.all(saved.map((id) => store?.remove(id))));
    this.jobs = this.jobs.filter((j) => j.active);
    if (this.selectedId !== null && !this.job(this.selectedId)) this.selectedId = null;
    if (this.preview && !this.job(this.preview.jobId)) this.preview = null;
  }

  select(id: number | null): void {
    this.selectedId = id;
  }

  /** The CSV of a job, by its file name (data-name) or its CSV name; null when none. */
  async csv(name: string): Promise<string | null> {
    const job = this.jobs.find((j) => j.name === name) ?? this.jobs.find((j) => j.csvName === name);
    return (await job?.result?.csv.text()) ?? null;
  }

  snapshot(): JobSnapshot[] {
    return this.jobs.map(snapshotJob);
  }

  /** All results (CSV + provenance JSON per job) as one zip; null when nothing finished yet. */
  async zip(): Promise<Uint8Array | null> {
    const entries = zipEntries(this.jobs.map((j) => ({ stem: j.stem, result: j.result })));
    return entries.length ? buildZip(entries) : null;
  }

  /** Cancels everything (page unload). */
  dispose(): void {
    this.cancelAll();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        if (!this.jobs.some((j) => j.state === 'queued')) return;
        let runner: AnalysisRunner;
        try {
          runner = await this.deps.runner();
        } catch (error) {
          const reason = `The analysis engine could not start: ${errorMessage(error)}`;
          for (const job of this.jobs) {
            if (job.state !== 'queued') continue;
            job.state = 'failed';
            job.message = reason;
          }
          return;
        }
        if (this.#running >= Math.max(1, runner.workers)) return;
        const next = this.jobs.find((j) => j.state === 'queued');
        if (!next) return;
        this.#running++;
        next.state = 'decoding';
        void this.#run(next, runner).finally(() => {
          this.#running--;
          void this.#pump();
        });
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #run(job: Job, runner: AnalysisRunner): Promise<void> {
    const signal = job.abort.signal;
    let source: VideoSource | null = null;
    const rate = new ProgressRate();
    try {
      source = job.kind === 'video' ? await this.deps.openVideo(job.files[0]!) : await this.deps.openImageSequence([...job.files]);
      if (signal.aborted) {
        this.#finishCancelled(job, null);
        return;
      }
      const info = source.info;
      job.durationSeconds = info.durationSeconds ?? job.durationSeconds;
      job.framesTotal = info.frameCountHint ?? job.framesTotal;
      if (job.mirror) {
        await this.#runMirror(job, runner, source, job.mirror, rate);
        return;
      }
      const result = await runner.run({
        source,
        options: job.options,
        signal,
        onFrame: (update) => this.#onFrame(job, update, rate),
      });
      if (signal.aborted && result.partial) this.#finishCancelled(job, result);
      else if (result.partial) this.#finishFailedPartial(job, result);
      else this.#finishDone(job, result);
    } catch (error) {
      if (signal.aborted) this.#finishCancelled(job, null);
      else {
        job.state = 'failed';
        job.message = errorMessage(error);
      }
    } finally {
      job.etaSeconds = null;
      if (source) await source.close().catch(() => undefined);
    }
  }

  /** Face Mirror: two passes over the video (track, then mirror), one set of files at the end. */
  async #runMirror(job: Job, runner: AnalysisRunner, source: VideoSource, options: MirrorRunOptions, rate: ProgressRate): Promise<void> {
    if (!runner.runMirror) throw new Error('this analysis engine has no Face Mirror');
    let pass = 0;
    let passRate = rate;
    const result = await runner.runMirror({
      source,
      options,
      signal: job.abort.signal,
      onFrame: (update) => {
        if (update.pass !== pass) {
          pass = update.pass;
          job.message = pass === 1 ? 'Face Mirror, step 1 of 2: finding the face and its midline in every frame.' : 'Face Mirror, step 2 of 2: mirroring each frame and measuring both sides.';
          if (pass === 2) {
            // step 2 counts the frames again, at its own speed
            job.framesTotal = job.framesDone;
            job.framesDone = 0;
            passRate = new ProgressRate();
          }
        }
        this.#onMirrorFrame(job, update, passRate);
      },
    });
    job.mirrorResult = result;
    const notes = result.notes.map((n) => asSentence(n));
    if (result.partial) {
      // cancelled, or failed midway: like `process`, what was computed is kept (the files are named NAME_….partial.*)
      const cancelled = job.abort.signal.aborted;
      job.state = cancelled ? 'cancelled' : 'failed';
      job.framesDone = pass === 2 ? result.mirroredFrames : result.frames;
      job.message = [`${cancelled ? 'Cancelled' : 'Face Mirror stopped on an error'}: what it computed is kept as a partial result.`, ...notes].join(' ');
    } else {
      job.framesDone = result.frames;
      job.framesTotal = result.frames;
      job.state = 'done';
      job.message = notes.length ? notes.join(' ') : null;
    }
    if (this.selectedId === null || !this.selected?.mirrorResult) this.selectedId = job.id;
    void this.#keep(job);
  }

  #onMirrorFrame(job: Job, update: MirrorFrameUpdate, rate: ProgressRate): void {
    this.#onFrame(job, { index: update.index, faces: [], preview: null }, rate);
    const p = update.preview;
    if (!p || typeof ImageData === 'undefined') return;
    const now = this.#now();
    if (this.preview?.jobId === job.id && now - this.#lastPreviewMs < PREVIEW_INTERVAL_MS) return;
    if (this.#watchedJobId() !== job.id) return;
    const image = (rgba: Uint8ClampedArray) => new ImageData(new Uint8ClampedArray(rgba), p.width, p.height);
    this.#lastPreviewMs = now;
    this.preview = {
      jobId: job.id,
      frameIndex: update.index,
      image: image(p.source),
      scale: 1,
      faces: p.landmarks ? [p.landmarks] : [],
      faceIds: p.landmarks ? [0] : [],
      mirror: { midline: p.midline, right: p.right ? image(p.right) : null, left: p.left ? image(p.left) : null },
    };
  }

  #onFrame(job: Job, update: FrameUpdate, rate: ProgressRate): void {
    if (job.state === 'decoding') job.state = 'processing';
    const done = update.index + 1;
    if (done > job.framesDone) job.framesDone = done;
    if (job.framesTotal !== null && job.framesDone > job.framesTotal) job.framesTotal = job.framesDone;
    const now = this.#now();
    rate.update(job.framesDone, now);
    if (rate.fps !== job.fps) job.fps = rate.fps;
    const eta = rate.etaSeconds(job.framesDone, job.framesTotal);
    job.etaSeconds = eta === null ? null : Math.round(eta);
    if (update.preview) this.#offerPreview(job, update, now);
  }

  /** The live view follows the selected job when it is running, else the oldest running one. */
  #watchedJobId(): number | null {
    const selected = this.selected;
    if (selected && selected.state === 'processing') return selected.id;
    return this.jobs.find((j) => j.state === 'processing')?.id ?? null;
  }

  #offerPreview(job: Job, update: FrameUpdate, now: number): void {
    const switching = this.preview?.jobId !== job.id;
    if (!switching && now - this.#lastPreviewMs < PREVIEW_INTERVAL_MS) return;
    if (this.#watchedJobId() !== job.id) return;
    const image = previewImage(update.preview!);
    if (!image) return;
    const withLandmarks = update.faces.filter((f) => f.landmarks !== null);
    this.#lastPreviewMs = now;
    this.preview = {
      jobId: job.id,
      frameIndex: update.index,
      image,
      scale: update.preview!.scale,
      faces: withLandmarks.map((f) => f.landmarks!),
      faceIds: withLandmarks.map((f) => f.faceId),
    };
  }

  #results(): Promise<ResultsStore | null> {
    return (this.#store ??= (this.deps.results?.() ?? Promise.resolve(null)).catch(() => null));
  }

  /** Saves a finished job's result for later sessions (quietly: a full disk only means it is not kept). */
  async #keep(job: Job): Promise<void> {
    const { result, mirrorResult, state } = job;
    if ((!result && !mirrorResult) || (state !== 'done' && state !== 'failed' && state !== 'cancelled')) return;
    const store = await this.#results();
    if (!store) return;
    const common = { name: job.name, stem: job.stem, state, message: job.message };
    const id = await store.save(mirrorResult ? { ...common, kind: 'mirror', mirror: mirrorResult } : { ...common, result: result! }).catch(() => null);
    // cleared meanwhile: the copy goes too
    if (id !== null && !this.jobs.includes(job)) await store.remove(id);
    else job.savedId = id;
  }

  #finishDone(job: Job, result: AnalysisResult): void {
    job.setResult(result);
    job.framesDone = result.frames;
    job.framesTotal = result.frames;
    job.state = 'done';
    job.message = result.note;
    if (this.selectedId === null || !this.selected?.result) this.selectedId = job.id;
    void this.#keep(job);
  }

  #finishFailedPartial(job: Job, result: AnalysisResult): void {
    job.setResult(result);
    job.framesDone = result.frames;
    job.state = 'failed';
    const why = asSentence(result.stoppedBy ?? 'The video could not be read to the end');
    job.message = `${why} The ${plural(result.frames, 'frame')} before it are kept as a partial result.`;
    if (this.selectedId === null) this.selectedId = job.id;
    void this.#keep(job);
  }

  #finishCancelled(job: Job, result: AnalysisResult | null): void {
    job.state = 'cancelled';
    if (result && result.frames > 0) {
      job.setResult(result);
      job.framesDone = result.frames;
      job.message = `Cancelled after ${plural(result.frames, 'frame')}; they are kept as a partial result.`;
      void this.#keep(job);
    } else {
      job.message = 'Cancelled before any frame was analysed.';
    }
  }
}
