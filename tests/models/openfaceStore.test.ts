import 'fake-indexeddb/auto'; // idb checks values against the global IDB classes
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpenFaceStore, ModelStorageError, type OpenFaceStoreOptions } from '../../src/models/openfaceStore.ts';
import { openOpenFaceDb, OPENFACE_DB_NAME, OPENFACE_DB_VERSION } from '../../src/models/openfaceDb.ts';
import { importFromFileList, type ImportedFolder } from '../../src/models/openfaceImport.ts';
import { validateOpenFaceFolder } from '../../src/models/openfaceValidate.ts';
import { bytesReader } from '../../src/models/openfaceReader.ts';
import { loadOpenFaceModels } from '../../src/core/model/openfaceModels.ts';
import { loadTrackingModels } from '../../src/core/track/trackingModels.ts';
import { nest, pickedFileList } from './pickedFolders.ts';
import { CEN_PATCH_EXPERTS } from '../../src/core/model/landmarkModel.ts';
import { syntheticOpenFaceFiles } from './syntheticOpenFace.ts';

const models = syntheticOpenFaceFiles();
const modelBytes = [...models.values()].reduce((n, b) => n + b.byteLength, 0);
const NOW = new Date('2026-11-23T12:00:00Z');

/** A picked model folder named `name`, optionally with one file's content replaced (to tell imports apart). */
function picked(name: string, changed?: { path: string; text: string }): ImportedFolder {
  const tree = new Map(models);
  if (changed) tree.set(changed.path, new TextEncoder().encode(changed.text));
  return importFromFileList(pickedFileList(name, tree));
}

async function expectLoadable(files: ReadonlyMap<string, Uint8Array> | null): Promise<void> {
  expect(files).not.toBeNull();
  const read = bytesReader(files!);
  await loadOpenFaceModels(read, 'stored');
  await loadTrackingModels(read, 'stored');
}

/** How many file records the database holds, whatever import they belong to. */
async function storedFileRecords(factory: IDBFactory): Promise<number> {
  const db = await openOpenFaceDb(factory);
  const count = await db.count('files');
  db.close();
  return count;
}

describe('OpenFace model folder store', () => {
  let factory: IDBFactory;
  const open = (options: OpenFaceStoreOptions = {}) => OpenFaceStore.open({ indexedDB: factory, locks: null, now: () => NOW, ...options });

  beforeEach(() => {
    factory = new IDBFactory(); // each test starts from an empty, isolated IndexedDB
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is empty before the first import', async () => {
    const store = await open();
    expect(await store.info()).toBeNull();
    expect(await store.readAll()).toBeNull();
    store.close();
  });

  it('stores a validated folder and gives back exactly its files', async () => {
    const store = await open();
    const info = await store.importFolder(picked('OpenFace'));
    expect(info).toEqual({ name: 'OpenFace', files: models.size, bytes: modelBytes, importedAt: NOW.toISOString(), cenWeights: false });
    expect(await store.info()).toEqual(info);
    const files = await store.readAll();
    expect(files).toEqual(models);
    await expectLoadable(files);
    store.close();
  });

  it('remembers that the picked folder held CE-CLM weights, without storing them', async () => {
    const store = await open();
    const tree = new Map(models);
    tree.set(CEN_PATCH_EXPERTS[0], new Uint8Array(16));
    const info = await store.importFolder(importFromFileList(pickedFileList('OpenFace', tree)));
    expect(info.cenWeights).toBe(true);
    expect((await store.readAll())?.has(CEN_PATCH_EXPERTS[0])).toBe(false);
    store.close();
  });

  it('reuses the folder after the database is reopened (a later visit)', async () => {
    const first = await open();
    const info = await first.importFolder(picked('OpenFace'));
    first.close();
    const later = await open();
    expect(await later.info()).toEqual(info);
    expect(await later.readAll()).toEqual(models);
    later.close();
  });

  it('replaces the folder on a new import and keeps no trace of the old one', async () => {
    const store = await open();
    await store.importFolder(picked('old'));
    const info = await store.importFolder(picked('new', { path: 'model/clnf_general.txt', text: 'PDM pdms/In-the-wild_aligned_PDM_68.txt\nPatchesCCNF patch_experts/ccnf_patches_0.25_general.txt\n# new\n' }));
    expect(info.name).toBe('new');
    const files = await store.readAll();
    expect(new TextDecoder().decode(files!.get('model/clnf_general.txt'))).toMatch(/# new/);
    expect(await storedFileRecords(factory)).toBe(models.size);
    store.close();
  });

  it('refuses a wrong folder with the message naming the missing file, and stores nothing', async () => {
    const store = await open();
    const wrong = importFromFileList(pickedFileList('Downloads', nest(new Map(), '', { 'clip.mp4': 'video', 'notes/todo.txt': 'text' })));
    await expect(store.importFolder(wrong)).rejects.toThrow('Downloads: not an OpenFace model folder: AU_predictors/AU_all_best.txt is missing');
    expect(await store.info()).toBeNull();
    expect(await storedFileRecords(factory)).toBe(0);

    // a damaged folder leaves the previous one in use
    await store.importFolder(picked('good'));
    const damaged = new Map(models);
    damaged.delete('model/patch_experts/ccnf_patches_0.25_general.txt');
    await expect(store.importFolder(importFromFileList(pickedFileList('damaged', damaged)))).rejects.toThrow(
      'damaged: model/patch_experts/ccnf_patches_0.25_general.txt is missing',
    );
    expect((await store.info())?.name).toBe('good');
    expect(await storedFileRecords(factory)).toBe(models.size);
    store.close();
  });

  it('keeps the previous folder whole and loadable when an import fails midway', async () => {
    // one file per transaction, and the files stop coming after three: some are written, the rest never is
    const interrupted = async (folder: ImportedFolder) => {
      const validated = await validateOpenFaceFolder(folder);
      const files = new Map(validated.files);
      const entries = [...files];
      Object.defineProperty(files, Symbol.iterator, {
        *value() {
          yield* entries.slice(0, 3);
          throw new Error('tab closed');
        },
      });
      return { ...validated, files };
    };
    const store = await open();
    const before = await store.importFolder(picked('previous'));
    store.close();

    const failing = await open({ validate: interrupted, writeChunkBytes: 1 });
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put');
    await expect(failing.importFolder(picked('next', { path: 'model/tris_68_full.txt', text: '1\n3\n4\n2 1 0\n' }))).rejects.toThrow('tab closed');
    // three files were written before the failure...
    expect(puts.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'files')).toHaveLength(3);
    // ...and none of them is visible or left behind
    expect(await failing.info()).toEqual(before);
    const files = await failing.readAll();
    expect(files).toEqual(models);
    await expectLoadable(files);
    expect(await storedFileRecords(factory)).toBe(models.size);
    failing.close();
  });

  it('deletes what a tab closed during an import left behind, on the next open', async () => {
    const store = await open();
    const before = await store.importFolder(picked('previous'));
    store.close();
    // what a closed tab leaves: files under an import id that 'current' never pointed at
    const db = await openOpenFaceDb(factory);
    await db.put('files', { importId: 'unfinished', path: 'AU_predictors/AU_all_best.txt', bytes: new ArrayBuffer(4) });
    await db.put('files', { importId: 'unfinished', path: 'model/main_clnf_general.txt', bytes: new ArrayBuffer(4) });
    db.close();
    expect(await storedFileRecords(factory)).toBe(models.size + 2);

    const reopened = await open();
    expect(await storedFileRecords(factory)).toBe(models.size);
    expect(await reopened.info()).toEqual(before);
    await expectLoadable(await reopened.readAll());
    reopened.close();
  });

  it('removes the folder', async () => {
    const store = await open();
    await store.importFolder(picked('OpenFace'));
    await store.remove();
    expect(await store.info()).toBeNull();
    expect(await store.readAll()).toBeNull();
    expect(await storedFileRecords(factory)).toBe(0);
    store.close();
    const later = await open();
    expect(await later.info()).toBeNull();
    later.close();
  });

  it('refuses to hand back a folder whose files went missing from storage', async () => {
    const store = await open();
    await store.importFolder(picked('OpenFace'));
    const db = await openOpenFaceDb(factory);
    const [key] = await db.getAllKeys('files');
    await db.delete('files', key);
    db.close();
    await expect(store.readAll()).rejects.toThrow(ModelStorageError);
    store.close();
  });

  it('runs imports, removals and cleanup under the Web Lock when the browser has one', async () => {
    const requested: string[] = [];
    const locks = {
      request: async <T>(name: string, task: () => Promise<T>) => {
        requested.push(name);
        return task();
      },
    } as unknown as LockManager;
    const store = await open({ locks });
    await store.importFolder(picked('OpenFace'));
    await store.remove();
    expect(requested).toEqual(['splitface-openface-store', 'splitface-openface-store', 'splitface-openface-store']);
    store.close();
  });

  it('gives way to a newer schema opened in another tab, and says why', async () => {
    const store = await open();
    await store.importFolder(picked('OpenFace'));
    // a newer SplitFace in another tab upgrading the database: ours must close, not block it
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(OPENFACE_DB_NAME, OPENFACE_DB_VERSION + 1);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('blocked by the older connection'));
    });
    await expect(store.info()).rejects.toThrow('SplitFace was updated in another tab; reload this page to use the OpenFace model folder.');
    newer.close();
    // and this (older) version cannot open what the newer one wrote
    await expect(open()).rejects.toThrow('The OpenFace model folder was stored by a newer version of SplitFace; reload the page to use it.');
  });

  it('says so when the browser cannot store data', async () => {
    await expect(openOpenFaceDb(undefined)).rejects.toThrow('This browser cannot store data for SplitFace (no IndexedDB), so the OpenFace model folder cannot be kept.');
    // Firefox's private windows (older versions) and blocked site data refuse open() itself
    const refusing = Object.assign(Object.create(IDBFactory.prototype) as IDBFactory, {
      open: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    await expect(open({ indexedDB: refusing })).rejects.toThrow(/^This browser does not let SplitFace store data .*\(The operation is insecure\.\)/);
  });
});
