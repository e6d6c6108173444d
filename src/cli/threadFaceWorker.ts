/**
 * A tracking thread: hosts exactly the tracker `process` runs in its own
 * thread (src/cli/faceSources.ts trackerFaceSource: MTCNN and CLNF from the
 * OpenFace folder, the same code and WebAssembly kernels), so its landmarks
 * are bit-identical; or several of them (Face Mirror), each following its
 * own video. Frames arrive one message each and are tracked one at a time,
 * in order; each reply carries the frame's faces and gives its buffer back.
 */
import './relaxedSimd.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelFolder } from './modelFolder.ts';
import { trackerFaceSource } from './faceSources.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import type { FromTrackerThread, ThreadError, ToTrackerThread, TrackerThreadData } from './threadProtocol.ts';

const port = parentPort!;
const { setup, trackers: count } = workerData as TrackerThreadData;

function post(message: FromTrackerThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function asThreadError(error: unknown): ThreadError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error), stack: undefined };
}

async function start(): Promise<FaceSource[]> {
  const folder = await loadModelFolder(setup.models);
  const sources: FaceSource[] = [];
  for (let i = 0; i < count; i++) sources.push(await trackerFaceSource(folder, setup.choice, setup.executionProvider, (message) => post({ type: 'log', message })));
  return sources;
}

const trackers = start();
trackers.then(
  (ready) => post({ type: 'ready', provenance: ready[0].provenance }),
  (error: unknown) => post({ type: 'failed', error: asThreadError(error) }),
);

// one message at a time, in order: a frame's tracking never overlaps another's
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToTrackerThread) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToTrackerThread): Promise<void> {
  if (message.type === 'release') {
    for (const tracker of (await trackers.catch(() => null)) ?? []) await tracker.release();
    post({ type: 'released' });
    port.close();
    return;
  }
  try {
    const tracker = (await trackers)[message.tracker];
    const image = { width: message.width, height: message.height, data: new Uint8Array(message.pixels) };
    const faces = await tracker.facesIn({ index: message.index, timestamp: message.timestamp, image });
    post({ type: 'faces', tracker: message.tracker, faces, pixels: message.pixels, timings: tracker.timings(), note: tracker.note() }, [message.pixels]);
  } catch (error) {
    post({ type: 'failed', error: asThreadError(error) });
  }
}
