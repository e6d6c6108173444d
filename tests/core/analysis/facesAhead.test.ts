import { describe, expect, it } from 'vitest';
import { facesAhead } from '../../../src/core/analysis/facesAhead.ts';
import type { DecodedFrame } from '../../../src/core/analysis/frame.ts';
import { failedObservation } from '../../../src/core/analysis/faceSource.ts';
import type { FaceObservation } from '../../../src/core/pipeline.ts';
import { VideoInputError } from '../../../src/core/errors.ts';

function frame(index: number): DecodedFrame {
  return { index, timestamp: index / 30, image: { width: 1, height: 1, data: new Uint8Array(3) } };
}

async function* frames(count: number, failAfter = Infinity, log: string[] = []): AsyncGenerator<DecodedFrame> {
  try {
    for (let i = 0; i < count; i++) {
      if (i >= failAfter) throw new VideoInputError(`frame ${i} is damaged`);
      log.push(`decode ${i}`);
      yield frame(i);
    }
  } finally {
    log.push('closed');
  }
}

/** A source that resolves each frame on a later macrotask, logging when calls start and end. */
function slowSource(log: string[], failAt = -1) {
  let inFlight = 0;
  let most = 0;
  return {
    get mostInFlight() {
      return most;
    },
    async facesIn(f: DecodedFrame): Promise<FaceObservation[]> {
      inFlight++;
      most = Math.max(most, inFlight);
      log.push(`track ${f.index}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      if (f.index === failAt) throw new Error(`tracker failed on ${f.index}`);
      log.push(`tracked ${f.index}`);
      return [failedObservation(f, 0)];
    },
  };
}

describe('facesAhead', () => {
  it('yields every frame with its own faces, in order, the next frame already being tracked', async () => {
    const log: string[] = [];
    const source = slowSource(log);
    const seen: number[] = [];
    for await (const { frame: f, faces } of facesAhead(frames(5, Infinity, log), source)) {
      expect(faces[0].frame).toBe(f.index + 1);
      log.push(`analyse ${f.index}`);
      seen.push(f.index);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(source.mostInFlight).toBe(1);
    // frame 2 is handed to the source before frame 1 is analysed
    expect(log.indexOf('track 2')).toBeLessThan(log.indexOf('analyse 1'));
    expect(log.filter((line) => line === 'closed')).toHaveLength(1);
  });

  it('analyses every decoded frame before a decode failure is raised', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const { frame: f } of facesAhead(frames(10, 3), slowSource([]))) seen.push(f.index);
    };
    await expect(run()).rejects.toThrow(VideoInputError);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('raises a tracker failure at its frame, after the frames before it', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const { frame: f } of facesAhead(frames(10), slowSource([], 2))) {
        // time passes while frame 2 fails in flight: no unhandled rejection
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(f.index);
      }
    };
    await expect(run()).rejects.toThrow('tracker failed on 2');
    expect(seen).toEqual([0, 1]);
  });

  it('stopping early waits for the frame in flight and closes the frames', async () => {
    const log: string[] = [];
    for await (const { frame: f } of facesAhead(frames(10, Infinity, log), slowSource(log))) if (f.index === 1) break;
    expect(log.slice(-2)).toEqual(['tracked 2', 'closed']);
  });
});
