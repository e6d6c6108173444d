/**
 * An 8-bit, 3-channel image in OpenCV's memory layout: rows top to bottom,
 * pixels interleaved as B, G, R. OpenFace works on exactly these bytes, so every
 * stage of the AU engine takes and returns this type.
 */
export interface BgrImage {
  readonly width: number;
  readonly height: number;
  /** length width * height * 3, B G R per pixel, no row padding */
  readonly data: Uint8Array;
}

export function createBgrImage(width: number, height: number): BgrImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** An 8-bit grayscale image, rows top to bottom, no row padding (what the CLNF tracker works on). */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** length width * height */
  readonly data: Uint8Array;
}

/**
 * OpenCV's cvtColor(BGR2GRAY) for 8-bit images (the data of a BgrImage),
 * fixed point: Y = (1868 B + 9617 G + 4899 R + 8192) >> 14 (imgproc
 * color_rgb: B2Y, G2Y, R2Y with yuv_shift 14), bit-identical to what
 * OpenFace tracks on.
 */
export function bgrToGray(bgr: Uint8Array, width: number, height: number, out: Uint8Array = new Uint8Array(width * height)): Uint8Array {
  const count = width * height;
  for (let i = 0, j = 0; i < count; i++, j += 3) out[i] = (bgr[j] * 1868 + bgr[j + 1] * 9617 + bgr[j + 2] * 4899 + 8192) >> 14;
  return out;
}
