/**
 * The two synthetic faces: one half of the face kept, the other half
 * replaced by the kept half's reflection across the midline, at the source
 * resolution, with bilinear sampling. Across the seam the image fades from
 * the original to the reflection over a band `seamPixels` wide (a smoothstep
 * in the distance from the line); the weights on the two sides of the line
 * add to one, so the result is symmetric across the line through the band
 * too, and no edge is visible where the halves meet.
 */
import type { BgrImage } from '../image.ts';
import type { Midline } from './midline.ts';

/** Anatomical side: the patient's right or left (the image's left or right in an unmirrored frontal video). */
export type FaceSide = 'right' | 'left';

export const DEFAULT_SEAM_PIXELS = 6;

/**
 * Writes into `out` (same size as `source`) the face made of the patient's
 * `side` half and its mirror image. The patient's right is where the signed
 * distance from the downward midline is negative (the image's left).
 *
 * Every synthetic face is written in one orientation: the kept half on the
 * image's left. The right face is the mirror as it is; the left face is
 * written flipped horizontally (column x holds what the mirror has at
 * column width - 1 - x). A symmetric face flipped is the same face moved
 * sideways, so nothing of the face changes, but the tracker then sees the
 * same picture for a side whether the video was filmed as is or mirrored:
 * the flipped video's left face is the original's right face (up to the two
 * videos' midlines), while CLNF fits a face and its horizontal flip slightly
 * differently (docs/mirror.md, flip invariance).
 */
export function mirrorFace(source: BgrImage, line: Midline, side: FaceSide, out: BgrImage, seamPixels = DEFAULT_SEAM_PIXELS): void {
  const { width, height, data: src } = source;
  const dst = out.data;
  if (out.width !== width || out.height !== height) throw new Error('mirrorFace: output size differs from the source');
  // normal pointing to the replaced half: u > 0 there, u < 0 on the kept half
  const keepSign = side === 'right' ? 1 : -1;
  const flip = side === 'left';
  const nx = keepSign * line.dy;
  const ny = -keepSign * line.dx;
  const half = Math.max(seamPixels / 2, 1e-6);
  const maxX = width - 1, maxY = height - 1;
  for (let y = 0; y < height; y++) {
    // u and the reflected coordinates are linear along the row: the kept part
    // (u <= -half) is one run at one end of the row, copied as a block
    const u0 = (0 - line.x) * nx + (y - line.y) * ny;
    const rowBase = y * width * 3;
    let first = 0, last = width - 1; // the pixels that need the reflection
    if (nx > 1e-12) first = Math.max(0, Math.min(width, Math.floor((-half - u0) / nx) + 1));
    else if (nx < -1e-12) last = Math.min(width - 1, Math.max(-1, Math.ceil((-half - u0) / nx) - 1));
    else if (u0 <= -half) first = width;
    while (first <= last && u0 + first * nx <= -half) first++;
    while (last >= first && u0 + last * nx <= -half) last--;
    if (flip) {
      copyReversed(src, dst, rowBase, 0, Math.min(first, width), width);
      copyReversed(src, dst, rowBase, last + 1, width, width);
    } else {
      if (first > 0) dst.set(src.subarray(rowBase, rowBase + Math.min(first, width) * 3), rowBase);
      if (last < width - 1) dst.set(src.subarray(rowBase + (last + 1) * 3, rowBase + width * 3), rowBase + (last + 1) * 3);
    }
    for (let x = first; x <= last; x++) {
      const u = u0 + x * nx;
      const o = rowBase + x * 3;
      const target = flip ? rowBase + (maxX - x) * 3 : o;
      // weight of the reflection: 0 at u = -half, 1 at u = +half (smoothstep)
      let w = 1;
      if (u < half) {
        const t = (u + half) / (2 * half);
        w = t * t * (3 - 2 * t);
      }
      let rx = x - 2 * u * nx;
      let ry = y - 2 * u * ny;
      rx = rx < 0 ? 0 : rx > maxX ? maxX : rx;
      ry = ry < 0 ? 0 : ry > maxY ? maxY : ry;
      const x0 = rx | 0, y0 = ry | 0;
      const x1 = x0 < maxX ? x0 + 1 : x0, y1 = y0 < maxY ? y0 + 1 : y0;
      const fx = rx - x0, fy = ry - y0;
      const a = (y0 * width + x0) * 3, b = (y0 * width + x1) * 3, c = (y1 * width + x0) * 3, d = (y1 * width + x1) * 3;
      const wa = (1 - fx) * (1 - fy), wb = fx * (1 - fy), wc = (1 - fx) * fy, wd = fx * fy;
      const keep = 1 - w;
      const v0 = keep * src[o] + w * (wa * src[a] + wb * src[b] + wc * src[c] + wd * src[d]) + 0.5;
      const v1 = keep * src[o + 1] + w * (wa * src[a + 1] + wb * src[b + 1] + wc * src[c + 1] + wd * src[d + 1]) + 0.5;
      const v2 = keep * src[o + 2] + w * (wa * src[a + 2] + wb * src[b + 2] + wc * src[c + 2] + wd * src[d + 2]) + 0.5;
      dst[target] = v0 >= 255 ? 255 : v0 | 0;
      dst[target + 1] = v1 >= 255 ? 255 : v1 | 0;
      dst[target + 2] = v2 >= 255 ? 255 : v2 | 0;
    }
  }
}

/** The image flipped horizontally (column x of the result is column width - 1 - x of the image). */
export function flipHorizontally(image: BgrImage, out: BgrImage): void {
  if (out.width !== image.width || out.height !== image.height) throw new Error('flipHorizontally: output size differs from the image');
  for (let y = 0; y < image.height; y++) copyReversed(image.data, out.data, y * image.width * 3, 0, image.width, image.width);
}

/** Source pixels [from, to) of one row written to the mirrored columns (width - 1 - x) of the same row. */
function copyReversed(src: Uint8Array, dst: Uint8Array, rowBase: number, from: number, to: number, width: number): void {
  for (let x = from; x < to; x++) {
    const s = rowBase + x * 3, d = rowBase + (width - 1 - x) * 3;
    dst[d] = src[s];
    dst[d + 1] = src[s + 1];
    dst[d + 2] = src[s + 2];
  }
}
