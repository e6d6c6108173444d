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

/** The faces of `frame`, with a handler attached so a failure waits, unreported, until it is awaited. */
function facesLater(source: Pick<FaceSource, 'facesIn'>, frame: DecodedFrame): Promise<FaceObservation[]> {
  const faces = source.facesIn(frame);
  faces.catch(() => {});
  return faces;
}

/** Each frame of `frames` with its faces from `source`, the next frame's faces computed while the caller works (see above). */
export async function* facesAhead(frames: AsyncIterable<DecodedFrame>, source: Pick<FaceSource, 'facesIn'>): AsyncGenerator<FrameWithFaces> {
  const iterator = frames[Symbol.asyncIterator]();
  let inFlight: Promise<FaceObservation[]> | null = null;
  try {
    let next = await iterator.next();
    if (next.done) return;
    let current = next.value;
    inFlight = facesLater(source, current);
    for (;;) {
      const faces = await inFlight;
      inFlight = null;
      let decodeFailure: { error: unknown } | null = null;
      try {
        next = await iterator.next();
      } catch (error) {
        decodeFailure = { error };
      }
      if (!decodeFailure && !next.done) inFlight = facesLater(source, next.value);
      yield { frame: current, faces };
      if (decodeFailure) throw decodeFailure.error;
      if (next.done) return;
      current = next.value;
    }
  } finally {
    if (inFlight) await inFlight.catch(() => {});
    await iterator.return?.();
  }
}
