/**
 * OpenFace 2.2's per-frame outputs beyond the 2D landmarks: gaze, the 56 eye
 * landmarks of the two 28-point eye models, and the 3D face landmarks. All are
 * null when unknown (no face, no OpenFace folder).
 */
export interface FaceOutputs3d {
  /** 8 values: gaze_0_x, gaze_0_y, gaze_0_z, gaze_1_x, gaze_1_y, gaze_1_z (unit vectors, camera space), gaze_angle_x, gaze_angle_y (radians) */
  readonly gaze: Float64Array | null;
  /** 112 values: eye_lmk_x_0..eye_lmk_x_55 then eye_lmk_y_0..eye_lmk_y_55 (pixels) */
  readonly eyeLandmarks: Float64Array | null;
  /** 168 values: eye_lmk_X_0..55, eye_lmk_Y_0..55, eye_lmk_Z_0..55 (mm, camera space) */
  readonly eyeLandmarks3d: Float64Array | null;
  /** 204 values: X_0..X_67, Y_0..Y_67, Z_0..Z_67 (mm, camera space) */
  readonly landmarks3d: Float64Array | null;
}

/** Everything SplitFace writes for one face in one frame (one CSV row). */
export interface FrameResult extends FaceOutputs3d {
  /** 1-based frame number, as OpenFace counts */
  readonly frame: number;
  readonly faceId: number;
  /** seconds from the first frame, from the frame's own presentation time */
  readonly timestamp: number;
  readonly confidence: number;
  readonly success: boolean;
  /** pose_Tx, pose_Ty, pose_Tz (mm), pose_Rx, pose_Ry, pose_Rz (radians); null when unknown */
  readonly pose: Float64Array | null;
  /** 136 values: x_0..x_67 then y_0..y_67, upright-frame pixels */
  readonly landmarks: Float64Array | null;
  /** p_scale, p_rx, p_ry, p_rz, p_tx, p_ty */
  readonly paramsGlobal: Float64Array | null;
  /** p_0..p_33 */
  readonly paramsLocal: Float64Array | null;
  /** AU intensities in the order of `AuOutput.intensityNames`; null when no AU models */
  readonly auIntensity: Float64Array | null;
  /** AU presence (0/1) in the order of `AuOutput.presenceNames` */
  readonly auPresence: Float64Array | null;
}

/** The AU column names of a run, e.g. ['AU01', 'AU02', ...]. */
export interface AuColumns {
  readonly intensityNames: readonly string[];
  readonly presenceNames: readonly string[];
}

/** The 3D outputs of a frame where none are known. */
export const NO_OUTPUTS_3D: FaceOutputs3d = Object.freeze({ gaze: null, eyeLandmarks: null, eyeLandmarks3d: null, landmarks3d: null });
