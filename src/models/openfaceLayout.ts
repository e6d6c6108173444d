/**
 * Where an OpenFace model folder sits inside whatever folder the user picked,
 * and which of its files SplitFace may keep. Pure: paths in, paths out (the
 * folder picker, the validation and the storage live elsewhere).
 *
 * The model folder is the one holding `AU_predictors/` and `model/` (OpenFace's
 * bin folder after a build). Users often pick OpenFace's own folder instead, so
 * the model folder may be a few levels down (`bin/`, `build/bin/`, `x64/Release/`),
 * or, in OpenFace's sources, split between two folders.
 */
import { OPENFACE_MODEL_PATHS } from '../core/model/openfaceModels.ts';
// from modelLoader.ts, not the clnf index: the main thread needs this constant, not the tracker
import { CLNF_MAIN_MODEL } from '../core/clnf/modelLoader.ts';

/** The two sub-folders that make a model folder; nothing outside them is ever read. */
export const MODEL_SUBFOLDERS = ['AU_predictors', 'model'] as const;

/**
 * How deep below the picked folder the model folder is looked for: OpenFace's
 * bin/ (1), build/bin/ or x64/Release/ (2), a release archive's
 * OpenFace_2.2.0/build/bin/ (3), with one level to spare. A bound, so picking
 * a large folder by mistake does not walk the whole disk.
 */
export const MAX_SEARCH_DEPTH = 4;

/** The file each sub-folder's loader starts from: a folder holding it is a real copy, not a namesake. */
const ENTRY_FILES: Readonly<Record<(typeof MODEL_SUBFOLDERS)[number], string>> = {
  AU_predictors: OPENFACE_MODEL_PATHS.auList,
  model: CLNF_MAIN_MODEL,
};

/**
 * Turns a path as written by a model list or a browser ('a\\b', './a//b',
 * 'a/x/../b') into the one spelling used as a key: '/'-separated, no '.' or
 * '..' segments, no leading or trailing '/'. A '..' above the top is dropped,
 * so no key can point outside the model folder.
 */
export function normalizeModelPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
}

/**
 * Folders and files no model reads: hidden ones ('.git', '.DS_Store') and
 * macOS archive leftovers ('__MACOSX/', '._name' resource forks, which share
 * the real file's name and would otherwise look like model files).
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

/** Whether a path relative to the model folder is one SplitFace may keep: under AU_predictors/ or model/, nothing hidden. */
export function isModelFilePath(relativePath: string): boolean {
  const segments = normalizeModelPath(relativePath).split('/');
  if (segments.length < 2 || !(MODEL_SUBFOLDERS as readonly string[]).includes(segments[0])) return false;
  return !segments.some(isIgnoredName);
}

type SubFolder = (typeof MODEL_SUBFOLDERS)[number];

function isSubFolder(name: string): name is SubFolder {
  return (MODEL_SUBFOLDERS as readonly string[]).includes(name);
}

/**
 * Where the two sub-folders are, each as the path (from the picked folder)
 * of the folder holding it: '' for the picked folder itself, else ending in
 * '/'. Both are the same folder except in OpenFace's sources.
 */
export interface ModelLayout {
  /** the folder holding AU_predictors/ */
  readonly auRoot: string;
  /** the folder holding model/ */
  readonly modelRoot: string;
}

/** No model folder found: use the picked folder, so validation names the first file missing from it. */
export const PICKED_FOLDER_LAYOUT: ModelLayout = { auRoot: '', modelRoot: '' };

/** A folder holding AU_predictors/, model/ or both. */
interface Holder {
  readonly prefix: string;
  readonly depth: number;
  readonly subfolders: Set<SubFolder>;
  /** the sub-folders holding their entry file */
  readonly complete: Set<SubFolder>;
}

function compareHolders(a: Holder, b: Holder): number {
  return a.depth - b.depth || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0);
}

function findHolders(paths: Iterable<string>): Holder[] {
  const holders = new Map<string, Holder>();
  for (const raw of paths) {
    const segments = normalizeModelPath(raw).split('/');
    if (segments.some(isIgnoredName)) continue;
    // every segment but the last (the file name) may be AU_predictors/ or model/
    for (let i = 0; i < segments.length - 1 && i <= MAX_SEARCH_DEPTH; i++) {
      const sub = segments[i];
      if (!isSubFolder(sub)) continue;
      const prefix = segments.slice(0, i).map((s) => `${s}/`).join('');
      let holder = holders.get(prefix);
      if (!holder) holders.set(prefix, (holder = { prefix, depth: i, subfolders: new Set(), complete: new Set() }));
      holder.subfolders.add(sub);
      if (segments.slice(i).join('/') === ENTRY_FILES[sub]) holder.complete.add(sub);
    }
  }
  return [...holders.values()];
}

/**
 * Finds the model folder among the files under the picked folder (paths
 * relative to it). A folder holding both AU_predictors/ and model/ (OpenFace's
 * bin/) wins: the shallowest (as in the folder-handle walk, which stops at the
 * first level with one), then one holding both entry files, then the first
 * alphabetically, so the choice never depends on listing order.
 *
 * Failing that, OpenFace's sources keep the two apart (lib/local/FaceAnalyser/
 * AU_predictors/ and lib/local/LandmarkDetector/model/; a build copies both
 * into bin/): such a pair is taken only when each holds its entry file, so
 * unrelated folders named 'model' are not mixed in. Null when neither works.
 */
export function findModelLayout(paths: Iterable<string>): ModelLayout | null {
  const holders = findHolders(paths);
  const together = holders
    .filter((h) => h.subfolders.size === MODEL_SUBFOLDERS.length)
    .sort((a, b) => a.depth - b.depth || b.complete.size - a.complete.size || compareHolders(a, b));
  if (together.length > 0) return { auRoot: together[0].prefix, modelRoot: together[0].prefix };
  const best = (sub: SubFolder): Holder | undefined => holders.filter((h) => h.complete.has(sub)).sort(compareHolders)[0];
  const au = best('AU_predictors');
  const model = best('model');
  return au && model ? { auRoot: au.prefix, modelRoot: model.prefix } : null;
}

/**
 * The model files of `layout`, keyed by their path relative to the model
 * folder ('AU_predictors/...', 'model/...'). Everything else (videos,
 * sources, build files) is left out, so it is never read or stored.
 */
export function selectModelFiles<T>(entries: Iterable<readonly [string, T]>, layout: ModelLayout): Map<string, T> {
  const roots: readonly [SubFolder, string][] = [
    ['AU_predictors', layout.auRoot],
    ['model', layout.modelRoot],
  ];
  const out = new Map<string, T>();
  for (const [raw, value] of entries) {
    const path = normalizeModelPath(raw);
    for (const [sub, root] of roots) {
      if (!path.startsWith(`${root}${sub}/`)) continue;
      const relative = path.slice(root.length);
      if (isModelFilePath(relative)) out.set(relative, value);
    }
  }
  return out;
}

/**
 * The name shown for the model folder: the picked folder's, plus the path
 * down to the folder holding both sub-folders ('OpenFace/bin', or
 * 'OpenFace/lib/local' for the sources).
 */
export function modelFolderName(picked: string, layout: ModelLayout): string {
  const au = layout.auRoot.split('/');
  const model = layout.modelRoot.split('/');
  const common: string[] = [];
  // the last element of each is '' (the prefixes end in '/'), never a folder
  for (let i = 0; i < Math.min(au.length, model.length) - 1 && au[i] === model[i]; i++) common.push(au[i]);
  return [picked, ...common].join('/');
}
