import { describe, expect, it } from 'vitest';
import { CcnfExpertRuntime } from '../../../src/core/clnf/ccnfResponse.ts';
import { normalEquations } from '../../../src/core/clnf/pdmOps.ts';
import { WasmKernels } from '../../../src/core/clnf/wasmKernels.ts';
import { rng } from './synthetic.ts';

const fr = Math.fround;

/** Pearson correlation of two equal-size arrays (TM_CCOEFF_NORMED for one position). */
function pearson(a: number[], b: ArrayLike<number>): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  let mb = 0;
  for (let i = 0; i < n; i++) mb += b[i] / n;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

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

describe('CCNF patch expert response', () => {
  // a 3x3 template, a 5x5 area, a 3x3 response window
  const template = [1, 2, 1, 0, 3, 0, -1, 2, -2];
  const neuron = { neuronType: 0, normWeights: 1.5, bias: -0.25, alpha: 0.8, width: 3, height: 3, weights: Float32Array.from(template) };
  const aoi = Float64Array.from([10, 20, 30, 40, 50, 12, 80, 22, 41, 9, 100, 3, 64, 7, 33, 5, 90, 18, 70, 2, 11, 44, 56, 25, 60]);

  it('is sigmoid(NCC) per position, times Sigma = (2(Σα I + β S))⁻¹, shifted to a zero minimum', () => {
    const beta = 0.5;
    const S = new Float32Array(81);
    for (let i = 0; i < 9; i++) S[i * 9 + i] = 1 + i / 4; // diagonal: Sigma is too
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [neuron], betas: Float64Array.of(beta), confidence: 1 });
    const sigma = expert.sigma(3, [S]);
    const out = new Float32Array(9);
    expert.response(aoi, 5, 5, sigma, out, new Float64Array(expert.scratchSize(3)));

    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const patch: number[] = [];
        for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) patch.push(aoi[(i + ky) * 5 + j + kx]);
        const ncc = pearson(patch, template);
        const act = (2 * neuron.alpha) / (1 + Math.exp(-(ncc * neuron.normWeights + neuron.bias)));
        const p = i * 3 + j;
        expected.push(act / (2 * (neuron.alpha + beta * (1 + p / 4))));
      }
    }
    const min = Math.min(...expected);
    expect(min).toBeGreaterThan(0); // all positive here: no shift
    for (let p = 0; p < 9; p++) expect(out[p]).toBeCloseTo(expected[p], 6);
  });

  it('shifts the map so its minimum is 0 when Sigma makes it negative', () => {
    // positive couplings in SigmaInv give Sigma negative off-diagonal entries
    const S = new Float32Array(81);
    for (let i = 0; i < 9; i++) for (let k = 0; k < 9; k++) S[i * 9 + k] = i === k ? 1 : 0.1;
    const sharp = { ...neuron, normWeights: 12, bias: -2 };
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [sharp], betas: Float64Array.of(1), confidence: 1 });
    const out = new Float32Array(9);
    expert.response(aoi, 5, 5, expert.sigma(3, [S]), out, new Float64Array(expert.scratchSize(3)));

    // expected: explicit inverse of 2(αI + S), applied to the activations, minus the minimum
    const M = Array.from({ length: 9 }, (_, i) => Array.from({ length: 9 }, (_, k) => 2 * ((i === k ? sharp.alpha : 0) + S[i * 9 + k])));
    const inv = invert(M);
    const act: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const patch: number[] = [];
        for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) patch.push(aoi[(i + ky) * 5 + j + kx]);
        act.push((2 * sharp.alpha) / (1 + Math.exp(-(pearson(patch, template) * sharp.normWeights + sharp.bias))));
      }
    }
    const raw = inv.map((row) => row.reduce((s, v, k) => s + v * act[k], 0));
    const min = Math.min(...raw);
    expect(min).toBeLessThan(0);
    expect(Math.min(...out)).toBe(0);
    for (let p = 0; p < 9; p++) expect(out[p]).toBeCloseTo(raw[p] - min, 5);
  });

  it('gives NCC = 1 everywhere for a constant template (OpenCV: zero template variance)', () => {
    const flat = { ...neuron, weights: new Float32Array(9).fill(3) };
    const expert = new CcnfExpertRuntime({ width: 3, height: 3, neurons: [flat], betas: new Float64Array(0), confidence: 1 });
    const out = new Float32Array(9);
    expert.response(aoi, 5, 5, expert.sigma(3, []), out, new Float64Array(expert.scratchSize(3)));
    const act = fr((2 * 0.8) / (1 + Math.exp(-(1 * 1.5 - 0.25))));
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

  const wasm = WasmKernels.create();
  it.skipIf(!wasm)('WebAssembly and TypeScript kernels give bit-identical responses (7 neurons, windows 3 to 11)', () => {
    const random = rng(11);
    const neurons = Array.from({ length: 7 }, (_, k) => ({
      neuronType: 0, normWeights: 5 + k, bias: -2 + k / 3, alpha: 0.3 + k / 10, width: 11, height: 11,
      weights: Float32Array.from({ length: 121 }, () => random() - 0.5),
    }));
    const expert = new CcnfExpertRuntime({ width: 11, height: 11, neurons, betas: new Float64Array(0), confidence: 1 });
    for (const win of [3, 7, 9, 11]) {
      const aw = win + 10;
      const area = Float64Array.from({ length: aw * aw }, () => fr(random() * 255));
      const sigma = expert.sigma(win, []);
      const js = new Float32Array(win * win), wa = new Float32Array(win * win);
      const scratch = new Float64Array(expert.scratchSize(win));
      expert.response(area, aw, aw, sigma, js, scratch, null);
      expert.response(area, aw, aw, sigma, wa, scratch, wasm);
      expect(Array.from(wa)).toEqual(Array.from(js));
    }
  });

  it.skipIf(!wasm)('WebAssembly and TypeScript normal equations agree bit for bit', () => {
    const random = rng(5);
    for (const [P, rows] of [[6, 136], [40, 136], [38, 102], [16, 12]]) {
      const A = Float64Array.from({ length: P * rows }, () => fr(random() - 0.5));
      const B = Float64Array.from({ length: P * rows }, () => fr(random() - 0.5));
      const h1 = new Float64Array(P * P), h2 = new Float64Array(P * P);
      normalEquations(A, B, rows, P, h1, null);
      normalEquations(A, B, rows, P, h2, wasm);
      expect(Array.from(h2)).toEqual(Array.from(h1));
      // and it is the product it claims to be
      let s = 0;
      for (let r = 0; r < rows; r++) s += A[(P - 1) * rows + r] * B[r];
      expect(h1[(P - 1) * P]).toBeCloseTo(s, 5);
    }
  });
});
