import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/core/errors.ts';
import { parseCcnfPatchExperts } from '../../../src/core/clnf/ccnfModel.ts';
import { writeCcnf, type SyntheticCcnf } from './synthetic.ts';

const neuron = (k: number) => ({ normWeights: 2 + k, bias: -1 - k, alpha: 0.5 + k, weights: Array.from({ length: 6 }, (_, i) => i - k) });

const model: SyntheticCcnf = {
  scaling: 0.35,
  centers: [[0, 0, 0], [0, -30, 0]],
  visibilities: [[1, 1], [1, 0]],
  windows: [{ size: 2, components: [Array.from({ length: 16 }, (_, i) => i / 10)] }, { size: 3, components: [new Array<number>(81).fill(0.5)] }],
  experts: [
    [
      { width: 3, height: 2, neurons: [neuron(0), neuron(1)], betas: [0.25], confidence: 0.8 },
      { width: 3, height: 2, neurons: [neuron(2)], betas: [0.75], confidence: 0.6 },
    ],
    [
      { width: 3, height: 2, neurons: [neuron(3)], betas: [1.5], confidence: 0.4 },
      { width: 3, height: 2, neurons: [], betas: [], confidence: 0 },
    ],
  ],
};

describe('parseCcnfPatchExperts (OpenFace binary CCNF layout)', () => {
  const parsed = parseCcnfPatchExperts(writeCcnf(model), 'synthetic');

  it('reads scaling, views (degrees to radians) and visibilities', () => {
    expect(parsed.scaling).toBe(0.35);
    expect(parsed.numPoints).toBe(2);
    expect(parsed.centers).toHaveLength(2);
    expect(parsed.centers[1][1]).toBeCloseTo((-30 * Math.PI) / 180, 15);
    expect(Array.from(parsed.visibilities[1])).toEqual([1, 0]);
  });

  it('reads sigma components per window size and one beta per component of the first window', () => {
    expect([...parsed.sigmaComponents.keys()]).toEqual([2, 3]);
    expect(parsed.sigmaComponents.get(2)![0][5]).toBeCloseTo(0.5, 6);
    expect(Array.from(parsed.experts[0][0].betas)).toEqual([0.25]);
    expect(Array.from(parsed.experts[1][0].betas)).toEqual([1.5]);
  });

  it('reads neurons (weights as float32, row-major) and patch confidences; an invisible landmark is an empty expert', () => {
    const e = parsed.experts[0][0];
    expect(e.width).toBe(3);
    expect(e.height).toBe(2);
    expect(e.confidence).toBe(0.8);
    expect(e.neurons).toHaveLength(2);
    expect(e.neurons[1]).toMatchObject({ neuronType: 0, normWeights: 3, bias: -2, alpha: 1.5, width: 3, height: 2 });
    expect(Array.from(e.neurons[1].weights)).toEqual([-1, 0, 1, 2, 3, 4]);
    expect(parsed.experts[1][1].neurons).toHaveLength(0);
  });

  it('names the file when it is truncated or not a CCNF file', () => {
    const bytes = writeCcnf(model);
    expect(() => parseCcnfPatchExperts(bytes.subarray(0, bytes.length - 5), 'cut.txt')).toThrow(ModelFormatError);
    expect(() => parseCcnfPatchExperts(bytes.subarray(0, bytes.length - 5), 'cut.txt')).toThrow(/cut\.txt/);
    expect(() => parseCcnfPatchExperts(new TextEncoder().encode('0.25 7 hello'), 'text.txt')).toThrow(ModelFormatError);
  });
});
