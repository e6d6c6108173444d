/**
 * A folder of the user's for Face Mirror's files (File System Access API,
 * Chromium): picked once, then each run's videos and tables are streamed
 * straight into it by the worker (src/worker/mirrorWriters.ts:
 * pickedOutputFolder). Where the browser lacks the picker, the files go to
 * the browser's private storage (OPFS) and are downloaded from there.
 */
import { supportsDirectoryPicker } from '../../models/openfaceImport.ts';

interface WritableFolderPicker {
  showDirectoryPicker?(options: { id?: string; mode: 'readwrite' }): Promise<FileSystemDirectoryHandle>;
}

/** Whether this browser can give the page a folder to write into. */
export function supportsOutputFolder(): boolean {
  return supportsDirectoryPicker();
}

/**
 * Opens the browser's folder picker for writing; null when the user cancels.
 * Call it from a click handler: browsers open pickers only on a user gesture.
 */
export async function pickOutputFolder(): Promise<FileSystemDirectoryHandle | null> {
  const host = globalThis as WritableFolderPicker;
  if (!host.showDirectoryPicker) return null;
  try {
    // the id lets the browser reopen the picker where the user chose last time
    return await host.showDirectoryPicker({ id: 'splitface-mirror', mode: 'readwrite' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    throw error;
  }
}
