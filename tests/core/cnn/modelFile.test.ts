import { describe, expect, it } from 'vitest';
import { BinaryReader } from '../../../src/core/clnf/binaryReader.ts';
import { readCnn, runCnn, tensor3 } from '../../../src/core/cnn/index.ts';
import { ModelFormatError } from '../../../src/core/errors.ts';

const fr = Math.fround;

/** Writes little-endian OpenFace binary: int32s, float32s and ReadMatBin matrices (CV_32F). */
class FileWriter {
  private readonly bytes: Uint8Array[] = [];
  int32(...v: number[]): this {
    for (const x of v) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, x, true);
      this.bytes.push(b);
    }
    return this;
  }
  float32(...v: number[]): this {
    for (const x of v) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, x, true);
      this.bytes.push(b);
    }
    return this;
  }
  matrix(rows: number, cols: number, values: number[]): this {
    this.int32(rows, cols, 5);
    return this.float32(...values);
  }
  done(): Uint8Array {
    const total = this.bytes.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const b of this.bytes) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
}

/**
 * For a 1-map 4x4 input: a 2x2 convolution to 2 maps of 3x3, an activation
 * (ReLU or PReLU), 2x2 pooling (to 2x2, partial windows kept), a fully
 * connected layer to 3 outputs, and for MTCNN a sigmoid.
 */
function tinyNetwork(dialect: 'validator' | 'mtcnn'): Uint8Array {
  const w = new FileWriter();
  w.int32(dialect === 'validator' ? 4 : 5);
  // convolution: 1 input map, 2 output maps, biases 0.5 and -1
  w.int32(0, 1, 2).float32(0.5, -1);
  w.matrix(2, 2, [1, 0, 0, 0]); // map 0: top-left pixel
  w.matrix(2, 2, [0, 0, 0, -1]); // map 1: minus the bottom-right pixel
  if (dialect === 'validator') {
    w.int32(3); // ReLU
    w.int32(1); // 2x2 pooling, stride 2 (no data)
  } else {
    w.int32(3).matrix(2, 1, [0.5, 0.25]); // PReLU
    w.int32(1, 2, 2, 2, 2); // pooling 2x2, stride 2
  }
  // fully connected: 2 maps of 2x2 flattened = 8 inputs, 3 outputs
  w.int32(2).matrix(3, 1, [0, 1, -1]);
  const weights: number[] = [];
  for (let i = 0; i < 8; i++) weights.push(i === 0 ? 1 : 0, i === 4 ? 1 : 0, 1); // output 0 = input 0, output 1 = input 4 + 1, output 2 = sum - 1
  w.matrix(8, 3, weights);
  if (dialect === 'mtcnn') w.int32(4); // sigmoid
  return w.done();
}

describe('readCnn (OpenFace binary CNN layers)', () => {
  const image = tensor3(1, 4, 4, Float32Array.from({ length: 16 }, (_, i) => i - 6));

  it('reads the validator dialect (ReLU, fixed 2x2 pooling) and runs it', () => {
    const layers = readCnn(new BinaryReader(tinyNetwork('validator'), 'tiny'), 'validator', 'tiny');
    expect(layers.map((l) => l.kind)).toEqual(['convolution', 'relu', 'maxPooling', 'fullyConnected']);
    const out = runCnn(layers, image);
    // conv map 0 = x[y][x] + 0.5, map 1 = -x[y+1][x+1] - 1; 3x3 each; pooling (round(0.5) + 1 = 2) keeps the partial windows
    const m0 = (y: number, x: number): number => Math.max(0, image.data[y * 4 + x] + 0.5);
    const m1 = (y: number, x: number): number => Math.max(0, -image.data[(y + 1) * 4 + x + 1] - 1);
    const pool = (m: (y: number, x: number) => number, y: number, x: number): number => {
      let best = -Infinity;
      for (let yy = y; yy < Math.min(3, y + 2); yy++) for (let xx = x; xx < Math.min(3, x + 2); xx++) best = Math.max(best, m(yy, xx));
      return best;
    };
    const flat = [m0, m1].flatMap((m) => [pool(m, 0, 0), pool(m, 2, 0), pool(m, 0, 2), pool(m, 2, 2)]);
    expect([out.channels, out.height, out.width]).toEqual([1, 3, 1]);
    expect(Array.from(out.data)).toEqual([flat[0], flat[4] + 1, flat.reduce((a, b) => a + b, 0) - 1]);
  });

  it('reads the MTCNN dialect (PReLU slopes, pooling sizes, sigmoid)', () => {
    const layers = readCnn(new BinaryReader(tinyNetwork('mtcnn'), 'tiny'), 'mtcnn', 'tiny');
    expect(layers.map((l) => l.kind)).toEqual(['convolution', 'prelu', 'maxPooling', 'fullyConnected', 'sigmoid']);
    const out = runCnn(layers, image);
    const m0 = (y: number, x: number): number => { const v = image.data[y * 4 + x] + 0.5; return v >= 0 ? v : fr(v * 0.5); };
    expect(out.data[0]).toBe(fr(1 / fr(1 + fr(Math.exp(-Math.max(m0(0, 0), m0(0, 1), m0(1, 0), m0(1, 1)))))));
  });

  it('names the layer when a file is cut short or has an unknown layer type', () => {
    const bytes = tinyNetwork('validator');
    expect(() => readCnn(new BinaryReader(bytes.subarray(0, 40), 'cut'), 'validator', 'cut')).toThrow(/cut/);
    const bad = new FileWriter().int32(1, 9).done();
    expect(() => readCnn(new BinaryReader(bad, 'bad'), 'mtcnn', 'bad')).toThrow(ModelFormatError);
  });
});
