/**
 * What the app keeps of the OpenFace folder in IndexedDB
 * (src/models/openfaceDb.ts), read from the page with plain IndexedDB, and
 * whether it is whole: 'current' points at an import record whose files are
 * all there, and no other import's files are left behind.
 */
import type { Page } from 'playwright-core';

export interface StoredImport {
  readonly id: string;
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
}

export interface OpenFaceDbState {
  /** false when the database was never created */
  readonly exists: boolean;
  readonly current: string | null;
  readonly imports: readonly StoredImport[];
  /** import id -> number of file records and their bytes */
  readonly stored: Readonly<Record<string, { readonly files: number; readonly bytes: number }>>;
}

export async function openFaceDbState(page: Page, dbName = 'splitface-openface'): Promise<OpenFaceDbState> {
  return page.evaluate(async (name) => {
    // open() without a version would create an empty database if none exists: look first
    const known = await indexedDB.databases();
    if (!known.some((d) => d.name === name)) return { exists: false, current: null, imports: [], stored: {} };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const tx = db.transaction(['state', 'imports', 'files'], 'readonly');
      const get = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const current = (await get(tx.objectStore('state').get('current'))) as { importId: string } | undefined;
      const imports = (await get(tx.objectStore('imports').getAll())) as { id: string; name: string; files: number; bytes: number }[];
      const stored: Record<string, { files: number; bytes: number }> = {};
      await new Promise<void>((resolve, reject) => {
        const request = tx.objectStore('files').openCursor();
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const cursor = request.result;
          if (!cursor) return resolve();
          const record = cursor.value as { importId: string; bytes: ArrayBuffer };
          const entry = (stored[record.importId] ??= { files: 0, bytes: 0 });
          entry.files++;
          entry.bytes += record.bytes.byteLength;
          cursor.continue();
        };
      });
      return {
        exists: true,
        current: current?.importId ?? null,
        imports: imports.map(({ id, name: n, files, bytes }) => ({ id, name: n, files, bytes })),
        stored,
      };
    } finally {
      db.close();
    }
  }, dbName);
}

/** Why the stored state is not whole, or null when it is (no folder at all counts as whole). */
export function openFaceDbProblem(state: OpenFaceDbState): string | null {
  if (!state.exists) return null;
  const leftovers = Object.keys(state.stored).filter((id) => id !== state.current);
  if (leftovers.length) return `files of ${leftovers.length} import(s) nobody points at: ${leftovers.join(', ')}`;
  const orphanRecords = state.imports.filter((r) => r.id !== state.current);
  if (orphanRecords.length) return `import records nobody points at: ${orphanRecords.map((r) => r.id).join(', ')}`;
  if (state.current === null) return null;
  const record = state.imports.find((r) => r.id === state.current);
  if (!record) return `'current' points at a missing import ${state.current}`;
  const stored = state.stored[record.id] ?? { files: 0, bytes: 0 };
  if (stored.files !== record.files || stored.bytes !== record.bytes) {
    return `import ${record.id} lists ${record.files} files (${record.bytes} bytes) but ${stored.files} (${stored.bytes} bytes) are stored`;
  }
  return null;
}

/** The import ids that have file records (cheap: keys only), for watching an import being written. */
export async function importIdsWithFiles(page: Page, dbName = 'splitface-openface'): Promise<string[]> {
  return page.evaluate(async (name) => {
    const known = await indexedDB.databases();
    if (!known.some((d) => d.name === name)) return [];
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const ids: string[] = [];
      const index = db.transaction('files', 'readonly').objectStore('files').index('byImport');
      await new Promise<void>((resolve, reject) => {
        const request = index.openKeyCursor(null, 'nextunique');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const cursor = request.result;
          if (!cursor) return resolve();
          ids.push(String(cursor.key));
          cursor.continue();
        };
      });
      return ids;
    } finally {
      db.close();
    }
  }, dbName);
}
