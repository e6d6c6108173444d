import { describe, expect, it } from 'vitest';
import {
  computeJacobian,
  computeJacobianT,
  fitPdm,
  initialGlobalParams,
  INVERT_PROJECTION,
  PdmFitter,
  updateModelParameters,
  visibleLandmarks,
} from '../../../src/core/pdm/fitPdm.ts';
import type { Pdm } from '../../../src/core/pdm/pdm.ts';
import { projectShape, shape3d } from '../../../src/core/pdm/shape.ts';
import { maxAbsDiff, randomLocal, rng, syntheticPdm } from './syntheticPdm.ts';

const pdm = syntheticPdm();

/** The objective CalcParams minimises: |landmarks - projection|² + Σ p_j² / λ_j. */
function objective(model: Pdm, landmarks: Float64Array, local: ArrayLike<number>, global: ArrayLike<number>): number {
  const proj = projectShape(model, local, global);
  let e = 0;
  for (let k = 0; k < proj.length; k++) e += (proj[k] - landmarks[k]) ** 2;
  for (let j = 0; j < model.numModes; j++) e += local[j] ** 2 / model.eigenValues[j];
  return e;
}

/** Known parameters: a face of about 100-300 px seen from a random pose. */
function randomCase(seed: number) {
  const random = rng(seed);
  const local = randomLocal(pdm, random, 1.5);
  const global = Float64Array.of(1 + random() * 2, (random() - 0.5) * 0.8, (random() - 0.5) * 1.0, (random() - 0.5) * 0.6, 200 + random() * 300, 150 + random() * 200);
  return { local, global, landmarks: projectShape(pdm, local, global) };
}

describe('computeJacobian (ComputeJacobian)', () => {
  it('matches finite differences, rotations taken as OpenFace updates them (R · R(δ))', () => {
    const { local, global } = randomCase(21);
    const J = computeJacobian(pdm, local, global);
    const P = 6 + pdm.numModes, rows = 2 * pdm.numPoints, h = 1e-6;
    for (let c = 0; c < P; c++) {
      const plus = perturbed(c, h), minus = perturbed(c, -h);
      const col = Array.from({ length: rows }, (_, r) => J[r * P + c]);
      const fd = Array.from({ length: rows }, (_, r) => (plus[r] - minus[r]) / (2 * h));
      const scale = Math.max(1, ...col.map(Math.abs));
      expect(maxAbsDiff(col, fd) / scale, `column ${c}`).toBeLessThan(1e-6);
    }
    function perturbed(c: number, d: number): Float64Array {
      const g = Float64Array.from(global), p = Float64Array.from(local);
      const delta = new Float64Array(6 + pdm.numModes);
      delta[c] = d;
      updateModelParameters(delta, p, g, pdm.numModes);
      return projectShape(pdm, p, g);
    }
  });

  it("rounds like OpenFace's float code in float32 mode", () => {
    const { local, global } = randomCase(22);
    const J32 = computeJacobian(pdm, local, global, 'float32');
    for (const v of J32) expect(Math.fround(v)).toBe(v);
    expect(maxAbsDiff(J32, computeJacobian(pdm, local, global))).toBeLessThan(1e-3);
  });

  it('computes only the six rigid columns with rigidOnly (ComputeRigidJacobian)', () => {
    const { local, global } = randomCase(23);
    const rows = 2 * pdm.numPoints, P = 6 + pdm.numModes;
    const full = new Float64Array(P * rows), rigid = new Float64Array(P * rows).fill(7);
    computeJacobianT(pdm, shape3d(pdm, local), global, Math.fround, full);
    computeJacobianT(pdm, shape3d(pdm, local), global, Math.fround, rigid, true);
    expect(Array.from(rigid.subarray(0, 6 * rows))).toEqual(Array.from(full.subarray(0, 6 * rows)));
    expect(rigid.subarray(6 * rows).every((v) => v === 7)).toBe(true);
  });
});

describe('visibleLandmarks and initialGlobalParams (the start of CalcParams)', () => {
  const { landmarks } = randomCase(24);
  const n = pdm.numPoints;
  const partial = Float64Array.from(landmarks);
  partial[0] = 0;
  partial[5] = 0;

  it('keeps the points whose x is not 0, with the matching PDM rows', () => {
    expect(visibleLandmarks(pdm, landmarks, 'test').pdm).toBe(pdm);
    const v = visibleLandmarks(pdm, partial, 'test');
    const k = n - 2;
    expect(v.pdm.numPoints).toBe(k);
    expect(v.landmarks[0]).toBe(landmarks[1]);
    expect(v.landmarks[k]).toBe(landmarks[n + 1]);
    expect(v.pdm.meanShape[0]).toBe(pdm.meanShape[1]);
    expect(v.pdm.meanShape[2 * k]).toBe(pdm.meanShape[2 * n + 1]);
    expect(() => visibleLandmarks(pdm, new Float64Array(2 * n), 'test')).toThrow(/test: no visible landmarks/);
  });

  it("takes the start box over the values it is given (the visible points, or OpenFace's misindexed full vector)", () => {
    const v = visibleLandmarks(pdm, partial, 'test');
    const proper = initialGlobalParams(v.pdm, v.landmarks, [0, 0, 0]);
    const openFace = initialGlobalParams(v.pdm, partial, [0, 0, 0]);
    const k = v.pdm.numPoints;
    const xs = Array.from(partial.subarray(0, k)), ys = Array.from(partial.subarray(k, 2 * k));
    expect(openFace[4]).toBe((Math.min(...xs) + Math.max(...xs)) / 2);
    expect(openFace[5]).toBe((Math.min(...ys) + Math.max(...ys)) / 2);
    expect(openFace[4]).not.toBe(proper[4]);
    expect(Array.from(initialGlobalParams(pdm, landmarks, [0.1, 0.2, 0.3]).subarray(1, 4))).toEqual([0.1, 0.2, 0.3]);
  });
});

describe('fitPdm with INVERT_PROJECTION', () => {
  it('recovers the parameters that produced the landmarks', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { local, global, landmarks } = randomCase(seed);
      const fit = fitPdm(pdm, landmarks, INVERT_PROJECTION);
      expect(maxAbsDiff(fit.paramsLocal, local), `seed ${seed}`).toBeLessThan(1e-7);
      expect(maxAbsDiff(fit.paramsGlobal.subarray(1, 4), global.subarray(1, 4))).toBeLessThan(1e-9);
      expect(Math.abs(fit.paramsGlobal[0] / global[0] - 1)).toBeLessThan(1e-10);
      expect(maxAbsDiff(fit.paramsGlobal.subarray(4), global.subarray(4))).toBeLessThan(1e-7);
      expect(fit.rmsError).toBeLessThan(1e-7);
      expect(fit.iterations).toBeLessThan(20);
    }
  });

  it('leaves out landmarks whose x is 0 (OpenFace: missing)', () => {
    const { local, global, landmarks } = randomCase(3);
    const holes = Float64Array.from(landmarks);
    holes[2] = 0;
    holes[7] = 0;
    holes[7 + pdm.numPoints] = -1000; // a y that must be ignored
    const fit = fitPdm(pdm, holes, INVERT_PROJECTION);
    expect(maxAbsDiff(fit.paramsLocal, local)).toBeLessThan(1e-6);
    expect(maxAbsDiff(fit.paramsGlobal.subarray(1, 4), global.subarray(1, 4))).toBeLessThan(1e-8);
  });
});

describe('fitPdm (OpenFace CalcParams defaults)', () => {
  it('fits the landmarks closely and lowers the regularised objective below the truth', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { local, global, landmarks } = randomCase(seed);
      const fit = fitPdm(pdm, landmarks);
      expect(fit.iterations).toBeGreaterThan(5);
      expect(fit.iterations).toBeLessThan(100);
      // Regularisation biases p towards 0 a little: residuals stay well under a pixel.
      expect(fit.rmsError, `seed ${seed}`).toBeLessThan(0.5);
      expect(maxAbsDiff(fit.paramsGlobal.subarray(1, 4), global.subarray(1, 4))).toBeLessThan(0.02);
      expect(objective(pdm, landmarks, fit.paramsLocal, fit.paramsGlobal)).toBeLessThan(objective(pdm, landmarks, local, global));
    }
  });

  it('float32 (OpenFace arithmetic) and float64 agree, and float32 keeps p in float', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { landmarks } = randomCase(seed);
      const a = fitPdm(pdm, landmarks, { precision: 'float32' });
      const b = fitPdm(pdm, landmarks);
      expect(a.iterations).toBe(b.iterations);
      expect(maxAbsDiff(a.paramsLocal, b.paramsLocal)).toBeLessThan(1e-4);
      expect(maxAbsDiff(a.paramsGlobal.subarray(1, 4), b.paramsGlobal.subarray(1, 4))).toBeLessThan(1e-6);
      for (const v of a.paramsLocal) expect(Math.fround(v)).toBe(v);
    }
  });

  it('pulls p towards 0 harder with a stronger regularisation', () => {
    const { landmarks } = randomCase(4);
    const norm = (p: Float64Array) => Math.hypot(...p);
    const weak = fitPdm(pdm, landmarks, { regularisation: 0.1 });
    const strong = fitPdm(pdm, landmarks, { regularisation: 100 });
    expect(norm(strong.paramsLocal)).toBeLessThan(norm(weak.paramsLocal));
  });

  it('starts from the given rotation and respects the iteration cap', () => {
    const { global, landmarks } = randomCase(5);
    const capped = fitPdm(pdm, landmarks, { maxIterations: 3 });
    expect(capped.iterations).toBe(3);
    const seeded = fitPdm(pdm, landmarks, { rotation: global.subarray(1, 4), maxIterations: 1, stepScale: 0 });
    expect(maxAbsDiff(seeded.paramsGlobal.subarray(1, 4), global.subarray(1, 4))).toBeLessThan(1e-12);
  });

  it('gives the same result through a PdmFitter and rejects a wrong landmark count', () => {
    const { landmarks } = randomCase(6);
    const a = new PdmFitter(pdm).fit(landmarks);
    const b = fitPdm(pdm, landmarks);
    expect(Array.from(a.paramsLocal)).toEqual(Array.from(b.paramsLocal));
    expect(() => fitPdm(pdm, landmarks.subarray(1))).toThrow(RangeError);
  });
});
