/** A detected face in frame pixels (OpenCV pixel-index coordinates: pixel centres at integers). */

export interface Point2 {
  readonly x: number;
  readonly y: number;
}

export interface PixelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** BlazeFace's six keypoints, in its output order; "right" is the subject's right (image left). */
export const BLAZEFACE_KEYPOINTS = ['rightEye', 'leftEye', 'noseTip', 'mouthCenter', 'rightEarTragion', 'leftEarTragion'] as const;

export interface FaceDetection {
  /** 0..1 */
  readonly score: number;
  readonly box: PixelBox;
  /** in BLAZEFACE_KEYPOINTS order */
  readonly keypoints: readonly Point2[];
}

export function boxArea(box: PixelBox): number {
  return Math.max(0, box.width) * Math.max(0, box.height);
}

/** The detection with the largest box, or null. */
export function largestFace(faces: readonly FaceDetection[]): FaceDetection | null {
  let best: FaceDetection | null = null;
  for (const f of faces) if (!best || boxArea(f.box) > boxArea(best.box)) best = f;
  return best;
}
