/**
 * OpenFace 2.2's head pose (the CSV's pose_Tx..pose_Rz, LandmarkDetector::
 * GetPose) and 3D landmarks (X_, Y_, Z_, CLNF::GetShape, see
 * shapeInCamera.ts), in 2.2's float/double choices:
 *
 * - a weak-perspective first guess from the global parameters, in float
 *   variables: Z = fx / scale, X = ((tx - cx) · (1.0 / fx)) · Z and likewise
 *   Y (the products in double, as the 1.0 literal makes them);
 * - refined by cv::solvePnP(model shape, 2D landmarks, camera, no
 *   distortion, rvec, tvec, useExtrinsicGuess = true), iterative: OpenCV
 *   turns the float inputs into doubles and runs its Levenberg-Marquardt
 *   (solvePnP.ts); the rotation guess is the Euler angles of the global
 *   parameters taken as an axis-angle vector, as 2.2 passes them;
 * - the refined rvec and tvec are stored back in float vectors;
 * - the rotation is written as Euler angles (pitch, yaw, roll) through the
 *   float rotation matrix of the float rvec (cv::Rodrigues computes in double
 *   and stores floats) and 2.2's float quaternion route (RotationMatrix2Euler).
 *
 * Unlike OpenFace 1.x, 2.2 does not correct the rotation for the direction
 * from which the camera sees the head (that is GetPoseWRTCamera, which
 * FeatureExtraction does not call).
 */
import type { Pdm } from '../pdm/pdm.ts';
import { axisAngle2RotationMatrixF32, rotationMatrix2EulerF32 } from '../pdm/rotationFloat32.ts';
import { solvePnPIterative } from './solvePnP.ts';
import { modelShapeF32, shapeInCamera } from './shapeInCamera.ts';
import type { CameraIntrinsics } from './camera.ts';

export { cameraForFrame, type CameraIntrinsics } from './camera.ts';

const fr = Math.fround;

/** The head pose and 3D face landmarks of one frame, in OpenFace's CSV layout. */
export interface HeadPose {
  /** pose_Tx, pose_Ty, pose_Tz (mm, camera space), pose_Rx, pose_Ry, pose_Rz (radians); float values */
  pose: Float64Array;
  /** X_0..X_n-1, Y_0..Y_n-1, Z_0..Z_n-1 (mm, camera space); float values */
  landmarks3d: Float64Array;
}

/**
 * GetPose: pose_Tx..pose_Rz of a frame from its 2D landmarks (x_0..x_n-1,
 * y_0..y_n-1), global parameters [scale, rx, ry, rz, tx, ty] and local
 * parameters (module comment). A zero scale (no face) gives six zeros, as
 * 2.2 writes them.
 */
export function poseFromModel(
  pdm: Pdm,
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  paramsLocal: ArrayLike<number>,
  camera: CameraIntrinsics,
): Float64Array {
  const n = pdm.numPoints;
  if (landmarks.length !== 2 * n) throw new RangeError(`poseFromModel: ${landmarks.length} landmark coordinates for a ${n}-point PDM`);
  if (paramsGlobal.length !== 6) throw new RangeError(`poseFromModel: ${paramsGlobal.length} global parameters, expected 6`);
  const pose = new Float64Array(6);
  const scale = fr(paramsGlobal[0]);
  if (scale === 0) return pose;
  const fx = fr(camera.fx), fy = fr(camera.fy), cx = fr(camera.cx), cy = fr(camera.cy);

  const z = fr(fx / scale);
  const tvec = Float64Array.of(
    fr(fr(fr(paramsGlobal[4]) - cx) * (1.0 / fx) * z),
    fr(fr(fr(paramsGlobal[5]) - cy) * (1.0 / fy) * z),
    z,
  );
  const rvec = Float64Array.of(fr(paramsGlobal[1]), fr(paramsGlobal[2]), fr(paramsGlobal[3]));
  const image = Float64Array.from(landmarks, fr);
  solvePnPIterative(modelShapeF32(pdm, paramsLocal), image, { fx, fy, cx, cy }, rvec, tvec);

  for (let k = 0; k < 3; k++) {
    rvec[k] = fr(rvec[k]);
    pose[k] = fr(tvec[k]);
  }
  const euler = rotationMatrix2EulerF32(axisAngle2RotationMatrixF32(rvec));
  pose[3] = euler[0];
  pose[4] = euler[1];
  pose[5] = euler[2];
  return pose;
}

/**
 * The head pose (GetPose) and the 3D face landmarks (CLNF::GetShape) of a
 * tracked frame, as FeatureExtraction writes them. With a zero scale (no
 * face) both are zeros (2.2 itself would divide by the zero scale for the
 * 3D landmarks; SplitFace writes no numbers it cannot compute).
 */
export function headPose(
  pdm: Pdm,
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  paramsLocal: ArrayLike<number>,
  camera: CameraIntrinsics,
): HeadPose {
  const pose = poseFromModel(pdm, landmarks, paramsGlobal, paramsLocal, camera);
  const landmarks3d = fr(paramsGlobal[0]) === 0
    ? new Float64Array(3 * pdm.numPoints)
    : shapeInCamera(pdm, landmarks, paramsGlobal, paramsLocal, camera);
  return { pose, landmarks3d };
}
