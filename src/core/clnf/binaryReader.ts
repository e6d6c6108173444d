import { ModelFormatError } from '../errors.ts';

/** OpenCV element type codes used by OpenFace's binary model files. */
export const CV_8U = 0;
export const CV_32S = 4;
export const CV_32F = 5;
export const CV_64F = 6;

/** A matrix read from an OpenFace binary model file, row-major, values widened to double. */
export interface BinaryMatrix {
  readonly rows: number;
  readonly cols: number;
  /** OpenCV type code it was stored with (CV_8U, CV_32S, CV_32F or CV_64F) */
  readonly type: number;
  readonly data: Float64Array;
}

/**
 * Little-endian reader for OpenFace's binary model files (the CCNF patch
 * experts and the detection validator, despite their `.txt` names). Each read
 * checks the remaining length, so a truncated file fails with its name and the
 * offset instead of producing garbage.
 */
export class BinaryReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.bytes.byteLength) {
      throw new ModelFormatError(`${this.source}: ends early at byte ${this.pos} (expected ${what})`);
    }
  }

  int32(what = 'an int32'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float32(what = 'a float32'): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float64(what = 'a float64'): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** OpenFace's ReadMatBin: int32 rows, cols, OpenCV type, then the raw row-major elements. */
  matrix(what: string): BinaryMatrix {
    const rows = this.int32(`${what}: row count`);
    const cols = this.int32(`${what}: column count`);
    const type = this.int32(`${what}: type`);
    if (rows < 0 || cols < 0 || rows * cols > 1 << 26) {
      throw new ModelFormatError(`${this.source}: bad matrix size ${rows}x${cols} for ${what} at byte ${this.pos - 12}`);
    }
    const count = rows * cols;
    const data = new Float64Array(count);
    switch (type) {
      case CV_8U:
        this.need(count, what);
        for (let i = 0; i < count; i++) data[i] = this.bytes[this.pos + i];
        this.pos += count;
        break;
      case CV_32S:
        this.need(4 * count, what);
        for (let i = 0; i < count; i++) data[i] = this.view.getInt32(this.pos + 4 * i, true);
        this.pos += 4 * count;
        break;
      case CV_32F:
        this.need(4 * count, what);
        for (let i = 0; i < count; i++) data[i] = this.view.getFloat32(this.pos + 4 * i, true);
        this.pos += 4 * count;
        break;
      case CV_64F:
        this.need(8 * count, what);
        for (let i = 0; i < count; i++) data[i] = this.view.getFloat64(this.pos + 8 * i, true);
        this.pos += 8 * count;
        break;
      default:
        throw new ModelFormatError(`${this.source}: unsupported matrix type ${type} for ${what} at byte ${this.pos - 12}`);
    }
    return { rows, cols, type, data };
  }
}
