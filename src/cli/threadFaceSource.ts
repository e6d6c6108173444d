/**
 * A FaceSource whose tracker runs on its own thread (a worker_threads
 * worker), so that tracking one frame and analysing another use both cores.
 * The thread hosts exactly the tracker `process` runs in-thread
 * (threadFaceWorker.ts), so the observations are bit-identical.
 *
 * Each frame's pixels are copied into a buffer that is transferred to the
 * thread and transferred back with the faces, then filled again: two or
 * three buffers serve a whole video. A failure in the thread (a model
 * error, a tracker bug, the thread dying) rejects the frames waiting for it
 * with the same error class and message; `release` ends the thread, and so
 * does a failure.
 */
import { Worker } from 'node:worker_threads';
import { CsvFormatError, ModelFormatError, SplitFaceError, VideoInputError } from '../core/errors.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import type { DecodedFrame } from '../core/analysis/frame.ts';
import type { FaceObservation } from '../core/pipeline.ts';
import { FrameBufferPool } from '../video/framePool.ts';
import type { FromTrackerThread, ThreadError, ToTrackerThread, TrackerThreadData, TrackerThreadSetup } from './threadProtocol.ts';

/** Threads the CLI uses unless told otherwise (--threads): this machine class has two cores. */
export const DEFAULT_THREADS = 2;

/** --threads 1|2 (process and mirror): DEFAULT_THREADS unless told. */
export function parseThreads(text: string | undefined): number {
  if (text === undefined) return DEFAULT_THREADS;
  if (text !== '1' && text !== '2') throw new SplitFaceError(`--threads takes 1 or 2, not '${text}'`);
  return Number(text);
}

/** The project's named errors, rebuilt by name on this side of the thread. */
const NAMED_ERRORS: Record<string, new (message: string) => Error> = { SplitFaceError, ModelFormatError, CsvFormatError, VideoInputError };

function rebuildError(error: ThreadError): Error {
  const Named = NAMED_ERRORS[error.name];
  if (Named) return new Named(error.message);
  // anything else is a bug: keep its own stack, from the thread
  const rebuilt = new Error(`${error.message} (in the tracking thread)`);
  rebuilt.name = error.name;
  if (error.stack) rebuilt.stack = `${error.stack}\n    (in the tracking thread)`;
  return rebuilt;
}

interface Waiting {
  resolve(faces: FaceObservation[]): void;
  reject(error: Error): void;
}

/** One hosted tracker's side of the conversation. */
interface TrackerState {
  readonly waiting: Waiting[];
  timings: Record<string, number>;
  note: string | null;
  copyMs: number;
  released: boolean;
}

/**
 * The tracker `process` would create in-thread (faceSources.ts
 * trackerFaceSource with the same folder and options), on its own thread.
 * Resolves when the thread has loaded its models.
 */
export async function threadFaceSource(setup: TrackerThreadSetup, onFallback?: (message: string) => void): Promise<FaceSource> {
  const [source] = await threadFaceSources(setup, 1, onFallback);
  return source!;
}

/**
 * `count` such trackers on one new thread, each following its own video;
 * their frames are tracked one at a time on that thread, in the order they
 * were given (Face Mirror: one thread tracks the source and later the right
 * face, the other the flipped source and later the left face). The thread
 * ends when every one of them is released, or at the first failure.
 */
export async function threadFaceSources(setup: TrackerThreadSetup, count: number, onFallback?: (message: string) => void): Promise<FaceSource[]> {
  const data: TrackerThreadData = { entry: new URL('./threadFaceWorker.ts', import.meta.url).href, setup, trackers: count };
  const worker = new Worker(new URL('./threadBoot.mjs', import.meta.url), { workerData: data });
  const buffers = new FrameBufferPool(2 * count + 2);
  const states: TrackerState[] = Array.from({ length: count }, () => ({ waiting: [], timings: {}, note: null, copyMs: 0, released: false }));
  let failure: Error | null = null;
  let exited = false;
  let ready: { resolve(provenance: Record<string, unknown>): void; reject(error: Error): void } | null = null;
  let released: (() => void) | null = null;
  const provenance = new Promise<Record<string, unknown>>((resolve, reject) => (ready = { resolve, reject }));

  const fail = (error: Error) => {
    failure ??= error;
    ready?.reject(failure);
    ready = null;
    for (const state of states) for (const frame of state.waiting.splice(0)) frame.reject(failure);
    if (!exited) void worker.terminate();
  };
  // the thread keeps the process alive only while frames wait for it
  const idle = () => {
    if (states.every((state) => state.waiting.length === 0)) worker.unref();
  };

  worker.on('message', (message: FromTrackerThread) => {
    switch (message.type) {
      case 'ready':
        ready?.resolve(message.provenance);
        ready = null;
        idle();
        return;
      case 'log':
        onFallback?.(message.message);
        return;
      case 'faces': {
        buffers.give(message.pixels);
        const state = states[message.tracker]!;
        state.timings = message.timings;
        state.note = message.note;
        state.waiting.shift()?.resolve(message.faces);
        idle();
        return;
      }
      case 'failed':
        fail(rebuildError(message.error));
        return;
      case 'released':
        released?.();
        return;
    }
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    exited = true;
    released?.();
    fail(new Error(`the tracking thread stopped (exit code ${code})`));
  });

  const send = (message: ToTrackerThread, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
  const threadProvenance = { ...(await provenance), tracking_thread: 'its own (worker_threads)' };

  const releaseThread = async () => {
    if (exited) return;
    const done = new Promise<void>((resolve) => (released = resolve));
    worker.ref();
    send({ type: 'release' });
    await done;
    await worker.terminate();
  };

  return states.map((state, tracker): FaceSource => ({
    facesIn(frame: DecodedFrame): Promise<FaceObservation[]> {
      if (failure) return Promise.reject(failure);
      const start = performance.now();
      const { width, height, data } = frame.image;
      const pixels = buffers.take(data.byteLength);
      new Uint8Array(pixels).set(data);
      state.copyMs += performance.now() - start;
      const faces = new Promise<FaceObservation[]>((resolve, reject) => state.waiting.push({ resolve, reject }));
      worker.ref();
      send({ type: 'frame', tracker, index: frame.index, timestamp: frame.timestamp, width, height, pixels }, [pixels]);
      return faces;
    },
    timings: () => ({ ...state.timings, thread_copy: state.copyMs }),
    provenance: threadProvenance,
    note: () => state.note,
    async release() {
      state.released = true;
      if (states.every((s) => s.released)) await releaseThread();
    },
  }));
}
