import { spawnSync } from 'node:child_process';
import { sharedPath, referenceCsvPath } from './shared.ts';

/** The summary line of ../shared/tools/au-compare.mjs (per-AU Pearson r and landmark error against OpenFace C++). */
export interface AuCompareSummary {
  readonly mean_r: number;
  readonly min_r: number;
  readonly min_presence: number;
  /** mean landmark error as a fraction of the inter-ocular distance */
  readonly landmark_error_iod: number;
}

/** Compares a CSV with OpenFace's reference output `reference/NAME.csv`. */
export function auCompare(csvPath: string, referenceName: string): AuCompareSummary {
  const run = spawnSync(process.execPath, [sharedPath('tools/au-compare.mjs'), csvPath, referenceCsvPath(referenceName), '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`au-compare failed on ${csvPath}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: AuCompareSummary }).summary;
}

/** Largest absolute difference between two CSVs' numeric cells (same header and row count required). */
export function maxCsvDifference(a: string, b: string): { max: number; where: string } {
  const rowsA = a.trim().split('\n').map((l) => l.split(','));
  const rowsB = b.trim().split('\n').map((l) => l.split(','));
  if (rowsA[0].join() !== rowsB[0].join()) return { max: Infinity, where: 'header' };
  if (rowsA.length !== rowsB.length) return { max: Infinity, where: `row count ${rowsA.length - 1} vs ${rowsB.length - 1}` };
  let max = 0;
  let where = '';
  for (let r = 1; r < rowsA.length; r++) {
    for (let c = 0; c < rowsA[0].length; c++) {
      const d = Math.abs(Number(rowsA[r][c]) - Number(rowsB[r][c]));
      if (!(d <= max)) {
        max = d;
        where = `${rowsA[0][c]} in row ${r}`;
      }
    }
  }
  return { max, where };
}
