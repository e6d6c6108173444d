/**
 * A Face Mirror run stopped midway keeps what it computed (the browser's
 * cancel, src/worker/mirrorAnalyser.ts): the core's run fed through the
 * worker's FrameChannels, stopped in step 2 after some frames (the videos get
 * those frames, closed, not aborted) or in step 1 (no videos, the track
 * kept), or by a frame whose work fails (keepPartialOnError, the browser: the
 * frames before it kept, like `process`'s partial CSV; the CLI throws). Fake
 * frames without a face and a source that finds none: what is checked is the
 * run's bookkeeping, not the tracking.
 */
import { describe, expect, it } from 'vitest';
import { runFaceMirror, type MirrorFrameWriter } from '../../src/core/mirror/faceMirrorRun.ts';
import { failedObservation, type FaceSource } from '../../src/core/analysis/faceSource.ts';
import { memoryRecordStore } from '../../src/core/analysis/recordStore.ts';
import { createBgrImage } from '../../src/core/image.ts';
import type { DecodedFrame } from '../../src/core/analysis/frame.ts';
import { FrameChannel } from '../../src/worker/frameChannel.ts';

const FRAMES = 12;

function noFace(failAt = -1): FaceSource {
  return {
    facesIn: async (frame) => {
      if (frame.index === failAt) throw new Error('the tracker broke');
      return [failedObservation(frame, 0)];
    },
    timings: () => ({}),
    provenance: {},
    note: () => null,
    release: async () => {},
  };
}

class CountingWriter implements MirrorFrameWriter {
  frames = 0;
  closed = false;
  aborted = false;
  constructor(readonly path: string) {}
  async write(): Promise<void> {
    this.frames++;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  abort(): void {
    this.aborted = true;
  }
}

function frame(index: number): DecodedFrame {
  return { index, timestamp: index / 30, image: createBgrImage(8, 6) };
}

async function stoppedRun(stopInStep: 1 | 2, framesBeforeStop: number) {
  const channels = { 1: new FrameChannel<DecodedFrame>(), 2: new FrameChannel<DecodedFrame>() };
  let stopped: string | null = null;
  const writers = { right: new CountingWriter('r'), left: new CountingWriter('l'), qa: new CountingWriter('qa') };
  const done = runFaceMirror({
    decode: (pass) => channels[pass],
    frameCountHint: FRAMES,
    width: 8,
    height: 6,
    faces: { source: noFace(), sides: null },
    auModels: null,
    recordStore: memoryRecordStore,
    openWriters: () => writers,
    stopped: () => stopped,
  });
  const stop = () => {
    stopped = 'cancelled by the user';
    channels[1].end();
    channels[2].end();
  };
  for (let f = 0; f < (stopInStep === 1 ? framesBeforeStop : FRAMES); f++) await channels[1].push(frame(f));
  if (stopInStep === 1) stop();
  else {
    channels[1].end();
    for (let f = 0; f < framesBeforeStop; f++) await channels[2].push(frame(f));
    stop();
  }
  return { run: await done, writers };
}

describe('a Face Mirror run stopped midway', () => {
  it('in step 2: the videos are finished with the frames done, the track covers step 1', async () => {
    const { run, writers } = await stoppedRun(2, 5);
    expect(run.stoppedBy).toBe('cancelled by the user');
    expect(run.frames).toBe(5);
    expect(run.track.frames).toBe(FRAMES);
    for (const w of [writers.right, writers.left, writers.qa]) expect([w.frames, w.closed, w.aborted]).toEqual([5, true, false]);
    expect(run.assessment.notes[0]).toMatch(/^cancelled by the user in step 2 of 2, after 5 of 12 frames/);
  });

  it('by a failure in step 1 (the browser keeps what was computed; the CLI throws)', async () => {
    const run = async (keepPartialOnError: boolean) => {
      const channels = { 1: new FrameChannel<DecodedFrame>(), 2: new FrameChannel<DecodedFrame>() };
      const writers = { right: new CountingWriter('r'), left: new CountingWriter('l'), qa: null };
      const done = runFaceMirror({
        decode: (pass) => channels[pass], frameCountHint: FRAMES, width: 8, height: 6, faces: { source: noFace(6), sides: null },
        auModels: null, recordStore: memoryRecordStore, openWriters: () => writers, keepPartialOnError,
      });
      done.catch(() => {});
      // the run stops taking frames at the failure: later pushes return at once (the worker stops the channels)
      for (let f = 0; f < FRAMES; f++) await Promise.race([channels[1].push(frame(f)), done.then(() => {}, () => {})]);
      channels[1].end();
      return done;
    };
    await expect(run(false)).rejects.toThrow('the tracker broke');
    const kept = await run(true);
    expect([kept.stoppedBy, kept.track.frames, kept.frames, kept.videos.length]).toEqual(['the tracker broke', 6, 0, 0]);
    expect(kept.assessment.notes[0]).toMatch(/^the analysis failed \(the tracker broke\) in step 1 of 2, after 6 frames/);
  });

  it('in step 1: no videos, the frames tracked kept', async () => {
    const { run, writers } = await stoppedRun(1, 4);
    expect(run.stoppedBy).toBe('cancelled by the user');
    expect([run.frames, run.track.frames, run.videos.length, run.sides]).toEqual([0, 4, 0, null]);
    expect(writers.right.frames).toBe(0);
    expect(run.assessment.notes[0]).toMatch(/^cancelled by the user in step 1 of 2, after 4 frames/);
  });
});
