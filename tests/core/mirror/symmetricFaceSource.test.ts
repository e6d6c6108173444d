import { describe, expect, it } from 'vitest';
import { MIRROR_PARTNER, symmetricFaceSource, unflipLandmarks } from '../../../src/core/mirror/symmetricFaceSource.ts';
import { flipHorizontally } from '../../../src/core/mirror/mirrorImage.ts';
import { LANDMARK_COUNT, MIDLINE_POINTS, SYMMETRIC_PAIRS } from '../../../src/core/mirror/faceLandmarks.ts';
import { fitMidline } from '../../../src/core/mirror/midline.ts';
import { failedObservation, type FaceSource } from '../../../src/core/analysis/faceSource.ts';
import type { DecodedFrame } from '../../../src/core/analysis/frame.ts';
import { NO_OUTPUTS_3D } from '../../../src/core/result.ts';
import { createBgrImage, type BgrImage } from '../../../src/core/image.ts';

/**
 * A stand-in tracker that is deliberately not mirror-symmetric, as CLNF is
 * not: it finds the brightest pixel and puts a face template there, with a
 * fixed bias in image coordinates (every point pushed right and the chin
 * further), and pose from the same bias.
 */
function biasedTracker(): FaceSource {
  return {
    async facesIn(frame: DecodedFrame) {
      const { width, height, data } = frame.image;
      let best = -1, bx = 0, by = 0;
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (data[(y * width + x) * 3] > best) [best, bx, by] = [data[(y * width + x) * 3], x, y];
      if (best < 200) return [failedObservation(frame, 0)];
      const landmarks = new Float64Array(2 * LANDMARK_COUNT);
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        // a symmetric template: partners at mirrored x offsets, midline points on x = 0
        const side = MIRROR_PARTNER[i] === i ? 0 : MIRROR_PARTNER[i] > i ? -1 : 1;
        const rank = Math.min(i, MIRROR_PARTNER[i]);
        landmarks[i] = bx + side * (5 + (rank % 7) * 3) + 0.7 + (i === 8 ? 1.3 : 0);
        landmarks[i + LANDMARK_COUNT] = by - 20 + (rank % 11) * 4 + (i === 8 ? 30 : 0);
      }
      return [{ frame: frame.index + 1, faceId: 0, timestamp: frame.timestamp, success: true, confidence: 0.9, landmarks, paramsGlobal: null, paramsLocal: null, pose: Float64Array.from([3, 1, 500, 0.1, 0.05, 0.02]), ...NO_OUTPUTS_3D }];
    },
    timings: () => ({ clnf: 1 }),
    provenance: { source: 'test' },
    note: () => null,
    release: async () => {},
  };
}

function frameWithDot(width: number, height: number, x: number, y: number): DecodedFrame {
  const image = createBgrImage(width, height);
  image.data[(y * width + x) * 3] = 255;
  return { index: 0, timestamp: 0, image };
}

function flipped(frame: DecodedFrame): DecodedFrame {
  const image: BgrImage = createBgrImage(frame.image.width, frame.image.height);
  flipHorizontally(frame.image, image);
  return { ...frame, image };
}

describe('symmetricFaceSource', () => {
  it('mirror partners: an involution that keeps the midline points and pairs the symmetric points Face Mirror uses', () => {
    for (let i = 0; i < LANDMARK_COUNT; i++) expect(MIRROR_PARTNER[MIRROR_PARTNER[i]]).toBe(i);
    for (const i of MIDLINE_POINTS) expect(MIRROR_PARTNER[i]).toBe(i);
    for (const [a, b] of SYMMETRIC_PAIRS) expect(MIRROR_PARTNER[a]).toBe(b);
    expect([...MIRROR_PARTNER].filter((p, i) => p === i).sort((a, b) => a - b)).toEqual([8, 27, 28, 29, 30, 33, 51, 57, 62, 66]);
  });

  it('a biased tracker gives a frame and its flip landmarks that are not mirror images; the symmetric source gives exact mirror images and mirrored midlines', async () => {
    const width = 97, height = 120;
    const frame = frameWithDot(width, height, 40, 50);
    const biased = biasedTracker();
    const plain = (await biased.facesIn(frame))[0].landmarks!;
    const plainOfFlip = unflipLandmarks((await biased.facesIn(flipped(frame)))[0].landmarks!, width);
    expect(Math.max(...plain.map((v, i) => Math.abs(v - plainOfFlip[i])))).toBeGreaterThan(1);

    const [a] = await symmetricFaceSource(biasedTracker(), biasedTracker()).facesIn(frame);
    const [b] = await symmetricFaceSource(biasedTracker(), biasedTracker()).facesIn(flipped(frame));
    const back = unflipLandmarks(b.landmarks!, width);
    for (let i = 0; i < 2 * LANDMARK_COUNT; i++) expect(back[i]).toBeCloseTo(a.landmarks![i], 9);
    // yaw and roll change sign, pitch stays
    expect(b.pose![4]).toBeCloseTo(-a.pose![4], 12);
    expect(b.pose![5]).toBeCloseTo(-a.pose![5], 12);
    expect(b.pose![3]).toBeCloseTo(a.pose![3], 12);
    const lineA = fitMidline(a.landmarks!)!, lineB = fitMidline(b.landmarks!)!;
    expect(width - 1 - lineB.top[0]).toBeCloseTo(lineA.top[0], 6);
    expect(width - 1 - lineB.bottom[0]).toBeCloseTo(lineA.bottom[0], 6);
    expect(lineB.bottom[1]).toBeCloseTo(lineA.bottom[1], 6);
  });

  it('a frame where only the flipped picture has a face uses that fit; no face in either stays a failed frame', async () => {
    let calls = 0;
    const direct: FaceSource = { ...biasedTracker(), facesIn: async (frame) => [failedObservation(frame, 0)] };
    const counting: FaceSource = { ...biasedTracker(), facesIn: async (frame) => (calls++, biasedTracker().facesIn(frame)) };
    const [face] = await symmetricFaceSource(direct, counting).facesIn(frameWithDot(60, 90, 20, 40));
    expect(calls).toBe(1);
    expect(face.success).toBe(true);
    expect(face.landmarks![8]).toBeCloseTo(60 - 1 - (60 - 1 - 20 + 0.7 + 1.3), 9);
    const [none] = await symmetricFaceSource(biasedTracker(), biasedTracker()).facesIn({ index: 0, timestamp: 0, image: createBgrImage(10, 10) });
    expect(none.success).toBe(false);
  });
});
