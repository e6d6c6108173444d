/**
 * NAME_mirror.csv: one row per source frame with the smoothed midline (its
 * two ends and angle), the head pose, the mirror's quality flag and score,
 * the geometric measures of both sides with their right/left ratios, and
 * per AU the right-minus-left intensity of the two mirrored faces (empty
 * when either side had no face, or without AU models).
 */
import type { FrameResult } from '../result.ts';
import { ALL_SIDE_MEASURES, FRAME_RECORD_LENGTH, restPosition, sideValue, type RestPosition } from './faceGeometry.ts';
import type { MirrorQuality } from './mirrorQuality.ts';
import type { MirrorTrack } from './mirrorTrack.ts';
import type { TrackAssessment } from './trackAssessment.ts';
import { midlineAngleDegrees } from './midlineSmoothing.ts';
import type { AuAsymmetryAccumulator } from './auAsymmetry.ts';

export function mirrorCsvHeader(auNames: readonly string[] | null): string {
  const cells = ['frame', 'timestamp', 'face_found', 'midline_x1', 'midline_y1', 'midline_x2', 'midline_y2', 'midline_angle', 'yaw', 'pitch', 'roll', 'flag', 'score', 'interocular_px'];
  for (const m of ALL_SIDE_MEASURES) cells.push(`right_${m}`, `left_${m}`, `ratio_${m}`);
  if (auNames) for (const name of auNames) cells.push(`${name}_r_right_minus_left`);
  return cells.join(',');
}

/** What one row is made of. */
export interface MirrorCsvFrame {
  /** 0-based frame index */
  readonly index: number;
  readonly timestamp: number;
  /** smoothed midline ends x1 y1 x2 y2 (NaN without a face) */
  readonly ends: ArrayLike<number>;
  readonly angle: number;
  readonly quality: MirrorQuality;
  /** all frames' geometric records and the rest position (for the excursion) */
  readonly records: Float64Array;
  readonly rest: RestPosition | null;
  /** right minus left per AU, or null (no models, or a side without a face) */
  readonly auDifference: ArrayLike<number> | null;
  readonly auCount: number;
}

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '';
}

export function mirrorCsvRow(row: MirrorCsvFrame): string {
  const { index: f, quality: q, records, rest } = row;
  const cells = [String(f + 1), num(row.timestamp, 3), q.flag === 'face-lost' ? '0' : '1'];
  for (let i = 0; i < 4; i++) cells.push(num(row.ends[i], 2));
  cells.push(num(row.angle, 2), num(q.yaw, 2), num(q.pitch, 2), num(q.roll, 2), q.flag, num(q.score, 3), num(records[f * FRAME_RECORD_LENGTH], 2));
  for (const m of ALL_SIDE_MEASURES) {
    const r = sideValue(records, f, 'right', m, rest), l = sideValue(records, f, 'left', m, rest);
    const digits = m === 'smile_angle' ? 2 : 4;
    cells.push(num(r, digits), num(l, digits), num(r / l, 4));
  }
  for (let i = 0; i < row.auCount; i++) cells.push(row.auDifference ? num(row.auDifference[i], 4) : '');
  return cells.join(',');
}

/** lines per piece of the file */
const ROWS_PER_CHUNK = 1000;

/**
 * The whole file in pieces, one row per source frame. `sides`: each side's
 * CSV rows (one per frame, in order), or null without AU models. Frames in
 * the summaries where both sides have a face are added to `accumulator`.
 */
export function* mirrorCsvChunks(
  track: MirrorTrack,
  assessment: TrackAssessment,
  sides: { right: Iterator<FrameResult>; left: Iterator<FrameResult> } | null,
  auNames: readonly string[] | null,
  accumulator: AuAsymmetryAccumulator | null,
): Generator<string> {
  yield mirrorCsvHeader(auNames) + '\n';
  const { records, usable } = assessment;
  const rest = restPosition(records, usable);
  const difference = new Float64Array(auNames?.length ?? 0);
  let lines: string[] = [];
  for (let f = 0; f < track.frames; f++) {
    const r = sides?.right.next().value as FrameResult | undefined;
    const l = sides?.left.next().value as FrameResult | undefined;
    let hasDifference = false;
    if (r?.success && l?.success && r.auIntensity && l.auIntensity) {
      for (let i = 0; i < difference.length; i++) difference[i] = r.auIntensity[i] - l.auIntensity[i];
      hasDifference = true;
      if (usable[f]) accumulator?.add(r.auIntensity, l.auIntensity);
    }
    const line = track.midline(f);
    lines.push(mirrorCsvRow({
      index: f, timestamp: track.timestamp(f), ends: track.midlineEnds(f), angle: line ? midlineAngleDegrees(line) : Number.NaN, quality: track.quality(f),
      records, rest, auDifference: hasDifference ? difference : null, auCount: difference.length,
    }));
    if (lines.length >= ROWS_PER_CHUNK) {
      yield lines.join('\n') + '\n';
      lines = [];
    }
  }
  if (lines.length) yield lines.join('\n') + '\n';
}
