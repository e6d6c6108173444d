import { describe, expect, it } from 'vitest';
import { drawQaFrame, drawQaOverlay } from '../../../src/core/mirror/qaOverlay.ts';
import { lineThrough, type Midline } from '../../../src/core/mirror/midline.ts';
import type { MirrorQuality } from '../../../src/core/mirror/mirrorQuality.ts';
import { createBgrImage } from '../../../src/core/image.ts';

const quality: MirrorQuality = { grade: 'acceptable', flag: 'ok', yaw: 4.2, pitch: -3.1, roll: 1.5, score: 0.81 };

function gradient(width: number, height: number) {
  const image = createBgrImage(width, height);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 7) & 255;
  return image;
}

describe('drawQaFrame', () => {
  const width = 160, height = 120;
  const landmarks = new Float32Array(136).map((_, i) => (i < 68 ? 40 + i : 20 + i));

  it('is the source with the overlay drawn, in the caller\'s buffer, the source untouched; a reused buffer keeps nothing of the frame before', () => {
    const source = gradient(width, height);
    const before = source.data.slice();
    const into = createBgrImage(width, height);
    for (const line of [lineThrough(80, 0, 83, 119)!, lineThrough(-10, 30, 170, 90)!, null]) {
      const expected = { width, height, data: source.data.slice() };
      drawQaOverlay(expected, landmarks, line, quality);
      expect(drawQaFrame(source, into, landmarks, line, quality)).toBe(into);
      expect(Buffer.from(into.data).equals(Buffer.from(expected.data))).toBe(true);
      expect(Buffer.from(source.data).equals(Buffer.from(before))).toBe(true);
    }
  });

  it('draws the midline wherever it crosses the frame, and nothing for a line outside it', () => {
    const source = createBgrImage(width, height);
    const magenta = (image: { data: Uint8Array }, x: number, y: number) => {
      const o = (y * width + x) * 3;
      return image.data[o] === 255 && image.data[o + 1] === 0 && image.data[o + 2] === 255;
    };
    // a steep line through the frame's lower right corner region, from far outside
    const line: Midline = lineThrough(150, 60, 170, 140)!;
    const into = createBgrImage(width, height);
    drawQaFrame(source, into, null, line, quality);
    // the line's points inside the frame, below the banner, are drawn
    for (const y of [70, 80, 95]) expect(magenta(into, Math.round(150 + ((y - 60) * 20) / 80), y), `y ${y}`).toBe(true);
    const outside = createBgrImage(width, height);
    drawQaFrame(source, outside, null, lineThrough(-30, 0, -25, 119)!, quality);
    const plain = createBgrImage(width, height);
    drawQaFrame(source, plain, null, null, quality);
    expect(Buffer.from(outside.data).equals(Buffer.from(plain.data))).toBe(true);
  });
});
