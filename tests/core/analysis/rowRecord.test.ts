import { describe, expect, it } from 'vitest';
import { ROW_RECORD_BYTES, decodeRow, encodeRow, type RowWithoutAus } from '../../../src/core/analysis/rowRecord.ts';
import { MemoryRecordStore } from '../../../src/core/analysis/recordStore.ts';
import { formatAuCsvChunks } from '../../../src/core/csv/auCsv.ts';
import type { FrameResult } from '../../../src/core/result.ts';

function values(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 7.13 + i * 1.37) * 300 + i / 3);
}

function row(frame: number, full: boolean): RowWithoutAus {
  return {
    frame,
    faceId: frame % 3,
    timestamp: frame / 29.97,
    confidence: 0.975,
    success: frame % 5 !== 0,
    gaze: full ? values(8, frame) : null,
    eyeLandmarks: full ? values(112, frame + 1) : null,
    eyeLandmarks3d: full ? values(168, frame + 2) : null,
    pose: values(6, frame + 3),
    landmarks: values(136, frame + 4),
    landmarks3d: full ? values(204, frame + 5) : null,
    paramsGlobal: values(6, frame + 6),
    paramsLocal: full ? values(34, frame + 7) : null,
  };
}

const noAus = (r: RowWithoutAus): FrameResult => ({ ...r, auIntensity: null, auPresence: null });
const csv = (rows: FrameResult[], precision: 'stock' | 'full') => [...formatAuCsvChunks(rows, null, precision)].join('');

describe('row records', () => {
  it('print the same CSV, stock and full precision, as the rows they were made from', () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(i + 1, i % 4 !== 0));
    const record = new Uint8Array(ROW_RECORD_BYTES);
    const back = rows.map((r) => {
      encodeRow(r, record);
      return noAus(decodeRow(record));
    });
    expect(csv(back, 'full')).toBe(csv(rows.map(noAus), 'full'));
    expect(csv(back, 'stock')).toBe(csv(rows.map(noAus), 'stock'));
    // null blocks stay null, the header fields exact
    expect(back[0].gaze).toBeNull();
    expect(back[1].gaze).not.toBeNull();
    expect(back[7].timestamp).toBe(rows[7].timestamp);
    expect(back[4].success).toBe(false); // frame 5
  });
});

describe('MemoryRecordStore', () => {
  it('reads back ranges across its chunks, and refuses what it does not hold', () => {
    const store = new MemoryRecordStore(3);
    for (let i = 0; i < 3000; i++) store.append(Uint8Array.of(i & 255, (i >> 8) & 255, 7));
    const into = new Uint8Array(30);
    store.read(1020, 10, into);
    expect(Array.from(into.subarray(0, 6))).toEqual([1020 & 255, 1020 >> 8, 7, 1021 & 255, 1021 >> 8, 7]);
    expect(Array.from(into.subarray(27, 30))).toEqual([1029 & 255, 1029 >> 8, 7]);
    expect(() => store.read(2995, 10, new Uint8Array(30))).toThrow(/records 2995..3005 of 3000/);
    expect(() => store.append(new Uint8Array(4))).toThrow(/4 bytes, expected 3/);
  });
});
