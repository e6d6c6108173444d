/**
 * The IndexedDB database that keeps the user's OpenFace model folder between
 * visits: its schema, its versions, and opening it with messages a user can
 * act on. The import/switch/cleanup logic is in openfaceStore.ts.
 *
 * Schema (version 1):
 *   imports  keyPath 'id'                      one record per completed import
 *   files    keyPath ['importId', 'path']      the bytes, index 'byImport' on importId
 *   state    out-of-line key 'current'         { importId }: the import in use
 *
 * Files are written under a fresh import id and only become visible when
 * 'current' points at it, so the folder in use never has missing files.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { SplitFaceError } from '../core/errors.ts';

/** The browser cannot keep (or give back) the OpenFace model folder; the message says what to do. */
export class ModelStorageError extends SplitFaceError {}

export const OPENFACE_DB_NAME = 'splitface-openface';

/** Raise with a new step in upgrade() whenever a store or index changes; never edit a past step. */
export const OPENFACE_DB_VERSION = 1;

export const CURRENT_KEY = 'current';

export interface ImportRecord {
  readonly id: string;
  /** the folder name shown to the user ('OpenFace/bin') */
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  /** ISO 8601 */
  readonly importedAt: string;
  /** the picked folder also held CE-CLM's CEN weights (absent in imports made before this was recorded) */
  readonly cenWeights?: boolean;
}

export interface FileRecord {
  readonly importId: string;
  /** relative to the model folder: 'AU_predictors/AU_all_best.txt' */
  readonly path: string;
  /** an ArrayBuffer of exactly the file (a view would store its whole underlying buffer) */
  readonly bytes: ArrayBuffer;
}

export interface CurrentRecord {
  readonly importId: string;
}

export interface OpenFaceDbSchema extends DBSchema {
  imports: { key: string; value: ImportRecord };
  files: { key: [string, string]; value: FileRecord; indexes: { byImport: string } };
  state: { key: typeof CURRENT_KEY; value: CurrentRecord };
}

export type OpenFaceDb = IDBPDatabase<OpenFaceDbSchema>;

function upgrade(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('imports', { keyPath: 'id' });
    db.createObjectStore('files', { keyPath: ['importId', 'path'] }).createIndex('byImport', 'importId');
    db.createObjectStore('state');
  }
}

/**
 * Opens (creating or upgrading) the database through `factory`, the page's
 * indexedDB or an isolated one in tests. idb's openDB always uses the global
 * indexedDB, hence the request is wrapped here.
 */
export async function openOpenFaceDb(factory: IDBFactory | undefined, name = OPENFACE_DB_NAME): Promise<OpenFaceDb> {
  if (!factory) throw new ModelStorageError('This browser cannot store data for SplitFace (no IndexedDB), so the OpenFace model folder cannot be kept.');
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, OPENFACE_DB_VERSION);
  } catch (error) {
    throw openError(error);
  }
  request.addEventListener('upgradeneeded', (event) => upgrade(request.result, event.oldVersion));
  let db: OpenFaceDb;
  try {
    db = (await wrap(request)) as unknown as OpenFaceDb;
  } catch (error) {
    throw openError(error);
  }
  // Another tab opening a newer schema waits until every older connection
  // closes: close ours rather than block it (this tab then needs a reload).
  db.addEventListener('versionchange', () => db.close());
  return db;
}

function openError(error: unknown): ModelStorageError {
  if (error instanceof DOMException && error.name === 'VersionError') {
    return new ModelStorageError('The OpenFace model folder was stored by a newer version of SplitFace; reload the page to use it.');
  }
  const detail = error instanceof Error ? ` (${error.message})` : '';
  return new ModelStorageError(`This browser does not let SplitFace store data (private browsing or storage turned off?), so the OpenFace model folder cannot be kept${detail}.`);
}
