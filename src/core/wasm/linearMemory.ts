/**
 * Typed views over a WebAssembly module's memory that follow its growth
 * (growing detaches the old ArrayBuffer, so views are re-made).
 */
export class LinearMemory {
  private f32View = new Float32Array(0);
  private f64View = new Float64Array(0);

  constructor(private readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  /** Grows the memory (64 KiB pages) so that bytes [0, end) exist. */
  ensure(end: number): void {
    const missing = end - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    this.refresh();
  }

  get f32(): Float32Array {
    return this.f32View;
  }

  get f64(): Float64Array {
    return this.f64View;
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (this.f32View.buffer !== buffer) {
      this.f32View = new Float32Array(buffer);
      this.f64View = new Float64Array(buffer);
    }
  }
}

/** `at` rounded up to a multiple of 16 (v128 alignment). */
export function align16(at: number): number {
  return (at + 15) & ~15;
}
