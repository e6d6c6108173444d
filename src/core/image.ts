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
