/**
 * The facial midline of one frame, fitted to every landmark that should lie
 * on it: the midline landmarks themselves and the midpoints of symmetric
 * pairs (see faceLandmarks.ts). The desktop tool's glabella-to-chin line
 * rests on two points, so one badly placed chin moves the whole mirror; here
 * about 25 points vote and a bad one is weighed out:
 *
 * 1. Least median of squares over the lines through every pair of points
 *    (about 300 lines): the line that half the points hug most closely. It
 *    ignores up to half of the points being wrong, so it is a safe start.
 * 2. Tukey biweight IRLS from there: weighted orthogonal (total) least
 *    squares, points further than 4.685 robust sigmas get weight 0. This
 *    refines the line with all the good points instead of two.
 *
 * Distances are orthogonal to the line, so a head tilted in the image plane
 * (roll) is fitted as well as an upright one: nothing assumes the midline is
 * vertical. The line is directed from the brow towards the chin.
 */
import { LANDMARK_COUNT, MIDLINE_POINTS, SYMMETRIC_PAIRS, lx, ly } from './faceLandmarks.ts';

/** A directed line in image pixels: through (x, y), unit direction (dx, dy) pointing down the face. */
export interface Midline {
  readonly x: number;
  readonly y: number;
  readonly dx: number;
  readonly dy: number;
}

export interface MidlineFit {
  readonly line: Midline;
  /** the fitted line's ends: where the nasion (27) and the chin (8) project onto it */
  readonly top: readonly [number, number];
  readonly bottom: readonly [number, number];
  /** root mean square orthogonal distance of the inliers, pixels */
  readonly rmsResidual: number;
  /** points given a non-zero weight, of `pointCount` */
  readonly inliers: number;
  readonly pointCount: number;
}

/** Tukey's biweight constant: 95 % efficiency on Gaussian noise. */
const TUKEY_C = 4.685;
/** MAD to sigma for Gaussian noise */
const MAD_TO_SIGMA = 1.4826;
const IRLS_ITERATIONS = 20;
/** floor of the robust sigma, 2 % of the points' extent (about 3 px on a 150 px face): landmark jitter below it is not treated as outliers, so the fit averages the good points instead of switching between subsets (a bad point 10 % of the face away is still weighed out) */
const MIN_SPREAD_FRACTION = 0.02;

/** The points that vote for the midline, as x then y arrays. */
export function midlinePoints(landmarks: ArrayLike<number>): { xs: Float64Array; ys: Float64Array } {
  const n = MIDLINE_POINTS.length + SYMMETRIC_PAIRS.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let k = 0;
  for (const i of MIDLINE_POINTS) {
    xs[k] = lx(landmarks, i);
    ys[k++] = ly(landmarks, i);
  }
  for (const [a, b] of SYMMETRIC_PAIRS) {
    xs[k] = (lx(landmarks, a) + lx(landmarks, b)) / 2;
    ys[k++] = (ly(landmarks, a) + ly(landmarks, b)) / 2;
  }
  return { xs, ys };
}

/** Fits the midline to one frame's 68 landmarks (x_0..x_67, y_0..y_67); null if they are degenerate. */
export function fitMidline(landmarks: ArrayLike<number>, minSpread = MIN_SPREAD_FRACTION): MidlineFit | null {
  if (landmarks.length < 2 * LANDMARK_COUNT) return null;
  const { xs, ys } = midlinePoints(landmarks);
  return fitRobustLine(xs, ys, [lx(landmarks, 27), ly(landmarks, 27)], [lx(landmarks, 8), ly(landmarks, 8)], minSpread);
}

/**
 * The robust line through points (xs, ys), directed from `from` towards `to`
 * (the ends are those two points projected onto it). Exposed for tests.
 */
export function fitRobustLine(xs: Float64Array, ys: Float64Array, from: readonly [number, number], to: readonly [number, number], minSpread = MIN_SPREAD_FRACTION): MidlineFit | null {
  const n = xs.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) return null;
  const start = leastMedianLine(xs, ys);
  if (!start) return null;
  const residuals = new Float64Array(n);
  const weights = new Float64Array(n);
  let line = start;
  let spread = 0;
  for (let iteration = 0; iteration < IRLS_ITERATIONS; iteration++) {
    orthogonalResiduals(line, xs, ys, residuals);
    const sigma = MAD_TO_SIGMA * median(residuals.map(Math.abs));
    // a floor so that points already on the line do not make every other point an outlier
    spread = Math.max(sigma, minSpread * lineScale(xs, ys));
    const cutoff = TUKEY_C * spread;
    for (let i = 0; i < n; i++) {
      const t = residuals[i] / cutoff;
      weights[i] = Math.abs(t) < 1 ? (1 - t * t) * (1 - t * t) : 0;
    }
    const next = weightedTotalLeastSquares(xs, ys, weights);
    if (!next) break;
    const moved = Math.abs(next.dx * line.dy - next.dy * line.dx) + Math.abs((next.x - line.x) * next.dy - (next.y - line.y) * next.dx) / spread;
    line = next;
    if (moved < 1e-9) break;
  }
  orthogonalResiduals(line, xs, ys, residuals);
  let inliers = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(residuals[i]) < TUKEY_C * spread) {
      inliers++;
      sumSq += residuals[i] * residuals[i];
    }
  }
  // direct the line from `from` towards `to`
  const along = (to[0] - from[0]) * line.dx + (to[1] - from[1]) * line.dy;
  if (along < 0) line = { x: line.x, y: line.y, dx: -line.dx, dy: -line.dy };
  return {
    line,
    top: projectOnto(line, from[0], from[1]),
    bottom: projectOnto(line, to[0], to[1]),
    rmsResidual: inliers > 0 ? Math.sqrt(sumSq / inliers) : Number.NaN,
    inliers,
    pointCount: n,
  };
}

/** The point of `line` nearest (px, py). */
export function projectOnto(line: Midline, px: number, py: number): [number, number] {
  const t = (px - line.x) * line.dx + (py - line.y) * line.dy;
  return [line.x + t * line.dx, line.y + t * line.dy];
}

/** The line through two points (a directed midline from a to b), or null if they coincide. */
export function lineThrough(ax: number, ay: number, bx: number, by: number): Midline | null {
  const length = Math.hypot(bx - ax, by - ay);
  if (!(length > 1e-9)) return null;
  return { x: ax, y: ay, dx: (bx - ax) / length, dy: (by - ay) / length };
}

/** Signed distance of (px, py) from the line: positive on the image's right of a downward line (the patient's left). */
export function signedDistance(line: Midline, px: number, py: number): number {
  return (px - line.x) * line.dy - (py - line.y) * line.dx;
}

function orthogonalResiduals(line: Midline, xs: Float64Array, ys: Float64Array, out: Float64Array): void {
  for (let i = 0; i < xs.length; i++) out[i] = signedDistance(line, xs[i], ys[i]);
}

function lineScale(xs: Float64Array, ys: Float64Array): number {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    minX = Math.min(minX, xs[i]);
    maxX = Math.max(maxX, xs[i]);
    minY = Math.min(minY, ys[i]);
    maxY = Math.max(maxY, ys[i]);
  }
  return Math.max(maxX - minX, maxY - minY, 1e-6);
}

function leastMedianLine(xs: Float64Array, ys: Float64Array): Midline | null {
  const n = xs.length;
  const squared = new Float64Array(n);
  let best: Midline | null = null;
  let bestMedian = Infinity;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const line = lineThrough(xs[a], ys[a], xs[b], ys[b]);
      if (!line) continue;
      for (let i = 0; i < n; i++) {
        const r = signedDistance(line, xs[i], ys[i]);
        squared[i] = r * r;
      }
      const m = median(squared);
      if (m < bestMedian) {
        bestMedian = m;
        best = line;
      }
    }
  }
  return best;
}

/** The line minimising the weighted sum of squared orthogonal distances: through the weighted centroid along the main axis. */
function weightedTotalLeastSquares(xs: Float64Array, ys: Float64Array, w: Float64Array): Midline | null {
  let sw = 0, mx = 0, my = 0;
  for (let i = 0; i < xs.length; i++) {
    sw += w[i];
    mx += w[i] * xs[i];
    my += w[i] * ys[i];
  }
  if (!(sw > 0)) return null;
  mx /= sw;
  my /= sw;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const ex = xs[i] - mx, ey = ys[i] - my;
    sxx += w[i] * ex * ex;
    sxy += w[i] * ex * ey;
    syy += w[i] * ey * ey;
  }
  // main axis of the 2x2 scatter: angle 0.5 atan2(2 sxy, sxx - syy)
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  return { x: mx, y: my, dx: Math.cos(angle), dy: Math.sin(angle) };
}

/** Median of a small array (copied and sorted). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
