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
import { instantiateBase64, align16 } from '../wasm/index.ts';
import { MIRROR_KERNELS_WASM } from '../wasm/generated/mirrorKernelsWasm.ts';

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
  if (out.width !== source.width || out.height !== source.height) throw new Error('mirrorFace: output size differs from the source');
  const geometry = reflectionGeometry(line, side, seamPixels);
  const kernel = mirrorKernel();
  if (kernel) kernel.mirror(source, geometry, out);
  else mirrorRows(source, geometry, out);
}

/**
 * The same face as `mirrorFace`, always computed in TypeScript (where
 * WebAssembly is missing; the tests compare the two, which give the same bytes).
 */
export function mirrorFaceInTypeScript(source: BgrImage, line: Midline, side: FaceSide, out: BgrImage, seamPixels = DEFAULT_SEAM_PIXELS): void {
  if (out.width !== source.width || out.height !== source.height) throw new Error('mirrorFace: output size differs from the source');
  mirrorRows(source, reflectionGeometry(line, side, seamPixels), out);
}

/** What the reflection needs of the line and the side, in the form both implementations take. */
interface ReflectionGeometry {
  /** a point of the line */
  readonly x: number;
  readonly y: number;
  /** unit normal pointing to the replaced half: u > 0 there, u < 0 on the kept half */
  readonly nx: number;
  readonly ny: number;
  /** half the seam band's width */
  readonly half: number;
  /** written flipped horizontally (the left face) */
  readonly flip: boolean;
}

function reflectionGeometry(line: Midline, side: FaceSide, seamPixels: number): ReflectionGeometry {
  const keepSign = side === 'right' ? 1 : -1;
  return { x: line.x, y: line.y, nx: keepSign * line.dy, ny: -keepSign * line.dx, half: Math.max(seamPixels / 2, 1e-6), flip: side === 'left' };
}

/** The TypeScript reflection (assembly/mirrorKernels.ts is its twin: same operations, same order). */
function mirrorRows(source: BgrImage, { x: lineX, y: lineY, nx, ny, half, flip }: ReflectionGeometry, out: BgrImage): void {
  const { width, height, data: src } = source;
  const dst = out.data;
  const maxX = width - 1, maxY = height - 1;
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    // u and the reflected coordinates are linear along the row: the kept part
    // (u <= -half) is one run at one end of the row, copied as a block
    const u0 = (0 - lineX) * nx + (y - lineY) * ny;
    const rowBase = y * stride;
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
    const step = flip ? -3 : 3;
    let target = flip ? rowBase + (maxX - first) * 3 : rowBase + first * 3;
    for (let x = first; x <= last; x++, target += step) {
      const u = u0 + x * nx;
      let rx = x - 2 * u * nx;
      let ry = y - 2 * u * ny;
      rx = rx < 0 ? 0 : rx > maxX ? maxX : rx;
      ry = ry < 0 ? 0 : ry > maxY ? maxY : ry;
      const x0 = rx | 0, y0 = ry | 0;
      const fx = rx - x0, fy = ry - y0;
      const a = (y0 * width + x0) * 3;
      const b = x0 < maxX ? a + 3 : a;
      const down = y0 < maxY ? stride : 0;
      const c = a + down, d = b + down;
      const wa = (1 - fx) * (1 - fy), wb = fx * (1 - fy), wc = (1 - fx) * fy, wd = fx * fy;
      // the reflection's bilinear sample; beyond the seam it is the pixel (weight 1, the original's 0)
      let v0 = wa * src[a] + wb * src[b] + wc * src[c] + wd * src[d];
      let v1 = wa * src[a + 1] + wb * src[b + 1] + wc * src[c + 1] + wd * src[d + 1];
      let v2 = wa * src[a + 2] + wb * src[b + 2] + wc * src[c + 2] + wd * src[d + 2];
      if (u < half) {
        // in the seam: weight w of the reflection, 0 at u = -half, 1 at u = +half (smoothstep)
        const t = (u + half) / (2 * half);
        const w = t * t * (3 - 2 * t);
        const keep = 1 - w;
        const o = rowBase + x * 3;
        v0 = keep * src[o] + w * v0;
        v1 = keep * src[o + 1] + w * v1;
        v2 = keep * src[o + 2] + w * v2;
      }
      v0 += 0.5;
      v1 += 0.5;
      v2 += 0.5;
      dst[target] = v0 >= 255 ? 255 : v0 | 0;
      dst[target + 1] = v1 >= 255 ? 255 : v1 | 0;
      dst[target + 2] = v2 >= 255 ? 255 : v2 | 0;
    }
  }
}

interface MirrorKernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  mirrorFace(src: number, dst: number, width: number, height: number, lineX: number, lineY: number, nx: number, ny: number, half: number, flip: number): void;
}

/** The WebAssembly reflection: the source copied into the module's memory, the face copied out. */
interface MirrorKernel {
  mirror(source: BgrImage, geometry: ReflectionGeometry, out: BgrImage): void;
}

let mirrorKernelInstance: MirrorKernel | null | undefined;

/** Whether `mirrorFace` runs in WebAssembly here (else in TypeScript: the same bytes, slower). */
export function mirrorUsesWebAssembly(): boolean {
  return mirrorKernel() !== null;
}

function mirrorKernel(): MirrorKernel | null {
  if (mirrorKernelInstance !== undefined) return mirrorKernelInstance;
  const exports = instantiateBase64<MirrorKernelExports>(MIRROR_KERNELS_WASM, 'mirror kernels');
  mirrorKernelInstance = null;
  if (!exports) return null;
  const base = align16(exports.heapBase());
  let bytes = new Uint8Array(exports.memory.buffer);
  mirrorKernelInstance = {
    mirror(source, { x, y, nx, ny, half, flip }, out) {
      const size = source.data.length;
      const src = base, dst = align16(base + size);
      if (bytes.length < dst + size) {
        exports.memory.grow(Math.ceil((dst + size - bytes.length) / 65536));
        bytes = new Uint8Array(exports.memory.buffer);
      }
      bytes.set(source.data, src);
      exports.mirrorFace(src, dst, source.width, source.height, x, y, nx, ny, half, flip ? 1 : 0);
      out.data.set(bytes.subarray(dst, dst + size));
    },
  };
  return mirrorKernelInstance;
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
