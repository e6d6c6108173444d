import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { readAheadFrames } from '../../src/cli/ffmpegDecode.ts';

/** `count` frames of `frameBytes`, frame f's byte i = (f * 31 + i) mod 251, so a misplaced byte shows. */
function pattern(count: number, frameBytes: number): Uint8Array {
  const bytes = new Uint8Array(count * frameBytes);
  for (let f = 0; f < count; f++) for (let i = 0; i < frameBytes; i++) bytes[f * frameBytes + i] = (f * 31 + i) % 251;
  return bytes;
}

describe('readAheadFrames', () => {
  it('cuts a stream of odd-sized chunks into whole frames and drops a trailing partial one', async () => {
    const frameBytes = 100;
    const bytes = pattern(5, frameBytes);
    const pipe = new PassThrough();
    // chunk sizes that straddle frame borders, several frames in one chunk, then 40 stray bytes
    const sizes = [7, 93, 250, 1, 49, 100];
    let offset = 0;
    for (const size of sizes) {
      pipe.write(bytes.subarray(offset, offset + size));
      offset += size;
    }
    pipe.end(new Uint8Array(40).fill(9));
    const frames: Uint8Array[] = [];
    for await (const frame of readAheadFrames(pipe, frameBytes)) frames.push(frame);
    expect(frames).toHaveLength(5);
    frames.forEach((frame, f) => expect(frame).toEqual(bytes.subarray(f * frameBytes, (f + 1) * frameBytes)));
  });

  it('stops reading once `ahead` frames wait, and reads on as they are taken', async () => {
    const frameBytes = 10;
    const pipe = new PassThrough({ highWaterMark: 16 });
    const frames = readAheadFrames(pipe, frameBytes, 2);
    const first = frames.next();
    for (let f = 0; f < 6; f++) pipe.write(pattern(1, frameBytes));
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    // one frame taken, two waiting: the pipe is paused and holds the rest
    expect(pipe.isPaused()).toBe(true);
    expect(pipe.readableLength).toBeGreaterThan(0);
    pipe.end();
    let more = 0;
    while (!(await frames.next()).done) more++;
    expect(more).toBe(5);
  });

  it('passes on a pipe error', async () => {
    const pipe = new PassThrough();
    const frames = readAheadFrames(pipe, 10);
    const next = frames.next();
    pipe.destroy(new Error('broken pipe'));
    await expect(next).rejects.toThrow('broken pipe');
  });
});
