/**
 * Where a video's per-frame rows wait for the end of the video: fixed-size
 * binary records appended in order and read back in ranges. A long video's
 * rows (2.7 kB each, 100 000 an hour) do not fit comfortably in a tab, so
 * the CLI spills them to a temporary file and the worker to the origin
 * private file system; the in-memory store serves tests and browsers
 * without OPFS. The core only sees this interface.
 */
export interface RecordStore {
  readonly recordBytes: number;
  /** records appended so far */
  readonly count: number;
  /** appends one record of exactly `recordBytes` bytes (copied) */
  append(record: Uint8Array): void;
  /** copies records [start, start + count) into the front of `into` */
  read(start: number, count: number, into: Uint8Array): void;
  /** frees the storage (removes a spill file); the store is unusable afterwards */
  dispose(): void;
}

/** Makes a store for records of `recordBytes` bytes. */
export type RecordStoreFactory = (recordBytes: number) => RecordStore;

/** records per memory chunk: chunks of ~2.7 MB for row records, no single huge buffer to grow and copy */
const RECORDS_PER_CHUNK = 1024;

/** The records in memory, in chunks. */
export class MemoryRecordStore implements RecordStore {
  private chunks: Uint8Array[] = [];
  count = 0;

  constructor(readonly recordBytes: number) {
    if (!Number.isInteger(recordBytes) || recordBytes <= 0) throw new RangeError(`record store: bad record size ${recordBytes}`);
  }

  append(record: Uint8Array): void {
    if (record.length !== this.recordBytes) throw new RangeError(`record store: record of ${record.length} bytes, expected ${this.recordBytes}`);
    const chunk = Math.floor(this.count / RECORDS_PER_CHUNK);
    if (chunk === this.chunks.length) this.chunks.push(new Uint8Array(RECORDS_PER_CHUNK * this.recordBytes));
    this.chunks[chunk].set(record, (this.count % RECORDS_PER_CHUNK) * this.recordBytes);
    this.count++;
  }

  read(start: number, count: number, into: Uint8Array): void {
    checkRange(this, start, count, into);
    for (let i = 0; i < count; i++) {
      const r = start + i;
      const from = (r % RECORDS_PER_CHUNK) * this.recordBytes;
      into.set(this.chunks[Math.floor(r / RECORDS_PER_CHUNK)].subarray(from, from + this.recordBytes), i * this.recordBytes);
    }
  }

  dispose(): void {
    this.chunks = [];
    this.count = 0;
  }
}

export const memoryRecordStore: RecordStoreFactory = (recordBytes) => new MemoryRecordStore(recordBytes);

/** Throws unless [start, start + count) are stored records and `into` holds them. */
export function checkRange(store: RecordStore, start: number, count: number, into: Uint8Array): void {
  if (start < 0 || count < 0 || start + count > store.count) throw new RangeError(`record store: records ${start}..${start + count} of ${store.count}`);
  if (into.length < count * store.recordBytes) throw new RangeError(`record store: ${into.length} bytes cannot hold ${count} records`);
}
