import 'fake-indexeddb/auto'; // idb checks values against the global IDB classes
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { OpenFaceStore } from '../../src/models/openfaceStore.ts';
import { importFromDirectoryHandle, importFromFileList } from '../../src/models/openfaceImport.ts';
import { bytesReader } from '../../src/models/openfaceReader.ts';
import { loadOpenFaceModels } from '../../src/core/model/openfaceModels.ts';
import { loadTrackingModels } from '../../src/core/track/trackingModels.ts';
import { sharedSkipReason, suiteTitle, openfaceModelsPath } from '../helpers/shared.ts';
import { nest, pickedDirectory, pickedFileList, readTree } from './pickedFolders.ts';

const skip = sharedSkipReason();

describe.skipIf(skip)(suiteTitle('importing the OpenFace model folder of ../shared', skip), () => {
  const tree = skip ? new Map<string, Uint8Array>() : readTree(openfaceModelsPath());

  it('stores what the loaders read, and it loads again from storage', async () => {
    const store = await OpenFaceStore.open({ indexedDB: new IDBFactory(), locks: null });
    const info = await store.importFolder(importFromFileList(pickedFileList('openface', tree)));
    const files = await store.readAll();
    expect(files).not.toBeNull();
    const read = bytesReader(files!);
    const au = await loadOpenFaceModels(read, 'stored');
    const tracking = await loadTrackingModels(read, 'stored');
    // exactly the files the loaders read: nothing more from the user's disk
    expect([...files!.keys()].sort()).toEqual([...new Set([...au.files, ...tracking.files])].sort());
    expect(au.au.models.length).toBeGreaterThan(0);
    expect(tracking.clnf.parts.map((p) => p.name)).toEqual(['inner', 'left_eye_28', 'right_eye_28']);
    expect(info).toMatchObject({ name: 'openface', files: files!.size });
    // Buffer.equals: vitest's deep equality walks 16 MB element by element (a minute)
    const changed = [...files!].filter(([path, bytes]) => !Buffer.from(bytes).equals(Buffer.from(tree.get(path)!)));
    expect(changed.map(([path]) => path)).toEqual([]);
    expect(info.bytes).toBe([...files!.values()].reduce((n, b) => n + b.byteLength, 0));
    store.close();
  });

  it('finds it inside a picked parent folder, by file list and by directory handle', async () => {
    const parent = nest(tree, 'bin/', { 'samples/default.wmv': 'video', 'lib/local/LandmarkDetector/model/main_clnf_general.txt': 'source copy' });
    const store = await OpenFaceStore.open({ indexedDB: new IDBFactory(), locks: null });
    for (const folder of [importFromFileList(pickedFileList('OpenFace', parent)), await importFromDirectoryHandle(pickedDirectory('OpenFace', parent))]) {
      expect(folder.folderName).toBe('OpenFace/bin');
      expect(folder.files.size).toBe(tree.size);
      expect((await store.importFolder(folder)).name).toBe('OpenFace/bin');
    }
    // OpenFace's sources: AU_predictors/ in lib/local/FaceAnalyser, model/ in lib/local/LandmarkDetector
    const sources = new Map([...tree].map(([path, bytes]) => [`lib/local/${path.startsWith('model/') ? 'LandmarkDetector' : 'FaceAnalyser'}/${path}`, bytes]));
    expect((await store.importFolder(importFromFileList(pickedFileList('OpenFace', sources)))).name).toBe('OpenFace/lib/local');
    store.close();
  });

  it('names the missing file in a damaged copy', async () => {
    const damaged = new Map(tree);
    damaged.delete('model/model_eye/main_clnf_synth_left.txt');
    const store = await OpenFaceStore.open({ indexedDB: new IDBFactory(), locks: null });
    await expect(store.importFolder(importFromFileList(pickedFileList('openface', damaged)))).rejects.toThrow(
      'openface: model/model_eye/main_clnf_synth_left.txt is missing',
    );
    expect(await store.info()).toBeNull();
    store.close();
  });
});
