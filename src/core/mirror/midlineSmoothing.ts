/**
 * Midlines over time. Each frame's fitted line is kept as its two ends (the
 * nasion's and the chin's projections, see midline.ts); smoothing those four
 * coordinates smooths both the position and the angle of the line.
 *
 * Offline (a whole video): a centred Gaussian over the neighbouring frames
 * that have a face. A symmetric window has no lag: a head moving steadily
 * gets the line where it is, not where it was a few frames ago (the desktop
 * tool's trailing average draws the line behind a moving face). Live preview:
 * a causal exponential smoother, which does lag, but needs no future frames.
 */
import { lineThrough, type Midline } from './midline.ts';

/** Per-frame line ends, x1 y1 x2 y2 per frame; NaN where the frame has no line. */
export type MidlineEnds = Float64Array;

export const ENDS_PER_FRAME = 4;

/** Default centred window: sigma 1.5 frames, 4 frames each side (±133 ms at 30 fps). */
export const OFFLINE_SIGMA_FRAMES = 1.5;

/**
 * Centred Gaussian smoothing of per-frame line ends. Frames without a line
 * (NaN) stay without one and do not vote for their neighbours.
 */
export function smoothMidlineEnds(ends: MidlineEnds, sigmaFrames = OFFLINE_SIGMA_FRAMES): MidlineEnds {
  const frames = ends.length / ENDS_PER_FRAME;
  const radius = Math.ceil(3 * sigmaFrames);
  const kernel = new Float64Array(2 * radius + 1);
  for (let k = -radius; k <= radius; k++) kernel[k + radius] = sigmaFrames > 0 ? Math.exp(-(k * k) / (2 * sigmaFrames * sigmaFrames)) : k === 0 ? 1 : 0;
  const out = new Float64Array(ends.length).fill(Number.NaN);
  for (let f = 0; f < frames; f++) {
    if (Number.isNaN(ends[f * ENDS_PER_FRAME])) continue;
    let sw = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    const lo = Math.max(0, f - radius), hi = Math.min(frames - 1, f + radius);
    for (let g = lo; g <= hi; g++) {
      const base = g * ENDS_PER_FRAME;
      if (Number.isNaN(ends[base])) continue;
      const w = kernel[g - f + radius];
      sw += w;
      x1 += w * ends[base];
      y1 += w * ends[base + 1];
      x2 += w * ends[base + 2];
      y2 += w * ends[base + 3];
    }
    const base = f * ENDS_PER_FRAME;
    out[base] = x1 / sw;
    out[base + 1] = y1 / sw;
    out[base + 2] = x2 / sw;
    out[base + 3] = y2 / sw;
  }
  return out;
}

/** The directed line of frame f (top end to bottom end), or null. */
export function midlineAt(ends: MidlineEnds, f: number): Midline | null {
  const base = f * ENDS_PER_FRAME;
  if (Number.isNaN(ends[base])) return null;
  return lineThrough(ends[base], ends[base + 1], ends[base + 2], ends[base + 3]);
}

/** Angle of the line from the image's vertical, degrees, positive when the chin end is to the image's right of the top end. */
export function midlineAngleDegrees(line: Midline): number {
  return (Math.atan2(line.dx, line.dy) * 180) / Math.PI;
}

/**
 * Causal smoothing for a live preview: each frame's ends move a fraction
 * `alpha` of the way to the new fit. A frame without a face resets it.
 */
export class CausalMidlineSmoother {
  private ends: Float64Array | null = null;

  constructor(private readonly alpha = 0.5) {}

  /** The smoothed ends after this frame's fit (x1, y1, x2, y2), or null for a frame without one. */
  next(top: readonly [number, number] | null, bottom: readonly [number, number] | null): Float64Array | null {
    if (!top || !bottom) {
      this.ends = null;
      return null;
    }
    const fresh = [top[0], top[1], bottom[0], bottom[1]];
    if (!this.ends) this.ends = Float64Array.from(fresh);
    else for (let i = 0; i < ENDS_PER_FRAME; i++) this.ends[i] += this.alpha * (fresh[i] - this.ends[i]);
    return Float64Array.from(this.ends);
  }
}
