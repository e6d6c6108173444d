/**
 * Fitting a frame into a square model input with centred black bars, as
 * MediaPipe's ImageToTensorCalculator does with keep_aspect_ratio, and the
 * way back from the model's normalised coordinates to frame pixels.
 */
import type { SampleGrid } from '../sampling/sampleRgb.ts';

export interface Letterbox {
  /** model input side, pixels */
  readonly size: number;
  /** model pixels per frame pixel */
  readonly scale: number;
  /** width of the left bar and height of the top bar, model pixels */
  readonly padX: number;
  readonly padY: number;
}

export function fitLetterbox(frameWidth: number, frameHeight: number, size: number): Letterbox {
  const scale = size / Math.max(frameWidth, frameHeight);
  return { size, scale, padX: (size - frameWidth * scale) / 2, padY: (size - frameHeight * scale) / 2 };
}

/**
 * The sampling grid: model pixel centre u + 0.5 lies at frame position
 * (u + 0.5 - padX) / scale (continuous, pixel edges at integers), i.e. at
 * pixel index that minus 0.5.
 */
export function letterboxGrid(lb: Letterbox): SampleGrid {
  return { x0: (0.5 - lb.padX) / lb.scale - 0.5, y0: (0.5 - lb.padY) / lb.scale - 0.5, step: 1 / lb.scale, width: lb.size, height: lb.size };
}

/** Normalised model x (0..1 over the letterboxed square) → frame pixel-index x. */
export function modelToFrameX(lb: Letterbox, x: number): number {
  return (x * lb.size - lb.padX) / lb.scale - 0.5;
}

export function modelToFrameY(lb: Letterbox, y: number): number {
  return (y * lb.size - lb.padY) / lb.scale - 0.5;
}
