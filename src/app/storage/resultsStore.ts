/**
 * Finished results kept across reloads, until the user clears them. The
 * worker already wrote each CSV to the origin private file system
 * (src/worker/opfsFiles.ts: RESULTS_DIR, AnalysisResult.storedAs); this store
 * writes beside it what the page needs to list the job again: a small JSON
 * description (name, state, counts, summary, provenance) and the chart's
 * series as binary. A reload reads them back into done rows whose downloads
 * read the CSV from disk. A Face Mirror job is kept the same way: its
 * videos and tables are already in OPFS (MirrorOutputFile.storedAs), the
 * description names them. Results kept only in memory (no OPFS) are not
 * saved. Files left behind by a tab that closed mid-video (rows spilled, a
 * CSV or a video that no description names) are removed after a day.
 */
import type { AnalysisResult } from '../../worker/analysisApi.ts';
import type { MirrorOutputFile, MirrorResult, MirrorSeries } from '../../worker/mirrorApi.ts';
import type { AuSeries } from '../../core/analysis/auSummary.ts';
import { RESULTS_DIR, SPILL_DIR, uniqueName } from '../../worker/opfsFiles.ts';

interface SavedJobCommon {
  /** the key of its files (a process job: the CSV's name without .csv) */
  readonly id: string;
  readonly name: string;
  readonly stem: string;
  readonly state: 'done' | 'failed' | 'cancelled';
  readonly message: string | null;
  /** ISO time it was saved */
  readonly savedAt: string;
}

/** A job as saved: enough to show its row, its results view and its downloads again. */
export type SavedJob =
  | (SavedJobCommon & { readonly kind?: 'process'; readonly result: AnalysisResult })
  | (SavedJobCommon & { readonly kind: 'mirror'; readonly mirror: MirrorResult });

/** What the controller hands to `save` (the store adds the id and the time). */
export type NewSavedJob = SavedJob extends infer J ? (J extends SavedJob ? Omit<J, 'id' | 'savedAt'> : never) : never;

export type PersistenceState = 'granted' | 'not granted' | 'unsupported';

export interface ResultsStore {
  /** saves a finished job whose files are in OPFS; resolves with its id, or null when it cannot be kept */
  save(job: NewSavedJob): Promise<string | null>;
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
type StoredDescription =
  | (SavedJobCommon & { readonly kind?: 'process'; readonly result: Omit<AnalysisResult, 'csv' | 'series' | 'qualityFrames'> })
  | (SavedJobCommon & { readonly kind: 'mirror'; readonly mirror: StoredMirror });

/** A Face Mirror result without its files (named by their OPFS names) and series (kept as bytes beside it). */
type StoredMirror = Omit<MirrorResult, 'outputs' | 'series'> & {
  readonly outputs: readonly (Omit<MirrorOutputFile, 'file' | 'storedAs'> & { readonly storedAs: string })[];
  readonly seriesNames: readonly string[];
};

/** The files a description names in the results folder (its own JSON included). */
function describedFiles(description: StoredDescription): string[] {
  const own = [`${description.id}.json`, `${description.id}.series`];
  return description.kind === 'mirror' ? [...own, ...description.mirror.outputs.map((o) => o.storedAs)] : [...own, `${description.id}.csv`];
}

/** Face Mirror's series as the AU series' bytes: the right side's series, then the left's. */
function mirrorSeriesAsAu(series: MirrorSeries): AuSeries {
  return { timestamps: series.timestamps, intensities: [...series.right, ...series.left] };
}

function mirrorSeriesFromAu(series: AuSeries, names: readonly string[]): MirrorSeries {
  const n = names.length;
  if (series.intensities.length !== 2 * n) throw new Error('saved Face Mirror series: wrong count');
  return { timestamps: series.timestamps, names, right: series.intensities.slice(0, n), left: series.intensities.slice(n) };
}

async function readDescription(folder: FileSystemDirectoryHandle, name: string): Promise<StoredDescription | null> {
  const parsed = JSON.parse(await (await (await folder.getFileHandle(name)).getFile()).text()) as Partial<StoredDescription> | null;
  // the results folder also holds Face Mirror's NAME_mirror.json files: not descriptions
  if (!parsed || typeof parsed.id !== 'string' || `${parsed.id}.json` !== name) return null;
  return parsed as StoredDescription;
}

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

/**
 * Removes what a closed tab left: spilled rows, and files of the results
 * folder that no description names (a CSV, a Face Mirror video or table of a
 * run that never got its description).
 */
async function removeOrphans(results: FileSystemDirectoryHandle, spill: FileSystemDirectoryHandle, names: readonly string[], described: ReadonlySet<string>, now: number): Promise<void> {
  const stale = async (folder: FileSystemDirectoryHandle, name: string) => {
    const file = await (await folder.getFileHandle(name)).getFile();
    return now - file.lastModified > ORPHAN_AGE_MS;
  };
  for (const name of names) {
    if (described.has(name)) continue;
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
      let description: StoredDescription;
      let series: AuSeries;
      if (job.kind === 'mirror') {
        const { outputs, series: mirrorSeries, ...rest } = job.mirror;
        const stored = outputs.map(({ name, kind, storedAs }) => (storedAs ? { name, kind, storedAs } : null));
        if (stored.some((o) => o === null)) return null;
        description = { ...job, id: uniqueName(''), savedAt: new Date().toISOString(), mirror: { ...rest, outputs: stored as StoredMirror['outputs'], seriesNames: mirrorSeries.names } };
        series = mirrorSeriesAsAu(mirrorSeries);
      } else {
        const storedAs = job.result.storedAs;
        if (!storedAs) return null;
        const { csv: _csv, series: auSeries, qualityFrames: _pictures, ...rest } = job.result;
        description = { ...job, id: storedAs.replace(/\.csv$/, ''), savedAt: new Date().toISOString(), result: rest };
        series = auSeries;
      }
      // the series first: a description is only written once everything it names is there
      await writeFile(results, `${description.id}.series`, encodeSeries(series));
      await writeFile(results, `${description.id}.json`, JSON.stringify(description));
      return description.id;
    },
    async list() {
      const names = await entries(results);
      const descriptions: StoredDescription[] = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const description = await readDescription(results, name).catch(() => null);
        if (description) descriptions.push(description);
      }
      await removeOrphans(results, spill, names, new Set(descriptions.flatMap(describedFiles)), Date.now()).catch(() => {});
      const file = async (name: string) => (await results.getFileHandle(name)).getFile();
      const saved: SavedJob[] = [];
      for (const description of descriptions) {
        try {
          const series = decodeSeries(await (await file(`${description.id}.series`)).arrayBuffer());
          if (description.kind === 'mirror') {
            const { seriesNames, outputs, ...rest } = description.mirror;
            const files = await Promise.all(outputs.map(async (o) => ({ ...o, file: await file(o.storedAs) })));
            saved.push({ ...description, mirror: { ...rest, outputs: files, series: mirrorSeriesFromAu(series, seriesNames) } });
          } else {
            saved.push({ ...description, result: { ...description.result, csv: await file(`${description.id}.csv`), series } });
          }
        } catch {
          // a description whose files are gone (cleared by the browser or the user): skipped, not an error
        }
      }
      return saved.sort((a, b) => a.savedAt.localeCompare(b.savedAt));
    },
    async remove(id) {
      const description = await readDescription(results, `${id}.json`).catch(() => null);
      const names = description ? describedFiles(description) : [`${id}.json`, `${id}.series`, `${id}.csv`];
      // the description last: a copy half removed is still found, and removed, again
      for (const name of names.filter((n) => n !== `${id}.json`)) await results.removeEntry(name).catch(() => {});
      await results.removeEntry(`${id}.json`).catch(() => {});
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
