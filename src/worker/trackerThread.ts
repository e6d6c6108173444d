/**
 * A nested tracker worker as its analysis worker holds it (TrackerThread),
 * and a stream of it as a FaceSource (threadedFaceSource): `facesIn` posts
 * the frame there and resolves with its faces, so the stream's tracking runs
 * on another core while the analysis worker computes the previous frame's
 * AUs (core/analysis/facesAhead.ts keeps one frame in flight).
 *
 * Frames: pixels in a SharedArrayBuffer (the app is cross-origin isolated)
 * are read in place by the tracker, nothing is copied; other pixels are
 * copied by the message. The models are sent once, when the thread starts.
 *
 * A thread that dies (uncaught error, out of memory) rejects every call in
 * flight and later with one clear message; the analysis worker then starts
 * a new thread for its next video, so one bad video does not stop a batch.
 */
import * as Comlink from 'comlink';
import { SplitFaceError } from '../core/errors.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import type { SourceChoice } from './faceSources.ts';
import type { TrackerModels, TrackerWorkerApi } from './trackerApi.ts';
import { CrashWatch } from './crashWatch.ts';

/** The message of a thread that stopped; the video it was tracking ends there, with the rows before it. */
export const TRACKER_CRASH = 'the tracker worker stopped';

export class TrackerThread {
  readonly #worker: Worker;
  readonly #api: Comlink.Remote<TrackerWorkerApi>;
  readonly #crash = new CrashWatch();
  readonly ready: Promise<void>;
  #alive = true;

  constructor(worker: Worker, models: TrackerModels) {
    this.#worker = worker;
    this.#api = Comlink.wrap<TrackerWorkerApi>(worker);
    worker.addEventListener('error', (event) => {
      // handled here: not passed on to the analysis worker's own scope, which the pool watches for its crashes
      event.preventDefault();
      this.#alive = false;
      // a worker may go on after an uncaught error: what it holds can no longer be trusted
      worker.terminate();
      this.#crash.crash(new SplitFaceError(`${TRACKER_CRASH}: ${event.message || 'it crashed (out of memory?)'}`));
    });
    this.ready = this.call(this.#api.init(models));
    this.ready.catch(() => {});
  }

  /** false once the thread crashed or was closed: start a new one */
  get alive(): boolean {
    return this.#alive;
  }

  /** `promise` or the thread's crash, whichever comes first. */
  call<T>(promise: Promise<T>): Promise<T> {
    return this.#crash.race(promise);
  }

  get api(): Comlink.Remote<TrackerWorkerApi> {
    return this.#api;
  }

  /** Stops the thread (its streams with it). */
  close(): void {
    this.#alive = false;
    this.#api[Comlink.releaseProxy]();
    this.#worker.terminate();
  }
}

/**
 * A stream on `thread` as a FaceSource. Opened at once; `facesIn` waits for
 * the opening. The provenance is the thread's source's, known after the
 * stream is open (it is read at the end of a run); timings and note are the
 * ones the last frame brought back.
 */
export function threadedFaceSource(thread: TrackerThread, choice: SourceChoice): FaceSource {
  const opened = thread.ready.then(() => thread.call(thread.api.open(choice)));
  let provenance: Record<string, unknown> = {};
  opened.then((o) => (provenance = o.provenance), () => {}); // a failure is reported by facesIn
  let timings: Record<string, number> = {};
  let note: string | null = null;
  let released = false;
  return {
    async facesIn(frame) {
      const { id } = await opened;
      const tracked = await thread.call(thread.api.facesIn(id, frame));
      timings = tracked.timings;
      note = tracked.note;
      return tracked.faces;
    },
    timings: () => ({ ...timings }),
    get provenance() {
      return provenance;
    },
    note: () => note,
    async release() {
      if (released) return;
      released = true;
      if (!thread.alive) return;
      const { id } = await opened.catch(() => ({ id: 0 }));
      if (id !== 0) await thread.call(thread.api.close(id)).catch(() => {});
    },
  };
}
