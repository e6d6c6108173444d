import Papa from 'papaparse';
import { CsvFormatError, quoteForMessage } from '../errors.ts';
import type { FaceOutputs3d } from '../result.ts';

/**
 * One frame of an OpenFace-format CSV: what the AU engine needs, and the
 * other per-frame outputs of OpenFace 2.2 (gaze, eye landmarks, 3D
 * landmarks) where the CSV has them, each null when its columns are absent.
 */
export interface LandmarkRow extends FaceOutputs3d {
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
const NUM_EYE_POINTS = 56;
const GLOBAL_NAMES = ['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'];
const POSE_NAMES = ['pose_Tx', 'pose_Ty', 'pose_Tz', 'pose_Rx', 'pose_Ry', 'pose_Rz'];
const GAZE_NAMES = ['gaze_0_x', 'gaze_0_y', 'gaze_0_z', 'gaze_1_x', 'gaze_1_y', 'gaze_1_z', 'gaze_angle_x', 'gaze_angle_y'];

/** `prefix_0..prefix_{count-1}` for each prefix, one prefix after the other (OpenFace's column blocks). */
function numbered(prefixes: readonly string[], count: number): string[] {
  return prefixes.flatMap((prefix) => Array.from({ length: count }, (_, k) => `${prefix}_${k}`));
}

/**
 * Reads the per-frame landmarks (and PDM parameters, pose, gaze, eye
 * landmarks and 3D landmarks where present) from an OpenFace CSV. Header
 * names are trimmed (OpenFace before 2.0 wrote " x_0"). A group of columns is
 * read only when all its columns are there. `source` names the file in error
 * messages.
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
  const landmarkCols = numbered(['x', 'y'], NUM_POINTS).map(need);
  const optional = (names: readonly string[]): number[] | null => {
    const cols = names.map((n) => index.get(n));
    return cols.every((c): c is number => c !== undefined) ? cols : null;
  };
  const globalCols = optional(GLOBAL_NAMES);
  const localCols = optional(numbered(['p'], NUM_MODES));
  const poseCols = optional(POSE_NAMES);
  const gazeCols = optional(GAZE_NAMES);
  const eyeCols = optional(numbered(['eye_lmk_x', 'eye_lmk_y'], NUM_EYE_POINTS));
  const eye3dCols = optional(numbered(['eye_lmk_X', 'eye_lmk_Y', 'eye_lmk_Z'], NUM_EYE_POINTS));
  const landmark3dCols = optional(numbered(['X', 'Y', 'Z'], NUM_POINTS));
  const successCol = index.get('success');
  const confidenceCol = index.get('confidence');
  const timestampCol = index.get('timestamp');

  const rows: LandmarkRow[] = [];
  for (let r = 1; r < table.length; r++) {
    const cells = table[r];
    const num = (col: number): number => {
      const cell = cells[col];
      const value = Number(cell);
      if (cell === undefined || cell.trim() === '' || !Number.isFinite(value)) {
        throw new CsvFormatError(`${source}: line ${r + 1}: ${quoteForMessage(cell ?? '')} is not a number (${header[col]})`);
      }
      return value;
    };
    const pick = (cols: number[] | null): Float64Array | null => (cols ? Float64Array.from(cols, num) : null);
    rows.push({
      frame: num(frameCol),
      timestamp: timestampCol === undefined ? null : num(timestampCol),
      confidence: confidenceCol === undefined ? 1 : num(confidenceCol),
      success: successCol === undefined ? true : num(successCol) >= 0.5,
      landmarks: Float64Array.from(landmarkCols, num),
      paramsGlobal: pick(globalCols),
      paramsLocal: pick(localCols),
      pose: pick(poseCols),
      gaze: pick(gazeCols),
      eyeLandmarks: pick(eyeCols),
      eyeLandmarks3d: pick(eye3dCols),
      landmarks3d: pick(landmark3dCols),
    });
  }
  return rows;
}
