import { ModelFormatError, quoteForMessage } from '../errors.ts';

/**
 * OpenFace's AU models (FaceAnalyser::ReadAU / ReadRegressor and the Read
 * functions of SVR_static_lin_regressors, SVR_dynamic_lin_regressors,
 * SVM_static_lin, SVM_dynamic_lin).
 *
 * A `.dat` file is little-endian binary (OpenFace writes native x86 bytes):
 *
 *   int32    marker: the FaceAnalyser::RegressorType of the model
 *   float64  cutoff                       (SVR dynamic only)
 *   matrix   means, 1 x L                 (feature means)
 *   matrix   support vector, L x 1        (the linear weights)
 *   float64  bias
 *   float64  positive class, float64 negative class   (SVMs only)
 *
 * where a matrix is LandmarkDetector::ReadMatBin's layout: int32 rows, int32
 * cols, int32 OpenCV type, then rows * cols raw elements. L is 4464 (HOG) +
 * 238 (geometry) for every model OpenFace ships.
 *
 * The parsers take bytes and text, never paths, so the browser (files from a
 * folder picker or IndexedDB) and Node share them.
 */

/** FaceAnalyser::RegressorType values that OpenFace can read into a predictor. */
export const AU_MODEL_MARKERS = {
  'svr-static': 0,
  'svr-dynamic': 1,
  'svm-static': 4,
  'svm-dynamic': 5,
} as const;

export type AuModelKind = keyof typeof AU_MODEL_MARKERS;

/** One linear AU predictor read from a `.dat` file. */
export interface AuModel {
  readonly kind: AuModelKind;
  /** the AU it predicts, as named in the model list (e.g. 'AU01') */
  readonly auName: string;
  /** the file it came from, as named in the model list (used in messages) */
  readonly source: string;
  /**
   * SVR dynamic only (null otherwise): the fraction of a person's frames
   * assumed neutral; the offline postprocessing shifts that quantile of the
   * video's predictions to 0. -1 means "no shift".
   */
  readonly cutoff: number | null;
  /** L feature means */
  readonly means: Float64Array;
  /** L weights (the single support vector column) */
  readonly weights: Float64Array;
  readonly bias: number;
  /** SVMs only (null otherwise): the value output when the score is > 0 */
  readonly positiveClass: number | null;
  /** SVMs only (null otherwise): the value output when the score is <= 0 */
  readonly negativeClass: number | null;
}

/** A whole AU model folder: the list file and every model it names, in list order. */
export interface AuModelSet {
  /** the list file's name, for messages */
  readonly source: string;
  readonly models: readonly AuModel[];
}

/** One line of `AU_all_best.txt`: a model path relative to the list, and the AU name(s) it produces. */
export interface AuModelListEntry {
  readonly path: string;
  readonly auNames: readonly string[];
}

const KIND_BY_MARKER = new Map<number, AuModelKind>(
  (Object.entries(AU_MODEL_MARKERS) as [AuModelKind, number][]).map(([kind, marker]) => [marker, kind]),
);

// OpenCV type codes ReadMatBin can meet in these files (single channel).
const CV_32F = 5;
const CV_64F = 6;

/** A bounds-checked little-endian reader that names the file and field in its errors. */
class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(
    bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.view.byteLength - this.offset;
  }

  private need(bytes: number, what: string): void {
    if (this.remaining < bytes) {
      throw new ModelFormatError(
        `${this.source}: file ends early: ${what} needs ${bytes} bytes at offset ${this.offset}, only ${this.remaining} left (truncated or not an OpenFace AU model)`,
      );
    }
  }

  int32(what: string): number {
    this.need(4, what);
    const value = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return value;
  }

  float64(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    if (!Number.isFinite(value)) throw new ModelFormatError(`${this.source}: ${what} is not a finite number (${value})`);
    return value;
  }

  /** LandmarkDetector::ReadMatBin: int32 rows, int32 cols, int32 type, raw data. */
  matrix(what: string): { rows: number; cols: number; data: Float64Array } {
    const rows = this.int32(`the row count of ${what}`);
    const cols = this.int32(`the column count of ${what}`);
    const type = this.int32(`the OpenCV type of ${what}`);
    if (rows <= 0 || cols <= 0) throw new ModelFormatError(`${this.source}: ${what} has an impossible size ${rows}x${cols}`);
    if (type !== CV_64F && type !== CV_32F) {
      throw new ModelFormatError(`${this.source}: ${what} has OpenCV type ${type}; expected ${CV_64F} (CV_64FC1) or ${CV_32F} (CV_32FC1)`);
    }
    const size = type === CV_64F ? 8 : 4;
    const count = rows * cols;
    this.need(count * size, `the ${rows}x${cols} data of ${what}`);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = size === 8 ? this.view.getFloat64(this.offset + 8 * i, true) : this.view.getFloat32(this.offset + 4 * i, true);
      if (!Number.isFinite(data[i])) throw new ModelFormatError(`${this.source}: value ${i} of ${what} is not a finite number`);
    }
    this.offset += count * size;
    return { rows, cols, data };
  }
}

/**
 * Parses one `.dat` AU model. `auName` is the name the model list gives it;
 * `source` names the file in error messages.
 */
export function parseAuModel(bytes: Uint8Array, auName: string, source: string): AuModel {
  const reader = new ByteReader(bytes, source);
  const marker = reader.int32('the model type marker');
  const kind = KIND_BY_MARKER.get(marker);
  if (kind === undefined) {
    throw new ModelFormatError(
      `${source}: model type marker ${marker} is not one SplitFace reads (0 SVR static, 1 SVR dynamic, 4 SVM static, 5 SVM dynamic)`,
    );
  }
  // Only the dynamic SVR carries the person-calibration cutoff (SVR_dynamic_lin_regressors::Read);
  // the dynamic SVM starts straight with its means (SVM_dynamic_lin::Read).
  let cutoff: number | null = null;
  if (kind === 'svr-dynamic') {
    cutoff = reader.float64('the cutoff');
    // OpenFace indexes the sorted predictions with (int)(n * cutoff) unless cutoff is -1;
    // anything else outside [0, 1] would index outside the array.
    if (cutoff !== -1 && !(cutoff >= 0 && cutoff <= 1)) {
      throw new ModelFormatError(`${source}: cutoff ${cutoff} is neither -1 nor within [0, 1]`);
    }
  }
  const means = reader.matrix('the feature means');
  if (means.rows !== 1) throw new ModelFormatError(`${source}: the feature means must be one row, got ${means.rows}x${means.cols}`);
  const weights = reader.matrix('the support vector');
  if (weights.cols !== 1 || weights.rows !== means.cols) {
    throw new ModelFormatError(
      `${source}: the support vector is ${weights.rows}x${weights.cols}; expected ${means.cols}x1 to match the ${means.cols} feature means`,
    );
  }
  const bias = reader.float64('the bias');
  let positiveClass: number | null = null;
  let negativeClass: number | null = null;
  if (kind === 'svm-static' || kind === 'svm-dynamic') {
    positiveClass = reader.float64('the positive class value');
    negativeClass = reader.float64('the negative class value');
  }
  if (reader.remaining !== 0) {
    throw new ModelFormatError(`${source}: ${reader.remaining} unexpected bytes after the model (a ${kind} model ends after ${reader.offset} bytes)`);
  }
  return { kind, auName, source, cutoff, means: means.data, weights: weights.data, bias, positiveClass, negativeClass };
}

/**
 * Parses the model list (`AU_all_best.txt`): per line a model path relative
 * to the list's folder, a space, and the comma-separated AU name(s) it
 * produces. Blank lines are skipped and a trailing carriage return is
 * ignored (OpenFace strips it too).
 */
export function parseAuModelList(text: string, source = 'AU model list'): AuModelListEntry[] {
  const entries: AuModelListEntry[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '') continue;
    const space = line.search(/\s/);
    if (space < 0) throw new ModelFormatError(`${source}, line ${n + 1}: ${quoteForMessage(line)} names a model file but no AU`);
    const path = line.slice(0, space);
    const auNames = line
      .slice(space + 1)
      .split(',')
      .map((name) => name.trim());
    if (auNames.some((name) => name === '' || /\s/.test(name))) {
      throw new ModelFormatError(`${source}, line ${n + 1}: bad AU name list ${quoteForMessage(line.slice(space + 1).trim())}`);
    }
    entries.push({ path, auNames });
  }
  if (entries.length === 0) throw new ModelFormatError(`${source}: lists no AU models`);
  return entries;
}

/**
 * Parses a list file and every model it names. `readModel` returns a model's
 * bytes given its path as written in the list (relative to the list's folder),
 * or undefined when there is no such file.
 */
export function parseAuModelSet(
  listText: string,
  readModel: (relativePath: string) => Uint8Array | undefined,
  listSource = 'AU_all_best.txt',
): AuModelSet {
  const models: AuModel[] = [];
  for (const entry of parseAuModelList(listText, listSource)) {
    // One bias and one weight column per file: a file can only produce one AU.
    if (entry.auNames.length !== 1) {
      throw new ModelFormatError(`${listSource}: ${entry.path} is listed for ${entry.auNames.length} AUs (${entry.auNames.join(',')}); a linear model produces one`);
    }
    const bytes = readModel(entry.path);
    if (bytes === undefined) throw new ModelFormatError(`${listSource} lists ${entry.path}, which is not in the model folder`);
    models.push(parseAuModel(bytes, entry.auNames[0], entry.path));
  }
  return { source: listSource, models };
}
