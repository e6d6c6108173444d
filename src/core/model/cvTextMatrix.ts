import { ModelFormatError, quoteForMessage } from '../errors.ts';

/** A dense row-major matrix read from one of OpenFace's text model files. */
export interface TextMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * Reads matrices in OpenFace's text layout (LandmarkDetector::ReadMat): lines
 * starting with `#` are comments; each matrix is `rows`, `cols`, an OpenCV type
 * code, then rows * cols numbers. Returns every matrix in the file, in order.
 * `source` names the file in error messages.
 */
export function parseTextMatrices(text: string, source: string): TextMatrix[] {
  const tokens: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    for (const token of trimmed.split(/\s+/)) tokens.push(token);
  }
  const matrices: TextMatrix[] = [];
  let pos = 0;
  const next = (what: string): number => {
    if (pos >= tokens.length) throw new ModelFormatError(`${source}: ends early (expected ${what})`);
    const value = Number(tokens[pos]);
    if (!Number.isFinite(value)) throw new ModelFormatError(`${source}: ${quoteForMessage(tokens[pos])} is not a number (${what})`);
    pos++;
    return value;
  };
  while (pos < tokens.length) {
    const rows = next('a row count');
    const cols = next('a column count');
    next('an OpenCV type code');
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
      throw new ModelFormatError(`${source}: bad matrix size ${rows}x${cols}`);
    }
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = next(`value ${i + 1} of a ${rows}x${cols} matrix`);
    matrices.push({ rows, cols, data });
  }
  return matrices;
}
