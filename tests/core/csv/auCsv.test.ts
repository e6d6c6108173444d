import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { auCsvHeader, formatAuCsvChunks } from '../../../src/core/csv/auCsv.ts';
import { NO_OUTPUTS_3D, type AuColumns, type FrameResult } from '../../../src/core/result.ts';

const AUS: AuColumns = { intensityNames: ['AU01', 'AU12'], presenceNames: ['AU01', 'AU12', 'AU28'] };

function frame(n: number, success: boolean): FrameResult {
  const values = (count: number, scale: number) => Float64Array.from({ length: count }, (_, i) => (n + i) * scale);
  return {
    frame: n,
    faceId: 0,
    timestamp: (n - 1) / 30,
    confidence: success ? 0.98 : 0,
    success,
    pose: success ? values(6, 0.125) : null,
    landmarks: success ? values(136, 1.5) : null,
    paramsGlobal: success ? values(6, 0.01) : null,
    paramsLocal: success ? values(34, -0.3) : null,
    ...NO_OUTPUTS_3D,
    auIntensity: success ? Float64Array.from([0.51234, -0.0000001]) : null,
    auPresence: success ? Float64Array.from([1, 0, 1]) : null,
  };
}

/** the whole CSV, as the CLI's file and the worker's Blob hold it */
const formatAuCsv = (rows: readonly FrameResult[], aus: AuColumns | null): string => [...formatAuCsvChunks(rows, aus)].join('');

const results = Array.from({ length: 7 }, (_, i) => frame(i + 1, i !== 3));

describe('formatAuCsvChunks', () => {
  it('writes the header, then one row per result with as many cells, zeros for a failed frame', () => {
    const parsed = Papa.parse<string[]>(formatAuCsv(results, AUS).trimEnd(), { delimiter: ',' }).data;
    expect(parsed[0]).toEqual(auCsvHeader(AUS));
    expect(parsed).toHaveLength(1 + results.length);
    for (const row of parsed.slice(1)) expect(row).toHaveLength(parsed[0]!.length);
    const failed = parsed[4]!;
    expect(failed.slice(0, 5)).toEqual(['4', '0', '0.100000', '0.000000', '0']);
    expect(failed.slice(5).every((cell) => cell === '0')).toBe(true);
    // 4 decimals for intensities, without a "-0"
    expect(parsed[1]!.slice(-5)).toEqual(['0.5123', '0.0000', '1', '0', '1']);
  });

  it('gives the same text for any piece size, each piece ending a line', () => {
    const whole = formatAuCsv(results, AUS);
    expect(whole.endsWith('\n')).toBe(true);
    expect(whole.endsWith('\n\n')).toBe(false);
    for (const size of [1, 2, 3, 7, 1000]) {
      const pieces = [...formatAuCsvChunks(results, AUS, size)];
      expect(pieces).toHaveLength(Math.ceil(results.length / size));
      for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true);
      expect(pieces.join('')).toBe(whole);
    }
  });

  it('writes the header line alone when there are no rows', () => {
    expect(formatAuCsv([], null)).toBe(`${auCsvHeader(null).join(',')}\n`);
  });
});
