/**
 * Rotation arithmetic in float32, as OpenFace 2.2 does it (RotationHelpers.h
 * works on cv::Matx33f / cv::Vec3f, PDM::Orthonormalise on a float SVD).
 * Every value OpenFace keeps in a float goes through Math.fround, so the
 * results are OpenFace's float bits, not a double approximation of them.
 *
 * Matrices are row-major Float64Arrays of 9 float32 values.
 */
import * as pm from '../math/portableMath.ts';
import { axisAngle2RotationMatrix } from './rotation.ts';
import { jacobiSvd } from './jacobiSvd.ts';

const fr = Math.fround;

/**
 * Euler angles (rx, ry, rz) to R = Rx Ry Rz in float: the sines and cosines
 * are float (glibc's sinf/cosf, correctly rounded here), each product and sum
 * rounded as the float expressions round.
 */
export function euler2RotationMatrixF32(rx: number, ry: number, rz: number, out: Float64Array = new Float64Array(9)): Float64Array {
  const s1 = fr(pm.sin(rx)), s2 = fr(pm.sin(ry)), s3 = fr(pm.sin(rz));
  const c1 = fr(pm.cos(rx)), c2 = fr(pm.cos(ry)), c3 = fr(pm.cos(rz));
  out[0] = fr(c2 * c3);
  out[1] = fr(-c2 * s3);
  out[2] = s2;
  out[3] = fr(fr(c1 * s3) + fr(fr(c3 * s1) * s2));
  out[4] = fr(fr(c1 * c3) - fr(fr(s1 * s2) * s3));
  out[5] = fr(-c2 * s1);
  out[6] = fr(fr(s1 * s3) - fr(fr(c1 * c3) * s2));
  out[7] = fr(fr(c3 * s1) + fr(fr(c1 * s2) * s3));
  out[8] = fr(c1 * c2);
  return out;
}

/**
 * R back to Euler angles through its unit quaternion, in float (the clamp of
 * the yaw sine to [-1, 1] included). Assumes 1 + trace(R) > 0.
 */
export function rotationMatrix2EulerF32(r: Float64Array, out: Float64Array = new Float64Array(3)): Float64Array {
  const q0 = fr(fr(Math.sqrt(fr(fr(fr(1 + r[0]) + r[4]) + r[8]))) / 2);
  const q0x4 = fr(4 * q0);
  const q1 = fr(fr(r[7] - r[5]) / q0x4);
  const q2 = fr(fr(r[2] - r[6]) / q0x4);
  const q3 = fr(fr(r[3] - r[1]) / q0x4);
  let t1 = fr(2 * fr(fr(q0 * q2) + fr(q1 * q3)));
  if (t1 > 1) t1 = 1;
  if (t1 < -1) t1 = -1;
  const q00 = fr(q0 * q0), q11 = fr(q1 * q1), q22 = fr(q2 * q2), q33 = fr(q3 * q3);
  const yaw = fr(pm.asin(t1));
  const pitch = fr(pm.atan2(fr(2 * fr(fr(q0 * q1) - fr(q2 * q3))), fr(fr(fr(q00 - q11) - q22) + q33)));
  const roll = fr(pm.atan2(fr(2 * fr(fr(q0 * q3) - fr(q1 * q2))), fr(fr(fr(q00 + q11) - q22) - q33)));
  out[0] = pitch;
  out[1] = yaw;
  out[2] = roll;
  return out;
}

/** cv::Matx33f product: each entry summed k = 0, 1, 2 in float. */
export function mat3MulF32(a: Float64Array, b: Float64Array, out: Float64Array = new Float64Array(9)): Float64Array {
  for (let i = 0; i < 3; i++) {
    const a0 = a[3 * i], a1 = a[3 * i + 1], a2 = a[3 * i + 2];
    for (let j = 0; j < 3; j++) out[3 * i + j] = fr(fr(fr(a0 * b[j]) + fr(a1 * b[3 + j])) + fr(a2 * b[6 + j]));
  }
  return out;
}

const rodU = new Float64Array(9);
const rodW = new Float64Array(3);
const rodVt = new Float64Array(9);
const rodR = new Float64Array(9);

/**
 * cv::Rodrigues from a float rotation matrix to a float axis-angle vector, as
 * OpenCV computes it in double: the nearest rotation U Vᵀ from its own SVD,
 * the angle from the trace through acos, the axis from the skew part; for
 * angles under about 1e-5 rad (sin < 1e-5 with cos > 0) the result is 0.
 */
export function rotationMatrix2AxisAngleF32(r: Float64Array, out: Float64Array = new Float64Array(3)): Float64Array {
  jacobiSvd(r, 3, rodU, rodW, rodVt, 'double');
  const R = rodR;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) R[3 * i + j] = rodU[3 * i] * rodVt[j] + rodU[3 * i + 1] * rodVt[3 + j] + rodU[3 * i + 2] * rodVt[6 + j];
  }
  let x = R[7] - R[5], y = R[2] - R[6], z = R[3] - R[1];
  const s = Math.sqrt((x * x + y * y + z * z) * 0.25);
  let c = (R[0] + R[4] + R[8] - 1) * 0.5;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  const theta = pm.acos(c);
  if (s < 1e-5) {
    if (c > 0) return out.fill(0);
    // a half turn: the axis from the diagonal, signs from the off-diagonal entries
    x = Math.sqrt(Math.max((R[0] + 1) * 0.5, 0));
    y = Math.sqrt(Math.max((R[4] + 1) * 0.5, 0)) * (R[1] < 0 ? -1 : 1);
    z = Math.sqrt(Math.max((R[8] + 1) * 0.5, 0)) * (R[2] < 0 ? -1 : 1);
    if (Math.abs(x) < Math.abs(y) && Math.abs(x) < Math.abs(z) && R[5] > 0 !== y * z > 0) z = -z;
    const scale = theta / Math.sqrt(x * x + y * y + z * z);
    out[0] = fr(x * scale);
    out[1] = fr(y * scale);
    out[2] = fr(z * scale);
    return out;
  }
  let vth = 1 / (2 * s);
  vth *= theta;
  out[0] = fr(x * vth);
  out[1] = fr(y * vth);
  out[2] = fr(z * vth);
  return out;
}

/** Rodrigues (axis-angle to matrix) from a float vector into a float matrix, computed in double like OpenCV. */
export function axisAngle2RotationMatrixF32(axisAngle: Float64Array, out: Float64Array = new Float64Array(9)): Float64Array {
  axisAngle2RotationMatrix(axisAngle, out);
  for (let i = 0; i < 9; i++) out[i] = fr(out[i]);
  return out;
}

/**
 * cv::gemm of two 3x3 float matrices without transposes: OpenCV's small
 * matrix branch sums the three products in float.
 */
export const gemm3x3F32 = mat3MulF32;

const orthoU = new Float64Array(9);
const orthoW = new Float64Array(3);
const orthoVt = new Float64Array(9);
const orthoX = new Float64Array(9);
const orthoUW = new Float64Array(9);

/**
 * OpenFace's PDM::Orthonormalise on a float matrix: R = U diag(1, 1, det(U Vᵀ)) Vᵀ
 * from the float SVD, the determinant taken in double and stored as float.
 */
export function orthonormaliseF32(r: Float64Array, out: Float64Array = new Float64Array(9)): Float64Array {
  jacobiSvd(r, 3, orthoU, orthoW, orthoVt, 'float');
  const x = gemm3x3F32(orthoU, orthoVt, orthoX);
  const det = fr(
    x[0] * (x[4] * x[8] - x[5] * x[7]) - x[1] * (x[3] * x[8] - x[5] * x[6]) + x[2] * (x[3] * x[7] - x[4] * x[6]),
  );
  // U * diag(1, 1, det): the last column scaled (a float gemm with a diagonal matrix)
  for (let i = 0; i < 3; i++) {
    orthoUW[3 * i] = orthoU[3 * i];
    orthoUW[3 * i + 1] = orthoU[3 * i + 1];
    orthoUW[3 * i + 2] = fr(orthoU[3 * i + 2] * det);
  }
  return gemm3x3F32(orthoUW, orthoVt, out);
}
