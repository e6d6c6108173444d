/**
 * The square region of the frame a landmark net looks at. Detectors' boxes
 * differ (BlazeFace's box runs roughly brows to mouth; the 68 points reach
 * the chin and jaw), so a crop is the box's larger side times `scale`,
 * centred on the box centre moved down by `shiftY` box heights.
 */
import type { PixelBox } from '../detect/faceDetection.ts';

/** Pixel-index position of the crop's first sample and its side, in frame pixels. */
export interface SquareCrop {
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

export interface CropShape {
  readonly scale: number;
  readonly shiftY: number;
}

export function squareCropAround(box: PixelBox, shape: CropShape): SquareCrop {
  const size = Math.max(box.width, box.height) * shape.scale;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + shape.shiftY * box.height;
  return { x: cx - size / 2, y: cy - size / 2, size };
}

/** Bounding box of 68 landmarks (x_0..x_67 then y_0..y_67). */
export function landmarkBox(landmarks: Float64Array): PixelBox {
  const n = landmarks.length / 2;
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = landmarks[i];
    const y = landmarks[n + i];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/**
 * BlazeFace box → face-api crop. Measured against OpenFace's landmarks on
 * lab_640x480_h264 and 0188_03_021_al_pacino (scales 1.0-1.5, shifts 0-0.2):
 * 1.2-1.3 with the centre moved down 0.1-0.15 box heights is best on both.
 */
export const BLAZEFACE_TO_FACE_API_CROP: CropShape = { scale: 1.25, shiftY: 0.1 };

/** Landmark bounding box → crop for the next frame or a second pass. */
export const LANDMARKS_TO_FACE_API_CROP: CropShape = { scale: 1.1, shiftY: 0 };
