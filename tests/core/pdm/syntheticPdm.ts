import type { Pdm } from '../../../src/core/pdm/pdm.ts';
import { rng } from '../../helpers/rng.ts';
export { rng };


/**
 * A small PDM shaped like OpenFace's: `numPoints` points spread like a face
 * (mm, x/y ±60, z ±20), `eigenValues.length` orthonormal components (as in
 * OpenFace's file), variances `eigenValues`.
 */
export function syntheticPdm(numPoints = 12, eigenValues: readonly number[] = [400, 150, 60, 20], seed = 7): Pdm {
  const random = rng(seed);
  const n = numPoints, m = eigenValues.length, rows = 3 * n;
  const meanShape = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    meanShape[i] = (random() - 0.5) * 120;
    meanShape[i + n] = (random() - 0.5) * 120;
    meanShape[i + 2 * n] = (random() - 0.5) * 40;
  }
  return { numPoints: n, numModes: m, meanShape, princComp: orthonormalComponents(rows, m, random), eigenValues: Float64Array.from(eigenValues) };
}

/** `m` random orthonormal columns of length `rows` (Gram-Schmidt), as a PDM's rows x m princComp. */
export function orthonormalComponents(rows: number, m: number, random: () => number): Float64Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const c = Float64Array.from({ length: rows }, () => random() - 0.5);
    for (const prev of cols) {
      let d = 0;
      for (let r = 0; r < rows; r++) d += c[r] * prev[r];
      for (let r = 0; r < rows; r++) c[r] -= d * prev[r];
    }
    const norm = Math.hypot(...c);
    for (let r = 0; r < rows; r++) c[r] /= norm;
    cols.push(c);
  }
  const princComp = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) princComp[r * m + j] = cols[j][r];
  return princComp;
}

/** Local parameters within ±`sigmas` standard deviations of each mode. */
export function randomLocal(pdm: Pdm, random: () => number, sigmas = 1.5): Float64Array {
  return Float64Array.from(pdm.eigenValues, (e) => (random() * 2 - 1) * sigmas * Math.sqrt(e));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
