import { stemOf } from './naming.ts';

/**
 * Turns what a user picked or dropped into jobs: every video is its own job;
 * the images of one folder form one image-sequence job (frames in natural
 * name order: 2.png before 10.png), as OpenFace's `-fdir` does.
 */

/** A picked file and its path inside the picked or dropped folder ('' parts when picked alone). */
export interface InputFile<F = File> {
  readonly file: F;
  /** e.g. 'session1/frames/0001.png', or just the file name when not from a folder (never empty) */
  readonly path: string;
  /** the MIME type the browser guessed ('' when it did not) */
  readonly type: string;
}

export type InputGroup<F = File> =
  | { readonly kind: 'video'; readonly name: string; readonly stem: string; readonly files: readonly [InputFile<F>] }
  | { readonly kind: 'images'; readonly name: string; readonly stem: string; readonly files: readonly InputFile<F>[] };

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'bmp', 'tif', 'tiff', 'webp'] as const;
const VIDEO_EXTENSIONS = new Set([
  'mp4', 'm4v', 'mov', 'qt', 'webm', 'mkv', 'avi', 'wmv', 'asf', 'flv', 'mpg', 'mpeg', 'mpe', 'm2v', 'ts', 'mts', 'm2ts',
  '3gp', '3g2', 'ogv', 'mxf', 'dv', 'vob', 'y4m', 'hevc', 'h264', '264',
]);
const IMAGES = new Set<string>(IMAGE_EXTENSIONS);

/** What the video file input accepts. */
export const VIDEO_ACCEPT = ['video/*', ...[...VIDEO_EXTENSIONS].map((e) => `.${e}`), ...IMAGE_EXTENSIONS.map((e) => `.${e}`)].join(',');

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function baseNameOf(path: string): string {
  return path.split('/').pop() ?? path;
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export type FileKind = 'video' | 'image' | 'other';

export function fileKind(name: string, type: string): FileKind {
  const base = baseNameOf(name);
  if (base.startsWith('.')) return 'other';
  const ext = extensionOf(base);
  if (IMAGES.has(ext)) return 'image';
  if (VIDEO_EXTENSIONS.has(ext) || type.startsWith('video/')) return 'video';
  return 'other';
}

/** Natural order of names: 'frame2' < 'frame10', case-insensitive. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

export interface GroupedInput<F = File> {
  readonly groups: InputGroup<F>[];
  /** files that are neither videos nor images inside a picked folder (.DS_Store, notes...) */
  readonly skipped: InputFile<F>[];
}

/**
 * Groups picked files into jobs, in the order the user gave them (a folder's
 * sequence where its first image appeared). A file of unknown type picked on
 * its own still becomes a job: if it is not a video, its own row says so.
 */
export function groupInputFiles<F>(files: readonly InputFile<F>[]): GroupedInput<F> {
  type Slot = { kind: 'video'; file: InputFile<F> } | { kind: 'images'; folder: string; files: InputFile<F>[] };
  const slots: Slot[] = [];
  const sequences = new Map<string, Extract<Slot, { kind: 'images' }>>();
  const skipped: InputFile<F>[] = [];
  for (const input of files) {
    const path = input.path;
    const kind = fileKind(path, input.type);
    const folder = folderOf(path);
    if (kind === 'image') {
      let seq = sequences.get(folder);
      if (!seq) {
        seq = { kind: 'images', folder, files: [] };
        sequences.set(folder, seq);
        slots.push(seq);
      }
      seq.files.push(input);
    } else if (kind === 'video' || folder === '') {
      slots.push({ kind: 'video', file: input });
    } else {
      skipped.push(input);
    }
  }
  const groups = slots.map((slot): InputGroup<F> => {
    if (slot.kind === 'video') {
      const name = baseNameOf(slot.file.path);
      return { kind: 'video', name, stem: stemOf(name), files: [slot.file] };
    }
    const sorted = [...slot.files].sort((a, b) => naturalCompare(baseNameOf(a.path), baseNameOf(b.path)));
    const first = baseNameOf(sorted[0]!.path);
    // A folder's sequence is named after the folder; loose images after the first one.
    const name = slot.folder ? baseNameOf(slot.folder) : first;
    const stem = slot.folder ? name : stemOf(first);
    return { kind: 'images', name, stem, files: sorted };
  });
  return { groups, skipped };
}

