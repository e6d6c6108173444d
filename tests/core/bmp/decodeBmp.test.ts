import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BmpFormatError, BmpUnsupportedError, decodeBmpBgr, isBmp, readBmpSize } from '../../../src/core/bmp/decodeBmp.ts';
import { hasFfmpeg, SKIP_NO_FFMPEG, suiteTitle } from '../../helpers/shared.ts';
import { rng } from '../../helpers/rng.ts';

const W = 37;
const H = 29;

function testRgb(seed: number): Uint8Array {
  const random = rng(seed);
  return new Uint8Array(W * H * 3).map((_, i) => Math.min(255, Math.floor((i % (W * 3)) * 2 + random() * 40)));
}

/** ffmpeg writes a BMP of `pixFmt` from the test picture; returns the file and ffmpeg's own decode to bgr24. */
function ffmpegBmp(pixFmt: string): { bmp: Uint8Array; reference: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-bmp-'));
  try {
    writeFileSync(join(dir, 'in.rgb'), testRgb(3));
    const encode = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-i', join(dir, 'in.rgb'), '-pix_fmt', pixFmt, join(dir, 'out.bmp')]);
    expect(encode.status, encode.stderr.toString()).toBe(0);
    const reference = spawnSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'out.bmp'), '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 1 << 24 });
    expect(reference.status).toBe(0);
    return { bmp: new Uint8Array(readFileSync(join(dir, 'out.bmp'))), reference: reference.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasFfmpeg)(suiteTitle('decodeBmpBgr on ffmpeg-written BMPs', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  for (const pixFmt of ['bgr24', 'bgra', 'pal8', 'gray', 'monob']) {
    it(`${pixFmt}: identical to ffmpeg's own decode to bgr24`, () => {
      const { bmp, reference } = ffmpegBmp(pixFmt);
      expect(isBmp(bmp)).toBe(true);
      expect(readBmpSize(bmp)).toEqual({ width: W, height: H });
      expect(Buffer.from(decodeBmpBgr(bmp).data).equals(reference)).toBe(true);
    });
  }

  it('names the layouts it leaves to the command line', () => {
    expect(() => decodeBmpBgr(ffmpegBmp('rgb555').bmp)).toThrow(BmpUnsupportedError);
  });
});

describe('decodeBmpBgr', () => {
  it('reads top-down files (negative height) and says when a file is cut short', () => {
    // 2x2, 24-bit, top-down: rows padded to 8 bytes
    const header = new Uint8Array(54);
    const view = new DataView(header.buffer);
    header.set([0x42, 0x4d]);
    view.setUint32(10, 54, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, 2, true);
    view.setInt32(22, -2, true);
    view.setUint16(28, 24, true);
    const pixels = [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0];
    const file = new Uint8Array([...header, ...pixels]);
    expect(Array.from(decodeBmpBgr(file).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(() => decodeBmpBgr(file.subarray(0, 60))).toThrow(BmpFormatError);
  });
});
