/** Everything SplitFace writes for one face in one frame (one CSV row). */
export interface FrameResult {
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
