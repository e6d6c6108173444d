import { describe, expect, it } from 'vitest';
import { BlazeFaceDetector, BLAZEFACE_SHORT_RANGE } from '../../../src/core/detect/blazeface.ts';
import { fitLetterbox, letterboxGrid, modelToFrameX, modelToFrameY } from '../../../src/core/detect/letterbox.ts';
import type { Float32Tensor, InferenceBackend } from '../../../src/models/onnx.ts';
import { createBgrImage } from '../../../src/core/image.ts';

/** A backend whose "model" lights up one anchor and records what it was fed. */
function fakeBackend(anchor: number, box: number[]): { backend: InferenceBackend; fed: Float32Tensor[] } {
  const fed: Float32Tensor[] = [];
  const backend: InferenceBackend = {
    name: 'fake',
    async createSession() {
      return {
        inputNames: ['input:0'],
        outputNames: ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0'],
        async run(feeds) {
          fed.push(feeds['input:0']);
          const scores = new Float32Array(896).fill(-10);
          const boxes = new Float32Array(896 * 16);
          scores[anchor] = 5;
          boxes.set(box, anchor * 16);
          return {
            'Identity:0': { data: scores.slice(0, 512), dims: [1, 512, 1] },
            'Identity_1:0': { data: scores.slice(512), dims: [1, 384, 1] },
            'Identity_2:0': { data: boxes.slice(0, 512 * 16), dims: [1, 512, 16] },
            'Identity_3:0': { data: boxes.slice(512 * 16), dims: [1, 384, 16] },
          };
        },
        async release() {},
      };
    },
  };
  return { backend, fed };
}

describe('letterbox', () => {
  it('fits 640x480 into 128 with 16-pixel bars top and bottom and maps the centre back to the frame centre', () => {
    const lb = fitLetterbox(640, 480, 128);
    expect(lb).toEqual({ size: 128, scale: 0.2, padX: 0, padY: 16 });
    expect(modelToFrameX(lb, 0.5)).toBeCloseTo(319.5, 9);
    expect(modelToFrameY(lb, 0.5)).toBeCloseTo(239.5, 9);
    // model pixel 0's centre (0.5) is frame position 2.5, pixel index 2
    expect(letterboxGrid(lb).x0).toBeCloseTo(2, 9);
    expect(letterboxGrid(lb).step).toBeCloseTo(5, 9);
  });
});

describe('BlazeFaceDetector', () => {
  it('decodes one anchor into frame pixels and feeds the letterboxed frame in [-1, 1]', async () => {
    // Anchor 512 + (4 * 8 + 4) * 6: cell (4, 4) of the 8x8 map, centre (0.5625, 0.5625).
    // Box 32 x 32 model pixels = 0.25 → corners 0.4375..0.6875; keypoint 0 at +12.8 px in x.
    const anchor = 512 + (4 * 8 + 4) * 6;
    const { backend, fed } = fakeBackend(anchor, [0, 0, 32, 32, 12.8, 0]);
    const detector = await BlazeFaceDetector.create(backend, new Uint8Array(), BLAZEFACE_SHORT_RANGE);
    const image = createBgrImage(640, 480);
    image.data.fill(128);
    const faces = await detector.detect(image);
    expect(faces).toHaveLength(1);
    const [f] = faces;
    expect(f.score).toBeCloseTo(1 / (1 + Math.exp(-5)), 9);
    // x = 0.4375 * 128 / 0.2 - 0.5 = 279.5; y = (56 - 16) / 0.2 - 0.5 = 199.5; side 0.25 * 128 / 0.2 = 160
    expect(f.box.x).toBeCloseTo(279.5, 4);
    expect(f.box.y).toBeCloseTo(199.5, 4);
    expect(f.box.width).toBeCloseTo(160, 4);
    expect(f.box.height).toBeCloseTo(160, 4);
    // keypoint 0: (0.5625 + 0.1) * 640 - 0.5
    expect(f.keypoints[0].x).toBeCloseTo(423.5, 4);
    expect(f.keypoints).toHaveLength(6);
    const input = fed[0];
    expect(input.dims).toEqual([1, 128, 128, 3]);
    expect(input.data[0]).toBe(-1); // top bar is black
    expect(input.data[(64 * 128 + 64) * 3]).toBeCloseTo((128 * 2) / 255 - 1, 6);
  });
});
