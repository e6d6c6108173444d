/**
 * A CSV row without its AU columns (what the landmark stage and the AU
 * pipeline's fit give a frame) as one fixed-size binary record, for the
 * record store. Exact for the CSV: 2.2 writes every one of these blocks
 * from floats, so keeping them as float32 loses nothing the CSV shows
 * (auCsv.ts rounds them to float before printing); frame, face id,
 * timestamp and confidence stay doubles. Which blocks were null is kept
 * too, so a row reads back as it was given (a null block prints zeros).
 */
import type { FrameResult } from '../result.ts';
import type { FaceObservation } from '../pipeline.ts';

/** The row fields a record holds: a FrameResult without the AU values. */
export type RowWithoutAus = Omit<FrameResult, 'auIntensity' | 'auPresence'>;

type BlockField = 'gaze' | 'eyeLandmarks' | 'eyeLandmarks3d' | 'pose' | 'landmarks' | 'landmarks3d' | 'paramsGlobal' | 'paramsLocal';

/** the float blocks and their lengths (the CSV's column counts) */
const BLOCKS: readonly { readonly field: BlockField; readonly length: number }[] = [
  { field: 'gaze', length: 8 },
  { field: 'eyeLandmarks', length: 112 },
  { field: 'eyeLandmarks3d', length: 168 },
  { field: 'pose', length: 6 },
  { field: 'landmarks', length: 136 },
  { field: 'landmarks3d', length: 204 },
  { field: 'paramsGlobal', length: 6 },
  { field: 'paramsLocal', length: 34 },
];
/** frame, faceId, timestamp, confidence, success, mask of the blocks present */
const HEADER_DOUBLES = 6;
const FLOATS = BLOCKS.reduce((sum, b) => sum + b.length, 0);
export const ROW_RECORD_BYTES = HEADER_DOUBLES * 8 + FLOATS * 4;

/** Writes `row` into `record` (ROW_RECORD_BYTES bytes at its start). */
export function encodeRow(row: RowWithoutAus | FaceObservation, record: Uint8Array): void {
  const header = new Float64Array(record.buffer, record.byteOffset, HEADER_DOUBLES);
  const floats = new Float32Array(record.buffer, record.byteOffset + HEADER_DOUBLES * 8, FLOATS);
  let mask = 0;
  let at = 0;
  BLOCKS.forEach((block, k) => {
    const values = row[block.field];
    if (values) {
      mask |= 1 << k;
      const n = Math.min(values.length, block.length);
      for (let i = 0; i < n; i++) floats[at + i] = values[i];
      // a short block prints "nan" past its end (the CSV reads undefined there): keep that
      floats.fill(Number.NaN, at + n, at + block.length);
    } else {
      floats.fill(0, at, at + block.length);
    }
    at += block.length;
  });
  header[0] = row.frame;
  header[1] = row.faceId;
  header[2] = row.timestamp;
  header[3] = row.confidence;
  header[4] = row.success ? 1 : 0;
  header[5] = mask;
}

/** The row a record holds (fresh arrays, so the record's buffer may be reused). */
export function decodeRow(record: Uint8Array): RowWithoutAus {
  if (record.byteOffset % 8 !== 0) throw new RangeError('row record: buffer not 8-byte aligned');
  const header = new Float64Array(record.buffer, record.byteOffset, HEADER_DOUBLES);
  const floats = new Float32Array(record.buffer, record.byteOffset + HEADER_DOUBLES * 8, FLOATS);
  const mask = header[5];
  const blocks = {} as Record<BlockField, Float64Array | null>;
  let at = 0;
  BLOCKS.forEach((block, k) => {
    blocks[block.field] = mask & (1 << k) ? Float64Array.from(floats.subarray(at, at + block.length)) : null;
    at += block.length;
  });
  return { frame: header[0], faceId: header[1], timestamp: header[2], confidence: header[3], success: header[4] === 1, ...blocks };
}
