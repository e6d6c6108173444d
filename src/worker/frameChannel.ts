/**
 * Hands frames pushed from outside (the main thread's decoder, one message
 * at a time) to a consumer that pulls them with `for await` (the core's
 * Face Mirror run). One frame is handed over at a time: `push` resolves once
 * the consumer has finished with it (asked for the next one, or stopped),
 * so the sender's bounded queue is the only buffer and frames are processed
 * in order.
 */
export class FrameChannel<T> implements AsyncIterable<T> {
  private waitingConsumer: ((result: IteratorResult<T>) => void) | null = null;
  private waitingConsumerFail: ((error: unknown) => void) | null = null;
  /** the pushed item not yet taken, with the resolver of its push */
  private pending: { item: T; taken: () => void } | null = null;
  /** resolves the push of the item the consumer is working on */
  private inHand: (() => void) | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  /** the consumer stopped (break, error): later pushes are dropped */
  private stopped = false;

  /** Offers one item; resolves when the consumer is done with it (at once if it stopped). */
  push(item: T): Promise<void> {
    if (this.stopped || this.ended) return Promise.resolve();
    if (this.pending) return Promise.reject(new Error('FrameChannel: push before the previous one was taken'));
    return new Promise<void>((resolve) => {
      if (this.waitingConsumer) {
        const deliver = this.waitingConsumer;
        this.waitingConsumer = this.waitingConsumerFail = null;
        this.inHand = resolve;
        deliver({ value: item, done: false });
      } else {
        this.pending = { item, taken: resolve };
      }
    });
  }

  /** No more items: the consumer's loop ends after the last one. */
  end(): void {
    this.ended = true;
    this.waitingConsumer?.({ value: undefined, done: true });
    this.waitingConsumer = this.waitingConsumerFail = null;
  }

  /** The stream broke: the consumer's next pull throws `error`. */
  fail(error: unknown): void {
    this.ended = true;
    this.failure = { error };
    this.waitingConsumerFail?.(error);
    this.waitingConsumer = this.waitingConsumerFail = null;
  }

  /** The consumer will not pull again (it failed or finished): every push resolves. */
  stop(): void {
    this.stopped = true;
    this.release();
    this.pending?.taken();
    this.pending = null;
  }

  private release(): void {
    const done = this.inHand;
    this.inHand = null;
    done?.();
  }

  private next(): Promise<IteratorResult<T>> {
    this.release();
    if (this.pending) {
      const { item, taken } = this.pending;
      this.pending = null;
      this.inHand = taken;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waitingConsumer = resolve;
      this.waitingConsumerFail = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}
