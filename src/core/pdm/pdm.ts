import { ModelFormatError } from '../errors.ts';
import { parseTextMatrices } from '../model/cvTextMatrix.ts';

/**
 * OpenFace's point distribution model: a 3D shape is
 * meanShape + princComp * params_local, points stored as all x, then all y,
 * then all z (OpenFace's layout).
 */
export interface Pdm {
  readonly numPoints: number;
  readonly numModes: number;
  /** 3 * numPoints values: x_0..x_n-1, y_0.., z_0.. */
  readonly meanShape: Float64Array;
  /** (3 * numPoints) x numModes, row-major */
  readonly princComp: Float64Array;
  /** numModes variances */
  readonly eigenValues: Float64Array;
}

/** Parses `In-the-wild_aligned_PDM_68.txt` (mean shape, components, eigenvalues). */
export function parsePdm(text: string, source = 'PDM file'): Pdm {
  const matrices = parseTextMatrices(text, source);
  if (matrices.length !== 3) throw new ModelFormatError(`${source}: expected 3 matrices (mean, components, eigenvalues), found ${matrices.length}`);
  const [mean, comps, eig] = matrices;
  if (mean.cols !== 1 || mean.rows % 3 !== 0) throw new ModelFormatError(`${source}: the mean shape must be a 3n x 1 column, got ${mean.rows}x${mean.cols}`);
  if (comps.rows !== mean.rows) throw new ModelFormatError(`${source}: components have ${comps.rows} rows, the mean shape ${mean.rows}`);
  if (eig.rows * eig.cols !== comps.cols) throw new ModelFormatError(`${source}: ${eig.rows * eig.cols} eigenvalues for ${comps.cols} components`);
  return {
    numPoints: mean.rows / 3,
    numModes: comps.cols,
    meanShape: mean.data,
    princComp: comps.data,
    eigenValues: eig.data,
  };
}

/** Parses a triangulation file (`tris_68_full.txt`): n x 3 vertex indices. */
export function parseTriangulation(text: string, source = 'triangulation file'): Int32Array {
  const matrices = parseTextMatrices(text, source);
  if (matrices.length !== 1 || matrices[0].cols !== 3) throw new ModelFormatError(`${source}: expected one n x 3 matrix of vertex indices`);
  return Int32Array.from(matrices[0].data);
}
