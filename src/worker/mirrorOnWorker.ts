/**
 * Face Mirror on one pool worker, main thread side: the video is decoded
 * twice here (the same VideoSource, once per pass) and each pass's frames
 * go to the worker as transferables through a queue bounded like `process`'s
 * (framesInFlightLimit), so memory does not grow with the video. A pass that
 * stops early on a damaged stream tells the worker why (the run keeps the
 * frames before it, as the CLI does); cancelling stops the run where it is
 * and keeps what it computed, as `process` does (a partial result).
 */
import * as Comlink from 'comlink';
import { SplitFaceError } from '../core/errors.ts';
import type { AnalysisWorkerApi } from './analysisApi.ts';
import { CANCELLED_BY_USER } from './pool.ts';
import type { MirrorFrameUpdate, MirrorJob, MirrorPass, MirrorResult } from './mirrorApi.ts';

/** the same bound as `process`'s queue (pool.ts) */
type InFlightLimit = (frameBytes: number) => number;

export async function runMirrorOnWorker(
  api: Comlink.Remote<AnalysisWorkerApi>,
  call: <T>(promise: Promise<T>) => Promise<T>,
  job: MirrorJob,
  framesInFlightLimit: InFlightLimit,
): Promise<MirrorResult> {
  await call(api.mirrorBegin(job.source.info, job.options));
  const runPass = async (pass: MirrorPass): Promise<void> => {
    const inFlight: Promise<MirrorFrameUpdate>[] = [];
    const settleOldest = async () => job.onFrame(await call(inFlight.shift()!));
    let stoppedBy: string | null = null;
    try {
      for await (const frame of job.source.frames(job.signal)) {
        if (job.signal.aborted) break;
        const limit = framesInFlightLimit(frame.data.byteLength);
        inFlight.push(api.mirrorPushFrame(pass, Comlink.transfer(frame, [frame.data])));
        while (inFlight.length >= limit) await settleOldest();
      }
      while (inFlight.length > 0) await settleOldest();
    } catch (error) {
      stoppedBy = error instanceof Error ? error.message : String(error);
      await Promise.allSettled(inFlight.splice(0));
    }
    const cancelled = job.signal.aborted;
    await call(api.mirrorEndPass(pass, cancelled ? CANCELLED_BY_USER : stoppedBy, cancelled));
  };
  await runPass(1);
  if (!job.signal.aborted) await runPass(2);
  try {
    return await call(api.mirrorFinish());
  } catch (error) {
    // the worker's errors arrive as plain Errors through comlink: keep their words
    if (error instanceof SplitFaceError) throw error;
    throw new SplitFaceError(error instanceof Error ? error.message : String(error));
  }
}
