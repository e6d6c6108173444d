/**
 * How far one frame's mirror can be trusted. Mirroring assumes a frontal
 * face: with the head turned (yaw), one half of the face is foreshortened
 * and the reflection of the nearer half is not the other half. The desktop
 * tool's banner grades |yaw| <= 3 deg optimal, <= 5 deg acceptable, above
 * "mirroring affected"; the flag follows it (ok up to 5 deg).
 */
export type MirrorFlag = 'ok' | 'yaw' | 'face-lost';

/** The banner's grade: optimal / acceptable (flag ok), affected (flag yaw), face lost. */
export type MirrorGrade = 'optimal' | 'acceptable' | 'affected' | 'lost';

export const OPTIMAL_YAW_DEGREES = 3;
export const ACCEPTABLE_YAW_DEGREES = 5;
/** yaw at which the score reaches 0 */
const ZERO_SCORE_YAW_DEGREES = 20;
/** midline residual (fraction of the inter-ocular distance) at which the fit's factor reaches 0 */
const ZERO_SCORE_RESIDUAL = 0.15;

export interface MirrorQuality {
  /** head pose in degrees (NaN when unknown: no face, or no OpenFace models) */
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  readonly flag: MirrorFlag;
  readonly grade: MirrorGrade;
  /**
   * 0..1: the tracker's confidence, times a yaw factor (1 up to 3 deg, falling
   * linearly to 0 at 20 deg), times a fit factor (1 - midline RMS residual /
   * (0.15 x inter-ocular distance)); 0 for a lost face.
   */
  readonly score: number;
}

const DEG = 180 / Math.PI;

/**
 * `midlineResidual`: the fit's RMS residual (pixels), `interOcular` in pixels.
 * `pose`: OpenFace's pose_Tx..pose_Rz (radians; Rx pitch, Ry yaw, Rz roll),
 * or null (no models: the yaw is unknown and only the fit grades the frame).
 */
export function mirrorQuality(found: boolean, pose: ArrayLike<number> | null, confidence: number, midlineResidual: number, interOcular: number): MirrorQuality {
  if (!found) return { yaw: Number.NaN, pitch: Number.NaN, roll: Number.NaN, flag: 'face-lost', grade: 'lost', score: 0 };
  const yaw = pose ? pose[4] * DEG : Number.NaN;
  const pitch = pose ? pose[3] * DEG : Number.NaN;
  const roll = pose ? pose[5] * DEG : Number.NaN;
  const absYaw = Math.abs(yaw);
  const flag: MirrorFlag = absYaw > ACCEPTABLE_YAW_DEGREES ? 'yaw' : 'ok';
  const grade: MirrorGrade = Number.isNaN(yaw) || absYaw <= OPTIMAL_YAW_DEGREES ? (Number.isNaN(yaw) ? 'acceptable' : 'optimal') : absYaw <= ACCEPTABLE_YAW_DEGREES ? 'acceptable' : 'affected';
  const yawFactor = Number.isNaN(yaw) ? 1 : clamp01(1 - (absYaw - OPTIMAL_YAW_DEGREES) / (ZERO_SCORE_YAW_DEGREES - OPTIMAL_YAW_DEGREES));
  const fitFactor = interOcular > 0 ? clamp01(1 - midlineResidual / (ZERO_SCORE_RESIDUAL * interOcular)) : 0;
  return { yaw, pitch, roll, flag, grade, score: clamp01(confidence) * yawFactor * fitFactor };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : Number.isNaN(v) ? 0 : v;
}
