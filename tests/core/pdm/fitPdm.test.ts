import { describe, expect, it } from 'vitest';
/** The 1.x PDM pieces the CLNF tracker builds on (../../../src/core/pdm/fitPdm.ts). */
import {
  computeJacobian,
  computeJacobianT,
  initialGlobalParams,
  updateModelParameters,
  visibleLandmarks,
} from '../../../src/core/pdm/fitPdm.ts';
import { projectShape, shape3d } from '../../../src/core/pdm/shape.ts';
import { maxAbsDiff, randomLocal, rng, syntheticPdm } from './syntheticPdm.ts';

const pdm = syntheticPdm();

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
