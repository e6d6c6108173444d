/**
 * Face Mirror's files in a folder the user picked (File System Access API):
 * the seam below the worker, with a fake directory handle (headless tests
 * cannot click the browser's folder picker; the real handle is exercised in
 * tests/e2e/mirrorKept.e2e.ts with an OPFS folder in its place). A lossless
 * video goes to the folder under its download name, byte for byte the
 * Matroska stream the CLI pipes into ffmpeg; a taken name is not
 * overwritten; a stopped video leaves no file.
 */
import { describe, expect, it } from 'vitest';
import { LOSSLESS_FORMAT, createVideoWriter, pickedOutputFolder } from '../../src/worker/mirrorWriters.ts';
import { matroskaFrame, matroskaHeader } from '../../src/core/mirror/rawBgrMatroska.ts';
import { createBgrImage } from '../../src/core/image.ts';

/** A folder in memory with the parts of FileSystemDirectoryHandle the writers use. */
class FakeFolder {
  readonly files = new Map<string, Uint8Array>();
  /** writable streams not yet closed or aborted: name -> bytes written so far (kept apart until close, as the browser's swap file) */
  readonly open = new Map<string, Uint8Array>();
  readonly name = 'picked';
  readonly kind = 'directory';

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<FileSystemFileHandle> {
    if (!this.files.has(name)) {
      if (!options?.create) throw new DOMException(`${name} not found`, 'NotFoundError');
      this.files.set(name, new Uint8Array(0));
    }
    const folder = this;
    const handle = {
      kind: 'file',
      name,
      async getFile() {
        return new File([folder.files.get(name)! as Uint8Array<ArrayBuffer>], name);
      },
      async createWritable() {
        folder.open.set(name, new Uint8Array(0));
        return {
          async write(command: { type: 'write'; position: number; data: Uint8Array }) {
            const old = folder.open.get(name)!;
            const end = Math.max(old.length, command.position + command.data.length);
            const grown = new Uint8Array(end);
            grown.set(old);
            grown.set(command.data, command.position);
            folder.open.set(name, grown);
          },
          async close() {
            folder.files.set(name, folder.open.get(name)!);
            folder.open.delete(name);
          },
          async abort() {
            folder.open.delete(name);
          },
        };
      },
    };
    return handle as unknown as FileSystemFileHandle;
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.files.delete(name)) throw new DOMException(`${name} not found`, 'NotFoundError');
  }
}

function frame(width: number, height: number, value: number) {
  const image = createBgrImage(width, height);
  image.data.fill(value);
  return image;
}

describe('Face Mirror files in a picked folder', () => {
  it('streams a lossless video into the folder under its download name, the same bytes as the CLI\'s Matroska stream', async () => {
    const folder = new FakeFolder();
    const output = pickedOutputFolder(folder as unknown as FileSystemDirectoryHandle);
    const writer = await createVideoWriter(output, 'clip_right_mirrored.mkv', LOSSLESS_FORMAT, 4, 2);
    await writer.write(frame(4, 2, 7), 0);
    await writer.write(frame(4, 2, 9), 1 / 30);
    // streamed as it goes: the bytes are in the folder's open file before the end
    expect(folder.open.get('clip_right_mirrored.mkv')!.length).toBeGreaterThan(0);
    await writer.close();
    const expected = [matroskaHeader(4, 2), matroskaFrame(frame(4, 2, 7).data, 4, 2, 0), matroskaFrame(frame(4, 2, 9).data, 4, 2, 33333)];
    const bytes = folder.files.get('clip_right_mirrored.mkv')!;
    expect(Buffer.from(bytes).equals(Buffer.concat(expected))).toBe(true);
    const written = writer.written();
    expect(written.storedAs).toBeNull(); // not in OPFS: the results store does not list it
    expect(written.file.name).toBe('clip_right_mirrored.mkv');
    expect(written.file.size).toBe(bytes.length);
  });

  it('never overwrites a file of the folder, and a stopped video leaves nothing behind', async () => {
    const folder = new FakeFolder();
    folder.files.set('clip_mirror.csv', new TextEncoder().encode('the user\'s own file'));
    const output = pickedOutputFolder(folder as unknown as FileSystemDirectoryHandle);
    const table = await output.create('clip_mirror.csv');
    expect(table.name).toBe('clip_mirror (2).csv');
    await table.write(new TextEncoder().encode('frame\n1\n'), 0);
    expect((await table.close()).size).toBe(8);
    expect(new TextDecoder().decode(folder.files.get('clip_mirror.csv'))).toBe('the user\'s own file');

    const stopped = await createVideoWriter(output, 'clip_left_mirrored.mkv', LOSSLESS_FORMAT, 4, 2);
    await stopped.write(frame(4, 2, 1), 0);
    stopped.abort();
    await new Promise((r) => setTimeout(r, 0));
    expect([...folder.files.keys()].sort()).toEqual(['clip_mirror (2).csv', 'clip_mirror.csv']);
    expect(folder.open.size).toBe(0);
  });
});
