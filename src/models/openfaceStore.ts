/**
 * Keeps the user's OpenFace model folder in IndexedDB, so it is imported once
 * and reused on later visits. Only files the CLI's loaders accepted and read
 * are stored, plus the folder's name; nothing else from the user's disk.
 *
 * An import is atomic: its files are written under a new import id (in
 * several transactions, to bound each one's size), then one transaction
 * checks they are all there and points 'current' at them. A tab closed or
 * reloaded midway leaves an import nobody points at, deleted on the next open;
 * the folder in use until then stays whole and loadable.
 */
import { ModelStorageError, CURRENT_KEY, openOpenFaceDb, type FileRecord, type ImportRecord, type OpenFaceDb } from './openfaceDb.ts';
import type { ImportedFolder } from './openfaceImport.ts';
import { validateOpenFaceFolder, type ValidatedOpenFaceFolder } from './openfaceValidate.ts';

export { ModelStorageError };

/** What the model panel shows about the stored folder. */
export interface OpenFaceFolderInfo {
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  /** ISO 8601 */
  readonly importedAt: string;
  /** the folder also held CE-CLM's CEN weights, which SplitFace does not run */
  readonly cenWeights: boolean;
}

export type OpenFaceValidator = (folder: ImportedFolder) => Promise<ValidatedOpenFaceFolder>;

export interface OpenFaceStoreOptions {
  /** the IndexedDB to use; the page's by default (tests pass an isolated one) */
  readonly indexedDB?: IDBFactory;
  /** checks a folder and returns the files to keep; the CLI's loaders by default */
  readonly validate?: OpenFaceValidator;
  /** bytes written per transaction (a few MB: one huge transaction is slow to commit and all-or-nothing anyway) */
  readonly writeChunkBytes?: number;
  /** Web Locks, to keep two tabs from cleaning up each other's import; the page's by default, null for none */
  readonly locks?: LockManager | null;
  readonly now?: () => Date;
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const LOCK_NAME = 'splitface-openface-store';

/** The minimal part of an idb transaction run() needs. */
interface Transaction {
  readonly done: Promise<void>;
  abort(): void;
}

/**
 * Runs `body` in `tx` and waits for the commit. On failure the transaction
 * is aborted, so a half-done body writes nothing, and its rejected `done` is
 * marked handled (else it would surface as an unhandled rejection).
 */
async function run<T>(tx: Transaction, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    await tx.done;
    return result;
  } catch (error) {
    tx.done.catch(() => undefined);
    try {
      tx.abort();
    } catch {
      // already committed or aborted by the failed request
    }
    throw error;
  }
}

/** An ArrayBuffer holding exactly the view's bytes (storing a view would store its whole buffer). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer;
  return bytes.slice().buffer;
}

/** A fresh import id. getRandomValues, unlike randomUUID, also exists on pages served without https. */
function newImportId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function toInfo(record: ImportRecord): OpenFaceFolderInfo {
  return { name: record.name, files: record.files, bytes: record.bytes, importedAt: record.importedAt, cenWeights: record.cenWeights ?? false };
}

function megabytes(bytes: number): string {
  return `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

function writeError(error: unknown, bytes: number): unknown {
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    return new ModelStorageError(`Not enough browser storage to keep the OpenFace model folder (${megabytes(bytes)}): free some disk space or site data, then import it again.`);
  }
  if (error instanceof DOMException) {
    return new ModelStorageError(`The browser could not store the OpenFace model folder (${error.name}: ${error.message}); import it again.`);
  }
  return error;
}

export class OpenFaceStore {
  private queue: Promise<unknown> = Promise.resolve();
  /** why the connection is gone, once it is: every later call says so instead of an IndexedDB error */
  private closedBecause: string | null = null;

  private constructor(
    private readonly db: OpenFaceDb,
    private readonly validate: OpenFaceValidator,
    private readonly chunkBytes: number,
    private readonly locks: LockManager | null,
    private readonly now: () => Date,
  ) {
    // openOpenFaceDb closes the connection when a newer SplitFace in another tab upgrades the schema
    db.addEventListener('versionchange', () => {
      this.closedBecause ??= 'SplitFace was updated in another tab; reload this page to use the OpenFace model folder.';
    });
  }

  /** Opens the store and deletes what an interrupted import or removal left behind. */
  static async open(options: OpenFaceStoreOptions = {}): Promise<OpenFaceStore> {
    const db = await openOpenFaceDb(options.indexedDB ?? globalThis.indexedDB);
    const defaultLocks = typeof navigator === 'undefined' ? null : (navigator.locks ?? null);
    const store = new OpenFaceStore(
      db,
      options.validate ?? validateOpenFaceFolder,
      options.writeChunkBytes ?? DEFAULT_CHUNK_BYTES,
      options.locks === undefined ? defaultLocks : options.locks,
      options.now ?? (() => new Date()),
    );
    await store.exclusive(() => store.deleteUnused());
    return store;
  }

  /** The folder in use, or null when none was imported. */
  async info(): Promise<OpenFaceFolderInfo | null> {
    this.assertOpen();
    const tx = this.db.transaction(['state', 'imports'], 'readonly');
    return run(tx, async () => {
      const current = await tx.objectStore('state').get(CURRENT_KEY);
      const record = current && (await tx.objectStore('imports').get(current.importId));
      return record ? toInfo(record) : null;
    });
  }

  /** The stored files (path relative to the model folder -> bytes), or null when none was imported. */
  async readAll(): Promise<Map<string, Uint8Array> | null> {
    this.assertOpen();
    // one transaction: a concurrent import or removal cannot mix two folders
    const tx = this.db.transaction(['state', 'imports', 'files'], 'readonly');
    return run(tx, async () => {
      const current = await tx.objectStore('state').get(CURRENT_KEY);
      const record = current && (await tx.objectStore('imports').get(current.importId));
      if (!record) return null;
      const rows = await tx.objectStore('files').index('byImport').getAll(record.id);
      const files = new Map(rows.map((row) => [row.path, new Uint8Array(row.bytes)]));
      const bytes = rows.reduce((sum, row) => sum + row.bytes.byteLength, 0);
      // cannot happen through this module; guards against storage altered behind its back
      if (files.size !== record.files || bytes !== record.bytes) {
        throw new ModelStorageError('The stored OpenFace model folder is incomplete (was site data partly cleared?); import the folder again.');
      }
      return files;
    });
  }

  /**
   * Validates `folder` and, only when it passes, stores it in place of the
   * current one. A folder that fails validation throws the loaders' message
   * and changes nothing.
   */
  async importFolder(folder: ImportedFolder): Promise<OpenFaceFolderInfo> {
    this.assertOpen();
    // Validation reads the user's disk and can take a while: outside the lock.
    const validated = await this.validate(folder);
    return this.exclusive(() => this.store(validated));
  }

  /** Forgets the stored folder. */
  async remove(): Promise<void> {
    this.assertOpen();
    await this.exclusive(async () => {
      const tx = this.db.transaction('state', 'readwrite');
      await run(tx, () => tx.store.delete(CURRENT_KEY));
      await this.deleteUnused();
    });
  }

  close(): void {
    this.closedBecause ??= 'The OpenFace model folder store was closed.';
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closedBecause) throw new ModelStorageError(this.closedBecause);
  }

  private async store(folder: ValidatedOpenFaceFolder): Promise<OpenFaceFolderInfo> {
    const id = newImportId();
    let files = 0;
    let bytes = 0;
    try {
      let chunk: FileRecord[] = [];
      let chunkBytes = 0;
      for (const [path, data] of folder.files) {
        chunk.push({ importId: id, path, bytes: ownBuffer(data) });
        files++;
        bytes += data.byteLength;
        chunkBytes += data.byteLength;
        if (chunkBytes >= this.chunkBytes) {
          await this.writeFiles(chunk);
          chunk = [];
          chunkBytes = 0;
        }
      }
      await this.writeFiles(chunk);
      if (files === 0) throw new ModelStorageError(`${folder.name}: no model files to store`);
      const record: ImportRecord = { id, name: folder.name, files, bytes, importedAt: this.now().toISOString(), cenWeights: folder.cenWeights };
      await this.switchTo(record);
      await this.deleteUnused().catch(() => undefined); // the new folder is in use; leftovers go on the next open
      return toInfo(record);
    } catch (error) {
      // 'current' still points at the previous folder; drop what was staged
      await this.deleteUnused().catch(() => undefined);
      throw writeError(error, bytes);
    }
  }

  private async writeFiles(records: readonly FileRecord[]): Promise<void> {
    if (records.length === 0) return;
    const tx = this.db.transaction('files', 'readwrite');
    await run(tx, () => Promise.all(records.map((r) => tx.store.put(r))));
  }

  /** Points 'current' at a fully written import, in one transaction with the check that it is complete. */
  private async switchTo(record: ImportRecord): Promise<void> {
    const tx = this.db.transaction(['state', 'imports', 'files'], 'readwrite');
    await run(tx, async () => {
      const written = await tx.objectStore('files').index('byImport').count(record.id);
      if (written !== record.files) {
        throw new ModelStorageError('The stored OpenFace model folder was changed by another SplitFace tab during this import; import the folder again.');
      }
      await tx.objectStore('imports').put(record);
      await tx.objectStore('state').put({ importId: record.id }, CURRENT_KEY);
    });
  }

  /** Deletes every import 'current' does not point at: replaced ones and the files of interrupted ones. */
  private async deleteUnused(): Promise<void> {
    const tx = this.db.transaction(['state', 'imports', 'files'], 'readwrite');
    await run(tx, async () => {
      const current = (await tx.objectStore('state').get(CURRENT_KEY))?.importId;
      const files = tx.objectStore('files');
      const ids = new Set(await tx.objectStore('imports').getAllKeys());
      // an interrupted import has files but no record
      for (let cursor = await files.index('byImport').openKeyCursor(null, 'nextunique'); cursor; cursor = await cursor.continue()) {
        ids.add(cursor.key);
      }
      for (const id of ids) {
        if (id === current) continue;
        const keys = await files.index('byImport').getAllKeys(id);
        await Promise.all([...keys.map((key) => files.delete(key)), tx.objectStore('imports').delete(id)]);
      }
    });
  }

  /**
   * Runs `task` alone: after this tab's earlier tasks, and, where the browser
   * has Web Locks, while no other tab runs one (a lock dies with its tab, so a
   * closed tab never blocks). Without the lock, a second tab could delete the
   * files of an import in progress; switchTo() then refuses it.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const locks = this.locks;
    // request() resolves with what task resolves with; its typing nests the promise
    const locked = locks ? async (): Promise<T> => await locks.request(LOCK_NAME, task) : task;
    const result = this.queue.then(locked, locked);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
