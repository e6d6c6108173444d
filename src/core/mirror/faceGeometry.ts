/**
 * Geometric symmetry measures from the landmarks alone (no AU models), in a
 * face-aligned frame: v runs down the midline, u across it, both divided by
 * the inter-ocular distance (between the two eye centres) so that measures
 * do not depend on the face's size in the image or its roll.
 *
 * Per side (anatomical: right = the image's left in an unmirrored video):
 * - brow height: eye centre to brow centre along the midline (brow lift,
 *   Sunnybrook's "forehead wrinkle" / eFACE brow position);
 * - eye opening: the palpebral fissure, mean upper-to-lower lid distance
 *   (eFACE palpebral fissure, gentle / full eye closure);
 * - commissure height and lateral position: the mouth corner below the eye
 *   line and out from the midline (eFACE oral commissure at rest);
 * - commissure excursion: distance the corner has moved from its position in
 *   the video's rest frames (eFACE / Sunnybrook smile excursion);
 * - smile angle: elevation of the corner above the line across the face
 *   through the inner-lip centre, degrees (the corner's lift in a smile).
 */
import { INNER_LIP_CENTRE, LEFT_SIDE, RIGHT_SIDE, lx, ly, type SideLandmarks } from './faceLandmarks.ts';
import { signedDistance, type Midline } from './midline.ts';
import type { FaceSide } from './mirrorImage.ts';

/** The per-side measures, in the order of a frame's record. */
export const SIDE_MEASURES = ['brow_height', 'eye_opening', 'commissure_height', 'commissure_lateral', 'smile_angle'] as const;
export type SideMeasure = (typeof SIDE_MEASURES)[number];

/** A frame's record: inter-ocular distance (px), mouth opening (IOD), then the right side's measures, then the left's. */
export const FRAME_RECORD_LENGTH = 2 + 2 * SIDE_MEASURES.length;
const IOD = 0, MOUTH_OPENING = 1;

export function sideOffset(side: FaceSide): number {
  return 2 + (side === 'right' ? 0 : SIDE_MEASURES.length);
}

/** Distance between the eye centres (mean of each eye's six points), pixels. */
export function interOcularDistance(landmarks: ArrayLike<number>): number {
  const [rx, ry] = centroid(landmarks, RIGHT_SIDE.eye);
  const [lxx, lyy] = centroid(landmarks, LEFT_SIDE.eye);
  return Math.hypot(lxx - rx, lyy - ry);
}

/** One frame's measures into `out` (FRAME_RECORD_LENGTH values); NaN when there is no face. */
export function measureFrame(landmarks: ArrayLike<number> | null, line: Midline | null, out: Float64Array): void {
  out.fill(Number.NaN);
  if (!landmarks || !line) return;
  const iod = interOcularDistance(landmarks);
  if (!(iod > 0)) return;
  out[IOD] = iod;
  const along = (x: number, y: number): number => ((x - line.x) * line.dx + (y - line.y) * line.dy) / iod;
  const across = (x: number, y: number): number => signedDistance(line, x, y) / iod;
  const [ex1, ey1] = centroid(landmarks, RIGHT_SIDE.eye);
  const [ex2, ey2] = centroid(landmarks, LEFT_SIDE.eye);
  const eyeLine = (along(ex1, ey1) + along(ex2, ey2)) / 2;
  const [up, low] = INNER_LIP_CENTRE;
  const lipU = (across(lx(landmarks, up), ly(landmarks, up)) + across(lx(landmarks, low), ly(landmarks, low))) / 2;
  const lipV = (along(lx(landmarks, up), ly(landmarks, up)) + along(lx(landmarks, low), ly(landmarks, low))) / 2;
  out[MOUTH_OPENING] = Math.hypot(lx(landmarks, low) - lx(landmarks, up), ly(landmarks, low) - ly(landmarks, up)) / iod;
  for (const [side, points] of [['right', RIGHT_SIDE], ['left', LEFT_SIDE]] as const) {
    const o = sideOffset(side);
    const [ecx, ecy] = centroid(landmarks, points.eye);
    const [bcx, bcy] = centroid(landmarks, points.brow);
    out[o] = along(ecx, ecy) - along(bcx, bcy);
    out[o + 1] = lidDistance(landmarks, points) / iod;
    const cx = lx(landmarks, points.commissure), cy = ly(landmarks, points.commissure);
    const cv = along(cx, cy), cu = across(cx, cy);
    out[o + 2] = cv - eyeLine;
    out[o + 3] = Math.abs(cu);
    out[o + 4] = (Math.atan2(lipV - cv, Math.abs(cu - lipU)) * 180) / Math.PI;
  }
}

function centroid(landmarks: ArrayLike<number>, points: readonly number[]): [number, number] {
  let x = 0, y = 0;
  for (const i of points) {
    x += lx(landmarks, i);
    y += ly(landmarks, i);
  }
  return [x / points.length, y / points.length];
}

function lidDistance(landmarks: ArrayLike<number>, side: SideLandmarks): number {
  let sum = 0;
  for (const [upper, lower] of side.lidPairs) sum += Math.hypot(lx(landmarks, lower) - lx(landmarks, upper), ly(landmarks, lower) - ly(landmarks, upper));
  return sum / side.lidPairs.length;
}

/** Mouth corner excursion from rest, per frame and side. */
export interface RestPosition {
  /** frames used as rest (indices) */
  readonly frames: number;
  /** per side: the corner's rest height and lateral position (IOD) */
  readonly right: readonly [number, number];
  readonly left: readonly [number, number];
}

/** share of the usable frames taken as rest: the least open and least wide mouths */
const REST_FRACTION = 0.2;

/**
 * The video's rest mouth: among usable frames, the fifth with the smallest
 * mouth (width between the corners plus inner-lip opening); each corner's
 * rest position is its median over those frames. Null if no frame is usable.
 */
export function restPosition(records: Float64Array, usable: Uint8Array): RestPosition | null {
  const frames = usable.length;
  const candidates: { f: number; size: number }[] = [];
  for (let f = 0; f < frames; f++) {
    if (!usable[f]) continue;
    const r = f * FRAME_RECORD_LENGTH;
    const size = records[r + sideOffset('right') + 3] + records[r + sideOffset('left') + 3] + records[r + MOUTH_OPENING];
    if (Number.isFinite(size)) candidates.push({ f, size });
  }
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => a.size - b.size);
  const rest = candidates.slice(0, Math.max(1, Math.round(REST_FRACTION * candidates.length))).map((c) => c.f);
  const medianOf = (offset: number): number => medianValue(rest.map((f) => records[f * FRAME_RECORD_LENGTH + offset]));
  const ro = sideOffset('right'), lo = sideOffset('left');
  return { frames: rest.length, right: [medianOf(ro + 2), medianOf(ro + 3)], left: [medianOf(lo + 2), medianOf(lo + 3)] };
}

/** The corner's distance from its rest position (IOD) in one frame's record. */
export function commissureExcursion(records: Float64Array, f: number, side: FaceSide, rest: RestPosition | null): number {
  if (!rest) return Number.NaN;
  const o = f * FRAME_RECORD_LENGTH + sideOffset(side);
  const [h, l] = side === 'right' ? rest.right : rest.left;
  return Math.hypot(records[o + 2] - h, records[o + 3] - l);
}

/** Every per-side measure of the CSV and summary, excursion included. */
export const ALL_SIDE_MEASURES = [...SIDE_MEASURES, 'commissure_excursion'] as const;
export type AnySideMeasure = (typeof ALL_SIDE_MEASURES)[number];

/** One measure of one frame and side. */
export function sideValue(records: Float64Array, f: number, side: FaceSide, measure: AnySideMeasure, rest: RestPosition | null): number {
  if (measure === 'commissure_excursion') return commissureExcursion(records, f, side, rest);
  return records[f * FRAME_RECORD_LENGTH + sideOffset(side) + SIDE_MEASURES.indexOf(measure)];
}

export interface MeasureSummary {
  readonly right_mean: number;
  readonly left_mean: number;
  /** right / left of the means */
  readonly right_left_ratio: number;
  /** 95th percentile per side: the largest sustained value (for the excursion: how far the corner moves) */
  readonly right_p95: number;
  readonly left_p95: number;
  readonly right_left_ratio_p95: number;
}

export interface GeometrySummary {
  readonly usable_frames: number;
  readonly rest_frames: number;
  readonly measures: Record<AnySideMeasure, MeasureSummary>;
}

/** The per-video summary of the geometric measures over the usable frames. */
export function summariseGeometry(records: Float64Array, usable: Uint8Array): GeometrySummary {
  const rest = restPosition(records, usable);
  const measures = {} as Record<AnySideMeasure, MeasureSummary>;
  let count = 0;
  for (let f = 0; f < usable.length; f++) if (usable[f]) count++;
  for (const measure of ALL_SIDE_MEASURES) {
    const right: number[] = [], left: number[] = [];
    for (let f = 0; f < usable.length; f++) {
      if (!usable[f]) continue;
      const r = sideValue(records, f, 'right', measure, rest), l = sideValue(records, f, 'left', measure, rest);
      if (Number.isFinite(r) && Number.isFinite(l)) {
        right.push(r);
        left.push(l);
      }
    }
    const rm = mean(right), lm = mean(left), r95 = percentile(right, 0.95), l95 = percentile(left, 0.95);
    measures[measure] = { right_mean: rm, left_mean: lm, right_left_ratio: rm / lm, right_p95: r95, left_p95: l95, right_left_ratio_p95: r95 / l95 };
  }
  return { usable_frames: count, rest_frames: rest?.frames ?? 0, measures };
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

function medianValue(values: readonly number[]): number {
  return percentile(values, 0.5);
}
