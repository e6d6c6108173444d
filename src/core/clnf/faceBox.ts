import { pointExtent, type Box } from '../pdm/shape.ts';

/**
 * OpenFace's corrections from a face detector's box to the box its CLNF
 * initialisation expects (eyebrows to chin, cheek outline to cheek outline;
 * LandmarkDetectorUtils.cpp, DetectFacesHOG / DetectFaces). The factors were
 * learned by OpenFace on LFPW/Helen (and AFW/iBUG for Haar).
 *
 * OpenFace runs dlib's HOG detector on the grayscale frame upscaled by 1.3
 * and divides the corrected box by 1.3; for a dlib rectangle already in frame
 * coordinates that scaling cancels, which is what these take.
 */
export function clnfBoxFromDlibHog(rect: Box): Box {
  return { x: rect.x + 0.0389 * rect.width, y: rect.y + 0.1278 * rect.height, width: rect.width * 0.9611, height: rect.height * 0.9388 };
}

/** The same for OpenCV's Haar cascade (haarcascade_frontalface_alt) boxes. */
export function clnfBoxFromHaar(rect: Box): Box {
  return { x: rect.x + 0.0578 * rect.width, y: rect.y + 0.2166 * rect.height, width: rect.width * 0.8924, height: rect.height * 0.8676 };
}

/** The box OpenFace's convention means for known landmarks (x_0..x_n-1, y_0..y_n-1): their extent. */
export function boxAroundLandmarks(landmarks: ArrayLike<number>): Box {
  const { minX, maxX, minY, maxY } = pointExtent(landmarks, landmarks.length / 2);
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}
