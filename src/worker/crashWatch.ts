/**
 * A worker's crash, raced by the calls made to it, without keeping them.
 *
 * `Promise.race([call, crashed])` with a `crashed` promise that settles only
 * if the worker dies adds a reaction to `crashed` on every call, and that
 * reaction holds the call's result for as long as the worker lives: one
 * frame's faces or update per frame, for the whole video (a page tracking a
 * 30-minute video grew by about 17 kB a frame). Here each call's rejecter
 * waits in a set only until the call settles.
 */
export class CrashWatch {
  #crash: { readonly error: unknown } | null = null;
  readonly #waiting = new Set<(error: unknown) => void>();

  /** The worker died: every call in flight, and every later one, fails with `error`. */
  crash(error: unknown): void {
    if (this.#crash) return;
    this.#crash = { error };
    for (const reject of this.#waiting) reject(error);
    this.#waiting.clear();
  }

  /** `call`'s outcome, or the crash, whichever comes first. */
  race<T>(call: Promise<T>): Promise<T> {
    if (this.#crash) return Promise.reject(this.#crash.error);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      call.then(
        (value) => {
          this.#waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiting.delete(reject);
          reject(error);
        },
      );
    });
  }
}
