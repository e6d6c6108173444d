/**
 * Turns the folder a user picked into the OpenFace model files SplitFace may
 * read: from the File System Access API (`showDirectoryPicker`, Chromium) or
 * from `<input type="file" webkitdirectory>` (every browser). Nothing is read
 * here: a `File` is only a reference until validation reads the few files the
 * models need.
 */
import { SplitFaceError } from '../core/errors.ts';
import { findModelLayout, isIgnoredName, MAX_SEARCH_DEPTH, modelFolderName, MODEL_SUBFOLDERS, PICKED_FOLDER_LAYOUT, selectModelFiles } from './openfaceLayout.ts';

/** A picked model folder: files keyed by their path relative to the folder holding AU_predictors/ and model/. */
export interface ImportedFolder {
  /** the picked folder's name, plus the path down to the model folder when it was found inside ('OpenFace/bin') */
  readonly folderName: string;
  /** 'AU_predictors/AU_all_best.txt', 'model/main_clnf_general.txt', ... (only files under those two folders) */
  readonly files: Map<string, Blob>;
}

/**
 * The part of FileSystemDirectoryHandle the walk uses. TypeScript declares its
 * async iterators only in the DOM.AsyncIterable lib, which this project does not
 * load; tests pass a handle over the disk.
 */
export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<DirectoryHandleLike | FileHandleLike>;
}

export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}

/** What `<input webkitdirectory>` gives per file: a Blob and its path from the picked folder ('OpenFace/bin/model/x.txt'). */
export interface PickedFile extends Blob {
  readonly name: string;
  readonly webkitRelativePath: string;
}

/** Used in messages when the picked folder's name is unknown (an empty pick). */
const UNNAMED_FOLDER = 'the chosen folder';

/** The model files among the picked ones (paths relative to the picked folder). */
function modelFolderFrom(picked: string, entries: readonly (readonly [string, Blob])[]): ImportedFolder {
  const layout = findModelLayout(entries.map(([path]) => path)) ?? PICKED_FOLDER_LAYOUT;
  return { folderName: modelFolderName(picked, layout), files: selectModelFiles(entries, layout) };
}

/**
 * From `<input type="file" webkitdirectory>`: paths are relative to the picked
 * folder's parent, so their first segment (the picked folder's name) is dropped.
 * When no folder inside holds both AU_predictors/ and model/, the picked folder
 * itself is used and validation names the file that is missing.
 */
export function importFromFileList(files: ArrayLike<PickedFile> | Iterable<PickedFile>): ImportedFolder {
  let picked: string | null = null;
  const entries: [string, Blob][] = [];
  for (const file of Array.from(files)) {
    // without webkitdirectory (or from a drop) there is no folder path: just the name
    const path = file.webkitRelativePath || file.name;
    const slash = path.indexOf('/');
    if (slash < 0) continue;
    picked ??= path.slice(0, slash);
    entries.push([path.slice(slash + 1), file]);
  }
  return modelFolderFrom(picked ?? UNNAMED_FOLDER, entries);
}

/**
 * From a directory handle (`showDirectoryPicker`): looks for the folders
 * holding AU_predictors/ or model/ level by level (at most MAX_SEARCH_DEPTH
 * down, stopping at the first level with one holding both), then lists only
 * those sub-folders, so the rest of the picked folder is never walked.
 */
export async function importFromDirectoryHandle(handle: FileSystemDirectoryHandle | DirectoryHandleLike): Promise<ImportedFolder> {
  // The runtime handle has values(); only its TypeScript declaration lacks it (see DirectoryHandleLike).
  const top = handle as unknown as DirectoryHandleLike;
  const entries: [string, Blob][] = [];
  for (const { prefix, dir } of await findModelSubfolders(top)) await collectFiles(dir, `${prefix}${dir.name}/`, entries);
  return modelFolderFrom(top.name, entries);
}

interface FoundFolder {
  /** path of its parent from the picked folder: '' or ending in '/' */
  readonly prefix: string;
  readonly dir: DirectoryHandleLike;
}

/**
 * The AU_predictors/ and model/ folders worth listing: those of the
 * shallowest folders holding both, or else every one found (OpenFace's
 * sources keep them apart; findModelLayout then picks a pair, or none and
 * validation names what is missing).
 */
async function findModelSubfolders(top: DirectoryHandleLike): Promise<FoundFolder[]> {
  const wanted: readonly string[] = MODEL_SUBFOLDERS;
  const apart: FoundFolder[] = [];
  let level: FoundFolder[] = [{ prefix: '', dir: top }];
  for (let depth = 0; depth <= MAX_SEARCH_DEPTH && level.length > 0; depth++) {
    const together: FoundFolder[] = [];
    const next: FoundFolder[] = [];
    for (const { prefix, dir } of level) {
      const here = `${prefix}${depth === 0 ? '' : `${dir.name}/`}`;
      const subfolders: FoundFolder[] = [];
      for await (const child of dir.values()) {
        if (child.kind !== 'directory' || isIgnoredName(child.name)) continue;
        if (wanted.includes(child.name)) subfolders.push({ prefix: here, dir: child });
        else next.push({ prefix: here, dir: child });
      }
      (subfolders.length === wanted.length ? together : apart).push(...subfolders);
    }
    if (together.length > 0) return together;
    level = next;
  }
  return apart;
}

async function collectFiles(dir: DirectoryHandleLike, prefix: string, into: [string, Blob][]): Promise<void> {
  for await (const child of dir.values()) {
    if (isIgnoredName(child.name)) continue;
    if (child.kind === 'directory') await collectFiles(child, `${prefix}${child.name}/`, into);
    else into.push([`${prefix}${child.name}`, await child.getFile()]);
  }
}

interface DirectoryPickerHost {
  showDirectoryPicker?(options?: { id?: string; mode?: 'read' | 'readwrite' }): Promise<FileSystemDirectoryHandle>;
}

/** Whether this browser has `showDirectoryPicker` (Chromium); otherwise use `<input webkitdirectory>`. */
export function supportsDirectoryPicker(): boolean {
  return typeof (globalThis as DirectoryPickerHost).showDirectoryPicker === 'function';
}

/**
 * Opens the browser's folder picker (read-only) and imports the chosen folder;
 * null when the user cancels. Call it from a click handler: browsers only open
 * pickers on a user gesture.
 */
export async function pickOpenFaceFolder(): Promise<ImportedFolder | null> {
  const host = globalThis as DirectoryPickerHost;
  if (!host.showDirectoryPicker) throw new SplitFaceError('This browser cannot open folders directly; choose the folder with the file button instead.');
  let handle: FileSystemDirectoryHandle;
  try {
    // the id lets the browser reopen the picker where the user found the folder last time
    handle = await host.showDirectoryPicker({ id: 'splitface-openface', mode: 'read' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    throw error;
  }
  return importFromDirectoryHandle(handle);
}
