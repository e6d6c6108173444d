/**
 * Frames per second and time left for a running job, smoothed so that the
 * numbers a user reads do not jump with every frame: the rate is measured
 * over windows of at least `minWindowMs` and blended into an exponential
 * moving average with time constant `tauMs`.
 */
export class ProgressRate {
  #fps = 0;
  #lastFrames = -1;
  #lastMs = 0;
  #measured = false;

  constructor(
    private readonly tauMs = 3000,
    private readonly minWindowMs = 500,
  ) {}

  /** Records that `framesDone` frames are finished at time `nowMs` (monotonic milliseconds). */
  update(framesDone: number, nowMs: number): void {
    if (this.#lastFrames < 0) {
      this.#lastFrames = framesDone;
      this.#lastMs = nowMs;
      return;
    }
    const dt = nowMs - this.#lastMs;
    if (dt < this.minWindowMs) return;
    const rate = (1000 * Math.max(0, framesDone - this.#lastFrames)) / dt;
    if (!this.#measured) {
      this.#fps = rate;
      this.#measured = true;
    } else {
      const alpha = 1 - Math.exp(-dt / this.tauMs);
      this.#fps += alpha * (rate - this.#fps);
    }
    this.#lastFrames = framesDone;
    this.#lastMs = nowMs;
  }

  /** Smoothed frames per second; 0 until the first window has passed. */
  get fps(): number {
    return this.#fps;
  }

  /** Seconds left, or null when the total is unknown or no rate is measured yet. */
  etaSeconds(framesDone: number, framesTotal: number | null): number | null {
    if (framesTotal === null || !this.#measured || this.#fps <= 0) return null;
    return Math.max(0, framesTotal - framesDone) / this.#fps;
  }
}
