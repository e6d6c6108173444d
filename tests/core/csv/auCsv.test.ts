/**
 * The CSV writer: OpenFace 2.2's 714 columns, its stock fixed decimals and
 * the 10-digit ('full') precision.
 *
 * Self-contained: layout, per-column formatting, failed frames, pieces.
 * Reference part (needs ../shared): reading 2.2's own 10-digit CSV and
 * writing it again gives the same bytes in 'full' precision, and the bytes of
 * the stock binary's CSV (reference-2.2/stock) in 'stock' precision: the
 * values are those of the same deterministic run, so every cell must come out
 * as 2.2 wrote it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { auCsvHeader, formatAuCsvChunks, type CsvPrecision } from '../../../src/core/csv/auCsv.ts';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { NO_OUTPUTS_3D, type AuColumns, type FrameResult } from '../../../src/core/result.ts';
import { referenceCsvPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const AUS: AuColumns = { intensityNames: ['AU01', 'AU12'], presenceNames: ['AU01', 'AU12', 'AU28'] };

const ramp = (count: number, start: number, step: number) => Float64Array.from({ length: count }, (_, i) => start + i * step);

function frame(n: number, success: boolean): FrameResult {
  return {
    frame: n,
    faceId: 0,
    timestamp: (n - 1) / 30,
    confidence: success ? 0.98333333 : 0.0166666,
    success,
    gaze: success ? Float64Array.of(-0.04408750683, 0.0006381696439, -0.9990274906, -0.1126383021, 0.01310889143, -0.9935495853, -0.07849323004, 0.006899026688) : null,
    eyeLandmarks: ramp(112, 324.567749, 0.25),
    eyeLandmarks3d: ramp(168, -15.7, 0.1),
    landmarks3d: ramp(204, 3.513087988, 1.5),
    pose: Float64Array.of(41.66, 22.94, 408.97, -0.1734, 0.0771, -0),
    landmarks: ramp(136, 285.9, 1.5),
    paramsGlobal: Float64Array.of(1.01, -0.17, 0.077, 0.019, 371.2, 270.3),
    paramsLocal: ramp(34, -2.711, 0.3),
    auIntensity: success ? Float64Array.of(0.51234, -0.0000001) : null,
    auPresence: success ? Float64Array.of(1, 0, 1) : null,
  };
}

/** the whole CSV, as the CLI's file and the worker's Blob hold it */
const formatAuCsv = (rows: readonly FrameResult[], aus: AuColumns | null, precision?: CsvPrecision): string =>
  [...formatAuCsvChunks(rows, aus, precision)].join('');

/** row `index` (0-based, after the header) as a column name → cell map */
function cellsOf(csv: string, index: number): Map<string, string> {
  const lines = csv.trimEnd().split('\n');
  const header = lines[0].split(',');
  const cells = lines[1 + index].split(',');
  expect(cells).toHaveLength(header.length);
  return new Map(header.map((name, i) => [name, cells[i]]));
}

const results = Array.from({ length: 7 }, (_, i) => frame(i + 1, i !== 3));

describe('auCsvHeader', () => {
  it('has OpenFace 2.2\'s columns in its order, names without a leading space', () => {
    const header = auCsvHeader(AUS);
    expect(header.slice(0, 13)).toEqual(['frame', 'face_id', 'timestamp', 'confidence', 'success', 'gaze_0_x', 'gaze_0_y', 'gaze_0_z', 'gaze_1_x', 'gaze_1_y', 'gaze_1_z', 'gaze_angle_x', 'gaze_angle_y']);
    const at = (name: string) => header.indexOf(name);
    expect(at('eye_lmk_x_0')).toBe(13);
    expect(at('eye_lmk_y_0')).toBe(13 + 56);
    expect(at('eye_lmk_X_0')).toBe(13 + 112);
    expect(at('eye_lmk_Z_55')).toBe(13 + 280 - 1);
    expect(header.slice(at('pose_Tx'), at('pose_Tx') + 6)).toEqual(['pose_Tx', 'pose_Ty', 'pose_Tz', 'pose_Rx', 'pose_Ry', 'pose_Rz']);
    expect(at('x_0')).toBe(at('pose_Rz') + 1);
    expect(at('X_0')).toBe(at('y_67') + 1);
    expect(at('p_scale')).toBe(at('Z_67') + 1);
    expect(at('p_0')).toBe(at('p_ty') + 1);
    expect(header.slice(-5)).toEqual(['AU01_r', 'AU12_r', 'AU01_c', 'AU12_c', 'AU28_c']);
    expect(header.every((name) => name === name.trim())).toBe(true);
    expect(new Set(header).size).toBe(header.length);
  });

  it('has 714 columns with 2.2\'s 17 + 18 AU columns, 679 without AU models', () => {
    const aus: AuColumns = { intensityNames: Array.from({ length: 17 }, (_, i) => `AU${i}`), presenceNames: Array.from({ length: 18 }, (_, i) => `AU${i}`) };
    expect(auCsvHeader(aus)).toHaveLength(714);
    expect(auCsvHeader(null)).toHaveLength(679);
  });
});

describe('formatAuCsvChunks, stock precision (2.2\'s fixed decimals)', () => {
  const csv = formatAuCsv(results, AUS);
  const row = cellsOf(csv, 0);

  it('writes each block with its decimals, float columns as the float\'s text', () => {
    expect([row.get('frame'), row.get('face_id'), row.get('timestamp'), row.get('confidence'), row.get('success')]).toEqual(['1', '0', '0.000', '0.98', '1']);
    expect(row.get('gaze_0_x')).toBe('-0.044088');
    expect(row.get('gaze_1_z')).toBe('-0.993550');
    expect(row.get('gaze_angle_x')).toBe('-0.078');
    expect(row.get('eye_lmk_x_0')).toBe('324.6');
    // 324.567749 + 0.25 · 3 = 325.317749, a float: 325.3177490234375
    expect(row.get('eye_lmk_x_3')).toBe('325.3');
    expect(row.get('eye_lmk_X_0')).toBe('-15.7');
    expect([row.get('pose_Tx'), row.get('pose_Ty'), row.get('pose_Tz')]).toEqual(['41.7', '22.9', '409.0']);
    expect([row.get('pose_Rx'), row.get('pose_Ry')]).toEqual(['-0.173', '0.077']);
    expect(row.get('x_0')).toBe('285.9');
    expect(row.get('X_0')).toBe('3.5');
    expect([row.get('p_scale'), row.get('p_tx'), row.get('p_0')]).toEqual(['1.010', '371.200', '-2.711']);
    expect([row.get('AU01_r'), row.get('AU12_r'), row.get('AU01_c'), row.get('AU12_c')]).toEqual(['0.51', '-0.00', '1.00', '0.00']);
  });

  it('keeps the sign of a negative zero, as C++ streams print it', () => {
    expect(row.get('pose_Rz')).toBe('-0.000');
  });

  it('rounds an exact tie to even, as printf does (x.25 → x.2)', () => {
    const tie = { ...results[0], landmarks: Float64Array.from({ length: 136 }, () => 324.25) };
    expect(cellsOf(formatAuCsv([tie], AUS), 0).get('x_0')).toBe('324.2');
  });

  it('writes a failed frame\'s values as they are and its unknown values as zeros in the column\'s format', () => {
    const failed = cellsOf(csv, 3);
    expect([failed.get('frame'), failed.get('timestamp'), failed.get('confidence'), failed.get('success')]).toEqual(['4', '0.100', '0.02', '0']);
    expect(failed.get('gaze_0_x')).toBe('0.000000');
    expect(failed.get('gaze_angle_y')).toBe('0.000');
    expect(failed.get('x_0')).toBe('285.9');
    expect([failed.get('AU01_r'), failed.get('AU28_c')]).toEqual(['0.00', '0.00']);
  });
});

describe('formatAuCsvChunks, full precision (%.10g)', () => {
  const csv = formatAuCsv(results, AUS, 'full');
  const row = cellsOf(csv, 0);

  it('writes 10 significant digits of each value, floats as floats, ints and the flag as integers', () => {
    expect([row.get('frame'), row.get('timestamp'), row.get('confidence'), row.get('success')]).toEqual(['1', '0', '0.9833333492', '1']);
    expect(cellsOf(csv, 4).get('timestamp')).toBe('0.1333333333');
    expect(row.get('gaze_0_y')).toBe('0.0006381696439');
    expect(row.get('eye_lmk_x_0')).toBe('324.567749');
    expect(row.get('pose_Tz')).toBe('408.9700012');
    expect(row.get('pose_Rz')).toBe('-0');
    expect(row.get('p_scale')).toBe('1.00999999');
    expect([row.get('AU01_r'), row.get('AU12_r'), row.get('AU01_c'), row.get('AU12_c')]).toEqual(['0.51234', '-1e-07', '1', '0']);
  });

  it('writes unknown values as 0', () => {
    const failed = cellsOf(csv, 3);
    expect([failed.get('gaze_0_x'), failed.get('AU01_r'), failed.get('AU28_c')]).toEqual(['0', '0', '0']);
  });
});

describe('formatAuCsvChunks, pieces', () => {
  it('writes the header, then one row per result with as many cells', () => {
    const parsed = Papa.parse<string[]>(formatAuCsv(results, AUS).trimEnd(), { delimiter: ',' }).data;
    expect(parsed[0]).toEqual(auCsvHeader(AUS));
    expect(parsed).toHaveLength(1 + results.length);
    for (const row of parsed.slice(1)) expect(row).toHaveLength(parsed[0]!.length);
  });

  it('writes the non-AU columns when there are no AU models', () => {
    const csv = formatAuCsv(results, null);
    const row = cellsOf(csv, 0);
    expect(row.size).toBe(679);
    expect(row.get('p_33')).toBe('7.189');
  });

  it('gives the same text for any piece size, each piece ending a line', () => {
    for (const precision of ['stock', 'full'] as const) {
      const whole = formatAuCsv(results, AUS, precision);
      expect(whole.endsWith('\n')).toBe(true);
      expect(whole.endsWith('\n\n')).toBe(false);
      for (const size of [1, 2, 3, 7, 1000]) {
        const pieces = [...formatAuCsvChunks(results, AUS, precision, size)];
        expect(pieces).toHaveLength(Math.ceil(results.length / size));
        for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true);
        expect(pieces.join('')).toBe(whole);
      }
    }
  });

  it('writes the header line alone when there are no rows', () => {
    expect(formatAuCsv([], null)).toBe(`${auCsvHeader(null).join(',')}\n`);
  });
});

// ---------------------------------------------------------------------------
// Against OpenFace 2.2's own CSVs.

const skip = sharedSkipReason();

/** A 2.2 CSV read back into FrameResults (all 714 columns), with its AU column names. */
function readFrameResults(path: string): { rows: FrameResult[]; aus: AuColumns } {
  const text = readFileSync(path, 'utf8');
  const landmarkRows = parseLandmarkCsv(text, path);
  const table = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true }).data;
  const header = table[0];
  const intensity = header.flatMap((name, i) => (name.endsWith('_r') ? [i] : []));
  const presence = header.flatMap((name, i) => (name.endsWith('_c') ? [i] : []));
  const rows = landmarkRows.map((row, r): FrameResult => ({
    frame: row.frame,
    faceId: Number(table[r + 1][header.indexOf('face_id')]),
    timestamp: row.timestamp ?? 0,
    confidence: row.confidence,
    success: row.success,
    ...NO_OUTPUTS_3D,
    gaze: row.gaze,
    eyeLandmarks: row.eyeLandmarks,
    eyeLandmarks3d: row.eyeLandmarks3d,
    landmarks3d: row.landmarks3d,
    pose: row.pose,
    landmarks: row.landmarks,
    paramsGlobal: row.paramsGlobal,
    paramsLocal: row.paramsLocal,
    auIntensity: Float64Array.from(intensity, (c) => Number(table[r + 1][c])),
    auPresence: Float64Array.from(presence, (c) => Number(table[r + 1][c])),
  }));
  const names = (cols: number[]) => cols.map((c) => header[c].slice(0, -2));
  return { rows, aus: { intensityNames: names(intensity), presenceNames: names(presence) } };
}

describe.skipIf(skip !== null)(suiteTitle('formatAuCsvChunks against OpenFace 2.2\'s CSVs', skip), () => {
  it('writes lab_640x480_h264\'s 10-digit CSV back byte for byte (full) and the stock binary\'s CSV (stock)', () => {
    const { rows, aus } = readFrameResults(referenceCsvPath('lab_640x480_h264'));
    expect(formatAuCsv(rows, aus, 'full')).toBe(readFileSync(referenceCsvPath('lab_640x480_h264'), 'utf8'));
    expect(formatAuCsv(rows, aus, 'stock')).toBe(readFileSync(sharedPath('reference-2.2/stock/lab_640x480_h264.csv'), 'utf8'));
  });

  it('writes multi_face\'s (with 2 failed frames) and image_sequence\'s (all timestamps 0) 10-digit CSVs back byte for byte', () => {
    for (const name of ['multi_face', 'image_sequence']) {
      const { rows, aus } = readFrameResults(referenceCsvPath(name));
      expect(formatAuCsv(rows, aus, 'full')).toBe(readFileSync(referenceCsvPath(name), 'utf8'));
    }
  });
});
