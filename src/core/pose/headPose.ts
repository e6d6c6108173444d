/**
 * OpenFace 1.x's head pose and 3D landmark columns, as FeatureExtraction
 * (dxywill/DeepFace, 2016) writes them:
 *
 * - pose_Tx..pose_Rz come from `GetCorrectedPoseCamera` (FeatureExtraction
 *   uses it unless run with -world_coord): a weak-perspective guess from
 *   params_global, Z = fx / scale, X = ((tx - cx) / fx) Z, Y = ((ty - cy) / fy) Z,
 *   refined by `cv::solvePnP(shape3D, landmarks2D, K, no distortion, rvec,
 *   tvec, useExtrinsicGuess = true)` (iterative, i.e. Levenberg-Marquardt,
 *   see solvePnP.ts). OpenFace seeds rvec with the Euler angles of
 *   params_global as if they were an axis-angle vector (they are close for
 *   small angles; the LM fixes the rest). The rotation is then corrected for
 *   the direction in which the camera sees the head, R = Rcam(eul_x, eul_y, 0)
 *   · Rodrigues(rvec) with eul_x = atan2(Ty, √(Tx² + Tz²)) and
 *   eul_y = -atan2(Tx, √(Ty² + Tz²)), and written as Euler angles (pitch,
 *   yaw, roll) through OpenFace's quaternion-based RotationMatrix2Euler.
 * - X_i, Y_i, Z_i come from `CLNF::GetShape`, which does not use the PnP
 *   result: the model shape rotated by params_global's rotation, pushed to the
 *   weak-perspective depth Zavg = fx / scale, Z_i = Zavg + (R P_i)_z, and each
 *   detected landmark back-projected to that depth, X_i = Z_i (x_i - cx) / fx,
 *   Y_i = Z_i (y_i - cy) / fy.
 *
 * The camera, when none is given on the command line: fx = 500 · width / 640,
 * fy = 500 · height / 480, both replaced by their mean, cx = width / 2,
 * cy = height / 2, all held in C++ floats.
 */

import type { Pdm } from '../pdm/pdm.ts';
import { shape3d } from '../pdm/shape.ts';
import { axisAngle2RotationMatrix, euler2RotationMatrix, rotationMatrix2Euler } from '../pdm/rotation.ts';
import { mat3Mul } from '../pdm/linalg.ts';
import { solvePnPIterative, type CameraIntrinsics } from './solvePnP.ts';
import * as pm from '../math/portableMath.ts';

export type { CameraIntrinsics } from './solvePnP.ts';

/**
 * FeatureExtraction's default intrinsics for a frame of `width` x `height`
 * pixels. OpenFace keeps fx, fy, cx, cy in `float` variables, so each value is
 * rounded to single precision where the C++ code stores it (exact for all
 * common frame sizes, but kept for fidelity).
 */
export function cameraForFrame(width: number, height: number): CameraIntrinsics {
  const f = Math.fround;
  const fx0 = f(500 * (width / 640.0));
  const fy0 = f(500 * (height / 480.0));
  // fx = (fx + fy) / 2.0: a float sum, a double halving, stored as float.
  const fx = f(f(fx0 + fy0) / 2.0);
  return { fx, fy: fx, cx: f(f(width) / 2), cy: f(f(height) / 2) };
}

/** The head pose of one frame in OpenFace's CSV layout. */
export interface HeadPose {
  /** pose_Tx, pose_Ty, pose_Tz (mm, camera space), pose_Rx, pose_Ry, pose_Rz (radians). */
  pose: Float64Array;
  /** X_0..X_n-1, Y_0..Y_n-1, Z_0..Z_n-1 (mm, camera space). */
  landmarks3d: Float64Array;
}

/**
 * Head pose and 3D landmarks of a tracked frame from its 2D landmarks
 * (x_0..x_n-1, y_0..y_n-1), params_global [scale, rx, ry, rz, tx, ty] and
 * params_local, as OpenFace's FeatureExtraction computes them (module comment).
 * A zero scale (no face) gives an all-zero pose, as OpenFace writes it.
 */
export function headPose(
  pdm: Pdm,
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  paramsLocal: ArrayLike<number>,
  camera: CameraIntrinsics,
): HeadPose {
  const n = pdm.numPoints;
  if (landmarks.length !== 2 * n) throw new RangeError(`headPose: ${landmarks.length} landmark coordinates for a ${n}-point PDM`);
  if (paramsGlobal.length !== 6) throw new RangeError(`headPose: ${paramsGlobal.length} global parameters, expected 6`);
  const { fx, fy, cx, cy } = camera;
  const scale = paramsGlobal[0], rx = paramsGlobal[1], ry = paramsGlobal[2], rz = paramsGlobal[3];
  const shape = shape3d(pdm, paramsLocal);
  const pose = new Float64Array(6);
  const landmarks3d = new Float64Array(3 * n);

  // OpenFace returns a zero pose when the scale is zero; GetShape would divide
  // by it, so the landmarks are left at zero too.
  if (scale === 0) return { pose, landmarks3d };

  // CLNF::GetShape: model shape rotated by params_global, at the weak-perspective depth.
  const r = euler2RotationMatrix(rx, ry, rz);
  const zAvg = fx / scale;
  for (let i = 0; i < n; i++) {
    const Z = zAvg + (shape[i] * r[6] + shape[i + n] * r[7] + shape[i + 2 * n] * r[8]);
    landmarks3d[i] = Z * ((landmarks[i] - cx) / fx);
    landmarks3d[i + n] = Z * ((landmarks[i + n] - cy) / fy);
    landmarks3d[i + 2 * n] = Z;
  }

  // GetCorrectedPoseCamera: the weak-perspective guess (OpenFace's own
  // arithmetic: multiplied by 1.0 / fx rather than divided), then solvePnP.
  const tvec = Float64Array.of(((paramsGlobal[4] - cx) * (1.0 / fx)) * zAvg, ((paramsGlobal[5] - cy) * (1.0 / fy)) * zAvg, zAvg);
  const rvec = Float64Array.of(rx, ry, rz);
  solvePnPIterative(shape, landmarks, camera, rvec, tvec);

  // Correct the rotation for the camera's viewing direction onto the head.
  const tx = tvec[0], ty = tvec[1], tz = tvec[2];
  const eulX = pm.atan2(ty, Math.sqrt(tx * tx + tz * tz));
  const eulY = -pm.atan2(tx, Math.sqrt(ty * ty + tz * tz));
  const corrected = mat3Mul(euler2RotationMatrix(eulX, eulY, 0), axisAngle2RotationMatrix(rvec));
  const euler = rotationMatrix2Euler(corrected);
  pose[0] = tx; pose[1] = ty; pose[2] = tz;
  pose[3] = euler[0]; pose[4] = euler[1]; pose[5] = euler[2];
  return { pose, landmarks3d };
}
