/**
 * A single-producer, single-consumer byte pipe over SharedArrayBuffer: the
 * ffmpeg.wasm worker writes decoded planes from inside ffmpeg's synchronous
 * run and blocks (Atomics.wait) while the pipe is full; the main thread
 * reads whole frames out without blocking (Atomics.waitAsync). This is what
 * keeps memory flat whatever the video's length: ffmpeg decodes the file in
 * one continuous pass (no seeking, so no frame is lost or repeated at a
 * chunk boundary), and can never run more than `capacity` bytes ahead.
 *
 * Needs cross-origin isolation (SharedArrayBuffer), which the app has anyway
 * for onnxruntime's threads.
 */

/** Int32 slots of the control array. */
const WRITTEN = 0;
const READ = 1;
const STATE = 2;
const CONTROL_SLOTS = 4;

const RUNNING = 0;
/** the writer is done: no more bytes will come */
const FINISHED = 1;
/** the reader gave up: the writer should stop */
const CANCELLED = 2;

/** The shareable part (post it to the worker). */
export interface ByteRingBuffers {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/** A ring of at least `minBytes` (rounded up to a power of two so the wrapping counters map onto it). */
export function createByteRing(minBytes: number): ByteRingBuffers {
  if (!(minBytes > 0) || minBytes > 2 ** 30) throw new RangeError(`byte ring of ${minBytes} bytes`);
  const capacity = 2 ** Math.ceil(Math.log2(minBytes));
  return { control: new SharedArrayBuffer(CONTROL_SLOTS * 4), data: new SharedArrayBuffer(capacity) };
}

/** Counters are int32 that wrap at 2^32; the capacity divides 2^32, so `counter & mask` is the position. */
function used(control: Int32Array): number {
  return (Atomics.load(control, WRITTEN) - Atomics.load(control, READ)) >>> 0;
}

/** Worker side. `write` blocks the calling thread while the ring is full, so it must not run on a page's main thread. */
export class ByteRingWriter {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  constructor(buffers: ByteRingBuffers) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
    this.mask = this.data.length - 1;
  }

  /** Copies all of `bytes` in; false (and nothing more written) once the reader has cancelled. */
  write(bytes: Uint8Array): boolean {
    const { control, data, mask } = this;
    const capacity = data.length;
    let done = 0;
    while (done < bytes.length) {
      if (Atomics.load(control, STATE) === CANCELLED) return false;
      const free = capacity - used(control);
      if (free === 0) {
        // Sleep until the reader moves its counter (or cancels, which also notifies READ).
        Atomics.wait(control, READ, Atomics.load(control, READ), 1000);
        continue;
      }
      const at = Atomics.load(control, WRITTEN) & mask;
      const n = Math.min(free, bytes.length - done, capacity - at);
      data.set(bytes.subarray(done, done + n), at);
      done += n;
      Atomics.add(control, WRITTEN, n);
      Atomics.notify(control, WRITTEN);
    }
    return true;
  }

  get cancelled(): boolean {
    return Atomics.load(this.control, STATE) === CANCELLED;
  }

  /** No more bytes: wakes a waiting reader. */
  finish(): void {
    Atomics.compareExchange(this.control, STATE, RUNNING, FINISHED);
    Atomics.notify(this.control, WRITTEN);
  }
}

type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

/** Atomics.waitAsync where the browser has it (Chromium, Safari, Node 16+); otherwise a short timer. */
function waitForChange(control: Int32Array, index: number, value: number): Promise<unknown> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (waitAsync) {
    const result = waitAsync(control, index, value, 1000);
    return result.async ? (result.value as Promise<string>) : Promise.resolve(result.value);
  }
  return new Promise((resolve) => setTimeout(resolve, 2));
}

/** Main-thread side: awaits bytes, never blocks. */
export class ByteRingReader {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  constructor(buffers: ByteRingBuffers) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
    this.mask = this.data.length - 1;
  }

  /**
   * Fills `out` completely and returns out.length, or returns fewer bytes (the
   * count copied) when the writer finished first: 0 means a clean end.
   */
  async read(out: Uint8Array): Promise<number> {
    const { control, data, mask } = this;
    const capacity = data.length;
    let done = 0;
    while (done < out.length) {
      const available = used(control);
      if (available === 0) {
        if (Atomics.load(control, STATE) !== RUNNING) return done;
        await waitForChange(control, WRITTEN, Atomics.load(control, WRITTEN));
        continue;
      }
      const at = Atomics.load(control, READ) & mask;
      const n = Math.min(available, out.length - done, capacity - at);
      out.set(data.subarray(at, at + n), done);
      done += n;
      Atomics.add(control, READ, n);
      Atomics.notify(control, READ);
    }
    return done;
  }

  /** Tells the writer to stop (its next write returns false) and wakes it if it waits for room. */
  cancel(): void {
    Atomics.store(this.control, STATE, CANCELLED);
    Atomics.notify(this.control, READ);
  }
}
