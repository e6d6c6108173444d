import { describe, expect, it } from 'vitest';
import {
  convolve,
  createConvolutionScratch,
  fullyConnected,
  fullyConnectedFromFile,
  maxPool,
  pooledSize,
  prelu,
  prepareConvolution,
  relu,
  sigmoid,
  tensor3,
  type Tensor3,
} from '../../../src/core/cnn/index.ts';
import { convolveTypeScript } from '../../../src/core/cnn/convolution.ts';
import { rng } from '../../helpers/rng.ts';

const fr = Math.fround;

function randomTensor(random: () => number, channels: number, height: number, width: number): Tensor3 {
  return tensor3(channels, height, width, Float32Array.from({ length: channels * height * width }, () => random() * 2 - 1));
}

function randomKernels(random: () => number, count: number, area: number): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: area }, () => random() * 2 - 1));
}

/** The definition, written plainly: per output, input map by input map, kernel column by column, one fused multiply-add per term, bias last. */
function naiveConvolution(input: Tensor3, kernels: Float32Array[], biases: Float32Array, kh: number, kw: number): Tensor3 {
  const outMaps = biases.length;
  const oh = input.height - kh + 1, ow = input.width - kw + 1;
  const out = new Float32Array(outMaps * oh * ow);
  for (let k = 0; k < outMaps; k++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        for (let i = 0; i < input.channels; i++) {
          const kern = kernels[i * outMaps + k];
          for (let kx = 0; kx < kw; kx++) {
            for (let ky = 0; ky < kh; ky++) {
              acc = fr(input.data[(i * input.height + y + ky) * input.width + x + kx] * kern[ky * kw + kx] + acc);
            }
          }
        }
        out[(k * oh + y) * ow + x] = fr(acc + biases[k]);
      }
    }
  }
  return tensor3(outMaps, oh, ow, out);
}

describe('convolve (im2col times weights, float32)', () => {
  it('equals the plain-loop definition bit for bit, for odd and even output counts and non-square kernels', () => {
    const random = rng(7);
    const scratch = createConvolutionScratch();
    for (const [inMaps, outMaps, h, w, kh, kw] of [
      [1, 10, 20, 17, 9, 9],
      [3, 7, 12, 15, 3, 5],
      [10, 10, 13, 13, 7, 7],
      [2, 1, 4, 4, 4, 4],
    ]) {
      const input = randomTensor(random, inMaps, h, w);
      const kernels = randomKernels(random, inMaps * outMaps, kh * kw);
      const biases = Float32Array.from({ length: outMaps }, () => random() - 0.5);
      const layer = prepareConvolution(inMaps, outMaps, kh, kw, kernels, biases);
      const got = convolve(input, layer, scratch);
      const want = naiveConvolution(input, kernels, biases, kh, kw);
      expect([got.channels, got.height, got.width]).toEqual([outMaps, h - kh + 1, w - kw + 1]);
      expect(got.data).toEqual(want.data);
      expect(convolveTypeScript(input, layer, scratch).data).toEqual(want.data);
      // and it is a correlation: within float rounding of the exact sum
      for (let k = 0; k < outMaps; k++) {
        let exact = biases[k];
        for (let i = 0; i < inMaps; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) exact += input.data[(i * h + y) * w + x] * kernels[i * outMaps + k][y * kw + x];
        expect(Math.abs(got.data[k * got.height * got.width] - exact)).toBeLessThan(1e-5 * inMaps * kh * kw);
      }
    }
  });

  it('a kernel with a single 1 picks the shifted input (no flip)', () => {
    const input = randomTensor(rng(3), 1, 6, 5);
    const kernel = new Float32Array(6);
    kernel[1 * 3 + 2] = 1; // row 1, column 2 of a 2x3 kernel
    const out = convolve(input, prepareConvolution(1, 1, 2, 3, [kernel], [0]));
    for (let y = 0; y < 5; y++) for (let x = 0; x < 3; x++) expect(out.data[y * 3 + x]).toBe(input.data[(y + 1) * 5 + x + 2]);
  });

  it('rejects a kernel larger than the input and a wrong map count', () => {
    const layer = prepareConvolution(2, 1, 3, 3, randomKernels(rng(1), 2, 9), [0]);
    expect(() => convolve(randomTensor(rng(2), 2, 2, 5), layer)).toThrow(RangeError);
    expect(() => convolve(randomTensor(rng(2), 1, 5, 5), layer)).toThrow(RangeError);
  });
});

describe('maxPool', () => {
  it('has OpenFace\'s caffe-style output sizes', () => {
    expect(pooledSize(52, 2, 2)).toBe(26);
    expect(pooledSize(20, 2, 2)).toBe(10);
    expect(pooledSize(12, 3, 2)).toBe(6); // 4.5 rounds up: a partial last window
    expect(pooledSize(13, 3, 2)).toBe(6);
    expect(pooledSize(11, 3, 2)).toBe(5);
    expect(pooledSize(10, 2, 1)).toBe(9);
  });

  it('takes the maximum of each window, partial windows clipped at the edge', () => {
    const input = tensor3(2, 3, 5, Float32Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) - 5));
    const out = maxPool(input, 2, 2, 2, 2);
    expect([out.channels, out.height, out.width]).toEqual([2, 2, 3]);
    for (let c = 0; c < 2; c++) {
      for (let oy = 0; oy < 2; oy++) {
        for (let ox = 0; ox < 3; ox++) {
          let best = -Infinity;
          for (let y = 2 * oy; y < Math.min(3, 2 * oy + 2); y++) for (let x = 2 * ox; x < Math.min(5, 2 * ox + 2); x++) best = Math.max(best, input.data[(c * 3 + y) * 5 + x]);
          expect(out.data[(c * 2 + oy) * 3 + ox]).toBe(best);
        }
      }
    }
  });

  it('overlapping 3x3 windows with stride 2', () => {
    const input = tensor3(1, 5, 5, Float32Array.from({ length: 25 }, (_, i) => i));
    const out = maxPool(input, 3, 3, 2, 2);
    expect([out.height, out.width]).toEqual([2, 2]);
    expect(Array.from(out.data)).toEqual([12, 14, 22, 24]);
  });
});

describe('fullyConnected', () => {
  const random = rng(11);
  const fileWeights = (inputs: number, outputs: number): Float32Array => Float32Array.from({ length: inputs * outputs }, () => random() - 0.5);

  it('flattens several maps column by column into a column vector, summing in double', () => {
    const input = randomTensor(random, 3, 2, 4);
    const w = fileWeights(24, 5);
    const b = Float32Array.from({ length: 5 }, () => random());
    const out = fullyConnected(input, fullyConnectedFromFile(24, 5, w, b));
    expect([out.channels, out.height, out.width]).toEqual([1, 5, 1]);
    const v: number[] = [];
    for (let c = 0; c < 3; c++) for (let x = 0; x < 4; x++) for (let y = 0; y < 2; y++) v.push(input.data[(c * 2 + y) * 4 + x]);
    for (let o = 0; o < 5; o++) {
      let s = 0;
      for (let i = 0; i < 24; i++) s += w[i * 5 + o] * v[i];
      expect(out.data[o]).toBe(fr(s + b[o]));
    }
  });

  it('applies a layer with as many inputs as maps at every pixel', () => {
    const input = randomTensor(random, 4, 3, 2);
    const w = fileWeights(4, 2);
    const b = Float32Array.of(0.25, -1);
    const out = fullyConnected(input, fullyConnectedFromFile(4, 2, w, b));
    expect([out.channels, out.height, out.width]).toEqual([2, 3, 2]);
    for (let p = 0; p < 6; p++) {
      for (let o = 0; o < 2; o++) {
        let s = 0;
        for (let i = 0; i < 4; i++) s += w[i * 2 + o] * input.data[i * 6 + p];
        expect(out.data[o * 6 + p]).toBe(fr(fr(s) + b[o]));
      }
    }
  });

  it('turns one vector into a row vector; float32 sums are fused multiply-adds in order', () => {
    const input = tensor3(1, 6, 1, Float32Array.from({ length: 6 }, () => random() * 3));
    const w = fileWeights(6, 3);
    const b = Float32Array.of(1, 2, 3);
    const layer = fullyConnectedFromFile(6, 3, w, b);
    const out = fullyConnected(input, layer, 'float32');
    expect([out.channels, out.height, out.width]).toEqual([1, 1, 3]);
    for (let o = 0; o < 3; o++) {
      let acc = 0;
      for (let i = 0; i < 6; i++) acc = fr(w[i * 3 + o] * input.data[i] + acc);
      expect(out.data[o]).toBe(fr(acc + b[o]));
    }
    expect(() => fullyConnected(tensor3(1, 5, 1, new Float32Array(5)), layer)).toThrow(RangeError);
  });
});

describe('element-wise layers', () => {
  it('relu zeroes what is not above 0; prelu scales negatives per map, or per row of a vector', () => {
    const t = tensor3(2, 1, 3, Float32Array.of(-2, 0, 3, -1, 4, -0.5));
    expect(Array.from(relu(t).data)).toEqual([0, 0, 3, 0, 4, 0]);
    expect(Array.from(prelu(t, Float32Array.of(0.5, 0.25)).data)).toEqual([-1, 0, 3, -0.25, 4, -0.125]);
    const column = tensor3(1, 3, 1, Float32Array.of(-1, -1, 2));
    expect(Array.from(prelu(column, Float32Array.of(0.1, 0.2, 0.3)).data)).toEqual([fr(-0.1), fr(-0.2), 2]);
  });

  it('sigmoid is 1 / (1 + e^-v) in float', () => {
    const t = tensor3(1, 1, 4, Float32Array.of(0, 2, -3, 40));
    const s = sigmoid(t).data;
    expect(s[0]).toBe(0.5);
    for (let i = 0; i < 4; i++) expect(Math.abs(s[i] - 1 / (1 + Math.exp(-t.data[i])))).toBeLessThan(1e-7);
    expect(s[3]).toBe(1);
  });
});
