import { describe, expect, it } from 'vitest';
import { AuPipeline, type FaceObservation } from '../../src/core/pipeline.ts';
import type { AuModel } from '../../src/core/au/auModels.ts';
import type { OpenFaceModels } from '../../src/core/model/openfaceModels.ts';
import { createBgrImage, type BgrImage } from '../../src/core/image.ts';
import { NO_OUTPUTS_3D } from '../../src/core/result.ts';
import { projectShape } from '../../src/core/pdm/shape.ts';
import { randomLocal, rng, syntheticPdm } from './pdm/syntheticPdm.ts';

const pdm = syntheticPdm(12, [400, 150, 60, 20]);
const HOG = 12 * 12 * 31;
const GEOM = 3 * pdm.numPoints + pdm.numModes;
const random = rng(11);

function linearModel(auName: string, kind: AuModel['kind']): AuModel {
  const weights = Float64Array.from({ length: HOG + GEOM }, () => random() - 0.5);
  return {
    auName, kind, source: `${auName}.dat`, cutoff: kind === 'svr-dynamic' ? 0.2 : null,
    means: new Float64Array(HOG + GEOM), weights, bias: 0.1,
    positiveClass: kind.startsWith('svm') ? 1 : null, negativeClass: kind.startsWith('svm') ? 0 : null,
  };
}

const models: OpenFaceModels = {
  pdm,
  // two triangles over the first four points
  triangulation: Int32Array.of(0, 1, 2, 0, 2, 3),
  au: { source: 'test', models: [linearModel('AU01', 'svr-dynamic'), linearModel('AU02', 'svr-static'), linearModel('AU01', 'svm-dynamic')] },
  files: [],
};

const image: BgrImage = (() => {
  const img = createBgrImage(320, 240);
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.floor(random() * 256);
  return img;
})();

function face(frame: number, success: boolean, detectionSuccess?: boolean): FaceObservation {
  const local = randomLocal(pdm, rng(frame), 1);
  const landmarks = projectShape(pdm, local, [0.8, 0.05, -0.1, 0.02, 160, 120]);
  return {
    frame, faceId: 0, timestamp: frame / 30, success, detectionSuccess, confidence: 0.9,
    landmarks: success ? landmarks : null, paramsGlobal: null, paramsLocal: null, pose: null, ...NO_OUTPUTS_3D,
  };
}

describe('AuPipeline: what OpenFace 2.2 hands FaceAnalyser', () => {
  it('a tracked frame the validator rejected (frame-1 rule) gets a black face, zero FHOG and AUs 0, and stays out of the medians', () => {
    const rejected = new AuPipeline(models);
    const failed = new AuPipeline(models);
    const first = rejected.addFrame(image, face(1, true, false));
    failed.addFrame(image, face(1, false));
    expect(first.success).toBe(true); // the CSV's success: 2.2 writes 1 and the black aligned face
    expect(first.alignedFace?.width).toBe(112);
    expect(first.alignedFace?.data.every((v) => v === 0)).toBe(true);
    expect(first.hog?.values.every((v) => v === 0)).toBe(true);
    expect([...first.online.intensity, ...first.online.presence].every((v) => v === 0)).toBe(true);
    for (let f = 2; f <= 12; f++) {
      const a = rejected.addFrame(image, face(f, true));
      const b = failed.addFrame(image, face(f, true));
      expect(Array.from(a.online.intensity)).toEqual(Array.from(b.online.intensity));
    }
    const ra = rejected.finish().rows, rb = failed.finish().rows;
    expect(ra[0].success).toBe(true);
    expect(ra[0].landmarks).not.toBeNull();
    expect(rb[0].success).toBe(false);
    // the analyser saw the same failed frame 1 in both runs: the same AUs everywhere
    ra.forEach((row, i) => expect(Array.from(row.auIntensity ?? [])).toEqual(Array.from(rb[i].auIntensity ?? [])));
  });

  it('fits its own parameters: the tracker\'s p_* go to the CSV rows, not into the AUs', () => {
    const plain = new AuPipeline(models);
    const withParams = new AuPipeline(models);
    for (let f = 1; f <= 6; f++) {
      const obs = face(f, true);
      const a = plain.addFrame(image, obs);
      const b = withParams.addFrame(image, { ...obs, paramsGlobal: Float64Array.of(9, 9, 9, 9, 9, 9), paramsLocal: new Float64Array(4).fill(9) });
      expect(Array.from(b.online.intensity)).toEqual(Array.from(a.online.intensity));
      expect(Array.from(b.alignedFace?.data ?? [])).toEqual(Array.from(a.alignedFace?.data ?? []));
    }
    expect(withParams.finish().rows[0].paramsGlobal?.[0]).toBe(9);
    // without tracker parameters the CSV gets the analyser's fit
    const fitted = plain.finish().rows[0].paramsGlobal;
    expect(fitted?.[4]).toBeCloseTo(160, 0);
  });
});
