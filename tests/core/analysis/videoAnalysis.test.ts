/**
 * VideoAnalysis streams the rows back from its record store with the AU
 * postprocessing as a second pass: the CSV must be the one the whole-video,
 * in-memory path (AuPipeline.finish, rows sorted) gives, with two faces
 * added out of face-id order and lost frames.
 */
import { describe, expect, it } from 'vitest';
import { AuPipeline, type FaceObservation } from '../../../src/core/pipeline.ts';
import { VideoAnalysis } from '../../../src/core/analysis/videoAnalysis.ts';
import { MemoryRecordStore } from '../../../src/core/analysis/recordStore.ts';
import type { AuModel } from '../../../src/core/au/auModels.ts';
import type { OpenFaceModels } from '../../../src/core/model/openfaceModels.ts';
import { createBgrImage } from '../../../src/core/image.ts';
import { NO_OUTPUTS_3D, type FrameResult } from '../../../src/core/result.ts';
import { projectShape } from '../../../src/core/pdm/shape.ts';
import { formatAuCsvChunks } from '../../../src/core/csv/auCsv.ts';
import { randomLocal, rng, syntheticPdm } from '../pdm/syntheticPdm.ts';

const pdm = syntheticPdm(12, [400, 150, 60, 20]);
const HOG = 12 * 12 * 31;
const GEOM = 3 * pdm.numPoints + pdm.numModes;
const random = rng(5);

function linearModel(auName: string, kind: AuModel['kind'], cutoff: number | null): AuModel {
  const weights = Float64Array.from({ length: HOG + GEOM }, () => (random() - 0.5) * 4);
  return {
    auName, kind, source: `${auName}.dat`, cutoff,
    means: new Float64Array(HOG + GEOM), weights, bias: 0.5,
    positiveClass: kind.startsWith('svm') ? 1 : null, negativeClass: kind.startsWith('svm') ? 0 : null,
  };
}

const models: OpenFaceModels = {
  pdm,
  triangulation: Int32Array.of(0, 1, 2, 0, 2, 3),
  au: {
    source: 'test',
    models: [
      linearModel('AU01', 'svr-dynamic', 0.3),
      linearModel('AU02', 'svr-static', null),
      linearModel('AU04', 'svr-dynamic', 0.7),
      linearModel('AU01', 'svm-dynamic', null),
      linearModel('AU05', 'svm-static', null),
    ],
  },
  files: [],
};

const FRAMES = 60;
const images = Array.from({ length: 4 }, () => {
  const img = createBgrImage(320, 240);
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.floor(random() * 256);
  return img;
});

function face(frame: number, faceId: number): FaceObservation {
  const success = (frame + faceId * 7) % 13 !== 0;
  const local = randomLocal(pdm, rng(frame * 10 + faceId), 1);
  const landmarks = projectShape(pdm, local, [0.8, 0.05, -0.1, 0.02, 150 + faceId * 20, 120]);
  return {
    frame, faceId, timestamp: (frame - 1) / 30, success, confidence: 0.9,
    landmarks: success ? landmarks : null, paramsGlobal: null, paramsLocal: null, pose: null, ...NO_OUTPUTS_3D,
  };
}

describe('VideoAnalysis: rows from the record store, AUs from the streaming postprocessing', () => {
  it('writes the CSV of the in-memory whole-video path, two faces added out of order', () => {
    const store = new MemoryRecordStore(1);
    const analysis = new VideoAnalysis(models, (bytes) => Object.assign(store, new MemoryRecordStore(bytes)));
    const pipelines = [new AuPipeline(models), new AuPipeline(models)];
    for (let frame = 1; frame <= FRAMES; frame++) {
      const image = images[frame % images.length];
      // face 1 first (the tracker's order need not be the face ids'); face 1 is absent from some frames
      const faces = frame % 10 === 0 ? [face(frame, 0)] : [face(frame, 1), face(frame, 0)];
      analysis.addFrame(image, faces);
      for (const f of faces) pipelines[f.faceId].addFrame(image, f);
    }
    const output = analysis.finish();
    const expected: FrameResult[] = pipelines.flatMap((p) => p.finish().rows).sort((a, b) => a.frame - b.frame || a.faceId - b.faceId);
    expect(output.rowCount).toBe(expected.length);
    const streamed = [...output.rows()];
    expect(streamed.map((r) => [r.frame, r.faceId])).toEqual(expected.map((r) => [r.frame, r.faceId]));
    // the AU values the same doubles, the CSV the same text
    for (let i = 0; i < expected.length; i++) {
      expect(Array.from(streamed[i].auIntensity!)).toEqual(Array.from(expected[i].auIntensity!));
      expect(Array.from(streamed[i].auPresence!)).toEqual(Array.from(expected[i].auPresence!));
    }
    const csv = (rows: Iterable<FrameResult>) => [...formatAuCsvChunks(rows, output.auColumns, 'full', 50)].join('');
    expect(csv(output.rows())).toBe(csv(expected));
    // some intensities are past the offsets (the comparison is not of zeros only)
    expect(expected.some((r) => r.auIntensity![0] > 0 && r.auIntensity![2] > 0)).toBe(true);
    analysis.dispose();
    expect(store.count).toBe(0);
  });
});
