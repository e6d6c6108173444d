/**
 * Results kept across reloads (issue #15.2): the controller saves each
 * finished job's result in the results store, a new controller (a reload)
 * lists them again as finished rows with their downloads, and clearing them
 * removes the saved copies. The store here keeps its entries in a Map; the
 * OPFS store behind it is exercised by tests/e2e/persistence.e2e.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { BatchController } from '../../src/app/batch/controller.svelte.ts';
import type { AnalysisJob, AnalysisResult } from '../../src/worker/analysisApi.ts';
import type { MirrorJob, MirrorResult } from '../../src/worker/mirrorApi.ts';
import { decodeSeries, encodeSeries, type ResultsStore, type SavedJob } from '../../src/app/storage/resultsStore.ts';
import { FakeRunner, fakeFile, fakeSource, type FakeVideo } from './fakes.ts';

/** The fake pool, with each CSV "stored in OPFS" under its own name, as the worker does. */
class StoringRunner extends FakeRunner {
  #next = 0;
  /** Face Mirror frames wait on this (tests open it) */
  mirrorGate: Promise<void> = Promise.resolve();
  override async run(job: AnalysisJob): Promise<AnalysisResult> {
    const result = await super.run(job);
    return { ...result, storedAs: `run-${this.#next++}.csv` };
  }

  /** Face Mirror's two passes over the fake video; cancelled, it keeps the frames done, as the worker does. */
  async runMirror(job: MirrorJob): Promise<MirrorResult> {
    const done = { 1: 0, 2: 0 };
    for (const pass of [1, 2] as const) {
      if (job.signal.aborted) break;
      for await (const frame of job.source.frames(job.signal)) {
        await this.mirrorGate;
        await new Promise((r) => setTimeout(r, 0));
        if (job.signal.aborted) break;
        job.onFrame({ pass, index: frame.index, preview: null });
        done[pass]++;
      }
    }
    const partial = job.signal.aborted;
    const stem = job.source.info.name.replace(/\.\w+$/, '');
    const file = (suffix: string) => ({ name: `${stem}${suffix}`, kind: suffix.endsWith('.csv') ? ('csv' as const) : ('video' as const), file: new Blob([suffix]), storedAs: `m-${this.#next++}` });
    const p = partial ? '.partial' : '';
    return {
      frames: done[1],
      mirroredFrames: done[2],
      partial,
      stoppedBy: partial ? 'cancelled by the user' : null,
      facesFound: done[1],
      flagged: 0,
      notes: partial ? [`cancelled in step 2 of 2, after ${done[2]} of ${done[1]} frames`] : [],
      outputs: done[2] > 0 ? [file(`_right_mirrored${p}.mp4`), file(`_mirror${p}.csv`)] : [file(`_mirror${p}.csv`)],
      summary: { video_info: { sizeBytes: 1000 } },
      videoFormat: 'fake',
      series: { timestamps: Float64Array.from({ length: done[1] }, (_, i) => i / 30), names: ['AU12_r'], right: [new Float32Array(done[1]).fill(1)], left: [new Float32Array(done[1]).fill(2)] },
      stageMs: {},
    };
  }
}

function mapStore(): ResultsStore & { readonly saved: Map<string, SavedJob> } {
  const saved = new Map<string, SavedJob>();
  let clock = 0;
  return {
    saved,
    async save(job) {
      const storedAs = job.kind === 'mirror' ? job.mirror.outputs[0]!.storedAs : job.result.storedAs;
      if (!storedAs) return null;
      const id = storedAs.replace(/\.csv$/, '');
      saved.set(id, { ...job, id, savedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString() });
      return id;
    },
    async list() {
      return [...saved.values()];
    },
    async remove(id) {
      saved.delete(id);
    },
    async requestPersistence() {
      return 'not granted';
    },
  };
}

function controller(videos: Record<string, FakeVideo>, store: ResultsStore, runner = new StoringRunner(2)) {
  return new BatchController({
    openVideo: async (file) => fakeSource(file.name, videos[file.name]!, []),
    openImageSequence: async () => {
      throw new Error('no sequences here');
    },
    runner: async () => runner,
    results: async () => store,
  });
}

const settled = (batch: BatchController) => vi.waitFor(() => expect(batch.busy).toBe(false), { timeout: 5000, interval: 5 });

describe('finished results across a reload', () => {
  it('saves done and partial results, lists them again after a reload with their downloads, and clears them', async () => {
    const store = mapStore();
    const videos = { 'a.mp4': { frames: 6 }, 'b.mov': { frames: 9, failAfter: 4 } };
    const first = controller(videos, store);
    await first.restore();
    expect(first.keepsResults).toBe(true);
    expect(first.persistence).toBe('not granted');
    first.add([{ file: fakeFile('a.mp4'), path: 'a.mp4', type: '' }, { file: fakeFile('b.mov'), path: 'b.mov', type: '' }]);
    await settled(first);
    await vi.waitFor(() => expect(store.saved.size).toBe(2), { timeout: 2000, interval: 5 });

    // the reload: a new controller over the same store
    const second = controller(videos, store);
    await second.restore();
    const rows = second.jobs.map((j) => [j.name, j.state, j.framesDone, j.csvName, j.jsonName]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['a.mp4', 'done', 6, 'a.csv', 'a.json'],
        ['b.mov', 'failed', 4, 'b.partial.csv', 'b.partial.json'],
      ]),
    );
    const a = second.jobs.find((j) => j.name === 'a.mp4')!;
    expect(await a.csvBlob()!.text()).toBe(await first.jobs.find((j) => j.name === 'a.mp4')!.csvBlob()!.text());
    expect(JSON.parse(await a.jsonBlob()!.text())).toMatchObject({ test: true, partial: false });
    expect(a.message).toMatch(/earlier session/);
    expect(second.busy).toBe(false);

    second.clearFinished();
    expect(second.jobs).toEqual([]);
    await vi.waitFor(() => expect(store.saved.size).toBe(0), { timeout: 2000, interval: 5 });
  });

  it('keeps a Face Mirror run, done or cancelled mid-way (its partial files), and lists both again after a reload', async () => {
    const store = mapStore();
    const videos = { 'whole.mp4': { frames: 6 }, 'stopped.mp4': { frames: 40 } };
    const runner = new StoringRunner(2);
    const first = controller(videos, store, runner);
    await first.restore();
    first.faceMirror = true;
    const [whole, stopped] = first.add([{ file: fakeFile('whole.mp4'), path: 'whole.mp4', type: '' }, { file: fakeFile('stopped.mp4'), path: 'stopped.mp4', type: '' }]);
    await vi.waitFor(() => expect(whole!.state).toBe('done'), { timeout: 5000, interval: 5 });
    // cancel once step 2 has done a few frames
    await vi.waitFor(() => expect(stopped!.message).toMatch(/step 2/), { timeout: 5000, interval: 1 });
    let release = () => {};
    runner.mirrorGate = new Promise((r) => (release = r));
    await vi.waitFor(() => expect(stopped!.framesDone).toBeGreaterThan(0), { timeout: 5000, interval: 1 });
    first.cancel(stopped!.id);
    release();
    await settled(first);
    expect(stopped!.state).toBe('cancelled');
    expect(stopped!.mirrorResult!.partial).toBe(true);
    expect(stopped!.mirrorResult!.outputs.map((o) => o.name)).toEqual(['stopped_right_mirrored.partial.mp4', 'stopped_mirror.partial.csv']);
    expect(stopped!.message).toMatch(/^Cancelled: what it computed is kept as a partial result\. cancelled in step 2 of 2/i);
    await vi.waitFor(() => expect(store.saved.size).toBe(2), { timeout: 2000, interval: 5 });

    const second = controller(videos, store);
    await second.restore();
    const rows = second.jobs.map((j) => [j.name, j.state, j.mirrorResult?.partial, j.mirrorResult?.outputs.length, j.result]);
    expect(rows).toEqual(expect.arrayContaining([['whole.mp4', 'done', false, 2, null], ['stopped.mp4', 'cancelled', true, 2, null]]));
    const back = second.jobs.find((j) => j.name === 'stopped.mp4')!;
    expect(await back.mirrorResult!.outputs[0]!.file.text()).toBe('_right_mirrored.partial.mp4');
    expect(back.framesDone).toBe(40);
    second.clearFinished();
    await vi.waitFor(() => expect(store.saved.size).toBe(0), { timeout: 2000, interval: 5 });
  });

  it('keeps nothing without a results store, and nothing the worker kept only in memory', async () => {
    const store = mapStore();
    const batch = new BatchController({
      openVideo: async (file) => fakeSource(file.name, { frames: 3 }, []),
      openImageSequence: async () => {
        throw new Error('no sequences here');
      },
      runner: async () => new FakeRunner(1), // storedAs null: the CSV is a Blob in memory
      results: async () => store,
    });
    batch.add([{ file: fakeFile('c.mp4'), path: 'c.mp4', type: '' }]);
    await settled(batch);
    await new Promise((r) => setTimeout(r, 20));
    expect(store.saved.size).toBe(0);
    expect(batch.jobs[0]!.savedId).toBeNull();
  });

  it('stores the chart series as bytes and reads the same values back', () => {
    const series = { timestamps: Float64Array.of(0, 1 / 30, 2 / 30), intensities: [Float32Array.of(0.5, Number.NaN, 5), Float32Array.of(1, 2, 3)] };
    const bytes = encodeSeries(series);
    const back = decodeSeries(bytes.buffer);
    expect(Array.from(back.timestamps)).toEqual(Array.from(series.timestamps));
    expect(back.intensities.map((s) => Array.from(s))).toEqual(series.intensities.map((s) => Array.from(s)));
    expect(() => decodeSeries(bytes.buffer.slice(0, bytes.length - 4))).toThrow(/wrong size/);
  });
});
