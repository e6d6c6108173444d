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
import { decodeSeries, encodeSeries, type ResultsStore, type SavedJob } from '../../src/app/storage/resultsStore.ts';
import { FakeRunner, fakeFile, fakeSource, type FakeVideo } from './fakes.ts';

/** The fake pool, with each CSV "stored in OPFS" under its own name, as the worker does. */
class StoringRunner extends FakeRunner {
  #next = 0;
  override async run(job: AnalysisJob): Promise<AnalysisResult> {
    const result = await super.run(job);
    return { ...result, storedAs: `run-${this.#next++}.csv` };
  }
}

function mapStore(): ResultsStore & { readonly saved: Map<string, SavedJob> } {
  const saved = new Map<string, SavedJob>();
  let clock = 0;
  return {
    saved,
    async save(job) {
      if (!job.result.storedAs) return null;
      const id = job.result.storedAs.replace(/\.csv$/, '');
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

function controller(videos: Record<string, FakeVideo>, store: ResultsStore) {
  const runner = new StoringRunner(2);
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
