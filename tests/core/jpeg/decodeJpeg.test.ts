import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeJpegBgr, decodeJpegPlanes, isJpeg, JpegFormatError, JpegUnsupportedError, readJpegSize } from '../../../src/core/jpeg/decodeJpeg.ts';
import { idctIslow } from '../../../src/core/jpeg/idctIslow.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/jpeg/', import.meta.url));
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, { width: number; height: number; bgrSha256: string }>;

function fixture(name: string): Uint8Array {
  return readFileSync(`${FIXTURES}${name}`);
}

describe('decodeJpegBgr: byte-identical to libjpeg-turbo 2.1 (what cv::imread returns)', () => {
  // Goldens: SHA-256 of `djpeg -pnm` output reordered to BGR (tests/fixtures/jpeg/README.txt).
  for (const [name, want] of Object.entries(expected)) {
    it(name, () => {
      const img = decodeJpegBgr(fixture(name));
      expect([img.width, img.height]).toEqual([want.width, want.height]);
      expect(createHash('sha256').update(img.data).digest('hex')).toBe(want.bgrSha256);
    });
  }

  it('covers every fixture that is not marked unsupported', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg') && !f.startsWith('unsupported_'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it('reports the planes libjpeg has before upsampling (4:2:0, odd size)', () => {
    const planes = decodeJpegPlanes(fixture('synth_420.jpg'));
    expect(planes.colorSpace).toBe('ycbcr');
    // 33x17 at 4:2:0: luma 33x17, chroma ceil(33/2) x ceil(17/2) = 17x9, stored in whole blocks.
    expect(planes.planes.map((p) => [p.width, p.height, p.xScale, p.yScale, p.stride])).toEqual([
      [33, 17, 1, 1, 40],
      [17, 9, 2, 2, 24],
      [17, 9, 2, 2, 24],
    ]);
    expect(decodeJpegPlanes(fixture('synth_gray.jpg')).colorSpace).toBe('gray');
    expect(decodeJpegPlanes(fixture('synth_rgb.jpg')).colorSpace).toBe('rgb');
  });

  it('refuses what it cannot reproduce exactly, saying why', () => {
    expect(() => decodeJpegBgr(fixture('unsupported_arithmetic.jpg'))).toThrow(JpegUnsupportedError);
    expect(() => decodeJpegBgr(fixture('unsupported_arithmetic.jpg'))).toThrow(/arithmetic-coded/);
    expect(() => decodeJpegBgr(fixture('unsupported_block_smoothing.jpg'))).toThrow(/incomplete low-frequency scans/);
  });

  it('rejects bytes that are not a JPEG', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(isJpeg(png)).toBe(false);
    expect(() => decodeJpegBgr(png)).toThrow(JpegFormatError);
    expect(() => decodeJpegBgr(fixture('synth_420.jpg').subarray(0, 100))).toThrow(JpegFormatError);
  });

  it('reads the size from the frame header alone', () => {
    expect(isJpeg(fixture('synth_420.jpg'))).toBe(true);
    expect(readJpegSize(fixture('truncated_420.jpg'))).toEqual({ width: 95, height: 63 });
  });
});

describe('idctIslow (jidctint.c), worked by hand', () => {
  const quant = new Int16Array(64);
  const ws = new Int32Array(64);
  const run = (coefs: [number, number][], q: number): number[] => {
    const coef = new Int16Array(64);
    for (const [pos, v] of coefs) coef[pos] = v;
    quant.fill(q);
    const out = new Uint8Array(64);
    idctIslow(coef, 0, quant, out, 0, 8, ws);
    return Array.from(out);
  };

  it('a DC-only block is flat: (DC * q * 4 + 16) >> 5, plus the 128 level shift, clamped', () => {
    // 8 * 16 = 128; pass 1: 128 << 2 = 512; pass 2: (512 + 16) >> 5 = 16; 16 + 128 = 144.
    expect(run([[0, 8]], 16)).toEqual(new Array(64).fill(144));
    // 100 * 16 * 4 = 6400; (6400 + 16) >> 5 = 200 -> 328 -> 255.  -100: (-6400 + 16) >> 5 = -200 -> -72 -> 0.
    expect(run([[0, 100]], 16)).toEqual(new Array(64).fill(255));
    expect(run([[0, -100]], 16)).toEqual(new Array(64).fill(0));
  });

  it('one horizontal-frequency-1 coefficient gives the same 8-sample ramp on every row', () => {
    // Coefficient (row 0, col 1) = 1, q = 64. Pass 1 (column 1 has no AC): 64 << 2 = 256 in every row.
    // Pass 2, odd part with only ws[1] = 256: z5 = 256 * 9633, then
    //   out[0]/[7] = (+-256 * (12299 - 7373 + 9633 - 3196) + 2^17) >> 18 = (+-2908928 + 131072) >> 18 = 11 / -11
    //   out[1]/[6] = (+-256 * 9633 + 2^17) >> 18 = 9 / -9
    //   out[2]/[5] = (+-256 * (9633 - 3196) + 2^17) >> 18 = 6 / -6
    //   out[3]/[4] = (+-256 * (9633 - 7373) + 2^17) >> 18 = 2 / -2
    // plus 128. (The exact IDCT gives 139.1 137.4 134.3 130.2 125.8 121.7 118.6 116.9.)
    const row = [139, 137, 134, 130, 126, 122, 119, 117];
    expect(run([[1, 1]], 64)).toEqual([...row, ...row, ...row, ...row, ...row, ...row, ...row, ...row]);
  });
});
