/**
 * The per-AU summary table: one row per AU (intensity and presence merged),
 * FACS names for readers who do not know the numbers by heart, and the
 * tracked-frames line that says how much of the video the numbers rest on.
 */
import type { AuSummary } from '../../worker/analysisApi.ts';
import { formatPercent } from '../formatting.ts';

/** FACS names of the AUs OpenFace 2.x predicts. */
export const AU_NAMES: Readonly<Record<string, string>> = {
  AU01: 'Inner brow raiser',
  AU02: 'Outer brow raiser',
  AU04: 'Brow lowerer',
  AU05: 'Upper lid raiser',
  AU06: 'Cheek raiser',
  AU07: 'Lid tightener',
  AU09: 'Nose wrinkler',
  AU10: 'Upper lip raiser',
  AU12: 'Lip corner puller',
  AU14: 'Dimpler',
  AU15: 'Lip corner depressor',
  AU17: 'Chin raiser',
  AU20: 'Lip stretcher',
  AU23: 'Lip tightener',
  AU25: 'Lips part',
  AU26: 'Jaw drop',
  AU28: 'Lip suck',
  AU45: 'Blink',
};

export interface AuSummaryRow {
  /** e.g. 'AU12' */
  readonly au: string;
  /** e.g. 'Lip corner puller' ('' for an AU without a known name) */
  readonly label: string;
  /** mean intensity 0..5 with two decimals, or '—' */
  readonly intensity: string;
  /** share of tracked frames with the AU present, e.g. '42%', or '—' */
  readonly present: string;
  /** the numbers behind the text, for the table's bars */
  readonly mean: number | null;
  readonly share: number | null;
}

/** 'AU1_r', 'au01', 'AU01' -> 'AU01' */
export function normaliseAuName(name: string): string {
  const m = /^au\s*0*(\d+)/i.exec(name.trim());
  return m ? `AU${m[1]!.padStart(2, '0')}` : name;
}

export function formatIntensity(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : value.toFixed(2);
}

/** Rows sorted by AU number; an AU listed twice (intensity and presence apart) becomes one row. */
export function auSummaryRows(summary: readonly AuSummary[]): AuSummaryRow[] {
  const merged = new Map<string, { mean: number | null; share: number | null }>();
  for (const entry of summary) {
    const au = normaliseAuName(entry.name);
    const prev = merged.get(au) ?? { mean: null, share: null };
    merged.set(au, { mean: entry.meanIntensity ?? prev.mean, share: entry.presentShare ?? prev.share });
  }
  const number = (au: string) => Number(/\d+/.exec(au)?.[0] ?? Number.MAX_SAFE_INTEGER);
  return [...merged.entries()]
    .sort(([a], [b]) => number(a) - number(b) || a.localeCompare(b))
    .map(([au, v]) => ({
      au,
      label: AU_NAMES[au] ?? '',
      intensity: formatIntensity(v.mean),
      present: formatPercent(v.share),
      mean: v.mean !== null && Number.isFinite(v.mean) ? v.mean : null,
      share: v.share !== null && Number.isFinite(v.share) ? v.share : null,
    }));
}

/** '812 of 840 frames tracked (97%)' */
export function trackedLine(tracked: number, frames: number): string {
  const share = frames > 0 ? formatPercent(tracked / frames) : '—';
  return `${tracked} of ${frames} frame${frames === 1 ? '' : 's'} tracked (${share})`;
}

/**
 * The AUs drawn when a result first opens: the `count` with the highest mean
 * intensity (the ones that move), in AU order.
 */
export function defaultChartAus(summary: readonly AuSummary[], available: readonly string[], count = 4): string[] {
  const mean = new Map(summary.map((s) => [normaliseAuName(s.name), s.meanIntensity ?? -Infinity]));
  const ranked = [...available].sort((a, b) => (mean.get(normaliseAuName(b)) ?? -Infinity) - (mean.get(normaliseAuName(a)) ?? -Infinity));
  const chosen = new Set(ranked.slice(0, count));
  return available.filter((au) => chosen.has(au));
}
