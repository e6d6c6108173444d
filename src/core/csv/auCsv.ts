import type { AuColumns, FrameResult } from '../result.ts';
import { formatFixed, formatGeneral } from './printfFormat.ts';

/**
 * How numbers are written: 'stock' as OpenFace 2.2's FeatureExtraction writes
 * them (fixed decimals per column), 'full' with 10 significant digits
 * (printf "%.10g", the precision of ../shared/reference-2.2's CSVs).
 */
export type CsvPrecision = 'stock' | 'full';
export const CSV_PRECISIONS: readonly CsvPrecision[] = ['stock', 'full'];

const NUM_POINTS = 68;
const NUM_EYE_POINTS = 56;
const NUM_MODES = 34;
/** significant digits of the 'full' precision */
const FULL_DIGITS = 10;

/** `prefix_0..prefix_{count-1}` for each prefix, one prefix after the other (2.2's column blocks). */
function numbered(prefixes: readonly string[], count: number): string[] {
  return prefixes.flatMap((prefix) => Array.from({ length: count }, (_, k) => `${prefix}_${k}`));
}

/**
 * A block of numeric columns, as 2.2's RecorderCSV::WriteLine writes it:
 * `count` values of one FrameResult field from `offset`, with the block's
 * stock decimals. `float`: 2.2 holds the values in floats (the text is that
 * of the float, so values are rounded to single precision first); the
 * others are doubles.
 */
interface ColumnBlock {
  readonly names: readonly string[];
  readonly values: (row: FrameResult) => ArrayLike<number> | null;
  readonly offset: number;
  readonly stockDecimals: number;
  readonly float: boolean;
}

function block(names: readonly string[], values: ColumnBlock['values'], stockDecimals: number, offset = 0, float = true): ColumnBlock {
  return { names, values, offset, stockDecimals, float };
}

/** 2.2's blocks between `success` and the AU columns, in its order. */
const VALUE_BLOCKS: readonly ColumnBlock[] = [
  block(['gaze_0_x', 'gaze_0_y', 'gaze_0_z', 'gaze_1_x', 'gaze_1_y', 'gaze_1_z'], (r) => r.gaze, 6),
  block(['gaze_angle_x', 'gaze_angle_y'], (r) => r.gaze, 3, 6),
  block(numbered(['eye_lmk_x', 'eye_lmk_y'], NUM_EYE_POINTS), (r) => r.eyeLandmarks, 1),
  block(numbered(['eye_lmk_X', 'eye_lmk_Y', 'eye_lmk_Z'], NUM_EYE_POINTS), (r) => r.eyeLandmarks3d, 1),
  block(['pose_Tx', 'pose_Ty', 'pose_Tz'], (r) => r.pose, 1),
  block(['pose_Rx', 'pose_Ry', 'pose_Rz'], (r) => r.pose, 3, 3),
  block(numbered(['x', 'y'], NUM_POINTS), (r) => r.landmarks, 1),
  block(numbered(['X', 'Y', 'Z'], NUM_POINTS), (r) => r.landmarks3d, 1),
  block(['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'], (r) => r.paramsGlobal, 3),
  block(numbered(['p'], NUM_MODES), (r) => r.paramsLocal, 3),
];

/**
 * The AU blocks. 2.2's end-of-video postprocessing (FaceAnalyser::
 * PostprocessOutputFile) rewrites every AU cell, intensities and presence
 * alike, from its doubles with 2 fixed decimals ("1.00"), or, in the
 * 10-digit build, as "%.10g".
 */
function auBlocks(aus: AuColumns): ColumnBlock[] {
  return [
    block(aus.intensityNames.map((n) => `${n}_r`), (r) => r.auIntensity, 2, 0, false),
    block(aus.presenceNames.map((n) => `${n}_c`), (r) => r.auPresence, 2, 0, false),
  ];
}

const LEADING_NAMES = ['frame', 'face_id', 'timestamp', 'confidence', 'success'];

/**
 * OpenFace 2.2's CSV header: 714 columns with the 17 + 18 AU columns of its
 * models, 679 without AU models (`aus` null: a landmarks-only run).
 */
export function auCsvHeader(aus: AuColumns | null): string[] {
  const blocks = aus ? [...VALUE_BLOCKS, ...auBlocks(aus)] : VALUE_BLOCKS;
  return [...LEADING_NAMES, ...blocks.flatMap((b) => b.names)];
}

/**
 * rows formatted per piece (about 450 kB of text): the cells of a whole long
 * video at once are millions of short strings, and a piece's strings should
 * die young (collected by the cheap young-generation passes) rather than
 * pile up in the old generation until a full collection
 */
const ROWS_PER_CHUNK = 100;

type NumberWriter = (value: number, stockDecimals: number) => string;

const WRITERS: Record<CsvPrecision, NumberWriter> = {
  stock: formatFixed,
  full: (value) => formatGeneral(value, FULL_DIGITS),
};

function rowLine(r: FrameResult, blocks: readonly ColumnBlock[], write: NumberWriter): string {
  // frame and face_id are ints, timestamp a double (3 decimals), confidence a
  // float (2), success a bool (printed 1 / 0 whatever the precision).
  const cells = [String(r.frame), String(r.faceId), write(r.timestamp, 3), write(Math.fround(r.confidence), 2), r.success ? '1' : '0'];
  for (const b of blocks) {
    const values = b.values(r);
    const count = b.names.length;
    for (let i = 0; i < count; i++) {
      // a value the run does not have is a zero, as 2.2 writes gaze on failed frames
      const v = values ? values[b.offset + i] : 0;
      cells.push(write(b.float ? Math.fround(v) : v, b.stockDecimals));
    }
  }
  return cells.join(',');
}

/**
 * The CSV exactly as OpenFace 2.2's FeatureExtraction writes it (header,
 * column order, number text; `precision` 'stock' or 'full', see
 * CsvPrecision), one row per result, in pieces of up to `rowsPerChunk` rows:
 * the header in the first, each piece ending in a newline. A failed frame
 * prints whatever values its result carries (2.2 keeps the tracker's last
 * state there) and zeros where it has none.
 *
 * `results` may be any iterable, read once, a row at a time: each row
 * becomes its line as it arrives, and only one piece's lines exist as
 * strings at a time, so memory does not grow with the video's length (an
 * hour at 30 fps is 100 000 rows of 714 cells); the pieces go to a file as
 * they come, never into one giant string.
 */
export function* formatAuCsvChunks(
  results: Iterable<FrameResult>,
  aus: AuColumns | null,
  precision: CsvPrecision = 'stock',
  rowsPerChunk = ROWS_PER_CHUNK,
): Generator<string> {
  let header: string | null = auCsvHeader(aus).join(',') + '\n';
  const blocks = aus ? [...VALUE_BLOCKS, ...auBlocks(aus)] : VALUE_BLOCKS;
  const write = WRITERS[precision];
  let lines: string[] = [];
  for (const r of results) {
    lines.push(rowLine(r, blocks, write));
    if (lines.length >= rowsPerChunk) {
      yield (header ?? '') + lines.join('\n') + '\n';
      header = null;
      lines = [];
    }
  }
  if (lines.length > 0) yield (header ?? '') + lines.join('\n') + '\n';
  else if (header !== null) yield header;
}
