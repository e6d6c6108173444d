/**
 * The CLI's record store: a temporary file (removed by dispose, and by the
 * OS's temp cleaning should the process die), so a long video's rows wait on
 * disk instead of in the heap.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRange, type RecordStore, type RecordStoreFactory } from '../core/analysis/recordStore.ts';

/** records gathered before one write (fewer system calls) */
const WRITE_BATCH = 64;

export class FileRecordStore implements RecordStore {
  private readonly dir: string;
  private fd: number | null;
  private readonly pending: Uint8Array;
  private pendingCount = 0;
  private written = 0;

  constructor(readonly recordBytes: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'splitface-rows-'));
    this.fd = openSync(join(this.dir, 'rows.bin'), 'w+');
    this.pending = new Uint8Array(WRITE_BATCH * recordBytes);
  }

  get count(): number {
    return this.written + this.pendingCount;
  }

  append(record: Uint8Array): void {
    if (record.length !== this.recordBytes) throw new RangeError(`record store: record of ${record.length} bytes, expected ${this.recordBytes}`);
    this.pending.set(record, this.pendingCount * this.recordBytes);
    if (++this.pendingCount === WRITE_BATCH) this.flush();
  }

  read(start: number, count: number, into: Uint8Array): void {
    checkRange(this, start, count, into);
    this.flush();
    const bytes = count * this.recordBytes;
    let done = 0;
    while (done < bytes) {
      const got = readSync(this.open(), into, done, bytes - done, (start * this.recordBytes + done));
      if (got === 0) throw new Error(`record store: ${this.dir} ended early`);
      done += got;
    }
  }

  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    const bytes = this.pendingCount * this.recordBytes;
    let done = 0;
    while (done < bytes) done += writeSync(this.open(), this.pending, done, bytes - done, this.written * this.recordBytes + done);
    this.written += this.pendingCount;
    this.pendingCount = 0;
  }

  private open(): number {
    if (this.fd === null) throw new Error('record store: used after dispose');
    return this.fd;
  }
}

export const fileRecordStore: RecordStoreFactory = (recordBytes) => new FileRecordStore(recordBytes);
