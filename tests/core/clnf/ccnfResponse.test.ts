import { describe, expect, it } from 'vitest';
import { CcnfExpertRuntime } from '../../../src/core/clnf/ccnfResponse.ts';
import { rng } from './synthetic.ts';

/** Gauss-Jordan inverse, for checking. */
function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, k) => (i === k ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let k = 0; k < 2 * n; k++) a[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 2 * n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row) => row.slice(n));
}

/**
 * OpenFace 2.2's neuron input at one position, in double: the patch
 * (row-major) minus its mean over its norm, dotted with the raw weights,
 * times norm_weights, plus the bias.
 */
function neuronInput(patch: number[], weights: ArrayLike<number>, normWeights: number, bias: number): number {
  const mean = patch.reduce((s, v) => s + v, 0) / patch.length;
  const norm = Math.sqrt(patch.reduce((s, v) => s + (v - mean) ** 2, 0));
  let q = 0;
  for (let k = 0; k < patch.length; k++) q += ((patch[k] - mean) / norm) * weights[k];
  return q * normWeights + bias;
}

describe('CCNF patch expert response (OpenFace 2.2: normalised patch times raw weights)', () => {
  // a 3x3 template, a 5x5 area, a 3x3 response window
  const template = [1, 2, 1, 0, 3, 0, -1, 2, -2];
  const neuron = { neuronType: 0, normWeights: 1.5, bias: -0.25, alpha: 0.8, width: 3, height: 3, weights: Float32Array.from(template) };
  const aoi = Float64Array.from([10, 20, 30, 40, 50, 12, 80, 22, 41, 9, 100, 3, 64, 7, 33, 5, 90, 18, 70, 2, 11, 44, 56, 25, 60]);
  const patchAt = (i: number, j: number): number[] => {
    const patch: number[] = [];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) patch.push(aoi[(i + ky) * 5 + j + kx]);
    return patch;
  };

  it('is Sigma = (2(Σα I + β S))⁻¹ times the sigmoids per position (rows = y)', () => {
    const beta = 0.5;
    const S = new Float32Array(81);
    for (let i = 0; i < 9; i++) S[i * 9 + i] = 1 + i / 4; // diagonal: Sigma is too
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [neuron], betas: Float64Array.of(beta), confidence: 1 });
    const out = new Float32Array(9);
    expert.response(aoi, 5, 5, expert.sigma(3, [S]), out, new Float64Array(expert.scratchSize(3)));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const act = (2 * neuron.alpha) / (1 + Math.exp(-neuronInput(patchAt(i, j), template, neuron.normWeights, neuron.bias)));
        const p = i * 3 + j;
        expect(out[p]).toBeCloseTo(act / (2 * (neuron.alpha + beta * (1 + p / 4))), 6);
      }
    }
  });

  it('shifts the map so its minimum is 0 when Sigma makes it negative', () => {
    // positive couplings in SigmaInv give Sigma negative off-diagonal entries
    const S = new Float32Array(81);
    for (let i = 0; i < 9; i++) for (let k = 0; k < 9; k++) S[i * 9 + k] = i === k ? 1 : 0.1;
    const sharp = { ...neuron, normWeights: 4, bias: -2 };
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [sharp], betas: Float64Array.of(1), confidence: 1 });
    const out = new Float32Array(9);
    expert.response(aoi, 5, 5, expert.sigma(3, [S]), out, new Float64Array(expert.scratchSize(3)));
    const M = Array.from({ length: 9 }, (_, i) => Array.from({ length: 9 }, (_, k) => 2 * ((i === k ? sharp.alpha : 0) + S[i * 9 + k])));
    const inv = invert(M);
    const act: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) act.push((2 * sharp.alpha) / (1 + Math.exp(-neuronInput(patchAt(i, j), template, sharp.normWeights, sharp.bias))));
    const raw = inv.map((row) => row.reduce((s, v, k) => s + v * act[k], 0));
    const min = Math.min(...raw);
    expect(min).toBeLessThan(0);
    expect(Math.min(...out)).toBe(0);
    for (let p = 0; p < 9; p++) expect(out[p]).toBeCloseTo(raw[p] - min, 5);
  });

  it('treats a flat patch as all zeros after normalisation (norm 0 becomes 1): the activation of the bias alone', () => {
    const flat = new Float64Array(25).fill(77);
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [neuron], betas: new Float64Array(0), confidence: 1 });
    const out = new Float32Array(9);
    expert.response(flat, 5, 5, expert.sigma(3, []), out, new Float64Array(expert.scratchSize(3)));
    const act = (2 * 0.8) / (1 + Math.exp(0.25));
    // no sigma components: Sigma = I / (2 Σα)
    for (const v of out) expect(v).toBeCloseTo(act / (2 * 0.8), 6);
  });

  it('skips neurons with alpha ≤ 1e-4 but counts them in Σα', () => {
    const tiny = { ...neuron, alpha: 1e-5, normWeights: 100 };
    const a = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [neuron, tiny], betas: new Float64Array(0), confidence: 1 });
    const b = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [neuron], betas: new Float64Array(0), confidence: 1 });
    const oa = new Float32Array(9), ob = new Float32Array(9);
    a.response(aoi, 5, 5, a.sigma(3, []), oa, new Float64Array(a.scratchSize(3)));
    b.response(aoi, 5, 5, b.sigma(3, []), ob, new Float64Array(b.scratchSize(3)));
    for (let p = 0; p < 9; p++) expect(oa[p] / ob[p]).toBeCloseTo(0.8 / (0.8 + 1e-5), 5);
  });

  it('agrees with the double-precision formula on a realistic expert (11x11, 7 neurons, window 9) to float precision', () => {
    const random = rng(11);
    const neurons = Array.from({ length: 7 }, (_, k) => ({
      neuronType: 0, normWeights: 5 + k, bias: -2 + k / 3, alpha: 0.3 + k / 10, width: 11, height: 11,
      weights: Float32Array.from({ length: 121 }, () => random() - 0.5),
    }));
    const expert = new CcnfExpertRuntime({ width: 11, height: 11, neurons, betas: new Float64Array(0), confidence: 1 });
    const aw = 19;
    const area = Float64Array.from({ length: aw * aw }, () => Math.fround(random() * 255));
    const out = new Float32Array(81);
    expert.response(area, aw, aw, expert.sigma(9, []), out, new Float64Array(expert.scratchSize(9)));
    const sumAlpha = neurons.reduce((s, n) => s + n.alpha, 0);
    for (let y = 0; y < 9; y++) {
      for (let x = 0; x < 9; x++) {
        const patch: number[] = [];
        for (let ky = 0; ky < 11; ky++) for (let kx = 0; kx < 11; kx++) patch.push(area[(y + ky) * aw + x + kx]);
        let act = 0;
        for (const n of neurons) act += (2 * n.alpha) / (1 + Math.exp(-neuronInput(patch, n.weights, n.normWeights, n.bias)));
        expect(out[y * 9 + x]).toBeCloseTo(act / (2 * sumAlpha), 5);
      }
    }
  });
});
