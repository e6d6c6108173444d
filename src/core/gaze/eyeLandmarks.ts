/**
 * The CSV's 56 eye landmarks (eye_lmk_x/y_0..55 and eye_lmk_X/Y/Z_0..55)
 * from the final state of the CLNF's two 28-point eye part models, as
 * OpenFace 2.2 assembles them (LandmarkDetectorUtils CalculateAllEyeLandmarks
 * and Calculate3DEyeLandmarks): the part models are visited in the order the
 * main model file lists them and only those named 'left_eye_28' and
 * 'right_eye_28' are kept. main_clnf_general.txt lists inner, left_eye_28,
 * right_eye_28, so points 0..27 are left_eye_28 (the eye of face landmarks
 * 36-41, on the image's left) and 28..55 right_eye_28 (face landmarks 42-47).
 *
 * Each part's 2D landmarks are its own detected landmarks (its PDM projected
 * with its parameters after its fit), not the face model's; its 3D landmarks
 * are CLNF::GetShape of the part (shapeInCamera.ts) with the part's PDM.
 */
import type { Pdm } from '../pdm/pdm.ts';
import type { CameraIntrinsics } from '../pose/camera.ts';
import { shapeInCamera } from '../pose/shapeInCamera.ts';

/** The part model names whose landmarks make up the CSV's eye landmarks. */
export const EYE_PART_NAMES: readonly string[] = ['left_eye_28', 'right_eye_28'];

/** One hierarchical part model after a frame's fit (the tracker's ClnfPartState fits this). */
export interface FittedPart {
  /** OpenFace's part name ('inner', 'left_eye_28', 'right_eye_28', ...) */
  readonly name: string;
  /** 2n values: x_0..x_n-1, y_0..y_n-1 (pixels) */
  readonly landmarks: ArrayLike<number>;
  /** [scale, rx, ry, rz, tx, ty] */
  readonly paramsGlobal: ArrayLike<number>;
  readonly paramsLocal: ArrayLike<number>;
}

/** A part model's PDM by part name (the tracker's partPdm). */
export type PartPdmLookup = (name: string) => Pdm | undefined;

function eyeParts(parts: readonly FittedPart[]): FittedPart[] {
  return parts.filter((part) => EYE_PART_NAMES.includes(part.name));
}

/**
 * eye_lmk_x_0..N-1 then eye_lmk_y_0..N-1 (pixels, float values) of the eye
 * parts in `parts` (given in the model file's order), N = their points
 * together (56 with 2.2's eye models); null when there is no eye part.
 */
export function eyeLandmarks2d(parts: readonly FittedPart[]): Float64Array | null {
  const eyes = eyeParts(parts);
  const total = eyes.reduce((sum, part) => sum + part.landmarks.length / 2, 0);
  if (total === 0) return null;
  const out = new Float64Array(2 * total);
  let at = 0;
  for (const part of eyes) {
    const n = part.landmarks.length / 2;
    for (let i = 0; i < n; i++) {
      out[at + i] = Math.fround(part.landmarks[i]);
      out[total + at + i] = Math.fround(part.landmarks[n + i]);
    }
    at += n;
  }
  return out;
}

/**
 * eye_lmk_X_0..N-1, eye_lmk_Y_.., eye_lmk_Z_.. (mm, camera space, float
 * values) of the eye parts in `parts`, each part's landmarks taken back to
 * 3D with its own PDM (`partPdm`) and parameters through `camera`; null when
 * there is no eye part.
 */
export function eyeLandmarks3d(parts: readonly FittedPart[], partPdm: PartPdmLookup, camera: CameraIntrinsics): Float64Array | null {
  const eyes = eyeParts(parts).map((part) => {
    const pdm = partPdm(part.name);
    if (!pdm) throw new RangeError(`eyeLandmarks3d: no PDM for the part '${part.name}'`);
    return { part, pdm };
  });
  const total = eyes.reduce((sum, { pdm }) => sum + pdm.numPoints, 0);
  if (total === 0) return null;
  const out = new Float64Array(3 * total);
  let at = 0;
  for (const { part, pdm } of eyes) {
    const n = pdm.numPoints;
    const shape = shapeInCamera(pdm, part.landmarks, part.paramsGlobal, part.paramsLocal, camera);
    for (let axis = 0; axis < 3; axis++) out.set(shape.subarray(axis * n, (axis + 1) * n), axis * total + at);
    at += n;
  }
  return out;
}
