import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/core/errors.ts';
import { loadClnfModels } from '../../../src/core/clnf/modelLoader.ts';
import { calcParamsF, shape2dF } from '../../../src/core/clnf/pdmFloat.ts';
import { ClnfTracker } from '../../../src/core/clnf/tracker.ts';
import { FMA_KIND_LABELS } from '../../../src/core/clnf/wasmKernels.ts';
import { boxAroundLandmarks } from '../../../src/core/clnf/faceBox.ts';
import { projectShape } from '../../../src/core/pdm/shape.ts';
import { dotsImage, gaussianTemplate, toyPdm, writeCcnf, writePdmText } from './synthetic.ts';

const pdm = toyPdm();
const n = pdm.numPoints;

/** An in-memory OpenFace-style model folder: a toy PDM and one scale of blob-detecting CCNF experts. */
function toyFolder(): Map<string, Uint8Array> {
  const blob = Array.from(gaussianTemplate(7, 1.5));
  const expert = { width: 7, height: 7, neurons: [{ normWeights: 8, bias: -4, alpha: 1, weights: blob }], betas: [], confidence: 1 };
  const ccnf = writeCcnf({
    scaling: 1.0,
    centers: [[0, 0, 0]],
    visibilities: [new Array<number>(n).fill(1)],
    windows: [{ size: 7, components: [] }],
    experts: [new Array(n).fill(expert)],
  });
  const enc = new TextEncoder();
  return new Map([
    ['model/main_clnf_general.txt', enc.encode('LandmarkDetector clnf_toy.txt\n')],
    ['model/clnf_toy.txt', enc.encode('PDM pdms/toy.txt\r\nPatchesCCNF patch_experts/ccnf_toy.txt\r\n')],
    ['model/pdms/toy.txt', enc.encode(writePdmText(pdm))],
    ['model/patch_experts/ccnf_toy.txt', ccnf],
  ]);
}

const readerFor = (files: Map<string, Uint8Array>) => async (path: string) => files.get(path);

describe('CLNF model loading', () => {
  it('follows the main file to the PDM and the patch experts (paths relative to each file)', async () => {
    const models = await loadClnfModels(readerFor(toyFolder()), 'toy');
    expect(models.main.pdm.numPoints).toBe(n);
    expect(models.main.scales).toHaveLength(1);
    expect(models.parts).toHaveLength(0);
    expect(models.validator).toBeNull();
    expect(models.files).toContain('model/patch_experts/ccnf_toy.txt');
  });

  it('names a missing file', async () => {
    const files = toyFolder();
    files.delete('model/pdms/toy.txt');
    await expect(loadClnfModels(readerFor(files), 'toy')).rejects.toThrow(ModelFormatError);
    await expect(loadClnfModels(readerFor(files), 'toy')).rejects.toThrow(/model\/pdms\/toy\.txt/);
  });
});

describe('PDM fit from landmarks (OpenFace 2.2 CalcParams, float)', () => {
  const local = Float64Array.of(3, -2);
  const global = Float64Array.of(1.2, 0.1, -0.15, 0.05, 120, 95);
  const landmarks = projectShape(pdm, local, global);

  it('recovers pose and shape of a projected shape (up to its mild regularisation)', () => {
    const fit = calcParamsF(pdm, landmarks);
    const back = projectShape(pdm, fit.paramsLocal, fit.paramsGlobal);
    let e = 0;
    for (let k = 0; k < 2 * n; k++) e += (back[k] - landmarks[k]) ** 2;
    expect(Math.sqrt(e / n)).toBeLessThan(0.3);
    expect(fit.paramsGlobal[0]).toBeCloseTo(1.2, 1);
    expect(fit.paramsGlobal[4]).toBeCloseTo(120, 0);
  });

  it('leaves out landmarks whose x is 0 (missing)', () => {
    const partial = Float64Array.from(landmarks);
    partial[2] = 0;
    partial[5] = 0;
    const fit = calcParamsF(pdm, partial);
    const back = projectShape(pdm, fit.paramsLocal, fit.paramsGlobal);
    for (const k of [0, 1, 3, 4, 6, 7]) {
      expect(Math.hypot(back[k] - landmarks[k], back[k + n] - landmarks[k + n])).toBeLessThan(0.6);
    }
  });
});

describe('CLNF fitting on a synthetic image', () => {
  const truthLocal = Float64Array.of(3, -2);
  const truthGlobal = Float64Array.of(1.0, 0.05, -0.1, 0.08, 100, 90);
  const truth = projectShape(pdm, truthLocal, truthGlobal);
  const gray = dotsImage(200, 180, truth, n);
  const rms = (a: ArrayLike<number>) => {
    let e = 0;
    for (let k = 0; k < 2 * n; k++) e += (a[k] - truth[k]) ** 2;
    return Math.sqrt(e / n);
  };
  const options = {
    windowSizesInit: [7],
    windowSizesSmall: [7],
    regFactor: 1,
    sigma: 1.5,
    refineParameters: false,
    refineHierarchical: false,
  };

  it.each([true, false])('pulls a displaced, mis-scaled shape onto the landmarks (WebAssembly: %s)', async (useWasm) => {
    const tracker = new ClnfTracker(await loadClnfModels(readerFor(toyFolder()), 'toy'), { ...options, useWasm });
    const start = Float64Array.of(1.02, 0, 0, 0, 102, 88.5);
    expect(rms(projectShape(pdm, [0, 0], start))).toBeGreaterThan(2);
    let r = tracker.detectLandmarks(gray, 200, 180, { paramsGlobal: start, paramsLocal: [0, 0], wideSearch: true });
    // a second pass from the result, as tracking does
    r = tracker.detectLandmarks(gray, 200, 180, r);
    expect(r.success).toBe(true);
    expect(r.confidence).toBe(1); // no validator: success of the fit
    expect(r.detectionSuccess).toBe(true);
    expect(rms(r.landmarks)).toBeLessThan(0.35);
    // the landmarks are the float PDM's projection of the parameters
    expect(r.landmarks).toEqual(shape2dF(tracker.pdm, r.paramsLocal, r.paramsGlobal));
  });

  it('starts from a face box, and tracks frame to frame with track()', async () => {
    const tracker = new ClnfTracker(await loadClnfModels(readerFor(toyFolder()), 'toy'), options);
    const box = boxAroundLandmarks(truth);
    tracker.startTracking({ box: { ...box, x: box.x + 2, y: box.y - 1 } });
    let r = tracker.track(gray, 200, 180);
    for (let k = 0; k < 3; k++) r = tracker.track(gray, 200, 180);
    expect(r.success).toBe(true);
    expect(rms(r.landmarks)).toBeLessThan(0.35);
  });

  it('asks the face detector for a box when it has no track yet', async () => {
    const tracker = new ClnfTracker(await loadClnfModels(readerFor(toyFolder()), 'toy'), options);
    let asked = 0;
    const detect = () => {
      asked++;
      return boxAroundLandmarks(truth);
    };
    let r = tracker.track(gray, 200, 180, detect);
    r = tracker.track(gray, 200, 180, detect);
    expect(asked).toBe(1);
    expect(r.success).toBe(true);
    expect(rms(r.landmarks)).toBeLessThan(0.35);
    tracker.reset();
    expect(tracker.track(gray, 200, 180).success).toBe(false); // no track, no detector
  });

  it('gives identical results with and without WebAssembly, with either of its builds (fused or emulated FMA)', async () => {
    const models = await loadClnfModels(readerFor(toyFolder()), 'toy');
    const init = { paramsGlobal: [1.02, 0, 0, 0, 102, 88.5], paramsLocal: [0, 0], wideSearch: true };
    const b = new ClnfTracker(models, { ...options, useWasm: false }).detectLandmarks(gray, 200, 180, init);
    for (const wasmFma of ['best', 'fused', 'emulated'] as const) {
      const tracker = new ClnfTracker(models, { ...options, useWasm: true, wasmFma });
      // a build this engine cannot run falls back to TypeScript
      if (wasmFma !== 'best') expect(['TypeScript', `WebAssembly, ${FMA_KIND_LABELS[wasmFma]}`]).toContain(tracker.kernels);
      const a = tracker.detectLandmarks(gray, 200, 180, init);
      expect(Array.from(a.landmarks)).toEqual(Array.from(b.landmarks));
    }
  });
});

describe('face box conventions', () => {
  it('takes the extent of known landmarks as the box', () => {
    expect(boxAroundLandmarks([1, 5, 3, 10, 2, 4])).toEqual({ x: 1, y: 2, width: 4, height: 8 });
  });
});
