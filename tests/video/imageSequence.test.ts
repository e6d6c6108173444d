import { readdirSync, readFileSync } from 'node:fs';
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
    await expect(openImageSequence([file('a.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))])).rejects.toThrow(/a\.png: not a JPEG image/);
  });
});

const skip = sharedSkipReason();
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
