import { describe, expect, it } from 'vitest';
import { calcParams, toFloat32Pdm, type Float32Pdm } from '../../../src/core/pdm/calcParams.ts';
import { projectShape } from '../../../src/core/pdm/shape.ts';
import { maxAbsDiff, randomLocal, rng, syntheticPdm } from './syntheticPdm.ts';

const pdm: Float32Pdm = toFloat32Pdm(syntheticPdm());

/** The objective CalcParams minimises: |landmarks - projection|² + Σ p_j² / λ_j. */
function objective(landmarks: Float64Array, local: ArrayLike<number>, global: ArrayLike<number>): number {
  const proj = projectShape(pdm, local, global);
  let e = 0;
  for (let k = 0; k < proj.length; k++) e += (proj[k] - landmarks[k]) ** 2;
  for (let j = 0; j < pdm.numModes; j++) e += local[j] ** 2 / pdm.eigenValues[j];
  return e;
}

/** Known parameters: a face of about 100-300 px seen from a moderate pose. */
function randomCase(seed: number) {
  const random = rng(seed);
  const local = randomLocal(pdm, random, 1.5);
  const global = Float64Array.of(1 + random() * 2, (random() - 0.5) * 0.6, (random() - 0.5) * 0.8, (random() - 0.5) * 0.5, 200 + random() * 300, 150 + random() * 200);
  return { local, global, landmarks: projectShape(pdm, local, global) };
}

function rms(landmarks: Float64Array, local: ArrayLike<number>, global: ArrayLike<number>): number {
  const proj = projectShape(pdm, local, global);
  let e = 0;
  for (let k = 0; k < proj.length; k++) e += (proj[k] - landmarks[k]) ** 2;
  return Math.sqrt(e / pdm.numPoints);
}

describe('toFloat32Pdm', () => {
  it('holds every value as a float, with 1/eigenvalue in float for the regularisation', () => {
    for (const v of [...pdm.meanShape, ...pdm.princComp, ...pdm.eigenValues, ...pdm.inverseEigenValues]) expect(Math.fround(v)).toBe(v);
    expect(pdm.inverseEigenValues[0]).toBe(Math.fround(1 / pdm.eigenValues[0]));
  });
});

describe('calcParams (OpenFace 2.2 PDM::CalcParams)', () => {
  it('fits the landmarks closely, below the regularised objective of the true parameters', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { local, global, landmarks } = randomCase(seed);
      const fit = calcParams(pdm, landmarks);
      expect(fit.iterations).toBeGreaterThan(3);
      expect(fit.iterations).toBeLessThan(100);
      // the regularisation biases p towards 0 a little: residuals stay well under a pixel
      expect(rms(landmarks, fit.paramsLocal, fit.paramsGlobal), `seed ${seed}`).toBeLessThan(0.5);
      expect(maxAbsDiff(fit.paramsGlobal.subarray(1, 4), global.subarray(1, 4))).toBeLessThan(0.02);
      expect(objective(landmarks, fit.paramsLocal, fit.paramsGlobal)).toBeLessThan(objective(landmarks, local, global));
    }
  });

  it('keeps every parameter a float32 value, and gives the same bits on a second call', () => {
    const { landmarks } = randomCase(7);
    const a = calcParams(pdm, landmarks);
    for (const v of [...a.paramsGlobal, ...a.paramsLocal]) expect(Math.fround(v)).toBe(v);
    const b = calcParams(pdm, landmarks);
    expect(Array.from(b.paramsGlobal)).toEqual(Array.from(a.paramsGlobal));
    expect(Array.from(b.paramsLocal)).toEqual(Array.from(a.paramsLocal));
  });

  it('leaves out landmarks whose x is 0 (missing, as OpenFace marks them)', () => {
    const { landmarks } = randomCase(3);
    const holes = Float64Array.from(landmarks);
    holes[2] = 0;
    holes[7] = 0;
    holes[7 + pdm.numPoints] = -1000; // a y that must be ignored
    const full = calcParams(pdm, landmarks);
    const fit = calcParams(pdm, holes);
    // fewer points, the same face: close to the full fit, and the visible points still fit
    expect(maxAbsDiff(fit.paramsGlobal.subarray(1, 4), full.paramsGlobal.subarray(1, 4))).toBeLessThan(0.02);
    const proj = projectShape(pdm, fit.paramsLocal, fit.paramsGlobal);
    for (let i = 0; i < pdm.numPoints; i++) {
      if (i === 2 || i === 7) continue;
      expect(Math.hypot(proj[i] - landmarks[i], proj[i + pdm.numPoints] - landmarks[i + pdm.numPoints])).toBeLessThan(2);
    }
    expect(() => calcParams(pdm, new Float64Array(2 * pdm.numPoints))).toThrow(/no visible landmarks/);
  });

  it('rejects a wrong landmark count', () => {
    const { landmarks } = randomCase(6);
    expect(() => calcParams(pdm, landmarks.subarray(1))).toThrow(RangeError);
  });
});
