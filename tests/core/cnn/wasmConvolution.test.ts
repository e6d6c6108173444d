import { describe, expect, it } from 'vitest';
import { convolve, convolveTypeScript, prepareConvolution, tensor3, type ConvolutionWeights, type Tensor3 } from '../../../src/core/cnn/index.ts';
import { WasmConvolution } from '../../../src/core/cnn/wasmConvolution.ts';
import { rng } from '../../helpers/rng.ts';

/**
 * The WebAssembly convolution (assembly/cnnKernels.ts) against the
 * TypeScript one it stands in for: the same bits on every output, over many
 * random shapes and values (the validator's and MTCNN's reference tests
 * depend on those bits). Node has WebAssembly SIMD, so the kernels must load.
 */

type Values = 'uniform' | 'wide' | 'tiny' | 'sparse';

/** A float of the kind asked for: uniform in [-1, 1); any magnitude from 2^-60 to 2^40; products near float's subnormal range; or mostly ±0. */
function randomValue(random: () => number, kind: Values): number {
  const sign = random() < 0.5 ? -1 : 1;
  switch (kind) {
    case 'uniform':
      return random() * 2 - 1;
    case 'wide':
      return sign * (1 + random()) * 2 ** Math.floor(random() * 100 - 60);
    case 'tiny':
      return sign * (1 + random()) * 2 ** Math.floor(random() * 20 - 75);
    case 'sparse':
      return random() < 0.7 ? sign * 0 : sign * random();
  }
}

function randomLayer(random: () => number, inMaps: number, outMaps: number, kh: number, kw: number, kind: Values): ConvolutionWeights {
  const kernels = Array.from({ length: inMaps * outMaps }, () => Float32Array.from({ length: kh * kw }, () => randomValue(random, kind)));
  const biases = Float32Array.from({ length: outMaps }, () => (kind === 'sparse' && random() < 0.5 ? -0 : randomValue(random, kind)));
  return prepareConvolution(inMaps, outMaps, kh, kw, kernels, biases);
}

function randomInput(random: () => number, channels: number, height: number, width: number, kind: Values): Tensor3 {
  return tensor3(channels, height, width, Float32Array.from({ length: channels * height * width }, () => randomValue(random, kind)));
}

/** Index of the first output whose float bits differ (any NaN equals any NaN), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

const wasm = WasmConvolution.create();

describe('WebAssembly convolution', () => {
  it('loads in Node (WebAssembly SIMD is available)', () => {
    expect(wasm).not.toBeNull();
  });

  it('gives the TypeScript convolution bit for bit on 400 random shapes and value kinds', () => {
    const random = rng(2024);
    const kinds: Values[] = ['uniform', 'wide', 'tiny', 'sparse'];
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    for (let t = 0; t < 400; t++) {
      const kind = kinds[t % kinds.length];
      // output map counts cover every remainder mod 4 (groups of 4, a group of 2, an odd map)
      const inMaps = int(1, t % 10 === 0 ? 40 : 6), outMaps = int(1, t % 10 === 1 ? 70 : 13);
      const kh = int(1, 6), kw = int(1, 6);
      const height = kh - 1 + int(1, 14), width = kw - 1 + int(1, 14);
      const layer = randomLayer(random, inMaps, outMaps, kh, kw, kind);
      const input = randomInput(random, inMaps, height, width, kind);
      const want = convolveTypeScript(input, layer);
      const got = wasm!.convolve(input, layer);
      expect([got.channels, got.height, got.width]).toEqual([want.channels, want.height, want.width]);
      const at = firstDifference(got.data, want.data);
      expect(at, `${kind}: ${inMaps}->${outMaps} maps, ${kh}x${kw} kernel on ${height}x${width}: output ${at} is ${got.data[at]}, TypeScript ${want.data[at]}`).toBe(-1);
    }
  });

  it('gives the same bits on the validator\'s and MTCNN\'s layer shapes', () => {
    const random = rng(5);
    for (const [inMaps, outMaps, k, height, width] of [
      [1, 10, 9, 60, 60], [10, 10, 7, 26, 26], // detection validator
      [3, 10, 3, 59, 77], [10, 16, 3, 28, 37], [16, 32, 3, 26, 35], // PNet on a pyramid level
      [3, 28, 3, 24, 24], [28, 48, 3, 11, 11], [48, 64, 2, 4, 4], // RNet
      [3, 32, 3, 48, 48], [32, 64, 3, 23, 23], [64, 64, 3, 10, 10], [64, 128, 2, 4, 4], // ONet
    ]) {
      const layer = randomLayer(random, inMaps, outMaps, k, k, 'uniform');
      const input = randomInput(random, inMaps, height, width, 'uniform');
      expect(firstDifference(wasm!.convolve(input, layer).data, convolveTypeScript(input, layer).data)).toBe(-1);
    }
  });

  it('stays exact when layers outgrow its weight arena (emptied and refilled)', () => {
    const random = rng(9);
    // 30 layers of 64 -> 128 maps, 3x3: 590 KB of arranged weights each, 17 MB in all
    const layers = Array.from({ length: 30 }, () => randomLayer(random, 64, 128, 3, 3, 'uniform'));
    const input = randomInput(random, 64, 4, 5, 'uniform');
    const want = layers.map((layer) => convolveTypeScript(input, layer).data);
    for (let round = 0; round < 2; round++) {
      layers.forEach((layer, i) => expect(firstDifference(wasm!.convolve(input, layer).data, want[i])).toBe(-1));
    }
  });

  it('is what convolve runs, returning fresh output arrays', () => {
    const random = rng(12);
    const layer = randomLayer(random, 2, 6, 3, 3, 'uniform');
    const a = randomInput(random, 2, 9, 8, 'uniform'), b = randomInput(random, 2, 9, 8, 'uniform');
    const outA = convolve(a, layer), outB = convolve(b, layer);
    expect(firstDifference(outA.data, convolveTypeScript(a, layer).data)).toBe(-1);
    expect(firstDifference(outB.data, convolveTypeScript(b, layer).data)).toBe(-1);
    expect(outA.data.buffer).not.toBe(outB.data.buffer);
  });
});
