import type { Yuv420Planes } from './yuvToBgr.ts';

/*
 * Display rotation of decoded 4:2:0 frames, exactly as ffmpeg's autorotation
 * does it before the colour conversion: a display matrix that asks for a
 * clockwise quarter turn inserts `transpose=clock`, a half turn
 * `hflip,vflip`, three quarters `transpose=cclock`. Those filters move every
 * plane on its own, at its own size (luma W x H, chroma ceil(W/2) x ceil(H/2)),
 * so we do the same: no resampling, every sample lands somewhere else
 * unchanged, and the converted result equals ffmpeg's autorotated bgr24.
 * (With an odd dimension, a rotated chroma plane no longer sits exactly on its
 * 2x2 luma blocks; ffmpeg has the same shift, which is why we must not
 * "correct" it.)
 *
 * `degrees` is the clockwise turn to apply (mediabunny's track rotation and
 * ffmpeg's autorotate use this sense). ffprobe's `rotation` side data and
 * av_display_rotation_get() are counter-clockwise: a phone clip with
 * rotation = -90 needs 90 here; see clockwiseTurnForDisplayRotation.
 */

export type QuarterTurn = 90 | 180 | 270;

/**
 * The clockwise turn for a display matrix's counter-clockwise rotation
 * (ffprobe's `rotation`), decided as ffmpeg's autorotation does (get_rotation
 * in cmdutils): negate, round, bring into [0, 360) and accept a quarter turn
 * within 1 degree; any other angle is left alone (0).
 */
export function clockwiseTurnForDisplayRotation(counterClockwiseDegrees: number): 0 | QuarterTurn {
  let theta = -Math.round(counterClockwiseDegrees);
  theta -= 360 * Math.floor(theta / 360 + 0.9 / 360);
  if (Math.abs(theta - 90) < 1) return 90;
  if (Math.abs(theta - 180) < 1) return 180;
  if (Math.abs(theta - 270) < 1) return 270;
  return 0;
}

/**
 * Rotates an I420 frame clockwise by a quarter, half or three-quarter turn.
 * Returns fresh, tightly packed planes (strides = plane widths) and keeps the
 * colour info.
 */
export function rotateYuv420(planes: Yuv420Planes, degrees: QuarterTurn): Yuv420Planes {
  const { width, height } = planes;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const turned = degrees !== 180;
  const outW = turned ? height : width;
  const outH = turned ? width : height;
  const y = rotatePlane(planes.y, width, height, planes.yStride, degrees);
  const u = rotatePlane(planes.u, cw, ch, planes.uvStride, degrees);
  const v = rotatePlane(planes.v, cw, ch, planes.uvStride, degrees);
  return { ...planes, y, u, v, width: outW, height: outH, yStride: outW, uvStride: turned ? ch : cw };
}

/** Side of the square tiles the quarter turns walk in, so reads and writes both stay within a few cache lines. */
const TILE = 32;

/** One plane of w x h samples (row stride `stride`) turned clockwise; the result is tightly packed. */
export function rotatePlane(src: Uint8Array, w: number, h: number, stride: number, degrees: QuarterTurn): Uint8Array {
  if (src.length < stride * (h - 1) + w) throw new RangeError('rotatePlane: plane too short');
  const dst = new Uint8Array(w * h);
  if (degrees === 180) {
    // hflip + vflip: sample (x, y) goes to (w-1-x, h-1-y).
    let o = 0;
    for (let r = h - 1; r >= 0; r--) {
      const row = r * stride;
      for (let c = w - 1; c >= 0; c--) dst[o++] = src[row + c];
    }
    return dst;
  }
  // Output is h wide and w tall. Clockwise (transpose=clock): source (x, y) goes to
  // (h-1-y, x). Counter-clockwise (transpose=cclock): source (x, y) goes to (y, w-1-x).
  const clockwise = degrees === 90;
  for (let r0 = 0; r0 < h; r0 += TILE) {
    const r1 = Math.min(h, r0 + TILE);
    for (let c0 = 0; c0 < w; c0 += TILE) {
      const c1 = Math.min(w, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const row = r * stride;
        if (clockwise) {
          const outX = h - 1 - r;
          for (let c = c0; c < c1; c++) dst[c * h + outX] = src[row + c];
        } else {
          for (let c = c0; c < c1; c++) dst[(w - 1 - c) * h + r] = src[row + c];
        }
      }
    }
  }
  return dst;
}
