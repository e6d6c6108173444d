/**
 * OpenFace 2.2's gaze (GazeAnalyser EstimateGaze and GetGazeAngle), the CSV's
 * gaze_0_x..gaze_1_z and gaze_angle_x/y, from a frame's other outputs:
 *
 * - pupil: the mean of the eye part's first 8 3D landmarks (the iris ring);
 *   the gaze ray leaves the camera centre towards it;
 * - eyeball centre: midway between the eye's two corners among the 3D face
 *   landmarks (36 and 39 for left_eye_28, 42 and 45 for right_eye_28), moved
 *   by the head rotation applied to a fixed offset (0, -3.5, 7) mm;
 * - the ray's nearer intersection with a 12 mm sphere about that centre;
 *   the gaze vector is the unit vector from the centre to that point (a ray
 *   that misses aims at (0, 0, -1), as 2.2 does);
 * - the angles: atan2(x, -z) and atan2(y, -z) of the mean of the two eyes'
 *   vectors (not renormalised).
 *
 * Arithmetic as 2.2 compiles it: points are cv::Point3f (float), the means
 * and norms come from OpenCV in double, the rotation offset from OpenCV's
 * float gemm (sums in double), and the intersection in float except its
 * square root, which is the C library's double sqrt, so the step length
 * (-b - √disc) / 2 · a is evaluated in double before it is stored in a float
 * (the expression divides by 2 and then multiplies by a, i.e. by |ray|² ≈ 1,
 * a precedence slip in 2.2 that is kept). Measured against 2.2's CSVs:
 * from their eye and face 3D landmarks and pose, every gaze value comes out
 * bit-identical.
 *
 * FeatureExtraction writes gaze only for frames where the landmark
 * detection succeeded (zeros otherwise); that choice is the caller's.
 */
import * as pm from '../math/portableMath.ts';
import { euler2RotationMatrixF32 } from '../pdm/rotationFloat32.ts';

const fr = Math.fround;

/** Points per eye part model (2.2's 28-point eye models). */
export const EYE_POINTS = 28;
const FACE_POINTS = 68;
/** The iris ring: the first 8 landmarks of an eye part. */
const IRIS_POINTS = 8;
const EYEBALL_RADIUS = 12;
/** Eyeball centre offset from the mid-point of the eye corners, head frame (mm). */
const EYEBALL_OFFSET_Y = -3.5;
const EYEBALL_OFFSET_Z = 7.0;

/** Which eye: 0 = left_eye_28 (gaze_0), 1 = right_eye_28 (gaze_1). */
export type EyeIndex = 0 | 1;

/** the rotation of the head (module scratch) */
const headRotation = new Float64Array(9);

/**
 * The unit gaze vector (x, y, z, camera space, float values) of one eye.
 * `eyeLandmarks3d`: the CSV's 168 values (eye_lmk_X_0..55, Y.., Z..), eye
 * `eye`'s points at 28 · eye ..; `landmarks3d`: the 204 face values
 * (X_0..67, Y.., Z..); `pose`: pose_Tx..pose_Rz (only the rotation is used).
 */
export function gazeDirection(
  eyeLandmarks3d: ArrayLike<number>,
  landmarks3d: ArrayLike<number>,
  pose: ArrayLike<number>,
  eye: EyeIndex,
  out: Float64Array = new Float64Array(3),
): Float64Array {
  const eyeCount = eyeLandmarks3d.length / 3;
  if (eyeCount !== 2 * EYE_POINTS) throw new RangeError(`gazeDirection: ${eyeLandmarks3d.length} eye landmark values, expected ${6 * EYE_POINTS}`);
  if (landmarks3d.length !== 3 * FACE_POINTS) throw new RangeError(`gazeDirection: ${landmarks3d.length} face landmark values, expected ${3 * FACE_POINTS}`);

  // Pupil: cv::mean sums the floats in double (exactly, at these magnitudes) and scales by 1/8.
  const first = eye * EYE_POINTS;
  let sx = 0, sy = 0, sz = 0;
  for (let k = first; k < first + IRIS_POINTS; k++) {
    sx += fr(eyeLandmarks3d[k]);
    sy += fr(eyeLandmarks3d[eyeCount + k]);
    sz += fr(eyeLandmarks3d[2 * eyeCount + k]);
  }
  const px = fr(sx / IRIS_POINTS), py = fr(sy / IRIS_POINTS), pz = fr(sz / IRIS_POINTS);
  // Ray direction: Point3f divided by cv::norm (a double).
  const pupilNorm = Math.sqrt(px * px + py * py + pz * pz);
  const dx = fr(px / pupilNorm), dy = fr(py / pupilNorm), dz = fr(pz / pupilNorm);

  // Eyeball centre: corner mid-point (float) plus the rotated offset (double sums, stored float).
  const r = euler2RotationMatrixF32(fr(pose[3]), fr(pose[4]), fr(pose[5]), headRotation);
  const inner = 36 + 6 * eye, outer = 39 + 6 * eye;
  const centre = (axis: number): number => {
    const mid = fr((fr(landmarks3d[axis * FACE_POINTS + inner]) + fr(landmarks3d[axis * FACE_POINTS + outer])) / 2);
    const offset = fr(r[3 * axis] * 0 + r[3 * axis + 1] * EYEBALL_OFFSET_Y + r[3 * axis + 2] * EYEBALL_OFFSET_Z);
    return fr(mid + offset);
  };
  const cx = centre(0), cy = centre(1), cz = centre(2);

  // Ray (from the origin) against the sphere, in float; origin terms are zeros.
  const a = fr(fr(fr(dx * dx) + fr(dy * dy)) + fr(dz * dz));
  const b = fr(fr(fr(fr(2 * dx) * -cx) + fr(fr(2 * dy) * -cy)) + fr(fr(2 * dz) * -cz));
  const c = fr(fr(fr(fr(cx * cx) + fr(cy * cy)) + fr(cz * cz)) - EYEBALL_RADIUS * EYEBALL_RADIUS);
  const disc = fr(fr(b * b) - fr(fr(4 * a) * c));
  let hx = 0, hy = 0, hz = -1;
  if (!(disc < 0)) {
    const t = fr(((-b - Math.sqrt(disc)) / 2) * a);
    hx = fr(dx * t);
    hy = fr(dy * t);
    hz = fr(dz * t);
  }
  const gx = fr(hx - cx), gy = fr(hy - cy), gz = fr(hz - cz);
  const gazeNorm = Math.sqrt(gx * gx + gy * gy + gz * gz);
  out[0] = fr(gx / gazeNorm);
  out[1] = fr(gy / gazeNorm);
  out[2] = fr(gz / gazeNorm);
  return out;
}

/**
 * GetGazeAngle: (gaze_angle_x, gaze_angle_y) in radians, float values, from
 * the two eyes' gaze vectors (x, y, z each).
 */
export function gazeAngle(left: ArrayLike<number>, right: ArrayLike<number>, out: Float64Array = new Float64Array(2)): Float64Array {
  const x = fr(fr(left[0] + right[0]) / 2);
  const y = fr(fr(left[1] + right[1]) / 2);
  const z = fr(fr(left[2] + right[2]) / 2);
  out[0] = fr(pm.atan2(x, -z));
  out[1] = fr(pm.atan2(y, -z));
  return out;
}

/**
 * The CSV's 8 gaze values of a tracked frame: gaze_0_x..z (left_eye_28),
 * gaze_1_x..z (right_eye_28), gaze_angle_x, gaze_angle_y, from its 3D eye
 * landmarks (168 values), 3D face landmarks (204) and pose (6).
 */
export function gazeOutputs(eyeLandmarks3d: ArrayLike<number>, landmarks3d: ArrayLike<number>, pose: ArrayLike<number>): Float64Array {
  const out = new Float64Array(8);
  const left = gazeDirection(eyeLandmarks3d, landmarks3d, pose, 0, out.subarray(0, 3));
  const right = gazeDirection(eyeLandmarks3d, landmarks3d, pose, 1, out.subarray(3, 6));
  gazeAngle(left, right, out.subarray(6, 8));
  return out;
}
