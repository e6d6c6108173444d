import type { Pdm } from '../../src/core/pdm/pdm.ts';

/**
 * A one-point, one-mode PDM for AU-engine tests: its geometry features
 * are [1p, 2p, 3p, p] (the x, y, z offsets, then p itself).
 */
export const ONE_POINT_PDM: Pdm = {
  numPoints: 1,
  numModes: 1,
  meanShape: Float64Array.from([0, 0, 0]),
  princComp: Float64Array.from([1, 2, 3]),
  eigenValues: Float64Array.from([1]),
};
