/**
 * A pool of analysis workers. Each video runs in one worker from start to
 * end (the tracker and the running median need its frames in order), so the
 * CSV is the same for any pool size; several videos run at once, one per
 * worker. Frames go to the worker as transferables (moved, not copied)
 * through a queue bounded in frames and in bytes: decoding waits when the
 * worker falls behind, so memory does not grow with the length of the video,
 * and 4K frames do not pile up.
 *
 * Cores: a video whose tracking runs in a nested worker (trackerThread.ts)
 * keeps two cores busy, tracking one frame while its worker computes the
 * AUs of the one before. The pool gives a video that nested tracker only
 * while every video it has been given (running or waiting for a worker)
 * can have two cores: on two cores a lone video gets both, and a batch of
 * several runs one video per core as before, which uses the cores fully
 * without the nested workers' second copy of the tracking models. The
 * choice is made when a video starts: the page starts the first two videos
 * of a batch one after the other, so the first may still get the nested
 * tracker (three busy threads on two cores until it ends: the same work,
 * shared), and the last video of a batch does not get it back when the
 * others end.
 */
import * as Comlink from 'comlink';
import { SplitFaceError, VideoInputError } from '../core/errors.ts';
import type { AnalysisJob, AnalysisModels, AnalysisResult, AnalysisRunner, AnalysisWorkerApi, FrameUpdate } from './analysisApi.ts';
import type { MirrorJob, MirrorResult } from './mirrorApi.ts';
import { runMirrorOnWorker } from './mirrorOnWorker.ts';
import { CrashWatch } from './crashWatch.ts';

/** frames in flight per worker (decoded, not yet analysed) */
export const QUEUE_DEPTH = 10;
/**
 * and at most about this many bytes of them: ten 4K frames would be 120 MB
 * (I420) to 330 MB (RGBA) waiting, so large frames queue fewer, never below
 * two (one analysed while the next is on its way)
 */
export const QUEUE_BYTES = 48 * 2 ** 20;

/** How many decoded frames of `frameBytes` bytes may wait for one worker. */
export function framesInFlightLimit(frameBytes: number): number {
  if (!(frameBytes > 0)) return QUEUE_DEPTH;
  return Math.max(2, Math.min(QUEUE_DEPTH, Math.floor(QUEUE_BYTES / frameBytes)));
}

export const CANCELLED_BY_USER = 'cancelled by the user';

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
}

interface PoolWorker {
  readonly worker: Worker;
  readonly api: Comlink.Remote<AnalysisWorkerApi>;
  /** fails the calls made to the worker when it dies (uncaught error, out of memory) */
  readonly crash: CrashWatch;
  busy: boolean;
}

const CRASH_PREFIX = 'the analysis worker stopped';

function isWorkerCrash(error: unknown): boolean {
  return error instanceof SplitFaceError && error.message.startsWith(CRASH_PREFIX);
}

function spawn(): PoolWorker {
  const worker = new Worker(new URL('./analysisWorker.ts', import.meta.url), { type: 'module', name: 'splitface-analysis' });
  const crash = new CrashWatch();
  worker.addEventListener('error', (event) => crash.crash(new SplitFaceError(`${CRASH_PREFIX}: ${event.message || 'it crashed (out of memory?)'}`)));
  return { worker, api: Comlink.wrap<AnalysisWorkerApi>(worker), crash, busy: false };
}

/** Whether a video may track in a nested worker: every video of the batch (running or waiting) still has two cores. */
export function separateTrackerFits(videosInBatch: number, cores = navigator.hardwareConcurrency || 2): boolean {
  return videosInBatch * 2 <= cores;
}

/** Runs `job` on one worker: decode on this thread, analysis there, at most QUEUE_DEPTH frames apart. */
async function runOnWorker(pw: PoolWorker, job: AnalysisJob, separateTracker: boolean): Promise<AnalysisResult> {
  const call = <T>(promise: Promise<T>): Promise<T> => pw.crash.race(promise);
  await call(pw.api.begin(job.source.info, { ...job.options, separateTracker }));
  const inFlight: Promise<FrameUpdate>[] = [];
  const settleOldest = async () => {
    const update = await call(inFlight.shift()!);
    if (update.frameBuffer) job.source.recycle?.(update.frameBuffer);
    job.onFrame(update);
  };
  let decoded = 0;
  let stoppedBy: string | null = null;
  try {
    for await (const frame of job.source.frames(job.signal)) {
      if (job.signal.aborted) break;
      // (read before the transfer detaches the buffer)
      const limit = framesInFlightLimit(frame.data.byteLength);
      inFlight.push(pw.api.pushFrame(Comlink.transfer(frame, [frame.data])));
      decoded++;
      while (inFlight.length >= limit) await settleOldest();
    }
    // the worker tracks a frame ahead: the last frame is analysed once it knows none follows
    await call(pw.api.endFrames());
    while (inFlight.length > 0) await settleOldest();
  } catch (error) {
    // A damaged stream (or a frame the engine could not take) keeps the frames before it;
    // nothing decoded at all, or a dead worker, is a failure of the whole video.
    if (decoded === 0 || isWorkerCrash(error)) throw error;
    stoppedBy = error instanceof Error ? error.message : String(error);
    await call(pw.api.endFrames()).catch(() => {});
    await Promise.allSettled(inFlight.splice(0));
  }
  if (job.signal.aborted) stoppedBy = CANCELLED_BY_USER;
  if (decoded === 0 && !stoppedBy) throw new VideoInputError(`${job.source.info.name}: the file holds no video frames`);
  return call(pw.api.finish(stoppedBy));
}

export async function createAnalysisPool(models: AnalysisModels, size = defaultWorkerCount()): Promise<AnalysisRunner> {
  const workers: PoolWorker[] = [];
  const init = async (): Promise<{ pw: PoolWorker; computePath: string }> => {
    const pw = spawn();
    const { computePath } = await pw.crash.race(pw.api.init(models));
    return { pw, computePath };
  };
  let computePath = '';
  for (const started of await Promise.all(Array.from({ length: size }, init))) {
    workers.push(started.pw);
    computePath = started.computePath;
  }
  const waiting: (() => void)[] = [];
  let disposed = false;
  /** videos given to run or runMirror and not finished (running or waiting for a worker) */
  let videosInBatch = 0;
  const acquire = async (): Promise<PoolWorker> => {
    for (;;) {
      if (disposed) throw new SplitFaceError('the analysis engine was restarted (the OpenFace folder changed): add the video again');
      const free = workers.find((w) => !w.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const releaseWorker = async (pw: PoolWorker, healthy: boolean) => {
    if (!healthy) {
      // A crashed worker is replaced, so the rest of the batch goes on.
      pw.worker.terminate();
      const index = workers.indexOf(pw);
      try {
        workers[index] = (await init()).pw;
      } catch {
        workers.splice(index, 1);
      }
    } else {
      pw.busy = false;
    }
    waiting.shift()?.();
  };
  /** Runs `work` on the next free worker; then closes the job's source and frees the worker (replaced if it crashed). */
  const onFreeWorker = async <T>(source: { close(): Promise<void> }, work: (pw: PoolWorker, separateTrackers: boolean) => Promise<T>): Promise<T> => {
    videosInBatch++;
    let pw: PoolWorker;
    try {
      pw = await acquire();
    } catch (error) {
      videosInBatch--;
      throw error;
    }
    let healthy = true;
    try {
      return await work(pw, separateTrackerFits(videosInBatch));
    } catch (error) {
      healthy = !isWorkerCrash(error);
      throw error;
    } finally {
      videosInBatch--;
      await source.close().catch(() => {});
      void releaseWorker(pw, healthy);
    }
  };
  return {
    get computePath() {
      return `${computePath}, ${workers.length} worker${workers.length === 1 ? '' : 's'}`;
    },
    get workers() {
      return workers.length;
    },
    run(job: AnalysisJob): Promise<AnalysisResult> {
      return onFreeWorker(job.source, (pw, separateTracker) => runOnWorker(pw, job, separateTracker));
    },
    runMirror(job: MirrorJob): Promise<MirrorResult> {
      return onFreeWorker(job.source, (pw, separateTrackers) =>
        runMirrorOnWorker(pw.api, (p) => pw.crash.race(p), { ...job, options: { ...job.options, separateTrackers } }, framesInFlightLimit));
    },
    dispose() {
      disposed = true;
      for (const pw of workers) pw.worker.terminate();
      workers.length = 0;
      for (const wake of waiting.splice(0)) wake();
    },
  };
}
