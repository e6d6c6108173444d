import Papa from 'papaparse';
import { CsvFormatError } from '../errors.ts';

/** One frame of an OpenFace-format CSV, as far as the AU engine needs it. */
export interface LandmarkRow {
  readonly frame: number;
  readonly timestamp: number | null;
  readonly confidence: number;
  readonly success: boolean;
  /** 136 values: x_0..x_67 then y_0..y_67 */
  readonly landmarks: Float64Array;
  /** p_scale, p_rx, p_ry, p_rz, p_tx, p_ty, or null when the CSV has no parameters */
  readonly paramsGlobal: Float64Array | null;
  /** p_0..p_33, or null when the CSV has no parameters */
  readonly paramsLocal: Float64Array | null;
  /** pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz, when present */
  readonly pose: Float64Array | null;
}

const NUM_POINTS = 68;
const NUM_MODES = 34;
const GLOBAL_NAMES = ['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'];
const POSE_NAMES = ['pose_Tx', 'pose_Ty', 'pose_Tz', 'pose_Rx', 'pose_Ry', 'pose_Rz'];

/**
 * Reads the per-frame landmarks (and PDM parameters and pose where present)
 * from an OpenFace CSV. Header names are trimmed (OpenFace writes " x_0").
 * `source` names the file in error messages.
 */
export function parseLandmarkCsv(text: string, source: string): LandmarkRow[] {
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true });
  const table = parsed.data;
  if (table.length < 2) throw new CsvFormatError(`${source}: no data rows`);
  const header = table[0].map((h) => h.trim());
  const index = new Map(header.map((name, i) => [name, i] as const));
  const need = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) throw new CsvFormatError(`${source}: no '${name}' column (is this an OpenFace CSV with 2D landmarks?)`);
    return i;
  };
  const frameCol = need('frame');
  const xCols = Array.from({ length: NUM_POINTS }, (_, k) => need(`x_${k}`));
  const yCols = Array.from({ length: NUM_POINTS }, (_, k) => need(`y_${k}`));
  const optional = (names: string[]): number[] | null => {
    const cols = names.map((n) => index.get(n));
    return cols.every((c): c is number => c !== undefined) ? cols : null;
  };
  const globalCols = optional(GLOBAL_NAMES);
  const localCols = optional(Array.from({ length: NUM_MODES }, (_, k) => `p_${k}`));
  const poseCols = optional(POSE_NAMES);
  const successCol = index.get('success');
  const confidenceCol = index.get('confidence');
  const timestampCol = index.get('timestamp');

  const rows: LandmarkRow[] = [];
  for (let r = 1; r < table.length; r++) {
    const cells = table[r];
    const num = (col: number, what: string): number => {
      const value = Number(cells[col]);
      if (cells[col] === undefined || cells[col].trim() === '' || !Number.isFinite(value)) {
        throw new CsvFormatError(`${source}: line ${r + 1}: '${cells[col] ?? ''}' is not a number (${what})`);
      }
      return value;
    };
    const pick = (cols: number[] | null, what: string): Float64Array | null =>
      cols ? Float64Array.from(cols, (c) => num(c, what)) : null;
    const landmarks = new Float64Array(2 * NUM_POINTS);
    for (let k = 0; k < NUM_POINTS; k++) {
      landmarks[k] = num(xCols[k], `x_${k}`);
      landmarks[NUM_POINTS + k] = num(yCols[k], `y_${k}`);
    }
    rows.push({
      frame: num(frameCol, 'frame'),
      timestamp: timestampCol === undefined ? null : num(timestampCol, 'timestamp'),
      confidence: confidenceCol === undefined ? 1 : num(confidenceCol, 'confidence'),
      success: successCol === undefined ? true : num(successCol, 'success') >= 0.5,
      landmarks,
      paramsGlobal: pick(globalCols, 'p_scale..p_ty'),
      paramsLocal: pick(localCols, 'p_0..p_33'),
      pose: pick(poseCols, 'pose'),
    });
  }
  return rows;
}
