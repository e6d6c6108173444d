/**
 * A flip-equivariant source face for Face Mirror. CLNF does not fit a face
 * and its horizontal flip to mirror-image landmarks: on a frontal clip the
 * chin end of the midline lands about 1 px apart between a video and its
 * hflip copy, which moves the whole reflected lower face by twice that and
 * costs the per-side AUs their flip invariance (issue 13, bar 2).
 *
 * Here each frame is tracked twice, as it is and flipped horizontally (two
 * trackers, each following its own picture through the video), and the
 * landmarks are averaged after the flipped fit is brought back: x becomes
 * width - 1 - x and each point takes its mirror partner's number (the
 * patient's right eye of the flipped picture is the left eye of the frame).
 * The same video flipped gives the same two fits with their roles swapped,
 * so the averaged landmarks, and with them the midline, are exactly the
 * mirror image: the midline fit becomes flip-equivariant. The head pose is
 * averaged the same way (yaw and roll change sign in a flip). When only one
 * of the two finds the face, that one's fit is used as it is.
 */
import type { FaceObservation } from '../pipeline.ts';
import type { FaceSource } from '../analysis/faceSource.ts';
import type { DecodedFrame } from '../analysis/frame.ts';
import { createBgrImage, type BgrImage } from '../image.ts';
import { LANDMARK_COUNT } from './faceLandmarks.ts';
import { flipHorizontally } from './mirrorImage.ts';

/**
 * The 68-point scheme's mirror partners: point i of a face is point
 * MIRROR_PARTNER[i] of its horizontal flip (midline points are their own).
 */
export const MIRROR_PARTNER: Int32Array = (() => {
  const partner = Int32Array.from({ length: LANDMARK_COUNT }, (_, i) => i);
  const pairs: [number, number][] = [
    // jaw: 0..16 around the chin 8
    ...Array.from({ length: 8 }, (_, k): [number, number] => [k, 16 - k]),
    // brows 17..21 / 26..22
    ...Array.from({ length: 5 }, (_, k): [number, number] => [17 + k, 26 - k]),
    // nose wings
    [31, 35], [32, 34],
    // eyes: corners and lids
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    // outer lips
    [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
    // inner lips
    [60, 64], [61, 63], [65, 67],
  ];
  for (const [a, b] of pairs) {
    partner[a] = b;
    partner[b] = a;
  }
  return partner;
})();

/** Landmarks of a flipped picture (x_0..x_67, y_0..y_67) as landmarks of the unflipped one. */
export function unflipLandmarks(landmarks: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(2 * LANDMARK_COUNT);
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const j = MIRROR_PARTNER[i];
    out[i] = width - 1 - landmarks[j];
    out[i + LANDMARK_COUNT] = landmarks[j + LANDMARK_COUNT];
  }
  return out;
}

/**
 * A head pose (Tx, Ty, Tz, Rx, Ry, Rz; OpenFace's camera-centred
 * millimetres and radians) of a flipped picture as the pose of the unflipped
 * one: x translation, yaw and roll change sign. The camera's centre is at
 * width / 2, half a pixel off the flip's axis: Tx is close, not exact.
 */
export function unflipPose(pose: ArrayLike<number>): Float64Array {
  return Float64Array.from([-pose[0], pose[1], pose[2], pose[3], -pose[4], -pose[5]]);
}

function average(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] + b[i]) / 2;
  return out;
}

/**
 * The source face of every frame from `direct` (tracking the frames as they
 * are) and `ofFlipped` (tracking them flipped): landmarks, pose and
 * confidence averaged as above. Other fields (3D landmarks, gaze, tracker
 * parameters) are `direct`'s: Face Mirror's track uses only the landmarks,
 * pose and confidence. Both sources must be fresh trackers of one video.
 * `concurrent`: the two sources track on threads of their own, so both
 * fits of a frame run at the same time (the same fits as one after the
 * other); in-thread sources that share inference sessions must not.
 */
export function symmetricFaceSource(direct: FaceSource, ofFlipped: FaceSource, concurrent = false): FaceSource {
  let flipped: BgrImage | null = null;
  let flipMs = 0;
  return {
    async facesIn(frame: DecodedFrame): Promise<FaceObservation[]> {
      const { width, height } = frame.image;
      const start = performance.now();
      if (!flipped || flipped.width !== width || flipped.height !== height) flipped = createBgrImage(width, height);
      flipHorizontally(frame.image, flipped);
      flipMs += performance.now() - start;
      const flippedFrame = { ...frame, image: flipped };
      const [[mine], [theirs]] = concurrent
        ? await Promise.all([direct.facesIn(frame), ofFlipped.facesIn(flippedFrame)])
        : [await direct.facesIn(frame), await ofFlipped.facesIn(flippedFrame)];
      if (!mine) return [];
      const theirsOk = theirs?.success === true && theirs.landmarks !== null;
      const mineOk = mine.success && mine.landmarks !== null;
      if (!theirsOk) return [mine];
      const back = unflipLandmarks(theirs.landmarks!, width);
      const backPose = theirs.pose ? unflipPose(theirs.pose) : null;
      if (!mineOk) return [{ ...mine, success: true, detectionSuccess: theirs.detectionSuccess, confidence: theirs.confidence, landmarks: back, pose: backPose }];
      const pose = mine.pose && backPose ? average(mine.pose, backPose) : (mine.pose ?? backPose);
      return [{ ...mine, confidence: (mine.confidence + theirs.confidence) / 2, landmarks: average(mine.landmarks!, back), pose }];
    },
    timings() {
      const merged: Record<string, number> = { ...direct.timings() };
      for (const [stage, ms] of Object.entries(ofFlipped.timings())) merged[`flipped_${stage}`] = ms;
      merged.flip = flipMs;
      return merged;
    },
    get provenance() {
      return { ...direct.provenance, symmetric: 'each frame tracked as it is and flipped horizontally, the two fits averaged (flip-equivariant landmarks and midline)' };
    },
    note: () => direct.note(),
    async release() {
      await direct.release();
      await ofFlipped.release();
    },
  };
}
