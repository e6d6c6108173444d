/**
 * The worker's files in the origin private file system (OPFS), written
 * through synchronous access handles (dedicated workers only): the rows of
 * the video being analysed (spilled until its end) and the finished CSV,
 * written piece by piece to disk, never held whole. The CSV is then handed
 * on as the disk-backed File OPFS gives, which downloads and the results
 * store use as any Blob. Where OPFS or sync handles are missing (Node in
 * tests, old browsers), callers fall back to memory.
 */
import { checkRange, type RecordStore } from '../core/analysis/recordStore.ts';

/** the finished results (CSV here; the page's results store keeps their descriptions beside them) */
export const RESULTS_DIR = 'splitface-results';
/** rows waiting for the end of their video */
export const SPILL_DIR = 'splitface-spill';

export interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
  truncate(size: number): void;
}

interface SyncFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(): Promise<SyncHandle>;
}

/** A folder of the origin private file system, or null where there is none (or no sync handles: not a worker). */
export async function opfsFolder(name: string): Promise<FileSystemDirectoryHandle | null> {
  try {
    if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
    if (typeof FileSystemFileHandle === 'undefined' || !('createSyncAccessHandle' in FileSystemFileHandle.prototype)) return null;
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(name, { create: true });
  } catch {
    // storage blocked (private mode, quota): memory instead
    return null;
  }
}

/** A new file name that no other run (or tab) picks. */
export function uniqueName(extension: string): string {
  return `${Date.now().toString(36)}-${crypto.randomUUID()}${extension}`;
}

/** Opens (creates) `name` in `folder` through a synchronous access handle. */
export async function openSync(folder: FileSystemDirectoryHandle, name: string): Promise<{ file: SyncFileHandle; handle: SyncHandle }> {
  const file = (await folder.getFileHandle(name, { create: true })) as SyncFileHandle;
  return { file, handle: await file.createSyncAccessHandle() };
}

/** Rows spilled to one OPFS file, removed on dispose. */
export class OpfsRecordStore implements RecordStore {
  count = 0;
  private closed = false;

  private constructor(
    readonly recordBytes: number,
    private readonly folder: FileSystemDirectoryHandle,
    private readonly name: string,
    private readonly handle: SyncHandle,
  ) {}

  static async create(folder: FileSystemDirectoryHandle, recordBytes: number): Promise<OpfsRecordStore> {
    const name = uniqueName('.rows');
    const { handle } = await openSync(folder, name);
    handle.truncate(0);
    return new OpfsRecordStore(recordBytes, folder, name, handle);
  }

  append(record: Uint8Array): void {
    if (record.length !== this.recordBytes) throw new RangeError(`record store: record of ${record.length} bytes, expected ${this.recordBytes}`);
    writeFully(this.handle, record, this.count * this.recordBytes);
    this.count++;
  }

  read(start: number, count: number, into: Uint8Array): void {
    checkRange(this, start, count, into);
    const bytes = count * this.recordBytes;
    let done = 0;
    while (done < bytes) {
      const got = this.handle.read(into.subarray(done, bytes), { at: start * this.recordBytes + done });
      if (got <= 0) throw new Error('record store: the spill file ended early');
      done += got;
    }
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    void this.folder.removeEntry(this.name).catch(() => {});
  }
}

/** Writes all of `bytes` at `at` (a sync handle may write less than asked). */
export function writeFully(handle: SyncHandle, bytes: Uint8Array, at: number): void {
  let done = 0;
  while (done < bytes.length) done += handle.write(bytes.subarray(done), { at: at + done });
}

/** A text file written piece by piece; `close` returns it as a disk-backed File. */
export class OpfsTextWriter {
  private readonly encoder = new TextEncoder();
  private size = 0;
  /** the bytes of one piece, reused (grown when a piece needs more): no new buffer per piece */
  private bytes = new Uint8Array(0);

  private constructor(
    readonly name: string,
    private readonly file: SyncFileHandle,
    private readonly handle: SyncHandle,
  ) {}

  static async create(folder: FileSystemDirectoryHandle, name: string): Promise<OpfsTextWriter> {
    const { file, handle } = await openSync(folder, name);
    handle.truncate(0);
    return new OpfsTextWriter(name, file, handle);
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.bytes.length < text.length * 3) this.bytes = new Uint8Array(text.length * 3);
    const { written } = this.encoder.encodeInto(text, this.bytes);
    writeFully(this.handle, this.bytes.subarray(0, written), this.size);
    this.size += written;
  }

  async close(): Promise<File> {
    this.handle.flush();
    this.handle.close();
    return this.file.getFile();
  }

  /** Ends without a result: the file is removed. */
  async abandon(folder: FileSystemDirectoryHandle): Promise<void> {
    this.handle.close();
    await folder.removeEntry(this.name).catch(() => {});
  }
}
