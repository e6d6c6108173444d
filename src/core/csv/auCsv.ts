import Papa from 'papaparse';
import type { AuColumns, FrameResult } from '../result.ts';

const NUM_POINTS = 68;
const NUM_MODES = 34;
const POSE = ['pose_Tx', 'pose_Ty', 'pose_Tz', 'pose_Rx', 'pose_Ry', 'pose_Rz'];
const GLOBAL = ['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'];

/** OpenFace 2.2's column order (gaze and 3D landmarks are not computed). */
export function auCsvHeader(aus: AuColumns | null): string[] {
  const header = ['frame', 'face_id', 'timestamp', 'confidence', 'success', ...POSE];
  for (let k = 0; k < NUM_POINTS; k++) header.push(`x_${k}`);
  for (let k = 0; k < NUM_POINTS; k++) header.push(`y_${k}`);
  header.push(...GLOBAL);
  for (let k = 0; k < NUM_MODES; k++) header.push(`p_${k}`);
  if (aus) {
    header.push(...aus.intensityNames.map((n) => `${n}_r`));
    header.push(...aus.presenceNames.map((n) => `${n}_c`));
  }
  return header;
}

/** Fixed decimals without a trailing "-0". */
function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** Significant digits, as OpenFace writes parameters. */
function significant(value: number, digits: number): string {
  if (value === 0) return '0';
  return String(Number(value.toPrecision(digits)));
}

function pushValues(cells: string[], values: Float64Array | null, count: number, format: (v: number) => string): void {
  for (let i = 0; i < count; i++) cells.push(values ? format(values[i]) : '0');
}

/** rows formatted per papaparse call: the cells of a whole long video at once are millions of short strings */
const ROWS_PER_CHUNK = 1000;

function rowCells(r: FrameResult, aus: AuColumns | null): string[] {
  const cells = [String(r.frame), String(r.faceId), fixed(r.timestamp, 6), fixed(r.confidence, 6), r.success ? '1' : '0'];
  pushValues(cells, r.pose, 6, (v) => significant(v, 10));
  pushValues(cells, r.landmarks, 2 * NUM_POINTS, (v) => fixed(v, 4));
  pushValues(cells, r.paramsGlobal, 6, (v) => significant(v, 10));
  pushValues(cells, r.paramsLocal, NUM_MODES, (v) => significant(v, 10));
  if (aus) {
    pushValues(cells, r.auIntensity, aus.intensityNames.length, (v) => fixed(v, 4));
    pushValues(cells, r.auPresence, aus.presenceNames.length, (v) => fixed(v, 0));
  }
  return cells;
}

/**
 * The OpenFace-format CSV, one row per result, in pieces of up to
 * `rowsPerChunk` rows: the header in the first, each piece ending in a
 * newline. Failed frames are written as OpenFace writes them: success 0 with
 * zeros in place of the values it could not compute. AU intensities get 4
 * decimals (OpenFace: 2), landmarks 4, parameters 10 significant digits, so
 * CSVs from the CLI and the browser can be compared tightly.
 *
 * Pieces, because only the cells of one piece exist as strings at a time, so
 * memory does not peak with the video's length (an hour at 30 fps is 100 000
 * rows of 200+ cells), and they go to a file or a Blob without one giant string.
 */
export function* formatAuCsvChunks(results: readonly FrameResult[], aus: AuColumns | null, rowsPerChunk = ROWS_PER_CHUNK): Generator<string> {
  const header = auCsvHeader(aus);
  if (results.length === 0) {
    yield Papa.unparse([header], { newline: '\n' }) + '\n';
    return;
  }
  for (let start = 0; start < results.length; start += rowsPerChunk) {
    const data = results.slice(start, start + rowsPerChunk).map((r) => rowCells(r, aus));
    const text = start === 0 ? Papa.unparse({ fields: header, data }, { newline: '\n' }) : Papa.unparse(data, { newline: '\n' });
    yield text + '\n';
  }
}
