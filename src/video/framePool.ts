/**
 * Frame buffers the analysis worker has finished with, handed back to the
 * decoding side and filled again with later frames of the same size. Without
 * it every frame is a new buffer on both sides (460 kB at 640x480, 12 MB in
 * 4K) that only the garbage collector frees, and between its collections the
 * dead frames pile up: that was most of the page's memory above idle during a
 * video, and it kept creeping up over long ones.
 */

/** Buffers kept for reuse at most: the queue's depth and a few in transit. */
const DEFAULT_LIMIT = 16;

export class FrameBufferPool {
  readonly #free: ArrayBuffer[] = [];

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** A buffer of exactly `bytes` bytes: a returned one when there is one, else a new one. */
  take(bytes: number): ArrayBuffer {
    const at = this.#free.findIndex((buffer) => buffer.byteLength === bytes);
    return at === -1 ? new ArrayBuffer(bytes) : this.#free.splice(at, 1)[0]!;
  }

  /** A buffer nobody reads any more; a detached one (length 0) is ignored, the oldest goes when full. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    if (this.#free.length >= this.limit) this.#free.shift();
    this.#free.push(buffer);
  }

  /** buffers waiting to be reused */
  get size(): number {
    return this.#free.length;
  }
}
