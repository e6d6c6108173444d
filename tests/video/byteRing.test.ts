import { describe, expect, it } from 'vitest';
import { ByteRingReader, ByteRingWriter, createByteRing } from '../../src/video/byteRing.ts';

/* Single-threaded here (the writer never has to wait for room): wrapping, waiting for data, ending, cancelling. */

const bytes = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);

describe('byte ring', () => {
  it('rounds the capacity up to a power of two', () => {
    expect(createByteRing(1000).data.byteLength).toBe(1024);
    expect(() => createByteRing(0)).toThrow(RangeError);
  });

  it('carries bytes in order across many wraps, whatever the piece sizes', async () => {
    const ring = createByteRing(64);
    const writer = new ByteRingWriter(ring);
    const reader = new ByteRingReader(ring);
    let written = 0;
    let read = 0;
    for (let round = 0; round < 50; round++) {
      const piece = bytes(13 + (round % 40), written);
      expect(writer.write(piece)).toBe(true);
      written += piece.length;
      const out = new Uint8Array(written - read);
      expect(await reader.read(out)).toBe(out.length);
      expect(out).toEqual(bytes(out.length, read));
      read += out.length;
    }
  });

  it('a read waits for the writer, and a finished writer ends it short', async () => {
    const ring = createByteRing(32);
    const writer = new ByteRingWriter(ring);
    const reader = new ByteRingReader(ring);
    const out = new Uint8Array(20);
    const pending = reader.read(out);
    setTimeout(() => {
      writer.write(bytes(12, 0));
      writer.finish();
    }, 20);
    expect(await pending).toBe(12);
    expect(out.subarray(0, 12)).toEqual(bytes(12, 0));
    expect(await reader.read(out)).toBe(0);
  });

  it('after the reader cancels, the writer stops', () => {
    const ring = createByteRing(16);
    const writer = new ByteRingWriter(ring);
    new ByteRingReader(ring).cancel();
    expect(writer.cancelled).toBe(true);
    expect(writer.write(bytes(4, 0))).toBe(false);
  });
});
