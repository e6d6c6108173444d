import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { decodePngBgr, isPng, PngFormatError, readPngSize } from '../../../src/core/png/decodePng.ts';
import { hasFfmpeg, SKIP_NO_FFMPEG, suiteTitle } from '../../helpers/shared.ts';
import { rng } from '../../helpers/rng.ts';

const W = 37;
const H = 29;

/** A smooth gradient with noise: every PNG row filter has work to do. */
function testRgb(channels: number, depth: 8 | 16, seed = 1): Uint8Array | Uint16Array {
  const random = rng(seed);
  const max = depth === 8 ? 255 : 65535;
  const data = depth === 8 ? new Uint8Array(W * H * channels) : new Uint16Array(W * H * channels);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < channels; c++) data[(y * W + x) * channels + c] = Math.min(max, Math.floor(((x * 7 + y * 5 + c * 40) / 400) * max + random() * max * 0.2));
  return data;
}

/** What imread(IMREAD_COLOR) makes of samples: B, G, R (grey copied), alpha dropped, 16-bit to its high byte. */
function expectedBgr(data: Uint8Array | Uint16Array, channels: number, depth: number): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  const to8 = (v: number) => (depth === 16 ? v >> 8 : v);
  for (let i = 0; i < W * H; i++) {
    const s = i * channels;
    const [r, g, b] = channels >= 3 ? [data[s]!, data[s + 1]!, data[s + 2]!] : [data[s]!, data[s]!, data[s]!];
    out.set([to8(b), to8(g), to8(r)], i * 3);
  }
  return out;
}

describe('decodePngBgr', () => {
  for (const interlace of ['null', 'Adam7'] as const) {
    for (const [channels, depth] of [[3, 8], [4, 8], [1, 8], [2, 8], [3, 16], [4, 16], [1, 16]] as const) {
      it(`${channels} channel(s), ${depth}-bit, interlace ${interlace}: the samples as imread gives them`, () => {
        const data = testRgb(channels, depth, channels * depth);
        const png = encodePng({ width: W, height: H, data, channels, depth }, { interlace });
        expect(isPng(png)).toBe(true);
        expect(readPngSize(png)).toEqual({ width: W, height: H });
        const image = decodePngBgr(png);
        expect([image.width, image.height]).toEqual([W, H]);
        expect(Buffer.from(image.data).equals(Buffer.from(expectedBgr(data, channels, depth)))).toBe(true);
      });
    }
  }

  it('stretches 1-, 2- and 4-bit grey to 0..255 (v * 255 / (2^depth - 1))', () => {
    for (const depth of [1, 2, 4] as const) {
      const levels = (1 << depth) - 1;
      const values = Array.from({ length: W * H }, (_, i) => (i * 7 + (i >> 3)) % (levels + 1));
      const rowBytes = Math.ceil((W * depth) / 8);
      const packed = new Uint8Array(rowBytes * H);
      values.forEach((v, i) => {
        const x = i % W;
        const bit = x * depth;
        packed[Math.floor(i / W) * rowBytes + (bit >> 3)] |= v << (8 - depth - (bit & 7));
      });
      const png = encodePng({ width: W, height: H, data: packed, channels: 1, depth });
      const image = decodePngBgr(png);
      for (let i = 0; i < W * H; i++) expect(image.data[i * 3 + 1]).toBe((values[i]! * 255) / levels);
    }
  });

  it('looks up palette images', () => {
    const palette: [number, number, number][] = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 9, (i * 37) % 256]);
    const indices = new Uint8Array(W * H).map((_, i) => (i * 5 + (i >> 4)) % 16);
    const png = encodePng({ width: W, height: H, data: indices, channels: 1, depth: 8, palette });
    const image = decodePngBgr(png);
    for (let i = 0; i < W * H; i++) {
      const [r, g, b] = palette[indices[i]!]!;
      expect(Array.from(image.data.subarray(i * 3, i * 3 + 3))).toEqual([b, g, r]);
    }
  });

  it('says what is wrong with a damaged or truncated file', () => {
    const png = encodePng({ width: W, height: H, data: testRgb(3, 8), channels: 3, depth: 8 });
    const damaged = png.slice();
    damaged[60] ^= 0xff; // inside the IDAT chunk: its CRC no longer matches
    expect(() => decodePngBgr(damaged)).toThrow(PngFormatError);
    expect(() => decodePngBgr(damaged)).toThrow(/damaged/);
    expect(() => decodePngBgr(png.subarray(0, png.length - 40))).toThrow(PngFormatError);
    expect(() => decodePngBgr(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG/);
  });
});

describe.skipIf(!hasFfmpeg)(suiteTitle('decodePngBgr on ffmpeg-written PNGs (every row filter)', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  for (const pixFmt of ['rgb24', 'rgba', 'gray', 'pal8', 'ya8']) {
    it(`${pixFmt}: identical to ffmpeg's own decode to bgr24`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'splitface-png-'));
      try {
        writeFileSync(join(dir, 'in.rgb'), testRgb(3, 8, 7) as Uint8Array);
        const encode = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-i', join(dir, 'in.rgb'), '-pix_fmt', pixFmt, '-pred', 'mixed', join(dir, 'out.png')]);
        expect(encode.status, encode.stderr.toString()).toBe(0);
        const png = new Uint8Array(readFileSync(join(dir, 'out.png')));
        const reference = spawnSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'out.png'), '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 1 << 24 });
        expect(reference.status).toBe(0);
        expect(Buffer.from(decodePngBgr(png).data).equals(reference.stdout)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
