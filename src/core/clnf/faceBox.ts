import { pointExtent, type Box } from '../pdm/shape.ts';

/** The box OpenFace's convention means for known landmarks (x_0..x_n-1, y_0..y_n-1): their extent. */
export function boxAroundLandmarks(landmarks: ArrayLike<number>): Box {
  const { minX, maxX, minY, maxY } = pointExtent(landmarks, landmarks.length / 2);
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}
