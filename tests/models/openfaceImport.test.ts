import { describe, expect, it } from 'vitest';
import { importFromDirectoryHandle, importFromFileList } from '../../src/models/openfaceImport.ts';
import { MAX_SEARCH_DEPTH } from '../../src/models/openfaceLayout.ts';
import { validateOpenFaceFolder } from '../../src/models/openfaceValidate.ts';
import { ModelFormatError } from '../../src/core/errors.ts';
import { nest, pickedDirectory, pickedFileList } from './pickedFolders.ts';
import { syntheticOpenFaceFiles } from './syntheticOpenFace.ts';

const models = syntheticOpenFaceFiles();
const modelPaths = [...models.keys()].sort();

/** OpenFace's own folder, as a user might pick it: the models in bin/, a decoy model/ in the sources, videos. */
const openFaceFolder = nest(models, 'bin/', {
  'bin/FeatureExtraction': 'binary',
  'bin/videos/clip.mp4': 'video',
  'lib/local/LandmarkDetector/model/main_clnf_general.txt': 'source copy',
  'README.md': 'readme',
  '.git/HEAD': 'ref',
});

describe('importing a picked OpenFace folder', () => {
  it('takes the model folder itself from <input webkitdirectory>', () => {
    const folder = importFromFileList(pickedFileList('models', models));
    expect(folder.folderName).toBe('models');
    expect([...folder.files.keys()].sort()).toEqual(modelPaths);
  });

  it('finds the model folder inside a picked parent folder and leaves everything else out', async () => {
    for (const folder of [importFromFileList(pickedFileList('OpenFace', openFaceFolder)), await importFromDirectoryHandle(pickedDirectory('OpenFace', openFaceFolder))]) {
      expect(folder.folderName).toBe('OpenFace/bin');
      expect([...folder.files.keys()].sort()).toEqual(modelPaths);
    }
  });

  it('walks only as far as the model folder from a directory handle', async () => {
    const handle = pickedDirectory('OpenFace', openFaceFolder);
    await importFromDirectoryHandle(handle);
    expect(handle.listed).not.toContain('.git/');
    expect(handle.listed).not.toContain('lib/local/');
    expect(handle.listed).not.toContain('bin/videos/');
  });

  it(`looks at most ${MAX_SEARCH_DEPTH} levels down, with either picker`, async () => {
    const deep = nest(models, 'a/b/c/d/e/');
    for (const folder of [importFromFileList(pickedFileList('top', deep)), await importFromDirectoryHandle(pickedDirectory('top', deep))]) {
      expect(folder.folderName).toBe('top');
      expect(folder.files.size).toBe(0);
    }
    const reachable = nest(models, 'a/b/c/d/');
    expect(importFromFileList(pickedFileList('top', reachable)).folderName).toBe('top/a/b/c/d');
    expect((await importFromDirectoryHandle(pickedDirectory('top', reachable))).folderName).toBe('top/a/b/c/d');
  });

  it("combines the two folders of OpenFace's sources", async () => {
    const sources = new Map<string, Uint8Array>();
    for (const [path, bytes] of models) sources.set(`lib/local/${path.startsWith('model/') ? 'LandmarkDetector' : 'FaceAnalyser'}/${path}`, bytes);
    sources.set('lib/3rdParty/dlib/model/readme.txt', new Uint8Array(1));
    for (const folder of [importFromFileList(pickedFileList('OpenFace', sources)), await importFromDirectoryHandle(pickedDirectory('OpenFace', sources))]) {
      expect(folder.folderName).toBe('OpenFace/lib/local');
      expect([...folder.files.keys()].sort()).toEqual(modelPaths);
      expect((await validateOpenFaceFolder(folder)).files.size).toBe(models.size);
    }
  });

  it('gives the validator the files the loaders need, and keeps only those', async () => {
    const picked = importFromFileList(pickedFileList('OpenFace', nest(models, 'bin/', { 'bin/AU_predictors/AU_all_static.txt': 'unused list' })));
    const validated = await validateOpenFaceFolder(picked);
    expect(validated.name).toBe('OpenFace/bin');
    expect([...validated.files.keys()].sort()).toEqual(modelPaths);
    for (const [path, bytes] of validated.files) expect(bytes).toEqual(models.get(path));
  });

  it('names the missing file when the folder is not a model folder', async () => {
    const videos = importFromFileList(pickedFileList('holiday', new Map([['clip.mp4', new Uint8Array(8)]])));
    await expect(validateOpenFaceFolder(videos)).rejects.toThrow(ModelFormatError);
    await expect(validateOpenFaceFolder(videos)).rejects.toThrow(/^holiday: not an OpenFace model folder: AU_predictors\/AU_all_best\.txt is missing/);

    const noClnf = new Map([...models].filter(([path]) => path !== 'model/main_clnf_general.txt'));
    await expect(validateOpenFaceFolder(importFromFileList(pickedFileList('half', noClnf)))).rejects.toThrow(/^half: model\/main_clnf_general\.txt is missing/);

    const noAuModel = new Map([...models].filter(([path]) => !path.endsWith('.dat')));
    await expect(validateOpenFaceFolder(importFromFileList(pickedFileList('partial', noAuModel)))).rejects.toThrow(/AU_predictors\/svm_combined\/AU_1_static\.dat is missing/);
  });

  it('names the folder in messages even when the pick was empty', async () => {
    await expect(validateOpenFaceFolder(importFromFileList([]))).rejects.toThrow(/^the chosen folder: not an OpenFace model folder/);
  });

  it('says so when a picked file can no longer be read', async () => {
    const files: Map<string, Blob> = new Map([...models].map(([path, bytes]) => [path, new Blob([bytes.slice()])]));
    const gone = new Blob([]);
    gone.arrayBuffer = () => Promise.reject(new DOMException('The requested file could not be read', 'NotReadableError'));
    files.set('AU_predictors/AU_all_best.txt', gone);
    await expect(validateOpenFaceFolder({ folderName: 'moved', files })).rejects.toThrow(
      'moved/AU_predictors/AU_all_best.txt could not be read (was it moved or changed after the folder was chosen?); choose the folder again',
    );
  });
});
