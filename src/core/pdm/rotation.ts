/**
 * Rotation conversions as OpenFace 1.x does them (LandmarkDetectorUtils.cpp)
 * and OpenCV's `Rodrigues`, which OpenFace uses for axis-angle. Angles are
 * radians; a rotation matrix is a row-major Float64Array(9); Euler angles
 * are (rx, ry, rz) = (pitch, yaw, roll), the order of params_global[1..3].
 */

import { mat3Identity, mat3Mul, mat3Transpose, svd3Into, type Mat3 } from './linalg.ts';
import * as pm from '../math/portableMath.ts';

/**
 * OpenFace's `Euler2RotationMatrix`: R = Rx(rx) * Ry(ry) * Rz(rz), each a
 * right-handed rotation about a fixed axis (the "XYZ convention" of its
 * comment). Entries are written with OpenFace's own expressions so the
 * rounding is the same.
 */
export function euler2RotationMatrix(rx: number, ry: number, rz: number, out: Mat3 = new Float64Array(9)): Mat3 {
  const s1 = pm.sin(rx), s2 = pm.sin(ry), s3 = pm.sin(rz);
  const c1 = pm.cos(rx), c2 = pm.cos(ry), c3 = pm.cos(rz);
  out[0] = c2 * c3;
  out[1] = -c2 * s3;
  out[2] = s2;
  out[3] = c1 * s3 + c3 * s1 * s2;
  out[4] = c1 * c3 - s1 * s2 * s3;
  out[5] = -c2 * s1;
  out[6] = s1 * s3 - c1 * c3 * s2;
  out[7] = c3 * s1 + c1 * s2 * s3;
  out[8] = c1 * c2;
  return out;
}

/**
 * OpenFace's `RotationMatrix2Euler`: goes through the unit quaternion of R
 * and returns (rx, ry, rz) = (pitch, yaw, roll). Like OpenFace it assumes
 * 1 + trace(R) > 0 (rotations below 180 degrees) and ry within ±90 degrees.
 */
export function rotationMatrix2Euler(r: Mat3, out: Float64Array = new Float64Array(3)): Float64Array {
  const q0 = Math.sqrt(1 + r[0] + r[4] + r[8]) / 2.0;
  const q1 = (r[7] - r[5]) / (4.0 * q0);
  const q2 = (r[2] - r[6]) / (4.0 * q0);
  const q3 = (r[3] - r[1]) / (4.0 * q0);
  const yaw = pm.asin(2.0 * (q0 * q2 + q1 * q3));
  const pitch = pm.atan2(2.0 * (q0 * q1 - q2 * q3), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3);
  const roll = pm.atan2(2.0 * (q0 * q3 - q1 * q2), q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3);
  out[0] = pitch;
  out[1] = yaw;
  out[2] = roll;
  return out;
}

/**
 * OpenCV's `Rodrigues` from a rotation vector (axis * angle) to a matrix:
 * R = cos θ I + (1 - cos θ) k kᵀ + sin θ [k]×. Below DBL_EPSILON the
 * identity is returned, as OpenCV does.
 */
export function axisAngle2RotationMatrix(axisAngle: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  let rx = axisAngle[0], ry = axisAngle[1], rz = axisAngle[2];
  const theta = Math.sqrt(rx * rx + ry * ry + rz * rz);
  if (theta < 2.220446049250313e-16) {
    out.set(mat3Identity());
    return out;
  }
  const c = pm.cos(theta), s = pm.sin(theta), c1 = 1 - c;
  const itheta = 1 / theta;
  rx *= itheta; ry *= itheta; rz *= itheta;
  // OpenCV: c * I + c1 * r rᵀ + s * [r]x, summed entry by entry in that order.
  out[0] = c + c1 * (rx * rx);
  out[1] = c1 * (rx * ry) + s * -rz;
  out[2] = c1 * (rx * rz) + s * ry;
  out[3] = c1 * (rx * ry) + s * rz;
  out[4] = c + c1 * (ry * ry);
  out[5] = c1 * (ry * rz) + s * -rx;
  out[6] = c1 * (rx * rz) + s * -ry;
  out[7] = c1 * (ry * rz) + s * rx;
  out[8] = c + c1 * (rz * rz);
  return out;
}

/**
 * OpenCV's `Rodrigues` from a matrix to a rotation vector. The matrix is
 * first replaced by the nearest orthogonal one (U Vᵀ of its SVD), then the
 * angle comes from the trace and the axis from the skew-symmetric part.
 * OpenCV's quirk is kept: when sin θ < 1e-5 and cos θ > 0 (rotations under
 * about 1e-5 rad) the result is exactly zero.
 */
export function rotationMatrix2AxisAngle(m: Mat3, out: Float64Array = new Float64Array(3)): Float64Array {
  const u = aaU, v = aaV;
  svd3Into(m, u, aaW, v);
  const r = mat3Mul(u, mat3Transpose(v, aaVt), aaR);
  let x = r[7] - r[5], y = r[2] - r[6], z = r[3] - r[1];
  const s = Math.sqrt((x * x + y * y + z * z) * 0.25);
  let c = (r[0] + r[4] + r[8] - 1) * 0.5;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  let theta = pm.acos(c);
  if (s < 1e-5) {
    if (c > 0) return out.fill(0);
    // A half turn: the axis comes from the diagonal, signs from off-diagonals.
    let t = (r[0] + 1) * 0.5;
    x = Math.sqrt(Math.max(t, 0));
    t = (r[4] + 1) * 0.5;
    y = Math.sqrt(Math.max(t, 0)) * (r[1] < 0 ? -1 : 1);
    t = (r[8] + 1) * 0.5;
    z = Math.sqrt(Math.max(t, 0)) * (r[2] < 0 ? -1 : 1);
    if (Math.abs(x) < Math.abs(y) && Math.abs(x) < Math.abs(z) && r[5] > 0 !== y * z > 0) z = -z;
    theta /= Math.sqrt(x * x + y * y + z * z);
    out[0] = x * theta;
    out[1] = y * theta;
    out[2] = z * theta;
    return out;
  }
  const vth = (1 / (2 * s)) * theta;
  out[0] = x * vth;
  out[1] = y * vth;
  out[2] = z * vth;
  return out;
}

// rotationMatrix2AxisAngle's intermediates (module scratch: the PDM update
// calls it every iteration and should not allocate)
const aaU = new Float64Array(9);
const aaV = new Float64Array(9);
const aaW = new Float64Array(3);
const aaVt = new Float64Array(9);
const aaR = new Float64Array(9);
const a2eR = new Float64Array(9);

/** OpenFace's `Euler2AxisAngle`: via the rotation matrix and Rodrigues. */
export function euler2AxisAngle(rx: number, ry: number, rz: number): Float64Array {
  return rotationMatrix2AxisAngle(euler2RotationMatrix(rx, ry, rz));
}

/** OpenFace's `AxisAngle2Euler`: via Rodrigues and `RotationMatrix2Euler`. */
export function axisAngle2Euler(axisAngle: ArrayLike<number>, out: Float64Array = new Float64Array(3)): Float64Array {
  return rotationMatrix2Euler(axisAngle2RotationMatrix(axisAngle, a2eR), out);
}
