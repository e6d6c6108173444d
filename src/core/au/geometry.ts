import type { Pdm } from '../pdm/pdm.ts';

/**
 * The geometry part of OpenFace's AU feature vector (FaceAnalyser::AddNextFrame):
 * the non-rigid shape offset from the mean, princ_comp * params_local
 * (3n values in the PDM's layout: x_0..x_n-1, y_0.., z_0..), followed by the
 * m params_local themselves. 204 + 34 = 238 values for the 68-point PDM.
 * Neither the mean shape nor the rigid parameters enter it.
 */
export function geometryFeatureLength(pdm: Pdm): number {
  return 3 * pdm.numPoints + pdm.numModes;
}

/**
 * Writes the geometry features of `paramsLocal` into `out` (allocated when
 * omitted) and returns it. OpenFace zeroes params_local on frames where
 * tracking failed, which makes these features all zero: callers pass zeros
 * (or use `out.fill(0)`) for such frames.
 */
export function computeGeometryFeatures(pdm: Pdm, paramsLocal: ArrayLike<number>, out?: Float64Array): Float64Array {
  const rows = 3 * pdm.numPoints;
  const modes = pdm.numModes;
  if (paramsLocal.length !== modes) throw new RangeError(`geometry: ${paramsLocal.length} local parameters, the PDM has ${modes} modes`);
  const result = out ?? new Float64Array(rows + modes);
  if (result.length !== rows + modes) throw new RangeError(`geometry: output holds ${result.length} values, needs ${rows + modes}`);
  const pc = pdm.princComp;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const base = r * modes;
    for (let j = 0; j < modes; j++) sum += pc[base + j] * paramsLocal[j];
    result[r] = sum;
  }
  for (let j = 0; j < modes; j++) result[rows + j] = paramsLocal[j];
  return result;
}
