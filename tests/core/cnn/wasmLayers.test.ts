import { describe, expect, it } from 'vitest';
import {
  convolve,
  fullyConnected,
  fullyConnectedFromFile,
  maxPool,
  prelu,
  prepareConvolution,
  relu,
  runCnn,
  tensor3,
  type CnnLayer,
  type ConvolutionWeights,
  type Tensor3,
} from '../../../src/core/cnn/index.ts';
import { convolveTypeScript } from '../../../src/core/cnn/convolution.ts';
import { productsTypeScript } from '../../../src/core/cnn/fullyConnected.ts';
import { maxPoolTypeScript } from '../../../src/core/cnn/pooling.ts';
import { WasmLayers } from '../../../src/core/cnn/wasmLayers.ts';
import { rng } from '../../helpers/rng.ts';
import { inTypeScript } from '../../helpers/cnnLayers.ts';

/**
 * The WebAssembly layers (assembly/cnnKernels.ts) against the TypeScript
 * they stand in for: the same bits on every output, over many random shapes
 * and values (the validator's and MTCNN's reference tests depend on those
 * bits). Node has WebAssembly SIMD, so the kernels must load.
 */

type Values = 'uniform' | 'wide' | 'tiny' | 'sparse';
const KINDS: readonly Values[] = ['uniform', 'wide', 'tiny', 'sparse'];

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

function randomFloats(random: () => number, n: number, kind: Values): Float32Array {
  return Float32Array.from({ length: n }, () => randomValue(random, kind));
}

function randomLayer(random: () => number, inMaps: number, outMaps: number, kh: number, kw: number, kind: Values): ConvolutionWeights {
  const kernels = Array.from({ length: inMaps * outMaps }, () => randomFloats(random, kh * kw, kind));
  return prepareConvolution(inMaps, outMaps, kh, kw, kernels, randomFloats(random, outMaps, kind));
}

function randomInput(random: () => number, channels: number, height: number, width: number, kind: Values): Tensor3 {
  return tensor3(channels, height, width, randomFloats(random, channels * height * width, kind));
}

/** Index of the first value whose float bits differ (any NaN equals any NaN), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function expectSameTensor(got: Tensor3, want: Tensor3, what: string): void {
  expect([got.channels, got.height, got.width], what).toEqual([want.channels, want.height, want.width]);
  const at = firstDifference(got.data, want.data);
  expect(at, `${what}: value ${at} is ${got.data[at]}, TypeScript ${want.data[at]}`).toBe(-1);
}

const wasm = WasmLayers.create();
const none = null;

describe('WebAssembly CNN layers', () => {
  it('load in Node (WebAssembly SIMD is available)', () => {
    expect(wasm).not.toBeNull();
  });

  it('convolution: the TypeScript bits on 400 random shapes and value kinds', () => {
    const random = rng(2024);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    for (let t = 0; t < 400; t++) {
      const kind = KINDS[t % KINDS.length];
      // output map counts cover every remainder mod 4 (groups of 4, a group of 2, an odd map)
      const inMaps = int(1, t % 10 === 0 ? 40 : 6), outMaps = int(1, t % 10 === 1 ? 70 : 13);
      const kh = int(1, 6), kw = int(1, 6);
      const height = kh - 1 + int(1, 14), width = kw - 1 + int(1, 14);
      const layer = randomLayer(random, inMaps, outMaps, kh, kw, kind);
      const input = randomInput(random, inMaps, height, width, kind);
      expectSameTensor(wasm!.convolve(input, layer, none), convolveTypeScript(input, layer), `${kind}: ${inMaps}->${outMaps} maps, ${kh}x${kw} kernel on ${height}x${width}`);
    }
  });

  it('convolution with ReLU or PReLU as it stores: relu / prelu of the TypeScript result, NaN and infinities too', () => {
    const random = rng(77);
    for (let t = 0; t < 120; t++) {
      const kind = KINDS[t % KINDS.length];
      const inMaps = 1 + (t % 5), outMaps = 2 + (t % 11), k = 1 + (t % 4);
      const layer = randomLayer(random, inMaps, outMaps, k, k, kind);
      const input = randomInput(random, inMaps, k + (t % 7), k + (t % 9), kind);
      // non-finite inputs: NaN and infinite outputs (relu maps NaN to 0)
      if (t % 10 === 0) input.data[Math.floor(random() * input.data.length)] = [NaN, Infinity, -Infinity][(t / 10) % 3];
      const plain = convolveTypeScript(input, layer);
      const slopes = randomFloats(random, outMaps, t % 2 ? 'uniform' : 'wide');
      expectSameTensor(wasm!.convolve(input, layer, { kind: 'relu' }), relu(plain), `relu ${t}`);
      expectSameTensor(wasm!.convolve(input, layer, { kind: 'prelu', slopes }), prelu(plain, slopes), `prelu ${t}`);
    }
  });

  it('convolve with an activation gives relu / prelu of its result, also for a single output map (prelu by rows)', () => {
    const random = rng(3);
    for (const outMaps of [1, 2, 5]) {
      const layer = randomLayer(random, 2, outMaps, 3, 3, 'uniform');
      const input = randomInput(random, 2, 7, 6, 'uniform');
      const slopes = randomFloats(random, 5, 'uniform');
      const plain = convolveTypeScript(input, layer);
      expectSameTensor(convolve(input, layer, undefined, { kind: 'prelu', slopes }), prelu(plain, slopes), `prelu, ${outMaps} maps`);
      expectSameTensor(convolve(input, layer, undefined, { kind: 'relu' }), relu(plain), `relu, ${outMaps} maps`);
    }
  });

  it('convolution: the same bits on the validator\'s and MTCNN\'s layer shapes', () => {
    const random = rng(5);
    for (const [inMaps, outMaps, k, height, width] of [
      [1, 10, 9, 60, 60], [10, 10, 7, 26, 26], // detection validator
      [3, 10, 3, 59, 77], [10, 16, 3, 28, 37], [16, 32, 3, 26, 35], // PNet on a pyramid level
      [3, 28, 3, 24, 24], [28, 48, 3, 11, 11], [48, 64, 2, 4, 4], // RNet
      [3, 32, 3, 48, 48], [32, 64, 3, 23, 23], [64, 64, 3, 10, 10], [64, 128, 2, 4, 4], // ONet
    ]) {
      const layer = randomLayer(random, inMaps, outMaps, k, k, 'uniform');
      const input = randomInput(random, inMaps, height, width, 'uniform');
      expectSameTensor(wasm!.convolve(input, layer, none), convolveTypeScript(input, layer), `${inMaps}->${outMaps}, ${k}x${k}`);
    }
  });

  it('stay exact when layers outgrow the weight arena (emptied and refilled)', () => {
    const random = rng(9);
    // 30 layers of 64 -> 128 maps, 3x3: 590 KB of arranged weights each, 17 MB in all
    const layers = Array.from({ length: 30 }, () => randomLayer(random, 64, 128, 3, 3, 'uniform'));
    const input = randomInput(random, 64, 4, 5, 'uniform');
    const want = layers.map((layer) => convolveTypeScript(input, layer));
    for (let round = 0; round < 2; round++) layers.forEach((layer, i) => expectSameTensor(wasm!.convolve(input, layer, none), want[i], `layer ${i}, round ${round}`));
  });

  it('max pooling: the TypeScript values for strides 1 to 3, windows 1 to 4, clipped edges', () => {
    const random = rng(21);
    for (let t = 0; t < 300; t++) {
      const kind = KINDS[t % KINDS.length];
      const kx = 1 + (t % 4), ky = 1 + ((t >> 2) % 4), sx = 1 + ((t >> 1) % 3), sy = 1 + ((t >> 3) % 3);
      const input = randomInput(random, 1 + (t % 5), ky + Math.floor(random() * 20), kx + Math.floor(random() * 30), kind);
      if (t % 7 === 0) input.data[Math.floor(random() * input.data.length)] = NaN;
      expectSameTensor(wasm!.maxPool(input, kx, ky, sx, sy, ...pooled(input, kx, ky, sx, sy)), maxPoolTypeScript(input, kx, ky, sx, sy), `pool ${kx}x${ky} stride ${sx}x${sy} on ${input.height}x${input.width}`);
    }
  });

  it('fully connected double sums: the TypeScript bits, per pixel and as a vector', () => {
    const random = rng(33);
    for (let t = 0; t < 200; t++) {
      const kind = KINDS[t % KINDS.length];
      const inputs = 1 + Math.floor(random() * (t % 3 ? 40 : 600)), outputs = 1 + Math.floor(random() * (t % 2 ? 9 : 140));
      const layer = fullyConnectedFromFile(inputs, outputs, randomFloats(random, inputs * outputs, kind), randomFloats(random, outputs, kind));
      const positions = t % 4 === 0 ? 1 + Math.floor(random() * 30) : 1;
      const data = randomFloats(random, inputs * positions, kind);
      const roundSum = positions > 1 || t % 8 === 1;
      const want = productsTypeScript(layer, data, positions, 1, positions, roundSum, 'double');
      const got = wasm!.fullyConnected(layer, data, positions, 1, positions, roundSum);
      expect(firstDifference(got, want), `${inputs}->${outputs}, ${positions} positions, ${kind}`).toBe(-1);
    }
  });

  it('whole networks (MTCNN-like and validator-like, random weights) give the same bits as the TypeScript', () => {
    const random = rng(44);
    const conv = (i: number, o: number, k: number): CnnLayer => ({ kind: 'convolution', weights: randomLayer(random, i, o, k, k, 'uniform') });
    const pre = (n: number): CnnLayer => ({ kind: 'prelu', slopes: randomFloats(random, n, 'uniform') });
    const pool = (k: number): CnnLayer => ({ kind: 'maxPooling', kernelX: k, kernelY: k, strideX: 2, strideY: 2 });
    const fc = (i: number, o: number): CnnLayer => ({ kind: 'fullyConnected', weights: fullyConnectedFromFile(i, o, randomFloats(random, i * o, 'uniform'), randomFloats(random, o, 'uniform')) });
    const onetLike: CnnLayer[] = [conv(3, 32, 3), pre(32), pool(3), conv(32, 64, 3), pre(64), pool(3), conv(64, 64, 3), pre(64), pool(2), conv(64, 128, 2), pre(128), fc(1152, 256), pre(256), fc(256, 16)];
    const pnetLike: CnnLayer[] = [conv(3, 10, 3), pre(10), pool(2), conv(10, 16, 3), pre(16), conv(16, 32, 3), pre(32), fc(32, 6)];
    const validatorLike: CnnLayer[] = [conv(1, 10, 9), { kind: 'relu' }, pool(2), conv(10, 10, 7), { kind: 'relu' }, pool(2), fc(1000, 100), { kind: 'relu' }, fc(100, 20)];
    for (const [name, layers, input] of [
      ['ONet-like', onetLike, randomInput(random, 3, 48, 48, 'uniform')],
      ['PNet-like', pnetLike, randomInput(random, 3, 41, 57, 'uniform')],
      ['validator-like', validatorLike, randomInput(random, 1, 60, 60, 'uniform')],
    ] as const) {
      expectSameTensor(runCnn(layers, input), inTypeScript(() => runCnn(layers, input)), name);
    }
  });

  it('are what the layers run, returning fresh arrays', () => {
    const random = rng(12);
    const layer = randomLayer(random, 2, 6, 3, 3, 'uniform');
    const a = randomInput(random, 2, 9, 8, 'uniform'), b = randomInput(random, 2, 9, 8, 'uniform');
    const outA = convolve(a, layer), outB = convolve(b, layer);
    expectSameTensor(outA, convolveTypeScript(a, layer), 'a');
    expectSameTensor(outB, convolveTypeScript(b, layer), 'b');
    expect(outA.data.buffer).not.toBe(outB.data.buffer);
    const pooledA = maxPool(a, 2, 2, 2, 2);
    expectSameTensor(pooledA, maxPoolTypeScript(a, 2, 2, 2, 2), 'pool');
    const fcLayer = fullyConnectedFromFile(2, 3, randomFloats(random, 6, 'uniform'), randomFloats(random, 3, 'uniform'));
    expectSameTensor(fullyConnected(a, fcLayer), inTypeScript(() => fullyConnected(a, fcLayer)), 'fully connected per pixel');
  });
});

/** pooling.ts's output size of the pooled map, as [height, width]. */
function pooled(input: Tensor3, kx: number, ky: number, sx: number, sy: number): [number, number] {
  const t = maxPoolTypeScript(input, kx, ky, sx, sy);
  return [t.height, t.width];
}
