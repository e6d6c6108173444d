import { describe, expect, it } from 'vitest';
import { findModelLayout, isModelFilePath, modelFolderName, normalizeModelPath, selectModelFiles, type ModelLayout } from '../../src/models/openfaceLayout.ts';

const at = (root: string): ModelLayout => ({ auRoot: root, modelRoot: root });

describe('OpenFace folder layout', () => {
  it('spells every path one way', () => {
    expect(normalizeModelPath('AU_predictors\\svm_combined\\AU_1_static.dat')).toBe('AU_predictors/svm_combined/AU_1_static.dat');
    expect(normalizeModelPath('./model//pdms/./x.txt/')).toBe('model/pdms/x.txt');
    expect(normalizeModelPath('model/model_eye/../tris_68_full.txt')).toBe('model/tris_68_full.txt');
    // a '..' cannot climb out of the model folder
    expect(normalizeModelPath('../../etc/passwd')).toBe('etc/passwd');
  });

  it('keeps only files under AU_predictors/ and model/, nothing hidden', () => {
    expect(isModelFilePath('AU_predictors/AU_all_best.txt')).toBe(true);
    expect(isModelFilePath('model/patch_experts/ccnf_patches_0.25_general.txt')).toBe(true);
    expect(isModelFilePath('model')).toBe(false);
    expect(isModelFilePath('videos/clip.mp4')).toBe(false);
    expect(isModelFilePath('FeatureExtraction.exe')).toBe(false);
    expect(isModelFilePath('model/.DS_Store')).toBe(false);
    expect(isModelFilePath('AU_predictors/._AU_all_best.txt')).toBe(false);
  });

  it('finds the folder holding both AU_predictors/ and model/', () => {
    expect(findModelLayout(['AU_predictors/AU_all_best.txt', 'model/main_clnf_general.txt'])).toEqual(at(''));
    expect(findModelLayout(['bin/AU_predictors/a.dat', 'bin/model/b.txt', 'samples/clip.avi'])).toEqual(at('bin/'));
    expect(findModelLayout(['videos/clip.mp4'])).toBeNull();
    expect(findModelLayout(['AU_predictors/AU_all_best.txt'])).toBeNull();
  });

  it('prefers the shallowest folder, then one with the entry files, then alphabetical order', () => {
    const deepAndShallow = ['build/bin/AU_predictors/a', 'build/bin/model/b', 'bin/AU_predictors/a', 'bin/model/b'];
    expect(findModelLayout(deepAndShallow)).toEqual(at('bin/'));
    const entryFiles = ['a/AU_predictors/x', 'a/model/y', 'b/AU_predictors/AU_all_best.txt', 'b/model/main_clnf_general.txt'];
    expect(findModelLayout(entryFiles)).toEqual(at('b/'));
    expect(findModelLayout(['y/AU_predictors/x', 'y/model/x', 'x/AU_predictors/x', 'x/model/x'])).toEqual(at('x/'));
    // macOS archive leftovers mirror the real folder: never chosen
    expect(findModelLayout(['__MACOSX/AU_predictors/._a', '__MACOSX/model/._b', 'of/AU_predictors/a', 'of/model/b'])).toEqual(at('of/'));
  });

  it("pairs the two folders of OpenFace's sources, only when each holds its entry file", () => {
    const sources = ['lib/local/FaceAnalyser/AU_predictors/AU_all_best.txt', 'lib/local/LandmarkDetector/model/main_clnf_general.txt', 'lib/3rdParty/model/x.txt'];
    const layout = { auRoot: 'lib/local/FaceAnalyser/', modelRoot: 'lib/local/LandmarkDetector/' };
    expect(findModelLayout(sources)).toEqual(layout);
    expect(modelFolderName('OpenFace', layout)).toBe('OpenFace/lib/local');
    expect(findModelLayout(['lib/local/FaceAnalyser/AU_predictors/other.txt', 'lib/local/LandmarkDetector/model/main_clnf_general.txt'])).toBeNull();
    // a built copy holding both wins over the sources
    expect(findModelLayout([...sources, 'build/bin/AU_predictors/a', 'build/bin/model/b'])).toEqual(at('build/bin/'));
  });

  it('names the model folder by the path down to it', () => {
    expect(modelFolderName('OpenFace', at(''))).toBe('OpenFace');
    expect(modelFolderName('OpenFace', at('build/bin/'))).toBe('OpenFace/build/bin');
  });

  it('rebases the model files on the root and leaves the rest out', () => {
    const entries: [string, number][] = [
      ['bin/AU_predictors/AU_all_best.txt', 1],
      ['bin/model/tris_68_full.txt', 2],
      ['bin/FeatureExtraction', 3],
      ['bin/samples/clip.avi', 4],
      ['binary/model/x.txt', 5],
      ['bin/model/.hidden', 6],
    ];
    expect([...selectModelFiles(entries, at('bin/'))]).toEqual([
      ['AU_predictors/AU_all_best.txt', 1],
      ['model/tris_68_full.txt', 2],
    ]);
  });
});
