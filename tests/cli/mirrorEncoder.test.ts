import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirrorVideoWriter } from '../../src/cli/mirrorEncoder.ts';
import { decodeVideo, probeVideo } from '../../src/cli/ffmpegDecode.ts';
import { hasFfmpeg, SKIP_NO_FFMPEG, suiteTitle } from '../helpers/shared.ts';

const skip = hasFfmpeg ? null : SKIP_NO_FFMPEG;
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

describe.skipIf(skip !== null)(suiteTitle('MirrorVideoWriter', skip), () => {
  const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'splitface-mirror-encoder-'));
  // uneven gaps: a variable frame rate must survive
  const times = [0, 0.04, 0.1, 0.15, 0.5, 0.52];
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [width, height] of [[64, 48], [321, 239]]) {
    it(`${width}x${height}: FFV1 gives back every byte, and every timestamp to the millisecond`, async () => {
      const path = join(dir, `ffv1_${width}.mkv`);
      const writer = new MirrorVideoWriter(path, 'ffv1', width, height);
      const written: string[] = [];
      for (let i = 0; i < times.length; i++) {
        const data = new Uint8Array(width * height * 3);
        for (let k = 0; k < data.length; k++) data[k] = (k * 7 + i * 13 + (k >> 9)) & 255;
        written.push(md5(data));
        await writer.write({ width, height, data }, times[i]);
      }
      await writer.close();
      const read: string[] = [];
      const stamps: number[] = [];
      for await (const frame of decodeVideo(path, probeVideo(path))) {
        read.push(md5(frame.image.data));
        stamps.push(frame.timestamp);
      }
      expect(read).toEqual(written);
      stamps.forEach((t, i) => expect(Math.abs(t - times[i])).toBeLessThan(1e-3));
    });
  }

  it('H.264: same frame count and timestamps', async () => {
    const path = join(dir, 'h264.mp4');
    const writer = new MirrorVideoWriter(path, 'h264', 64, 48);
    for (const t of times) await writer.write({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128) }, t);
    await writer.close();
    const stamps: number[] = [];
    for await (const frame of decodeVideo(path, probeVideo(path))) stamps.push(frame.timestamp);
    expect(stamps.length).toBe(times.length);
    stamps.forEach((t, i) => expect(Math.abs(t - times[i])).toBeLessThan(1e-3));
  });
});
