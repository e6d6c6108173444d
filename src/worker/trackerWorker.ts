/**
 * Nested tracker worker entry (comlink), started by an analysis worker
 * (trackerThread.ts). It holds the tracking models once and one face source
 * per open stream; streams are independent, and each stream's frames come
 * one after the other (facesIn is awaited before the next is sent).
 */
import * as Comlink from 'comlink';
import { createWebBackend } from '../models/web.ts';
import { bytesReader } from '../models/openfaceReader.ts';
import { loadTrackingModels } from '../core/track/trackingModels.ts';
import { createDetectionStages, type DetectionStages } from '../core/analysis/ownTracker.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import { needsDetectionStages, streamFaceSource, type SourceEngine } from './faceSources.ts';
import { OPENFACE_FOLDER_LABEL } from './frameAnalyser.ts';
import type { TrackerModels, TrackerWorkerApi } from './trackerApi.ts';

let models: TrackerModels | null = null;
let engine: SourceEngine | null = null;
let stages: Promise<DetectionStages> | null = null;
const sources = new Map<number, FaceSource>();
let nextId = 1;

/** Stands in for the detection sessions when the source never reads them (one face, with the OpenFace folder). */
const UNUSED_STAGES: DetectionStages = {
  detector: { detect: () => Promise.reject(new Error('the tracker worker did not load the face detector')) },
  initial: { landmarksFor: () => Promise.reject(new Error('the tracker worker did not load the landmark net')) },
  release: async () => {},
};

function requireEngine(): SourceEngine {
  if (!engine) throw new Error('the tracker worker was not initialised');
  return engine;
}

function requireSource(id: number): FaceSource {
  const source = sources.get(id);
  if (!source) throw new Error(`the tracker worker has no stream ${id}`);
  return source;
}

const api: TrackerWorkerApi = {
  async init(given) {
    models = given;
    const tracking = given.openfaceTracking ? await loadTrackingModels(bytesReader(given.openfaceTracking), OPENFACE_FOLDER_LABEL) : null;
    engine = { inference: given.inference, tracking, cenWeights: given.openfaceCenWeights };
  },
  async open(choice) {
    const current = requireEngine();
    let detection = UNUSED_STAGES;
    if (needsDetectionStages(current, choice)) {
      // the ONNX sessions only when a stream needs them: one face with the folder is CLNF and MTCNN alone
      const bytes = models!;
      stages ??= createWebBackend().then((backend) => createDetectionStages(backend, bytes));
      detection = await stages;
    }
    const id = nextId++;
    const source = streamFaceSource(current, detection, choice);
    sources.set(id, source);
    return { id, provenance: source.provenance };
  },
  async facesIn(id, frame) {
    const source = requireSource(id);
    const faces = await source.facesIn(frame);
    return { faces, timings: source.timings(), note: source.note() };
  },
  async close(id) {
    const source = sources.get(id);
    sources.delete(id);
    await source?.release();
  },
};

Comlink.expose(api);
