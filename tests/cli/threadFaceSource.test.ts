/**
 * The tracker on its own thread (src/cli/threadFaceSource.ts) gives exactly
 * the observations of the same tracker in this thread, frame by frame, also
 * when fed one frame ahead (facesAhead), and a failure in the thread comes
 * back as the same named error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVideo } from '../../src/cli/ffmpegDecode.ts';
import { loadModelFolder } from '../../src/cli/modelFolder.ts';
import { trackerFaceSource } from '../../src/cli/faceSources.ts';
import { threadFaceSource } from '../../src/cli/threadFaceSource.ts';
import { facesAhead } from '../../src/core/analysis/facesAhead.ts';
import type { DecodedFrame } from '../../src/core/analysis/frame.ts';
import type { FaceSource } from '../../src/core/analysis/faceSource.ts';
import type { FaceObservation } from '../../src/core/pipeline.ts';
import { ModelFormatError } from '../../src/core/errors.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

const skip = sharedSkipReason(true);
const FRAMES = 3;

async function firstFrames(count: number): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  for await (const frame of decodeVideo(sharedPath('videos/lab_640x480_h264.mp4'))) {
    frames.push(frame);
    if (frames.length === count) break;
  }
  return frames;
}

/** Every number of an observation's typed arrays, as bytes: equal bytes are equal bits. */
function arrayBytes(face: FaceObservation): Record<string, number[]> {
  const bytes: Record<string, number[]> = {};
  for (const [key, value] of Object.entries(face)) {
    if (ArrayBuffer.isView(value)) bytes[key] = [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  }
  return bytes;
}

describe.skipIf(skip !== null)(suiteTitle('threadFaceSource', skip), () => {
  let frames: DecodedFrame[] = [];
  let here: FaceSource | null = null;
  let threaded: FaceSource | null = null;

  beforeAll(async () => {
    const setup = { models: openfaceModelsPath(), choice: { allFaces: false }, executionProvider: 'wasm' as const };
    [frames, here, threaded] = await Promise.all([
      firstFrames(FRAMES),
      loadModelFolder(setup.models).then((folder) => trackerFaceSource(folder, setup.choice, setup.executionProvider)),
      threadFaceSource(setup),
    ]);
  }, 60_000);

  afterAll(async () => {
    await here?.release();
    await threaded?.release();
  });

  it('gives bit-identical observations, one frame ahead, and the same provenance', async () => {
    const expected: FaceObservation[][] = [];
    for (const frame of frames) expected.push(await here!.facesIn(frame));
    const seen: FaceObservation[][] = [];
    async function* source(): AsyncGenerator<DecodedFrame> {
      yield* frames;
    }
    for await (const { faces } of facesAhead(source(), threaded!)) seen.push(faces);
    expect(seen).toHaveLength(FRAMES);
    expect(expected.flat().filter((face) => face.success).length).toBeGreaterThan(0);
    for (let f = 0; f < FRAMES; f++) {
      expect(seen[f]).toStrictEqual(expected[f]);
      expect(seen[f].map(arrayBytes)).toEqual(expected[f].map(arrayBytes));
    }
    expect(threaded!.note()).toBe(here!.note());
    expect(threaded!.provenance).toMatchObject(here!.provenance);
  }, 60_000);

  it('ends the thread on release: a later frame gets a clear error', async () => {
    const source = threaded!;
    threaded = null;
    await source.release();
    await expect(source.facesIn(frames[0])).rejects.toThrow(/tracking thread stopped/);
  }, 60_000);

  it('a failure in the thread comes back as the same named error', async () => {
    const missing = sharedPath('no-such-openface-folder');
    const inThread = await loadModelFolder(missing).catch((error: unknown) => error);
    const fromThread = await threadFaceSource({ models: missing, choice: {}, executionProvider: 'wasm' }).catch((error: unknown) => error);
    expect(inThread).toBeInstanceOf(ModelFormatError);
    expect(fromThread).toBeInstanceOf(ModelFormatError);
    expect((fromThread as Error).message).toBe((inThread as Error).message);
  }, 60_000);
});
