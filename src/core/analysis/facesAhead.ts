/**
 * One frame of lookahead between a face source and the analysis: while the
 * caller analyses frame i (AUs, CSV rows), frame i + 1 is already handed to
 * `source.facesIn`. With a source whose tracker runs on another thread (the
 * CLI's worker_threads source, the browser's nested worker) tracking and AU
 * analysis then overlap on two cores; with an in-thread source nothing
 * changes but the order of calls, so the results are the same either way.
 *
 * `facesIn` is called strictly one frame after the other (the next call only
 * once the previous one has resolved): a tracker's state follows the video.
 *
 * Frame buffers: at most two frames are in use at once, the one the caller
 * holds and the one being tracked. A frame yielded here is read until the
 * caller asks for the next one, and the frame after it is pulled from
 * `frames` before that, so `frames` must not overwrite a frame's pixels
 * until the frame after next has been pulled (a decoder that recycles
 * buffers needs at least two; the CLI's decoder gives every frame its own).
 * A caller that recycles buffers itself gives a frame's buffer back only
 * after it has taken the next frame from here.
 *
 * A failure to decode frame i + 1 is raised after frame i has been yielded,
 * so every decoded frame is analysed before the error (a damaged file keeps
 * what was computed). When the caller stops early, the frame in flight is
 * waited for (its tracker is not released mid-frame) and `frames` is closed.
 *
 * Usage:
 *   for await (const { frame, faces } of facesAhead(frames, source)) analysis.addFrame(frame.image, faces);
 */
import type { FaceObservation } from '../pipeline.ts';
import type { DecodedFrame } from './frame.ts';
import type { FaceSource } from './faceSource.ts';

/** A frame with its faces, as `facesAhead` yields them. */
export interface FrameWithFaces {
  readonly frame: DecodedFrame;
  readonly faces: FaceObservation[];
}

/** An item with what `work` made of it. */
export interface ItemWithResult<T, R> {
  readonly item: T;
  readonly result: R;
}

/** `work(item)`, with a handler attached so a failure waits, unreported, until it is awaited. */
function startWork<T, R>(work: (item: T) => Promise<R>, item: T): Promise<R> {
  const result = work(item);
  result.catch(() => {});
  return result;
}

/**
 * The general form of `facesAhead`: each item of `items` with `work(item)`,
 * the next item's work started before the caller gets this one (one call of
 * `work` at a time; the same rules for buffers, failures and early stops).
 */
export async function* workAhead<T, R>(items: AsyncIterable<T>, work: (item: T) => Promise<R>): AsyncGenerator<ItemWithResult<T, Awaited<R>>> {
  const iterator = items[Symbol.asyncIterator]();
  let inFlight: Promise<R> | null = null;
  try {
    let next = await iterator.next();
    if (next.done) return;
    let current = next.value;
    let working = startWork(work, current);
    inFlight = working;
    for (;;) {
      const result = await working;
      inFlight = null;
      let pullFailure: { error: unknown } | null = null;
      try {
        next = await iterator.next();
      } catch (error) {
        pullFailure = { error };
      }
      if (!pullFailure && !next.done) inFlight = working = startWork(work, next.value);
      yield { item: current, result };
      if (pullFailure) throw pullFailure.error;
      if (next.done) return;
      current = next.value;
    }
  } finally {
    if (inFlight) await inFlight.catch(() => {});
    await iterator.return?.();
  }
}

/**
 * `workAhead`'s shape without the lookahead: each item's work done before
 * the next item is pulled (for frame streams that recycle a frame's buffer as
 * soon as the next one is taken).
 */
export async function* workInStep<T, R>(items: AsyncIterable<T>, work: (item: T) => Promise<R>): AsyncGenerator<ItemWithResult<T, Awaited<R>>> {
  for await (const item of items) yield { item, result: await work(item) };
}

/** Each frame of `frames` with its faces from `source`, the next frame's faces computed while the caller works (see above). */
export async function* facesAhead(frames: AsyncIterable<DecodedFrame>, source: Pick<FaceSource, 'facesIn'>): AsyncGenerator<FrameWithFaces> {
  for await (const { item, result } of workAhead(frames, (frame: DecodedFrame) => source.facesIn(frame))) yield { frame: item, faces: result };
}
