import { describe, expect, it } from 'vitest';
import { mirrorFace, mirrorFaceInTypeScript, mirrorUsesWebAssembly } from '../../../src/core/mirror/mirrorImage.ts';
import { lineThrough } from '../../../src/core/mirror/midline.ts';
import { createBgrImage, type BgrImage } from '../../../src/core/image.ts';

function randomImage(width: number, height: number, seed = 3): BgrImage {
  const image = createBgrImage(width, height);
  for (let i = 0; i < image.data.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    image.data[i] = seed >> 23;
  }
  return image;
}

const at = (image: BgrImage, x: number, y: number, ch: number) => image.data[(y * image.width + x) * 3 + ch];

describe('mirrorFace', () => {
  const width = 41, height = 30;
  const source = randomImage(width, height);
  // vertical line through x = 20 (a pixel centre): reflections land on pixel centres
  const line = lineThrough(20, 0, 20, 29)!;

  it('right: keeps the image-left half, the other half is its exact reflection beyond the seam', () => {
    const out = createBgrImage(width, height);
    mirrorFace(source, line, 'right', out, 6);
    for (let y = 0; y < height; y++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let x = 0; x <= 16; x++) expect(at(out, x, y, ch)).toBe(at(source, x, y, ch));
        for (let x = 24; x < width; x++) expect(at(out, x, y, ch)).toBe(at(source, 40 - x, y, ch));
      }
    }
  });

  it('left: keeps the image-right half, written flipped so that the kept half is on the image\'s left', () => {
    const out = createBgrImage(width, height);
    mirrorFace(source, line, 'left', out, 6);
    // the kept source columns 24..40 land on columns 16..0 (width - 1 - x); the line x = 20 is the image's centre here
    for (let y = 0; y < height; y++) for (let x = 24; x < width; x++) expect(at(out, 40 - x, y, 1)).toBe(at(source, x, y, 1));
    for (let y = 0; y < height; y++) for (let x = 0; x <= 16; x++) expect(at(out, 40 - x, y, 1)).toBe(at(source, 40 - x, y, 1));
  });

  it('flip equivariance: the left face of an image is the right face of its horizontal flip (with the line flipped), both ways', () => {
    const w = 57, h = 33;
    const image = randomImage(w, h, 11);
    const flipped = createBgrImage(w, h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < 3; ch++) flipped.data[(y * w + x) * 3 + ch] = at(image, w - 1 - x, y, ch);
    // a tilted line off the image's centre, and the same line in the flipped image
    const tilted = lineThrough(23.3, 0, 26.1, 32)!;
    const tiltedFlipped = lineThrough(w - 1 - 23.3, 0, w - 1 - 26.1, 32)!;
    for (const [a, b] of [['left', 'right'], ['right', 'left']] as const) {
      const mine = createBgrImage(w, h), theirs = createBgrImage(w, h);
      mirrorFace(image, tilted, a, mine, 6);
      mirrorFace(flipped, tiltedFlipped, b, theirs, 6);
      // both faces are written with the kept half on the image's left: the same picture
      let worst = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < 3; ch++) worst = Math.max(worst, Math.abs(at(mine, x, y, ch) - at(theirs, x, y, ch)));
      // bilinear weights summed in another order round differently, at most one level
      expect(worst, `${a} vs flipped ${b}`).toBeLessThanOrEqual(1);
    }
  });

  it('is symmetric across the line through the seam band too (within rounding)', () => {
    const out = createBgrImage(width, height);
    mirrorFace(source, line, 'right', out, 6);
    for (let y = 0; y < height; y++) for (let x = 17; x <= 23; x++) for (let ch = 0; ch < 3; ch++) expect(Math.abs(at(out, x, y, ch) - at(out, 40 - x, y, ch))).toBeLessThanOrEqual(1);
  });

  it('a tilted line: pixel pairs reflected across it match (bilinear, within a few levels on a smooth image)', () => {
    const smooth = createBgrImage(80, 60);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 80; x++) for (let ch = 0; ch < 3; ch++) smooth.data[(y * 80 + x) * 3 + ch] = (x * 2 + y * 3 + ch * 20) & 255;
    const tilted = lineThrough(38, 0, 44, 59)!;
    const out = createBgrImage(80, 60);
    mirrorFace(smooth, tilted, 'left', out, 6);
    // reflect (30, 30) across the line and compare
    const px = 20, py = 30;
    const u = (px - tilted.x) * tilted.dy - (py - tilted.y) * tilted.dx;
    const rx = px - 2 * u * tilted.dy, ry = py + 2 * u * tilted.dx;
    // the left face is written flipped: source column px is output column 79 - px
    expect(Math.abs(at(out, 79 - px, py, 0) - at(smooth, Math.round(rx), Math.round(ry), 0))).toBeLessThanOrEqual(4);
  });

  it('WebAssembly and TypeScript give the same bytes: random images and lines (tilted, off-centre, crossing the frame\'s corner, outside it), both sides, several seams', () => {
    expect(mirrorUsesWebAssembly()).toBe(true);
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let compared = 0;
    for (const [w, h] of [[64, 48], [97, 31], [40, 80]]) {
      const image = randomImage(w, h, 5 + w);
      for (let k = 0; k < 12; k++) {
        const line = k === 0 ? lineThrough(w / 2, 0, w / 2, h - 1)! // vertical
          : k === 1 ? lineThrough(0, h / 2, w - 1, h / 2 + 0.3)! // almost horizontal
          : k === 2 ? lineThrough(-20, -5, -18, h + 5)! // left of the frame
          : lineThrough(random() * w * 1.2 - 0.1 * w, random() * h, random() * w * 1.2 - 0.1 * w, random() * h)!;
        for (const side of ['right', 'left'] as const) {
          for (const seam of [6, 0, 3.5, 40]) {
            const wasm = createBgrImage(w, h), ts = createBgrImage(w, h);
            mirrorFace(image, line, side, wasm, seam);
            mirrorFaceInTypeScript(image, line, side, ts, seam);
            expect(Buffer.from(wasm.data).equals(Buffer.from(ts.data)), `${w}x${h} line ${k} ${side} seam ${seam}`).toBe(true);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(3 * 12 * 2 * 4);
  });
});
