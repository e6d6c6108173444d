/**
 * What the browser hands over when a user picks a folder, rebuilt in Node:
 * the Files of `<input webkitdirectory>` (with webkitRelativePath) and a
 * FileSystemDirectoryHandle-like tree, both from a map of paths to bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectoryHandleLike, FileHandleLike, PickedFile } from '../../src/models/openfaceImport.ts';

/** Every file under `dir`, by '/'-separated path relative to it. */
export function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out.set(full.slice(dir.length).replace(/^[\\/]+/, '').replace(/\\/g, '/'), new Uint8Array(readFileSync(full)));
  }
  return out;
}

/** `tree` with every path put under `prefix` ('bin/'), plus `extra` files. */
export function nest(tree: ReadonlyMap<string, Uint8Array>, prefix: string, extra: Record<string, string> = {}): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>([...tree].map(([path, bytes]) => [`${prefix}${path}`, bytes]));
  for (const [path, text] of Object.entries(extra)) out.set(path, new TextEncoder().encode(text));
  return out;
}

function fileOf(path: string, bytes: Uint8Array): File {
  // slice(): a view typed over a plain ArrayBuffer, which is what File takes
  return new File([bytes.slice()], path.slice(path.lastIndexOf('/') + 1));
}

/** The FileList of `<input webkitdirectory>` for a picked folder named `picked` holding `tree`. */
export function pickedFileList(picked: string, tree: ReadonlyMap<string, Uint8Array>): PickedFile[] {
  return [...tree].map(([path, bytes]) => {
    // Node's File has no webkitRelativePath; the browser sets it to the path from the picked folder's parent
    return Object.defineProperty(fileOf(path, bytes), 'webkitRelativePath', { value: `${picked}/${path}` }) as PickedFile;
  });
}

/** A directory handle named `picked` over `tree`, listing entries in the order given. */
export function pickedDirectory(picked: string, tree: ReadonlyMap<string, Uint8Array>): DirectoryHandleLike & { readonly listed: string[] } {
  const listed: string[] = [];
  const dir = (name: string, prefix: string): DirectoryHandleLike => ({
    kind: 'directory',
    name,
    async *values() {
      listed.push(prefix);
      const seen = new Set<string>();
      for (const [path, bytes] of tree) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        const child = slash < 0 ? rest : rest.slice(0, slash);
        if (seen.has(child)) continue;
        seen.add(child);
        if (slash < 0) {
          const file: FileHandleLike = { kind: 'file', name: child, getFile: async () => fileOf(path, bytes) };
          yield file;
        } else {
          yield dir(child, `${prefix}${child}/`);
        }
      }
    },
  });
  return Object.assign(dir(picked, ''), { listed });
}
