/**
 * The pinhole camera OpenFace 2.2 assumes when none is given on the command
 * line (SequenceCapture::SetCameraIntrinsics, used by FeatureExtraction for
 * videos and image folders alike).
 */

/** Pinhole intrinsics in pixels (no distortion). */
export interface CameraIntrinsics {
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

const fr = Math.fround;

/**
 * 2.2's guess for a frame of `width` x `height` pixels: the image centre, and
 * a focal length of 500 px per 640 px of width and per 480 px of height,
 * averaged so that fx = fy. Every step is float arithmetic on float
 * variables (width / 640.0f, then 500.0f times that, the sum halved), so
 * each intermediate is rounded to single precision here too; odd sizes
 * (321 x 239) depend on it.
 */
export function cameraForFrame(width: number, height: number): CameraIntrinsics {
  const fxFromWidth = fr(500 * fr(width / 640));
  const fyFromHeight = fr(500 * fr(height / 480));
  const f = fr(fr(fxFromWidth + fyFromHeight) / 2);
  return { fx: f, fy: f, cx: fr(width / 2), cy: fr(height / 2) };
}
