/** Progress on a terminal: frames, fps and ETA on one rewritten line; silent when not a TTY. */
export class ProgressLine {
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly active: boolean;

  constructor(private readonly label: string, private readonly total: number | null, stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
    this.active = stream.isTTY === true;
  }

  update(done: number): void {
    if (!this.active) return;
    const now = performance.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const fps = done / Math.max(seconds, 1e-3);
    const total = this.total ? `/${this.total}` : '';
    const eta = this.total && fps > 0 ? `, ETA ${Math.max(0, Math.round((this.total - done) / fps))} s` : '';
    this.stream.write(`\r${this.label}: frame ${done}${total}, ${fps.toFixed(1)} fps${eta}\x1b[K`);
  }

  /** Clears the progress line (the caller prints its own summary). */
  end(): void {
    if (this.active) this.stream.write('\r\x1b[K');
  }

  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}
