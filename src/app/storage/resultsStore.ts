/**
 * Finished results kept across reloads, until the user clears them. The
 * worker already wrote each CSV to the origin private file system
 * (src/worker/opfsFiles.ts: RESULTS_DIR, AnalysisResult.storedAs); this store
 * writes beside it what the page needs to list the job again: a small JSON
 * description (name, state, counts, summary, provenance) and the chart's
 * series as binary. A reload reads them back into done rows whose downloads
 * read the CSV from disk. Results kept only in memory (no OPFS) are not
 * saved. Files left behind by a tab that closed mid-video (rows spilled, a
 * CSV without its description) are removed after a day.
 */
import type { AnalysisResult } from '../../worker/analysisApi.ts';
import type { AuSeries } from '../../core/analysis/auSummary.ts';
import { RESULTS_DIR, SPILL_DIR } from '../../worker/opfsFiles.ts';

/** A job as saved: enough to show its row, its results view and its downloads again. */
export interface SavedJob {
  /** the key of its files (the CSV's name without .csv) */
  readonly id: string;
  readonly name: string;
  readonly stem: string;
  readonly state: 'done' | 'failed' | 'cancelled';
  readonly message: string | null;
  /** ISO time it was saved */
  readonly savedAt: string;
  readonly result: AnalysisResult;
}

export type PersistenceState = 'granted' | 'not granted' | 'unsupported';

export interface ResultsStore {
  /** saves a finished job whose CSV is in OPFS; resolves with its id, or null when it cannot be kept */
  save(job: Omit<SavedJob, 'id' | 'savedAt'>): Promise<string | null>;
  /** the saved jobs, oldest first */
  list(): Promise<SavedJob[]>;
  remove(id: string): Promise<void>;
  /** asks the browser to keep the site's storage (navigator.storage.persist) and says what it answered */
  requestPersistence(): Promise<PersistenceState>;
}

/** files older than this without a description are left over from a closed tab */
const ORPHAN_AGE_MS = 24 * 3600 * 1000;

/**
 * The description as JSON: the result without its CSV Blob, its typed-array
 * series (kept as bytes beside it) and the quality verdict's pictures (pixels
 * JSON cannot hold; a kept result shows the verdict without them).
 */
type StoredDescription = Omit<SavedJob, 'result'> & { readonly result: Omit<AnalysisResult, 'csv' | 'series' | 'qualityFrames'> };

/** The series as bytes: count and series count (two uint32), timestamps (float64), each series (float32). */
export function encodeSeries(series: AuSeries): Uint8Array<ArrayBuffer> {
  const n = series.timestamps.length;
  const bytes = new Uint8Array(8 + n * 8 + series.intensities.length * n * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, n, true);
  view.setUint32(4, series.intensities.length, true);
  new Float64Array(bytes.buffer, 8, n).set(series.timestamps);
  series.intensities.forEach((s, k) => new Float32Array(bytes.buffer, 8 + n * 8 + k * n * 4, n).set(s));
  return bytes;
}

export function decodeSeries(buffer: ArrayBuffer): AuSeries {
  const view = new DataView(buffer);
  const n = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if (buffer.byteLength !== 8 + n * 8 + count * n * 4) throw new Error('saved chart series: wrong size');
  return {
    timestamps: new Float64Array(buffer.slice(8, 8 + n * 8)),
    intensities: Array.from({ length: count }, (_, k) => new Float32Array(buffer.slice(8 + n * 8 + k * n * 4, 8 + n * 8 + (k + 1) * n * 4))),
  };
}

async function writeFile(folder: FileSystemDirectoryHandle, name: string, content: string | Uint8Array<ArrayBuffer>): Promise<void> {
  const handle = await folder.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  await writable.write(content);
  await writable.close();
}

async function entries(folder: FileSystemDirectoryHandle): Promise<string[]> {
  const names: string[] = [];
  for await (const name of (folder as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) names.push(name);
  return names;
}

/** Removes what a closed tab left: spilled rows, and CSVs that never got their description. */
async function removeOrphans(results: FileSystemDirectoryHandle, spill: FileSystemDirectoryHandle, names: readonly string[], now: number): Promise<void> {
  const described = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)));
  const stale = async (folder: FileSystemDirectoryHandle, name: string) => {
    const file = await (await folder.getFileHandle(name)).getFile();
    return now - file.lastModified > ORPHAN_AGE_MS;
  };
  for (const name of names) {
    if (!name.endsWith('.csv') || described.has(name.slice(0, -'.csv'.length))) continue;
    if (await stale(results, name).catch(() => false)) await results.removeEntry(name).catch(() => {});
  }
  for (const name of await entries(spill)) {
    if (await stale(spill, name).catch(() => false)) await spill.removeEntry(name).catch(() => {});
  }
}

/** The store in this origin's private file system; null where the browser has none. */
export async function openResultsStore(): Promise<ResultsStore | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  let results: FileSystemDirectoryHandle;
  let spill: FileSystemDirectoryHandle;
  try {
    const root = await navigator.storage.getDirectory();
    results = await root.getDirectoryHandle(RESULTS_DIR, { create: true });
    spill = await root.getDirectoryHandle(SPILL_DIR, { create: true });
  } catch {
    return null; // storage blocked (private mode)
  }
  return {
    async save(job) {
      const storedAs = job.result.storedAs;
      if (!storedAs) return null;
      const id = storedAs.replace(/\.csv$/, '');
      const { csv: _csv, series, qualityFrames: _pictures, ...rest } = job.result;
      const description: StoredDescription = { ...job, id, savedAt: new Date().toISOString(), result: rest };
      // the series first: a description is only written once everything it names is there
      await writeFile(results, `${id}.series`, encodeSeries(series));
      await writeFile(results, `${id}.json`, JSON.stringify(description));
      return id;
    },
    async list() {
      const names = await entries(results);
      await removeOrphans(results, spill, names, Date.now()).catch(() => {});
      const saved: SavedJob[] = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        try {
          const description = JSON.parse(await (await (await results.getFileHandle(name)).getFile()).text()) as StoredDescription;
          const csv = await (await results.getFileHandle(`${description.id}.csv`)).getFile();
          const series = decodeSeries(await (await (await results.getFileHandle(`${description.id}.series`)).getFile()).arrayBuffer());
          saved.push({ ...description, result: { ...description.result, csv, series } });
        } catch {
          // a description whose files are gone (cleared by the browser or the user): skipped, not an error
        }
      }
      return saved.sort((a, b) => a.savedAt.localeCompare(b.savedAt));
    },
    async remove(id) {
      for (const suffix of ['.json', '.series', '.csv']) await results.removeEntry(`${id}${suffix}`).catch(() => {});
    },
    async requestPersistence() {
      if (!navigator.storage?.persist) return 'unsupported';
      try {
        return (await navigator.storage.persist()) ? 'granted' : 'not granted';
      } catch {
        return 'not granted';
      }
    },
  };
}
