/**
 * MTCNN's image pyramid and PNet's proposals, as OpenFace 2.2 computes them
 * (FaceDetectorMTCNN::DetectFaces and generate_bounding_boxes).
 *
 * PNet sees 12x12 windows. To find faces of at least `minFace` pixels the
 * frame is first shrunk by 12 / minFace, then by 0.709 again and again while
 * the shorter side still holds a 12-pixel window: scale i is
 * (12 / minFace) * 0.709^i (double), the resized size is the ceiling of the
 * frame size times it. The number of scales is
 * floor(log(minFace / shorter side) / log(0.709)) + 1.
 */

import * as pm from '../../math/portableMath.ts';
import type { BoxRegression, FloatBox } from './boxes.ts';

const f32 = Math.fround;

export const PNET_WINDOW = 12;
export const PYRAMID_FACTOR = 0.709;
/** PNet's output cell steps 2 input pixels (its one 2x2 max pooling). */
const PNET_STRIDE = 2;

export interface PyramidLevel {
  /** the double scale factor from the frame to this level */
  readonly scale: number;
  readonly width: number;
  readonly height: number;
}

/** Dekker's exact product of two doubles as (rounded product, error). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v; // 2^27 + 1
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  return [p, err];
}

/**
 * base^n for a small non-negative integer n, correctly rounded to double
 * (as glibc's pow returns it): the product is carried as a double-double,
 * so its error stays far below half an ulp of the result. Math.pow's last
 * bit differs between JavaScript engines.
 */
export function powInteger(base: number, n: number): number {
  let hi = 1;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const [p, e] = twoProduct(hi, base);
    const err = e + lo * base;
    hi = p + err;
    lo = err - (hi - p);
  }
  return hi + lo;
}

/** The pyramid levels for a frame, finest (largest) first. */
export function pyramidLevels(width: number, height: number, minFace: number): PyramidLevel[] {
  const shorter = Math.min(width, height);
  const count = Math.floor(pm.log(minFace / shorter) / pm.log(PYRAMID_FACTOR)) + 1;
  const levels: PyramidLevel[] = [];
  for (let i = 0; i < count; i++) {
    const scale = (PNET_WINDOW / minFace) * powInteger(PYRAMID_FACTOR, i);
    levels.push({ scale, width: Math.ceil(width * scale), height: Math.ceil(height * scale) });
  }
  return levels;
}

/** PNet's candidate boxes at one pyramid level, in frame pixels. */
export interface Proposals {
  readonly boxes: FloatBox[];
  readonly scores: number[];
  readonly regressions: BoxRegression[];
}

/**
 * generate_bounding_boxes: every heatmap cell with probability >= threshold
 * becomes the frame box its 12x12 window covers, edges truncated to whole
 * pixels ((2 c + 1) / scale and (2 c + 12) / scale in float32, as OpenFace
 * passes the scale as a float). Cells are visited column by column (x
 * outer, y inner), which fixes the order among equal scores later on.
 * `heatmap` and the regression maps are row-major, heatmapWidth wide.
 */
export function proposalsFromHeatmap(
  heatmap: Float32Array,
  regressionMaps: readonly [Float32Array, Float32Array, Float32Array, Float32Array],
  heatmapWidth: number,
  heatmapHeight: number,
  scale: number,
  threshold: number,
): Proposals {
  const scaleF = f32(scale);
  const limit = f32(threshold);
  const boxes: FloatBox[] = [];
  const scores: number[] = [];
  const regressions: BoxRegression[] = [];
  for (let x = 0; x < heatmapWidth; x++) {
    for (let y = 0; y < heatmapHeight; y++) {
      const i = y * heatmapWidth + x;
      if (!(heatmap[i] >= limit)) continue;
      const minX = Math.trunc(f32((PNET_STRIDE * x + 1) / scaleF));
      const maxX = Math.trunc(f32((PNET_STRIDE * x + PNET_WINDOW) / scaleF));
      const minY = Math.trunc(f32((PNET_STRIDE * y + 1) / scaleF));
      const maxY = Math.trunc(f32((PNET_STRIDE * y + PNET_WINDOW) / scaleF));
      boxes.push({ x: minX, y: minY, width: maxX - minX, height: maxY - minY });
      scores.push(heatmap[i]);
      regressions.push({ dx: regressionMaps[0][i], dy: regressionMaps[1][i], dw: regressionMaps[2][i], dh: regressionMaps[3][i] });
    }
  }
  return { boxes, scores, regressions };
}
