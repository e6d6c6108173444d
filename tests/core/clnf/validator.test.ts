import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/core/errors.ts';
import {
  confidenceFromCertainty,
  parseValidator,
  validateLandmarks,
  validatorViewIndex,
  warpFace,
} from '../../../src/core/clnf/validator.ts';

/**
 * The validator on a hand-made model file: a 4-landmark square face (two
 * triangles on a 6x6 grid), two views, and a network whose winning class is
 * set by its last layer's biases.
 */

class FileWriter {
  private readonly chunks: Uint8Array[] = [];
  private put(bytes: number, write: (view: DataView) => void): this {
    const b = new Uint8Array(bytes);
    write(new DataView(b.buffer));
    this.chunks.push(b);
    return this;
  }
  int32(...v: number[]): this {
    for (const x of v) this.put(4, (d) => d.setInt32(0, x, true));
    return this;
  }
  float32(...v: number[]): this {
    for (const x of v) this.put(4, (d) => d.setFloat32(0, x, true));
    return this;
  }
  float64(...v: number[]): this {
    for (const x of v) this.put(8, (d) => d.setFloat64(0, x, true));
    return this;
  }
  /** ReadMatBin: rows, cols, OpenCV type (4 int32, 5 float32, 6 float64), row-major data */
  matrix(rows: number, cols: number, type: 4 | 5 | 6, values: ArrayLike<number>): this {
    this.int32(rows, cols, type);
    const v = Array.from(values);
    return type === 4 ? this.int32(...v) : type === 5 ? this.float32(...v) : this.float64(...v);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const SIDE = 6;
/** reference shape: the square (0,0) (5,0) (5,5) (0,5), x then y */
const SHAPE = [0, 5, 5, 0, 0, 0, 5, 5];
const TRIANGLES = [0, 1, 2, 0, 2, 3];

/** For each triangle (j, k, l): the affine maps from a grid position to its barycentric weights of k and l. */
function barycentricMaps(): { alpha: number[]; beta: number[] } {
  const alpha: number[] = [], beta: number[] = [];
  for (let t = 0; t < 2; t++) {
    const [j, k, l] = TRIANGLES.slice(3 * t, 3 * t + 3);
    const xj = SHAPE[j], yj = SHAPE[j + 4];
    const ux = SHAPE[k] - xj, uy = SHAPE[k + 4] - yj, vx = SHAPE[l] - xj, vy = SHAPE[l + 4] - yj;
    const det = ux * vy - vx * uy;
    // (x, y) - p_j = a u + b v  =>  a = (vy (x - xj) - vx (y - yj)) / det, b = (-uy (x - xj) + ux (y - yj)) / det
    alpha.push((-vy * xj + vx * yj) / det, vy / det, -vx / det);
    beta.push((uy * xj - ux * yj) / det, -uy / det, ux / det);
  }
  return { alpha, beta };
}

function gridTriangles(): number[] {
  const ids: number[] = [];
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) ids.push(x >= y ? 0 : 1);
  return ids;
}

/** A validator file; `winningClass[v]` is the class view v's network picks whatever the face. */
function validatorFile(winningClass: readonly number[], type = 3): Uint8Array {
  const w = new FileWriter().int32(type, winningClass.length);
  winningClass.forEach((_, v) => w.matrix(3, 1, 6, [0, v * 30, 0]));
  const pixels = SIDE * SIDE;
  const { alpha, beta } = barycentricMaps();
  for (const win of winningClass) {
    w.matrix(1, pixels, 6, new Array(pixels).fill(0.1));
    w.matrix(1, pixels, 6, new Array(pixels).fill(2));
    w.int32(4);
    w.int32(0, 1, 2).float32(0, 0).matrix(3, 3, 5, [0, 0, 0, 0, 1, 0, 0, 0, 0]).matrix(3, 3, 5, [0, 0, 0, 0, -1, 0, 0, 0, 0]); // 6x6 -> 2 maps of 4x4
    w.int32(3); // ReLU
    w.int32(2).matrix(4, 1, 5, [0.5, 0, 0, 0]).matrix(32, 4, 5, new Array(128).fill(0.01)); // flattened -> column of 4
    const bias = [0, 0, 0, 0, 0];
    bias[win] = 1;
    w.int32(2).matrix(5, 1, 5, bias).matrix(4, 5, 5, new Array(20).fill(0)); // -> 5 classes
    // the warp
    w.int32(pixels).float64(0, 0);
    w.matrix(8, 1, 6, SHAPE);
    w.matrix(2, 3, 4, TRIANGLES);
    w.matrix(SIDE, SIDE, 4, gridTriangles());
    w.matrix(SIDE, SIDE, 4, new Array(pixels).fill(1));
    w.matrix(2, 3, 6, alpha);
    w.matrix(2, 3, 6, beta);
  }
  return w.bytes();
}

function testImage(width: number, height: number): { data: Uint8Array; width: number; height: number } {
  return { data: Uint8Array.from({ length: width * height }, (_, i) => (i * 29 + 7) % 256), width, height };
}

describe('detection validator on a hand-made model', () => {
  it('reads the views, their rotations in radians, and picks the nearest view', () => {
    const model = parseValidator(validatorFile([0, 1]), 'tiny');
    expect(model.views).toHaveLength(2);
    expect(model.views[1].orientation[1]).toBeCloseTo(Math.PI / 6, 15);
    expect(validatorViewIndex(model, 0, 0.2, 0)).toBe(0);
    expect(validatorViewIndex(model, 0.1, 0.4, -0.1)).toBe(1);
  });

  it('refuses the old validator types as 2.2 does', () => {
    expect(() => parseValidator(validatorFile([0], 2), 'validator_general_68.txt')).toThrow(ModelFormatError);
    expect(() => parseValidator(validatorFile([0], 2), 'validator_general_68.txt')).toThrow(/type 2.*CNN validator, type 3/);
    expect(() => parseValidator(validatorFile([0]).subarray(0, 300), 'cut')).toThrow(/cut/);
  });

  it('warps with the landmarks: a shifted square samples the shifted pixels, exactly, and half pixels bilinearly', () => {
    const model = parseValidator(validatorFile([0]), 'tiny');
    const image = testImage(20, 16);
    const shifted = SHAPE.map((v, i) => v + (i < 4 ? 7 : 3));
    const warped = warpFace(model.views[0].paw, image, shifted);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) expect(warped[y * SIDE + x]).toBe(image.data[(y + 3) * 20 + x + 7]);
    const half = warpFace(model.views[0].paw, image, SHAPE.map((v, i) => v + (i < 4 ? 7.5 : 3)));
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) expect(half[y * SIDE + x]).toBe((image.data[(y + 3) * 20 + x + 7] + image.data[(y + 3) * 20 + x + 8]) / 2);
  });

  it('turns the winning class into 2.2\'s certainty and quantised float confidence, per view', () => {
    const model = parseValidator(validatorFile([1, 3]), 'tiny');
    const image = testImage(40, 30);
    const face = SHAPE.map((v, i) => v + (i < 4 ? 12 : 10));
    // 5 classes over [-1, 1]: centres -0.8, -0.4, 0, 0.4, 0.8
    const frontal = validateLandmarks(model, image, face, 0, 0, 0);
    expect(frontal).toBeCloseTo(-0.4, 15);
    expect(confidenceFromCertainty(frontal)).toBe(Math.fround(0.7));
    const turned = validateLandmarks(model, image, face, 0, 0.5, 0);
    expect(turned).toBeCloseTo(0.4, 15);
    expect(confidenceFromCertainty(turned)).toBe(Math.fround(0.3));
  });

  it('reports certainty 1 (confidence 0) when the landmarks leave no image to warp', () => {
    const model = parseValidator(validatorFile([0]), 'tiny');
    const offImage = SHAPE.map((v, i) => v + (i < 4 ? 100 : 0));
    const certainty = validateLandmarks(model, testImage(40, 30), offImage, 0, 0, 0);
    expect(certainty).toBe(1);
    expect(confidenceFromCertainty(certainty)).toBe(0);
  });
});
