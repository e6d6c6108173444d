/**
 * Raw SSD outputs → candidate detections, as MediaPipe's
 * TensorsToDetectionsCalculator decodes them (DecodeBoxes + score sigmoid
 * with clipping + min_score_thresh). Coordinates stay normalised to the
 * model input (letterbox included); projection to the frame happens later.
 */
import type { SsdAnchors } from './ssdAnchors.ts';
import * as pm from '../math/portableMath.ts';

export interface SsdDecodeOptions {
  readonly numKeypoints: number;
  readonly xScale: number;
  readonly yScale: number;
  readonly wScale: number;
  readonly hScale: number;
  /** raw scores are clipped to ±this before the sigmoid */
  readonly scoreClippingThresh: number;
  /** candidates scoring below this are dropped */
  readonly minScoreThresh: number;
  /** boxes stored x, y, w, h (true for BlazeFace) instead of y, x, h, w */
  readonly reverseOutputOrder: boolean;
}

/** One candidate: box corners and keypoints normalised to the model input. */
export interface SsdDetection {
  readonly score: number;
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
  /** x0, y0, x1, y1, ... */
  readonly keypoints: Float32Array;
}

/**
 * `rawScores` has one logit per anchor, `rawBoxes` 4 + 2 * numKeypoints
 * values per anchor, both in anchor order.
 */
export function decodeSsdDetections(rawScores: Float32Array, rawBoxes: Float32Array, anchors: SsdAnchors, o: SsdDecodeOptions): SsdDetection[] {
  const numCoords = 4 + 2 * o.numKeypoints;
  if (rawScores.length !== anchors.count || rawBoxes.length !== anchors.count * numCoords) {
    throw new Error(`SSD outputs do not match ${anchors.count} anchors: ${rawScores.length} scores, ${rawBoxes.length} box values`);
  }
  const out: SsdDetection[] = [];
  for (let i = 0; i < anchors.count; i++) {
    const logit = Math.min(Math.max(rawScores[i], -o.scoreClippingThresh), o.scoreClippingThresh);
    const score = 1 / (1 + pm.exp(-logit));
    if (score < o.minScoreThresh) continue;
    const base = i * numCoords;
    const ax = anchors.xCenter[i];
    const ay = anchors.yCenter[i];
    const aw = anchors.width[i];
    const ah = anchors.height[i];
    const [rx, ry, rw, rh] = o.reverseOutputOrder
      ? [rawBoxes[base], rawBoxes[base + 1], rawBoxes[base + 2], rawBoxes[base + 3]]
      : [rawBoxes[base + 1], rawBoxes[base], rawBoxes[base + 3], rawBoxes[base + 2]];
    const xCenter = (rx / o.xScale) * aw + ax;
    const yCenter = (ry / o.yScale) * ah + ay;
    const w = (rw / o.wScale) * aw;
    const h = (rh / o.hScale) * ah;
    const keypoints = new Float32Array(2 * o.numKeypoints);
    for (let k = 0; k < o.numKeypoints; k++) {
      const at = base + 4 + 2 * k;
      const [kx, ky] = o.reverseOutputOrder ? [rawBoxes[at], rawBoxes[at + 1]] : [rawBoxes[at + 1], rawBoxes[at]];
      keypoints[2 * k] = (kx / o.xScale) * aw + ax;
      keypoints[2 * k + 1] = (ky / o.yScale) * ah + ay;
    }
    out.push({ score, xmin: xCenter - w / 2, ymin: yCenter - h / 2, xmax: xCenter + w / 2, ymax: yCenter + h / 2, keypoints });
  }
  return out;
}
