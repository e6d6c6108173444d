/**
 * File names of a job's downloads. A video `clip.mp4` gives `clip.csv` and
 * its provenance `clip.json`; a run that stopped early gives
 * `clip.partial.csv` / `clip.partial.json` (as the command line does), so a
 * partial result can never be mistaken for a complete one.
 */

/** The file name without folders and without its last extension (`a/b/clip.v2.mp4` -> `clip.v2`). */
export function stemOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function csvFileName(stem: string, partial: boolean): string {
  return `${stem}${partial ? '.partial' : ''}.csv`;
}

/** The sidecar JSON beside the CSV (models, landmark path, compute path). */
export function sidecarFileName(stem: string, partial: boolean): string {
  return `${stem}${partial ? '.partial' : ''}.json`;
}

/**
 * Makes stems unique in one download (two `clip` videos from different
 * folders): the second becomes `clip (2)`, and so on. Order is kept.
 */
export function uniqueStems(stems: readonly string[]): string[] {
  const taken = new Set<string>();
  const lower = (s: string) => s.toLowerCase();
  return stems.map((stem) => {
    let candidate = stem;
    for (let n = 2; taken.has(lower(candidate)); n++) candidate = `${stem} (${n})`;
    taken.add(lower(candidate));
    return candidate;
  });
}
