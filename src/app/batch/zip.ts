/**
 * "Download all": every finished job's CSV and provenance JSON in one zip.
 * Names are made unique (two `clip.mp4` from different folders) and partial
 * results keep their `.partial` in the name.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { csvFileName, sidecarFileName, uniqueStems } from './naming.ts';

/** What a job contributes to the zip. */
export interface ZipSource {
  readonly stem: string;
  readonly result: { readonly csv: Blob; readonly provenance: Record<string, unknown>; readonly partial: boolean; readonly stoppedBy: string | null } | null;
}

export interface ZipEntry {
  readonly name: string;
  readonly content: Blob | string;
  /** stored as it is (videos: already compressed, or too large to deflate in the page) */
  readonly store?: boolean;
}

/** The provenance sidecar as written beside the CSV (says whether the CSV is partial). */
export function sidecarJson(result: NonNullable<ZipSource['result']>): string {
  const meta: Record<string, unknown> = { ...result.provenance };
  if (!('partial' in meta)) meta.partial = result.partial;
  if (result.partial && !('stoppedBy' in meta)) meta.stoppedBy = result.stoppedBy;
  return JSON.stringify(meta, null, 2) + '\n';
}

/** The files of the zip, in job order: NAME.csv then NAME.json for each job with a result. */
export function zipEntries(jobs: readonly ZipSource[]): ZipEntry[] {
  const withResult = jobs.filter((j): j is ZipSource & { result: NonNullable<ZipSource['result']> } => j.result !== null);
  const stems = uniqueStems(withResult.map((j) => j.stem));
  return withResult.flatMap((job, i) => [
    { name: csvFileName(stems[i]!, job.result.partial), content: job.result.csv },
    { name: sidecarFileName(stems[i]!, job.result.partial), content: sidecarJson(job.result) },
  ]);
}

/** The zip's bytes (deflated; CSV compresses about 4:1). */
export async function buildZip(entries: readonly ZipEntry[]): Promise<Uint8Array> {
  const files: Zippable = {};
  for (const entry of entries) {
    const bytes = typeof entry.content === 'string' ? strToU8(entry.content) : new Uint8Array(await entry.content.arrayBuffer());
    files[entry.name] = [bytes, { level: entry.store ? 0 : 6 }];
  }
  return zipSync(files);
}

/** e.g. 'splitface-2025-11-23-1742.zip' */
export function zipFileName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `splitface-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}.zip`;
}
