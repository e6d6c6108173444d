/**
 * A tracking thread: hosts exactly the tracker `process` runs in its own
 * thread (src/cli/faceSources.ts trackerFaceSource: MTCNN and CLNF from the
 * OpenFace folder, the same code and WebAssembly kernels), so its landmarks
 * are bit-identical. Frames arrive one message each, in order; each reply
 * carries the frame's faces and gives its buffer back.
 */
import './relaxedSimd.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelFolder } from './modelFolder.ts';
import { trackerFaceSource } from './faceSources.ts';
import type { FaceSource } from '../core/analysis/faceSource.ts';
import type { FromTrackerThread, ThreadError, ToTrackerThread, TrackerThreadData } from './threadProtocol.ts';

const port = parentPort!;
const { setup } = workerData as TrackerThreadData;

function post(message: FromTrackerThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function asThreadError(error: unknown): ThreadError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error), stack: undefined };
}

async function start(): Promise<FaceSource> {
  const folder = await loadModelFolder(setup.models);
  return trackerFaceSource(folder, setup.choice, setup.executionProvider, (message) => post({ type: 'log', message }));
}

const source = start();
source.then(
  (ready) => post({ type: 'ready', provenance: ready.provenance }),
  (error: unknown) => post({ type: 'failed', error: asThreadError(error) }),
);

// one message at a time, in order: a frame's tracking never overlaps the next
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToTrackerThread) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToTrackerThread): Promise<void> {
  if (message.type === 'release') {
    await (await source.catch(() => null))?.release();
    post({ type: 'released' });
    port.close();
    return;
  }
  try {
    const tracker = await source;
    const image = { width: message.width, height: message.height, data: new Uint8Array(message.pixels) };
    const faces = await tracker.facesIn({ index: message.index, timestamp: message.timestamp, image });
    post({ type: 'faces', faces, pixels: message.pixels, timings: tracker.timings(), note: tracker.note() }, [message.pixels]);
  } catch (error) {
    post({ type: 'failed', error: asThreadError(error) });
  }
}
