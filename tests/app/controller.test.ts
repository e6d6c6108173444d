import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchController } from '../../src/app/batch/controller.svelte.ts';
import type { InputFile } from '../../src/app/batch/inputFiles.ts';
import { VideoInputError } from '../../src/core/errors.ts';
import type { VideoSource } from '../../src/video/types.ts';
import { FakeRunner, fakeFile, fakeSource, type FakeVideo } from './fakes.ts';

beforeAll(() => {
  // Node has no ImageData; the live preview only needs its shape.
  if (typeof globalThis.ImageData === 'undefined') {
    (globalThis as Record<string, unknown>).ImageData = class {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    };
  }
});

afterEach(() => vi.useRealTimers());

function input(path: string): InputFile {
  return { file: fakeFile(path.split('/').pop()!), path, type: '' };
}

function setup(videos: Record<string, FakeVideo>, runner: FakeRunner | (() => Promise<FakeRunner>) = new FakeRunner(), msPerFrame = 50) {
  const closed: string[] = [];
  const opened: string[] = [];
  const sequences: string[][] = [];
  let now = 0;
  const open = async (name: string): Promise<VideoSource> => {
    opened.push(name);
    const video = videos[name];
    if (!video) throw new VideoInputError(`${name}: not a video this browser or ffmpeg.wasm can read`);
    if (video.openError) throw new VideoInputError(video.openError);
    return fakeSource(name, video, closed);
  };
  const batch = new BatchController({
    openVideo: (file) => open(file.name),
    openImageSequence: async (files) => {
      sequences.push(files.map((f) => f.name));
      return fakeSource('sequence', { frames: files.length }, closed);
    },
    runner: typeof runner === 'function' ? runner : async () => runner,
    now: () => (now += msPerFrame),
  });
  return { batch, closed, opened, sequences };
}

const settled = (batch: BatchController) => vi.waitFor(() => expect(batch.busy).toBe(false), { timeout: 5000, interval: 5 });

describe('BatchController', () => {
  it('runs every video, at most as many at once as the pool has workers', async () => {
    const runner = new FakeRunner(2);
    const { batch, closed } = setup({ 'a.mp4': { frames: 12 }, 'b.mov': { frames: 7 }, 'c.webm': { frames: 3 } }, runner);
    const jobs = batch.add([input('a.mp4'), input('b.mov'), input('c.webm')]);
    expect(jobs.map((j) => j.state)).toEqual(['queued', 'queued', 'queued']); // until the pool is there
    await settled(batch);
    expect(runner.maxRunning).toBe(2);
    expect(batch.jobs.map((j) => [j.name, j.state, j.framesDone, j.framesTotal, j.csvName])).toEqual([
      ['a.mp4', 'done', 12, 12, 'a.csv'],
      ['b.mov', 'done', 7, 7, 'b.csv'],
      ['c.webm', 'done', 3, 3, 'c.csv'],
    ]);
    expect(batch.jobs[0]!.durationSeconds).toBeCloseTo(0.4);
    expect(batch.jobs[0]!.fps).toBeGreaterThan(0);
    expect(batch.jobs.every((j) => j.etaSeconds === null)).toBe(true);
    expect(closed.sort()).toEqual(['a.mp4', 'b.mov', 'c.webm']);
    expect(batch.selectedId).toBe(batch.jobs[1]!.id); // the first result to arrive (b is shorter) is shown
  });

  it('runs each job with the settings it was added with (every face, full precision)', async () => {
    const runner = new FakeRunner(1);
    const { batch } = setup({ 'a.mp4': { frames: 2 }, 'b.mp4': { frames: 2 } }, runner);
    batch.add([input('a.mp4')]);
    batch.allFaces = true;
    batch.fullPrecision = true;
    batch.add([input('b.mp4')]);
    await settled(batch);
    expect(runner.options).toEqual([
      { allFaces: false, precision: 'stock' },
      { allFaces: true, precision: 'full' },
    ]);
  });

  it('keeps going when one file is bad, with the reason in its own row', async () => {
    const { batch } = setup({ 'good.mp4': { frames: 4 }, 'locked.mp4': { frames: 4, openError: 'locked.mp4: the file could not be read' } });
    batch.add([input('good.mp4'), input('locked.mp4'), input('notes.pdf'), input('late.mp4')]);
    await settled(batch);
    expect(batch.jobs.map((j) => [j.name, j.state, j.message])).toEqual([
      ['good.mp4', 'done', null],
      ['locked.mp4', 'failed', 'locked.mp4: the file could not be read'],
      ['notes.pdf', 'failed', 'notes.pdf: not a video this browser or ffmpeg.wasm can read'],
      ['late.mp4', 'failed', 'late.mp4: not a video this browser or ffmpeg.wasm can read'],
    ]);
    expect(batch.jobs.filter((j) => j.result).map((j) => j.name)).toEqual(['good.mp4']);
  });

  it('keeps the frames before a decode error as a partial result of a failed job', async () => {
    const { batch } = setup({ 'broken.avi': { frames: 10, failAfter: 6 } });
    batch.add([input('broken.avi')]);
    await settled(batch);
    const job = batch.jobs[0]!;
    expect(job.state).toBe('failed');
    expect(job.csvName).toBe('broken.partial.csv');
    expect(job.jsonName).toBe('broken.partial.json');
    expect(job.framesDone).toBe(6);
    expect(job.message).toBe('broken.avi: damaged stream at frame 7. The 6 frames before it are kept as a partial result.');
  });

  it('cancels a running job and keeps what it computed; cancels a queued one before it opens', async () => {
    const runner = new FakeRunner(1);
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const { batch, opened } = setup({ 'long.mp4': { frames: 1000 }, 'next.mp4': { frames: 5 } }, runner);
    const [long, next] = batch.add([input('long.mp4'), input('next.mp4')]);
    open();
    await vi.waitFor(() => expect(long!.framesDone).toBeGreaterThanOrEqual(8), { interval: 2 });
    expect(long!.state).toBe('processing');
    expect(long!.framesTotal).toBe(1000);
    batch.cancel(next!.id);
    expect(next!.state).toBe('cancelled');
    batch.cancel(long!.id);
    await settled(batch);
    expect(long!.state).toBe('cancelled');
    expect(long!.csvName).toBe('long.partial.csv');
    expect(long!.result?.partial).toBe(true);
    expect(long!.message).toMatch(/^Cancelled after \d+ frames; they are kept as a partial result\.$/);
    expect(opened).toEqual(['long.mp4']);
    expect(next!.message).toBe('Cancelled before it started.');
  });

  it('cancel all stops everything; a job cancelled before its first frame has no result', async () => {
    const runner = new FakeRunner(2);
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const { batch } = setup({ 'a.mp4': { frames: 50 }, 'b.mp4': { frames: 50 }, 'c.mp4': { frames: 50 } }, runner);
    batch.add([input('a.mp4'), input('b.mp4'), input('c.mp4')]);
    await vi.waitFor(() => expect(runner.running).toBe(2), { interval: 2 });
    batch.cancelAll();
    open();
    await settled(batch);
    expect(batch.jobs.map((j) => [j.state, j.result])).toEqual([
      ['cancelled', null],
      ['cancelled', null],
      ['cancelled', null],
    ]);
    expect(batch.jobs[0]!.message).toBe('Cancelled before any frame was analysed.');
  });

  it('fails queued jobs with the reason when the engine cannot start, and retries on the next add', async () => {
    let attempts = 0;
    const runner = new FakeRunner();
    const { batch } = setup({ 'a.mp4': { frames: 2 }, 'b.mp4': { frames: 2 } }, async () => {
      if (attempts++ === 0) throw new Error('models/manifest.json could not be loaded (HTTP 404)');
      return runner;
    });
    batch.add([input('a.mp4')]);
    await settled(batch);
    expect(batch.jobs[0]!.state).toBe('failed');
    expect(batch.jobs[0]!.message).toBe('The analysis engine could not start: models/manifest.json could not be loaded (HTTP 404)');
    batch.add([input('b.mp4')]);
    await settled(batch);
    expect(batch.jobs[1]!.state).toBe('done');
  });

  it('makes one sequence job of a folder of images, frames in name order', async () => {
    const { batch, sequences } = setup({});
    const [job] = batch.add([input('shots/f10.png'), input('shots/f9.png'), input('shots/f1.png')]);
    expect(batch.jobs).toHaveLength(1);
    expect(job!.kind).toBe('images');
    expect(job!.framesTotal).toBe(3);
    await settled(batch);
    expect(sequences).toEqual([['f1.png', 'f9.png', 'f10.png']]);
    expect(job!.csvName).toBe('shots.csv');
  });

  it('says which picked files it skipped', () => {
    const { batch } = setup({});
    batch.add([input('dir/.DS_Store'), input('dir/readme.txt')]);
    expect(batch.jobs).toHaveLength(0);
    expect(batch.notice).toBe('Skipped 2 files that are neither a video nor an image: dir/.DS_Store, dir/readme.txt.');
  });

  it('shows a throttled live preview of the running job, with the landmarks of tracked faces', async () => {
    const { batch } = setup({ 'a.mp4': { frames: 30 } }, new FakeRunner(1, 1), 40);
    batch.add([input('a.mp4')]);
    const frames: number[] = [];
    await vi.waitFor(
      () => {
        const p = batch.preview;
        if (p && frames.at(-1) !== p.frameIndex) frames.push(p.frameIndex);
        expect(batch.busy).toBe(false);
      },
      { interval: 1, timeout: 5000 },
    );
    expect(batch.preview!.faces).toHaveLength(1); // face 1 was not tracked
    expect(batch.preview!.faceIds).toEqual([0]);
    expect(batch.preview!.image.width).toBe(4);
    // 40 ms per frame, a preview at most every 100 ms: frames 0, 3, 6, ...
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.every((f) => f % 3 === 0)).toBe(true);
  });

  it('watches the oldest running job, or the one the user selected', async () => {
    const runner = new FakeRunner(2, 1);
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const { batch } = setup({ 'a.mp4': { frames: 400 }, 'b.mp4': { frames: 400 } }, runner, 200);
    const [a, b] = batch.add([input('a.mp4'), input('b.mp4')]);
    open();
    await vi.waitFor(() => expect(a!.framesDone > 3 && b!.framesDone > 3).toBe(true), { interval: 1 });
    expect(batch.preview!.jobId).toBe(a!.id);
    batch.select(b!.id);
    await vi.waitFor(() => expect(batch.preview!.jobId).toBe(b!.id), { interval: 1 });
    batch.cancelAll();
    await settled(batch);
  });

  it('offers plain snapshots, CSVs by name and one zip for the test hook and downloads', async () => {
    const { batch } = setup({ 'a.mp4': { frames: 3 }, 'b.mp4': { frames: 2 } });
    batch.add([input('a.mp4'), input('b.mp4')]);
    await settled(batch);
    const snap = batch.snapshot();
    expect(snap[0]).toMatchObject({ name: 'a.mp4', state: 'done', csvName: 'a.csv', result: { frames: 3, partial: false, csvBytes: (await batch.csv('a.mp4'))!.length } });
    expect(JSON.stringify(snap)).not.toContain('frame, face_id');
    expect(await batch.csv('b.csv')).toBe('frame, face_id\n1, 0\n2, 0\n');
    expect(await batch.csv('missing.mp4')).toBeNull();
    expect((await batch.zip())!.byteLength).toBeGreaterThan(100);
    expect(await batch.jobs[0]!.csvBlob()!.text()).toBe(await batch.csv('a.mp4'));
    batch.clearFinished();
    expect(batch.jobs).toHaveLength(0);
    expect(await batch.zip()).toBeNull();
  });
});
