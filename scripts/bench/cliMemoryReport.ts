/**
 * Issue #14's memory bars for long videos, and the CLI's lines of
 * `npm run bench -- --long` (the browser's are in browserReport.ts).
 */
import type { CliMemoryFigures } from './cliMemory.ts';

/** peak above idle, from the first frame to the CSV's last byte */
export const LONG_GROWTH_LIMIT_MB = 250;
/** the 30-minute peak within this of the 9-minute peak */
export const LONG_FLAT_MB = 50;

const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

export function cliMemoryLines(runs: readonly (CliMemoryFigures & { readonly label: string })[]): string[] {
  if (runs.length === 0) return [];
  const lines = [
    'CLI memory over long videos (resident set: idle = models loaded, before the first frame; peak = kernel high-water mark up to the CSV\'s last byte), MB',
    '| long video | landmarks | frames | CSV rows | seconds | idle | peak while analysing | peak | peak − idle |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.label} | ${r.landmarks} | ${r.frames} | ${r.csv_rows} | ${r.seconds} | ${r.idle_mb} | ${r.peak_frames_mb} | ${r.peak_mb} | ${signed(r.growth_mb)} |`),
  ];
  const under = runs.every((r) => r.growth_mb < LONG_GROWTH_LIMIT_MB);
  lines.push(`peak − idle under ${LONG_GROWTH_LIMIT_MB} MB: ${under ? 'met' : 'NOT met'}; one CSV row per frame: ${runs.every((r) => r.csv_rows === r.frames) ? 'yes' : 'NO'}`);
  if (runs.length === 2) {
    const spread = Math.abs(runs[1]!.peak_mb - runs[0]!.peak_mb);
    lines.push(`30-minute peak within ${LONG_FLAT_MB} MB of the 9-minute peak: ${spread <= LONG_FLAT_MB ? 'met' : 'NOT met'} (${spread.toFixed(1)} MB apart)`);
  }
  return lines;
}
