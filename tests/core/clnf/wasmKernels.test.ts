import { describe, expect, it } from 'vitest';
import { getQuadrangleSubPix } from '../../../src/core/clnf/areaOfInterest.ts';
import { CcnfExpertRuntime } from '../../../src/core/clnf/ccnfResponse.ts';
import { buildKdeTable, meanShifts } from '../../../src/core/clnf/meanShift.ts';
import { regularisedStep } from '../../../src/core/clnf/pdmOps.ts';
import { invertSpdDouble } from '../../../src/core/clnf/smallLinalg.ts';
import { WasmKernels } from '../../../src/core/clnf/wasmKernels.ts';
import { computeJacobianT } from '../../../src/core/pdm/fitPdm.ts';
import { shape3d } from '../../../src/core/pdm/shape.ts';
import { randomLocal, syntheticPdm } from '../pdm/syntheticPdm.ts';
import { rng } from './synthetic.ts';

/**
 * Every WebAssembly kernel of the CLNF fit against the TypeScript code it
 * replaces: the results must be the same bits (the tracker's landmarks are
 * compared that way too, in reference.test.ts and tracker.test.ts).
 */
const fr = Math.fround;
const wasm = WasmKernels.create();

/** Object.is over the entries: NaN equals NaN, 0 and -0 differ */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The textbook row-by-row Cholesky inverse that invertSpdDouble reorders (the reference for its bits). */
function invertRowByRow(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    Li[i * n + i] = 1 / L[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = s / L[i * n + i];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  return out;
}

function randomSpd(n: number, random: () => number): Float64Array {
  const B = Float64Array.from({ length: n * n }, () => random() - 0.5);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.01 : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k] * B[j * n + k];
      A[i * n + j] = s;
    }
  }
  return A;
}

describe('symmetric positive definite inverse (CCNF Sigma)', () => {
  it('reordered for speed, gives the bits of the row-by-row algorithm', () => {
    const random = rng(21);
    for (let n = 1; n <= 30; n++) {
      const A = randomSpd(n, random);
      expect(sameBits(invertSpdDouble(A, n), invertRowByRow(A, n))).toBe(true);
    }
  });

  it.skipIf(!wasm)('in WebAssembly gives the same bits, and null when the matrix is not positive definite', () => {
    const random = rng(22);
    for (const n of [1, 2, 3, 5, 8, 9, 25, 49, 81, 121]) {
      const A = randomSpd(n, random);
      expect(sameBits(wasm!.invertSpd(A, n) ?? [], invertSpdDouble(A, n))).toBe(true);
      const B = Float64Array.from(A);
      B[(n - 1) * (n + 1)] = -1;
      expect(wasm!.invertSpd(B, n)).toBeNull();
    }
  });
});

describe.skipIf(!wasm)('WebAssembly CLNF kernels against their TypeScript versions', () => {
  const w = wasm!;

  it('solve: the regularised Gauss-Newton step (g, normal equations, float Cholesky), failures included', () => {
    const random = rng(23);
    let failures = 0;
    for (const [P, rows] of [[40, 136], [38, 102], [16, 12], [6, 136], [7, 10], [9, 20], [11, 4]]) {
      for (let t = 0; t < 40; t++) {
        const m = P - 6;
        const JT = Float64Array.from({ length: P * rows }, () => fr((random() - 0.5) * 20));
        const JwT = t % 2 === 0 ? JT : Float64Array.from(JT, (x) => fr(x * fr(random() * 3)));
        const v = Float64Array.from({ length: rows }, () => fr(random() - 0.5));
        // no regularisation now and then: singular normal equations, a failing factorisation
        const reg = Float64Array.from({ length: m }, () => (t % 5 === 0 ? 0 : fr(random())));
        const loc = Float64Array.from({ length: m }, () => fr(random() - 0.5));
        const g1 = new Float64Array(P), g2 = new Float64Array(P);
        const ok1 = regularisedStep(JwT, JT, v, reg, loc, rows, P, new Float64Array(P * P), g1, null);
        const ok2 = regularisedStep(JwT, JT, v, reg, loc, rows, P, new Float64Array(P * P), g2, w);
        expect(ok2).toBe(ok1);
        if (ok1) expect(sameBits(g2, g1)).toBe(true);
        else failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('shape3d and the Jacobian (rigid and full; even and odd point counts)', () => {
    const random = rng(24);
    for (const [n, eig] of [[12, [400, 150, 60, 20]], [13, [300, 100, 50]], [7, [90, 30, 10, 5, 2]]] as const) {
      const pdm = syntheticPdm(n, eig, n);
      expect(w.preparePdm(pdm)).toBe(true);
      for (let t = 0; t < 20; t++) {
        const loc = Float64Array.from(randomLocal(pdm, random), fr);
        const glob = Float64Array.of(0.5 + random() * 3, random() - 0.5, random() - 0.5, random() - 0.5, 300 * random(), 200 * random());
        const s3 = shape3d(pdm, loc);
        expect(sameBits(w.shape3d(pdm, loc), s3)).toBe(true);
        for (const rigid of [false, true]) {
          const P = rigid ? 6 : 6 + pdm.numModes, rows = 2 * n;
          const JT = new Float64Array(P * rows);
          computeJacobianT(pdm, s3, glob, fr, JT, rigid);
          w.jacobian(pdm, glob, rigid);
          expect(sameBits(w.matrix(1, P, rows), JT)).toBe(true);
        }
      }
    }
  });

  it('a landmark response in one call (area, statistics, correlations, activations, Sigma, minimum), borders included', () => {
    const random = rng(25);
    const W = 60, H = 50;
    const image = { data: Uint8Array.from({ length: W * H }, () => Math.floor(random() * 256)), width: W, height: H };
    w.useImage(image);
    for (const count of [7, 6, 1]) {
      const neurons = Array.from({ length: count }, (_, k) => ({
        neuronType: 0, normWeights: 3 + k, bias: -1 + k / 4, alpha: 0.2 + k / 8, width: 11, height: 11,
        weights: Float32Array.from({ length: 121 }, () => random() - 0.5),
      }));
      const expert = new CcnfExpertRuntime({ width: 11, height: 11, neurons, betas: Float64Array.of(0.3, 0.1), confidence: 1 });
      for (const win of [3, 5, 7, 9, 11]) {
        const n = win * win;
        // a sigma component that couples neighbours, so that Sigma is a full matrix
        const S = new Float32Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = i === j ? 1 : Math.abs(i - j) === 1 ? -0.2 : 0;
        const sigma = expert.sigma(win, [S, S], w);
        expect(sameBits(sigma, expert.sigma(win + 0, [S, S], null))).toBe(true);
        const aw = win + 10;
        for (let t = 0; t < 10; t++) {
          const angle = (random() - 0.5) * 0.6, scale = 0.7 + random() * 0.8;
          const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
          const cx = -5 + random() * (W + 10), cy = -5 + random() * (H + 10);
          const area = new Float64Array(aw * aw);
          getQuadrangleSubPix(image.data, W, H, c, -s, cx, s, c, cy, area, aw, aw);
          const js = new Float32Array(n), wa = new Float32Array(n);
          expert.response(area, aw, aw, sigma, js, new Float64Array(expert.scratchSize(win)), null);
          expect(expert.fitsWasm(w, aw, aw)).toBe(true);
          expert.responseInWasm(w, W, H, c, -s, cx, s, c, cy, win, sigma, wa, t);
          expect(sameBits(wa, js)).toBe(true);
        }
      }
    }
  });

  it('the mean shifts of the maps left in the response slots (clamped, invisible and NaN positions included)', () => {
    const random = rng(26);
    const W = 40, H = 40;
    w.useImage({ data: Uint8Array.from({ length: W * H }, () => Math.floor(random() * 256)), width: W, height: H });
    const neurons = [{ neuronType: 0, normWeights: 4, bias: 0.5, alpha: 0.7, width: 11, height: 11, weights: Float32Array.from({ length: 121 }, () => random() - 0.5) }];
    const expert = new CcnfExpertRuntime({ width: 11, height: 11, neurons, betas: new Float64Array(0), confidence: 1 });
    for (const win of [3, 5, 7, 9, 11]) {
      const n = 20;
      const responses = Array.from({ length: n }, () => new Float32Array(win * win));
      const sigma = expert.sigma(win, [], w);
      for (let i = 0; i < n; i++) expert.responseInWasm(w, W, H, 1, 0, 10 + random() * 20, 0, 1, 10 + random() * 20, win, sigma, responses[i], i);
      const table = buildKdeTable(win, fr(-0.5 / (1.5 * 1.5)));
      const kde = w.store32(table.values);
      const dxs = Float64Array.from({ length: n }, () => fr(-1 + random() * (win + 2)));
      const dys = Float64Array.from({ length: n }, () => fr(-1 + random() * (win + 2)));
      dxs[3] = NaN;
      const visible = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 5 ? 0 : 1));
      const a = new Float64Array(2 * n), b = new Float64Array(2 * n);
      meanShifts(table, responses, dxs, dys, visible, a);
      w.meanShifts(kde, win, dxs, dys, visible, b);
      // (NaN payloads aside: a NaN position gives NaN in both)
      expect(Array.from(b, (x) => (Number.isNaN(x) ? 'NaN' : x))).toEqual(Array.from(a, (x) => (Number.isNaN(x) ? 'NaN' : x)));
    }
  });
});
