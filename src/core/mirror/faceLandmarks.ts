/**
 * Which of the 68 iBUG landmarks Face Mirror uses, and on which side of the
 * face they lie. In an ordinary (unmirrored) frontal video the patient's
 * right is on the image's left, and the 68-point scheme numbers the
 * image-left points first (jaw 0-8, brow 17-21, eye 36-41, mouth corner 48):
 * those are the patient's RIGHT side.
 */

/** Points that lie on the facial midline: nasal bridge 27-30, nose base 33, lips 51, 57, 62, 66, chin 8. */
export const MIDLINE_POINTS: readonly number[] = [27, 28, 29, 30, 33, 51, 57, 62, 66, 8];

/**
 * Symmetric pairs (patient's right, patient's left) whose midpoints lie on
 * the midline of a symmetric face: brows, eyes, nose wings, mouth corners.
 */
export const SYMMETRIC_PAIRS: readonly (readonly [number, number])[] = [
  [17, 26], [18, 25], [19, 24], [20, 23], [21, 22],
  [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
  [31, 35], [32, 34],
  [48, 54], [60, 64],
];

/** One side's landmarks for the geometric measures. */
export interface SideLandmarks {
  /** the five brow points */
  readonly brow: readonly number[];
  /** the six eye points (corners, upper lid, lower lid) */
  readonly eye: readonly number[];
  /** upper-lid points paired with the lower-lid points below them */
  readonly lidPairs: readonly (readonly [number, number])[];
  /** the outer mouth corner (oral commissure) */
  readonly commissure: number;
}

export const RIGHT_SIDE: SideLandmarks = { brow: [17, 18, 19, 20, 21], eye: [36, 37, 38, 39, 40, 41], lidPairs: [[37, 41], [38, 40]], commissure: 48 };
export const LEFT_SIDE: SideLandmarks = { brow: [22, 23, 24, 25, 26], eye: [42, 43, 44, 45, 46, 47], lidPairs: [[43, 47], [44, 46]], commissure: 54 };

/** Inner-lip midpoints (upper 62, lower 66): the mouth's centre for the smile angle. */
export const INNER_LIP_CENTRE: readonly [number, number] = [62, 66];

export const LANDMARK_COUNT = 68;

/** x of landmark i in OpenFace's layout (x_0..x_67, y_0..y_67). */
export function lx(landmarks: ArrayLike<number>, i: number): number {
  return landmarks[i];
}

export function ly(landmarks: ArrayLike<number>, i: number): number {
  return landmarks[i + LANDMARK_COUNT];
}
