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

/**
 * The upright-making transform ffmpeg 5.1's autorotation applies for a
 * display matrix (fftools/ffmpeg_filter.c): a clockwise quarter turn, then
 * optionally a left-right flip. `matrix` is the 3x3 display matrix in
 * ffmpeg's order (16.16 fixed point for the first two columns, as stored in
 * an MP4/MOV tkhd box and printed by ffprobe's displaymatrix side data).
 *
 * ffmpeg measures the angle as av_display_rotation_get does (from the
 * first two columns, each normalised), then picks its filters:
 *   about 90: transpose=cclock_flip when m[3] > 0 (a mirrored quarter turn), else clock;
 *   about 180: hflip when m[0] < 0, vflip when m[4] < 0 (both: a half turn);
 *   about 270: transpose=clock_flip when m[3] < 0, else cclock;
 *   about 0: vflip when m[4] < 0.
 * In "turn, then flip left-right" terms: cclock_flip = 90 + flip,
 * hflip = 0 + flip, vflip = 180 + flip, clock_flip = 270 + flip.
 * Other angles (ffmpeg's free rotate filter) are not reproduced: 0.
 */
export interface Orientation {
  readonly rotation: 0 | QuarterTurn;
  readonly mirrored: boolean;
}

export function orientationForDisplayMatrix(matrix: readonly number[] | null | undefined): Orientation {
  if (!matrix || matrix.length < 5) return { rotation: 0, mirrored: false };
  const scale0 = Math.hypot(matrix[0], matrix[3]);
  const scale1 = Math.hypot(matrix[1], matrix[4]);
  if (scale0 === 0 || scale1 === 0) return { rotation: 0, mirrored: false };
  const ccw = -((Math.atan2(matrix[1] / scale1, matrix[0] / scale0) * 180) / Math.PI);
  let theta = -Math.round(ccw);
  theta -= 360 * Math.floor(theta / 360 + 0.9 / 360);
  if (Math.abs(theta - 90) < 1) return matrix[3] > 0 ? { rotation: 90, mirrored: true } : { rotation: 90, mirrored: false };
  if (Math.abs(theta - 270) < 1) return matrix[3] < 0 ? { rotation: 270, mirrored: true } : { rotation: 270, mirrored: false };
  if (Math.abs(theta - 180) < 1) {
    const h = matrix[0] < 0;
    const v = matrix[4] < 0;
    if (h && v) return { rotation: 180, mirrored: false };
    if (h) return { rotation: 0, mirrored: true };
    if (v) return { rotation: 180, mirrored: true };
    return { rotation: 0, mirrored: false };
  }
  if (Math.abs(theta) < 1 && matrix[4] < 0) return { rotation: 180, mirrored: true };
  return { rotation: 0, mirrored: false };
}

/**
 * One plane of w x h samples (row stride `stride`, in samples) turned
 * clockwise by `rotation` and then, when `mirrored`, flipped left-right, as
 * ffmpeg's transpose/hflip/vflip filters move samples (no resampling).
 * Works on 8-bit and 16-bit planes; the result is tightly packed.
 */
export function orientPlane<T extends Uint8Array | Uint16Array>(src: T, w: number, h: number, stride: number, orientation: Orientation): T {
  if (src.length < stride * (h - 1) + w) throw new RangeError('orientPlane: plane too short');
  // As a transpose followed by flips of the output: see the table in the comment above.
  const { rotation, mirrored } = orientation;
  const transpose = rotation === 90 || rotation === 270;
  let flipX = rotation === 90 || rotation === 180;
  const flipY = rotation === 180 || rotation === 270;
  if (mirrored) flipX = !flipX;
  const outW = transpose ? h : w;
  const outH = transpose ? w : h;
  const dst = (src instanceof Uint16Array ? new Uint16Array(outW * outH) : new Uint8Array(outW * outH)) as T;
  for (let r = 0; r < outH; r++) {
    const sr = flipY ? outH - 1 - r : r;
    let o = r * outW;
    if (!transpose) {
      const row = sr * stride;
      if (flipX) for (let c = outW - 1; c >= 0; c--) dst[o++] = src[row + c];
      else for (let c = 0; c < outW; c++) dst[o++] = src[row + c];
    } else if (flipX) {
      for (let c = outW - 1; c >= 0; c--) dst[o++] = src[c * stride + sr];
    } else {
      for (let c = 0; c < outW; c++) dst[o++] = src[c * stride + sr];
    }
  }
  return dst;
}
