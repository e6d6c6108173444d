/**
 * MediaPipe's weighted non-maximum suppression
 * (NonMaxSuppressionCalculator, algorithm WEIGHTED, overlap
 * INTERSECTION_OVER_UNION): take the best remaining candidate, gather every
 * remaining candidate overlapping it by more than the threshold (itself
 * included), and output their score-weighted mean box corners and keypoints
 * with the best candidate's score. Blending instead of dropping steadies the
 * box from frame to frame.
 */
import type { SsdDetection } from './ssdDecode.ts';

export function intersectionOverUnion(a: SsdDetection, b: SsdDetection): number {
  const ix = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const iy = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (ix <= 0 || iy <= 0) return 0;
  const intersection = ix * iy;
  const union = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - intersection;
  return union > 0 ? intersection / union : 0;
}

export function weightedNonMaxSuppression(candidates: readonly SsdDetection[], minSuppressionThreshold: number): SsdDetection[] {
  // Best first; equal scores keep their anchor order (std::sort gives no guarantee there).
  let remaining = candidates.map((d, i) => ({ d, i })).sort((p, q) => q.d.score - p.d.score || p.i - q.i).map((p) => p.d);
  const output: SsdDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    const overlapping: SsdDetection[] = [];
    const rest: SsdDetection[] = [];
    for (const d of remaining) (intersectionOverUnion(d, best) > minSuppressionThreshold ? overlapping : rest).push(d);
    if (overlapping.length === 0) {
      // A degenerate (empty) best box overlaps nothing, not even itself; MediaPipe
      // outputs it as is and then stops, since nothing was consumed.
      output.push(best);
    } else {
      let total = 0;
      let xmin = 0; let ymin = 0; let xmax = 0; let ymax = 0;
      const keypoints = new Float32Array(best.keypoints.length);
      for (const d of overlapping) {
        total += d.score;
        xmin += d.xmin * d.score; ymin += d.ymin * d.score; xmax += d.xmax * d.score; ymax += d.ymax * d.score;
        for (let k = 0; k < keypoints.length; k++) keypoints[k] += d.keypoints[k] * d.score;
      }
      for (let k = 0; k < keypoints.length; k++) keypoints[k] /= total;
      output.push({ score: best.score, xmin: xmin / total, ymin: ymin / total, xmax: xmax / total, ymax: ymax / total, keypoints });
    }
    if (rest.length === remaining.length) break;
    remaining = rest;
  }
  return output;
}
