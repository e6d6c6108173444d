/** What the results view shows of a video's rows: per-AU summaries and face 0's intensity curves. */
import type { AuColumns, FrameResult } from '../result.ts';

export interface AuSummaryRow {
  readonly name: string;
  /** mean intensity over face 0's tracked frames; null for presence-only AUs or no tracked frame */
  readonly meanIntensity: number | null;
  /** share of face 0's tracked frames with the AU present, 0..1; null for intensity-only AUs or no tracked frame */
  readonly presentShare: number | null;
}

export interface AuSeries {
  readonly timestamps: Float64Array;
  /** one series per intensity AU, in `auColumns.intensityNames` order; NaN where the frame was not tracked */
  readonly intensities: Float32Array[];
}

const firstFace = (rows: readonly FrameResult[]) => rows.filter((r) => r.faceId === 0);

/** Mean intensity and share present per AU (union of intensity and presence names, intensity order first). */
export function summarizeAus(rows: readonly FrameResult[], aus: AuColumns): AuSummaryRow[] {
  const tracked = firstFace(rows).filter((r) => r.success);
  const names = [...aus.intensityNames, ...aus.presenceNames.filter((n) => !aus.intensityNames.includes(n))];
  return names.map((name) => {
    const i = aus.intensityNames.indexOf(name);
    const p = aus.presenceNames.indexOf(name);
    let sum = 0;
    let present = 0;
    for (const row of tracked) {
      if (i >= 0 && row.auIntensity) sum += row.auIntensity[i];
      if (p >= 0 && row.auPresence && row.auPresence[p] > 0.5) present++;
    }
    const n = tracked.length;
    return {
      name,
      meanIntensity: i >= 0 && n > 0 ? sum / n : null,
      presentShare: p >= 0 && n > 0 ? present / n : null,
    };
  });
}

/** Face 0's intensities over time, for charts. */
export function auIntensitySeries(rows: readonly FrameResult[], aus: AuColumns): AuSeries {
  const face = firstFace(rows);
  const timestamps = Float64Array.from(face, (r) => r.timestamp);
  const intensities = aus.intensityNames.map((_, i) =>
    Float32Array.from(face, (r) => (r.success && r.auIntensity ? r.auIntensity[i] : Number.NaN)),
  );
  return { timestamps, intensities };
}
