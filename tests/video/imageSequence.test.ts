import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImageSequence, orderImages } from '../../src/video/imageSequence.ts';
import { rawFrameToBgr } from '../../src/video/rawFrameToBgr.ts';
import { decodeImageSequence } from '../../src/cli/imageSequence.ts';
import { sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

const file = (name: string, bytes: Uint8Array = new Uint8Array(0)): File => new File([bytes as Uint8Array<ArrayBuffer>], name);

describe('image sequences in the browser', () => {
  it("orders images as the CLI does (numbers as numbers) and ignores other files", () => {
    const names = orderImages([file('frame10.jpg'), file('notes.txt'), file('frame2.JPG'), file('frame1.png')]).map((f) => f.name);
    expect(names).toEqual(['frame1.png', 'frame2.JPG', 'frame10.jpg']);
  });

  it('says what is wrong', async () => {
    await expect(openImageSequence([file('a.txt')])).rejects.toThrow('the folder holds no images');
    await expect(openImageSequence([file('a.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))])).rejects.toThrow(/a\.png could not be read: the image looks damaged/);
    await expect(openImageSequence([file('a.tif', new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))])).rejects.toThrow(/a\.tif is not a JPEG, PNG or BMP image.*command line/);
  });
});

const skip = sharedSkipReason();
const skipConverted = sharedSkipReason(true);

/** The shared JPEG folder's first images as lossless `ext` files (ffmpeg), in a File list. */
function convertedFolder(ext: 'png' | 'bmp', count: number): { files: File[]; folder: string } {
  const folder = mkdtempSync(join(tmpdir(), `splitface-seq-${ext}-`));
  const source = sharedPath('videos/image_sequence');
  for (const name of readdirSync(source).sort().slice(0, count)) {
    const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', join(source, name), '-pix_fmt', ext === 'png' ? 'rgb24' : 'bgr24', join(folder, name.replace(/\.jpg$/, `.${ext}`))]);
    expect(run.status, run.stderr.toString()).toBe(0);
  }
  const files = readdirSync(folder).map((name) => file(name, readFileSync(join(folder, name))));
  return { files, folder };
}

describe.skipIf(skipConverted)(suiteTitle('PNG and BMP sequences: the same frames as the CLI', skipConverted), () => {
  for (const ext of ['png', 'bmp'] as const) {
    it(`${ext}: every frame byte-identical to the CLI's`, async () => {
      const { files, folder } = convertedFolder(ext, 4);
      try {
        const source = await openImageSequence(files);
        expect(source.info).toMatchObject({ decoder: 'images', codec: ext, frameCountHint: 4 });
        const cli = decodeImageSequence(folder, 30);
        let frames = 0;
        for await (const frame of source.frames()) {
          const expected = (await cli.next()).value;
          expect(Buffer.from(rawFrameToBgr(frame).data).equals(Buffer.from(expected?.image.data ?? []))).toBe(true);
          frames++;
        }
        expect(frames).toBe(4);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }
});
describe.skipIf(skip)(suiteTitle('image sequences: the same frames as the CLI', skip), () => {
  it('decodes the shared JPEG folder to the CLI bytes, at 30 fps', async () => {
    const folder = sharedPath('videos/image_sequence');
    const files = readdirSync(folder).map((name) => file(name, readFileSync(`${folder}/${name}`)));
    const source = await openImageSequence(files);
    expect(source.info).toMatchObject({ decoder: 'images', codec: 'jpeg', frameCountHint: files.length });
    const cli = decodeImageSequence(folder, 30);
    for await (const frame of source.frames()) {
      const expected = (await cli.next()).value;
      expect(frame.timestamp).toBe(expected?.timestamp);
      expect(Buffer.from(rawFrameToBgr(frame).data).equals(Buffer.from(expected?.image.data ?? []))).toBe(true);
    }
    expect((await cli.next()).done).toBe(true);
  });
});
