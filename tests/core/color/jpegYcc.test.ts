import { describe, expect, it } from 'vitest';
import { jpegYccToBgr, type JpegPlane, type JpegPlanes } from '../../../src/core/color/jpegYcc.ts';

/*
 * Expected values are worked out by hand from libjpeg-turbo's formulas
 * (jdcolor.c build_ycc_rgb_table, jdsample.c), not taken from the code under test.
 * FIX(x) = floor(x * 65536 + 0.5): FIX(1.40200) = 91881, FIX(1.77200) = 116130,
 * FIX(0.71414) = 46802, FIX(0.34414) = 22554; ONE_HALF = 32768.
 */

function plane(width: number, height: number, xScale: number, yScale: number, rows: number[][]): JpegPlane {
  const data = new Uint8Array(width * height);
  rows.forEach((row, y) => data.set(row, y * width));
  return { data, stride: width, width, height, xScale, yScale };
}

function flat(width: number, height: number, value: number, xScale = 1, yScale = 1): JpegPlane {
  const w = Math.ceil(width / xScale);
  const h = Math.ceil(height / yScale);
  return { data: new Uint8Array(w * h).fill(value), stride: w, width: w, height: h, xScale, yScale };
}

/** One YCbCr pixel through the converter: [B, G, R]. */
function ycc(y: number, cb: number, cr: number): number[] {
  const img = jpegYccToBgr({ width: 1, height: 1, colorSpace: 'ycbcr', planes: [flat(1, 1, y), flat(1, 1, cb), flat(1, 1, cr)] });
  return Array.from(img.data);
}

/**
 * An RGB-coded image copies its samples, so upsampling a single plane can be
 * observed directly: the R channel of the output is the upsampled R plane.
 */
function upsampledRed(width: number, height: number, red: JpegPlane): number[][] {
  const planes: JpegPlanes = { width, height, colorSpace: 'rgb', planes: [red, flat(width, height, 0), flat(width, height, 0)] };
  const img = jpegYccToBgr(planes);
  const rows: number[][] = [];
  for (let y = 0; y < height; y++) {
    const row: number[] = [];
    for (let x = 0; x < width; x++) row.push(img.data[(y * width + x) * 3 + 2]);
    rows.push(row);
  }
  return rows;
}

describe('jpegYccToBgr colour conversion (jdcolor.c tables)', () => {
  it('neutral chroma (Cb = Cr = 128) gives B = G = R = Y for every Y', () => {
    // x = 0: Cr_r = Cb_b = ONE_HALF >> 16 = 0, G term (ONE_HALF + 0) >> 16 = 0.
    for (let y = 0; y < 256; y++) expect(ycc(y, 128, 128)).toEqual([y, y, y]);
  });

  it('pure red as JFIF codes it (Y 76, Cb 85, Cr 255) comes back as B 0, G 0, R 254', () => {
    // R: Cr_r[255] = (91881 * 127 + 32768) >> 16 = 11701655 >> 16 = 178; 76 + 178 = 254.
    // G: Cb_g[85] = -22554 * -43 + 32768 = 1002590; Cr_g[255] = -46802 * 127 = -5943854;
    //    (1002590 - 5943854) >> 16 = -4941264 >> 16 = -76 (floor of -75.4); 76 - 76 = 0.
    // B: Cb_b[85] = (116130 * -43 + 32768) >> 16 = -4960822 >> 16 = -76 (floor of -75.7); 76 - 76 = 0.
    expect(ycc(76, 85, 255)).toEqual([0, 0, 254]);
  });

  it('rounds each table entry to nearest and the green sum once, flooring negatives', () => {
    // Cb = 129, Cr = 127, Y = 100:
    // B: Cb_b[129] = (116130 + 32768) >> 16 = 2; R: Cr_r[127] = (-91881 + 32768) >> 16 = -59113 >> 16 = -1;
    // G: Cb_g[129] = -22554 + 32768 = 10214, Cr_g[127] = 46802; (57016) >> 16 = 0.
    expect(ycc(100, 129, 127)).toEqual([102, 100, 99]);
  });

  it('clamps to 0..255 (range_limit)', () => {
    // Y 255 + Cr_r[255] = 255 + 178 -> 255; Cb 0: Cb_b[0] = (116130 * -128 + 32768) >> 16 = -227 -> 0.
    expect(ycc(255, 128, 255)[2]).toBe(255);
    expect(ycc(0, 0, 128)[0]).toBe(0);
    // Y 0, Cb 0, Cr 0: G = (22554 * 128 + 32768 + 46802 * 128) >> 16 = 8910336 >> 16 = 135.
    expect(ycc(0, 0, 0)).toEqual([0, 135, 0]);
  });

  it('greyscale becomes B = G = R = Y', () => {
    const img = jpegYccToBgr({ width: 3, height: 1, colorSpace: 'gray', planes: [plane(3, 1, 1, 1, [[0, 77, 255]])] });
    expect(Array.from(img.data)).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
  });

  it('RGB-coded samples are copied in B, G, R order', () => {
    const img = jpegYccToBgr({ width: 1, height: 1, colorSpace: 'rgb', planes: [flat(1, 1, 10), flat(1, 1, 20), flat(1, 1, 30)] });
    expect(Array.from(img.data)).toEqual([30, 20, 10]);
  });
});

describe('jpegYccToBgr upsampling (jdsample.c, fancy on)', () => {
  it('h2v1 (4:2:2): triangle filter with +1/+2 dither, edge samples copied', () => {
    // a, b, c, d = 10, 20, 40, 80 -> a, (3a+b+2)>>2, (3b+a+1)>>2, (3b+c+2)>>2, (3c+b+1)>>2, (3c+d+2)>>2, (3d+c+1)>>2, d
    // = 10, 52>>2=13, 71>>2=17, 102>>2=25, 141>>2=35, 202>>2=50, 281>>2=70, 80
    expect(upsampledRed(8, 1, plane(4, 1, 2, 1, [[10, 20, 40, 80]]))).toEqual([[10, 13, 17, 25, 35, 50, 70, 80]]);
  });

  it('h2v1 rounds .5 down on the left output of a pair and up on the right one', () => {
    // 0, 2, 0: (3*0+2+2)>>2 = 1 (0.5 up), (3*2+0+1)>>2 = 1 (1.5 down), (3*2+0+2)>>2 = 2 (1.5 up), (0+2+1)>>2 = 0 (0.5 down)
    expect(upsampledRed(6, 1, plane(3, 1, 2, 1, [[0, 2, 0]]))).toEqual([[0, 1, 1, 2, 0, 0]]);
  });

  it('h2v1 on a component at most 2 samples wide replicates (libjpeg does not use the fancy filter there)', () => {
    expect(upsampledRed(4, 1, plane(2, 1, 2, 1, [[10, 90]]))).toEqual([[10, 10, 90, 90]]);
    expect(upsampledRed(3, 1, plane(2, 1, 2, 1, [[10, 90]]))).toEqual([[10, 10, 90]]);
  });

  it('h2v2 (4:2:0) on a 4x2 block: column sums 3*near + far, then (3*this + neighbour + 8 or 7) >> 4, first/last rows use themselves as context', () => {
    // r0 = 10 20 30 40, r1 = 50 60 70 80, image 8x4.
    // Row 0 (near r0, far r0 duplicated above): sums 40 80 120 160 ->
    //   (40*4+8)>>4=10, (120+80+7)>>4=12, (240+40+8)>>4=18, (240+120+7)>>4=22, (360+80+8)>>4=28, (360+160+7)>>4=32, (480+120+8)>>4=38, (160*4+7)>>4=40
    // Row 1 (near r0, far r1): sums 80 120 160 200 -> 20 22 28 32 38 42 48 50
    // Row 2 (near r1, far r0): sums 160 200 240 280 -> 40 42 48 52 58 62 68 70
    // Row 3 (near r1, far r1 duplicated below): sums 200 240 280 320 -> 50 52 58 62 68 72 78 80
    const red = plane(4, 2, 2, 2, [
      [10, 20, 30, 40],
      [50, 60, 70, 80],
    ]);
    expect(upsampledRed(8, 4, red)).toEqual([
      [10, 12, 18, 22, 28, 32, 38, 40],
      [20, 22, 28, 32, 38, 42, 48, 50],
      [40, 42, 48, 52, 58, 62, 68, 70],
      [50, 52, 58, 62, 68, 72, 78, 80],
    ]);
  });

  it('h2v2 dithers .5 with +8 on the left output and +7 on the right one', () => {
    // One chroma row 0 2 0 (image 6x1, the row is its own context): sums 0 8 0 ->
    // (0*4+8)>>4 = 0, (0+8+7)>>4 = 0 (0.5 down), (24+0+8)>>4 = 2 (1.5 up), (24+0+7)>>4 = 1 (1.5 down), (0+8+8)>>4 = 1 (0.5 up), (0*4+7)>>4 = 0
    expect(upsampledRed(6, 1, plane(3, 1, 2, 2, [[0, 2, 0]]))).toEqual([[0, 0, 2, 1, 1, 0]]);
  });

  it('h2v2 with odd image sizes uses the last real chroma row and column as the edge', () => {
    // 5x3 image from 3x2 chroma. Row 2 is near r1 with far r0 (above), the bottom context is never needed.
    // r0 = 0 0 0, r1 = 160 160 160 -> row 2 sums all 3*160 = 480 -> every output (480*4+8)>>4 = 120 ... = 120.
    // Column 4 is the left output of the last chroma column: (3*this + last + 8) >> 4.
    const red = plane(3, 2, 2, 2, [
      [0, 0, 0],
      [160, 160, 160],
    ]);
    const rows = upsampledRed(5, 3, red);
    expect(rows[2]).toEqual([120, 120, 120, 120, 120]);
    // Row 1: near r0 = 0, far r1 = 160 -> sums 160 -> every output 160*4/16 = 40.
    expect(rows[1]).toEqual([40, 40, 40, 40, 40]);
    expect(rows[0]).toEqual([0, 0, 0, 0, 0]);
  });

  it('h2v2 on a component at most 2 samples wide replicates in both directions', () => {
    const red = plane(2, 2, 2, 2, [
      [10, 90],
      [50, 130],
    ]);
    expect(upsampledRed(4, 4, red)).toEqual([
      [10, 10, 90, 90],
      [10, 10, 90, 90],
      [50, 50, 130, 130],
      [50, 50, 130, 130],
    ]);
  });

  it('h1v2 (4:4:0): vertical triangle filter, +1 for the upper output and +2 for the lower one', () => {
    // column values r0 = 0, r1 = 2, r2 = 0 (image 1x6):
    // row 0: (0*3 + 0 + 1)>>2 = 0; row 1: (0*3 + 2 + 2)>>2 = 1; row 2: (2*3 + 0 + 1)>>2 = 1; row 3: (6 + 0 + 2)>>2 = 2;
    // row 4: (0 + 2 + 1)>>2 = 0; row 5: (0 + 0 + 2)>>2 = 0
    expect(upsampledRed(1, 6, plane(1, 3, 1, 2, [[0], [2], [0]]))).toEqual([[0], [1], [1], [2], [0], [0]]);
  });

  it('other integral ratios (4:1:1) replicate', () => {
    expect(upsampledRed(6, 1, plane(2, 1, 4, 1, [[10, 90]]))).toEqual([[10, 10, 10, 10, 90, 90]]);
  });

  it('a luma plane can be the subsampled one too (every plane is upsampled on its own)', () => {
    // Y 2x1 at half width with fancy h2v1 needs > 2 samples: 2 samples replicate; Cb = Cr = 128 keep it grey.
    const img = jpegYccToBgr({ width: 4, height: 1, colorSpace: 'ycbcr', planes: [plane(2, 1, 2, 1, [[10, 90]]), flat(4, 1, 128), flat(4, 1, 128)] });
    expect(Array.from(img.data)).toEqual([10, 10, 10, 10, 10, 10, 90, 90, 90, 90, 90, 90]);
  });
});

describe('jpegYccToBgr input checks', () => {
  it('rejects a plane whose size is not ceil(image / scale)', () => {
    const planes: JpegPlanes = { width: 5, height: 3, colorSpace: 'ycbcr', planes: [flat(5, 3, 0), flat(4, 2, 0), flat(5, 3, 128, 2, 2)] };
    expect(() => jpegYccToBgr(planes)).toThrow(/plane 1 is 4x2, expected 5x3/);
  });

  it('rejects a plane count that does not fit the colour space', () => {
    expect(() => jpegYccToBgr({ width: 1, height: 1, colorSpace: 'ycbcr', planes: [flat(1, 1, 0)] })).toThrow(/needs 3 plane/);
  });

  it('fills a given output image in place', () => {
    const out = { width: 1, height: 1, data: new Uint8Array(3) };
    expect(jpegYccToBgr({ width: 1, height: 1, colorSpace: 'gray', planes: [flat(1, 1, 42)] }, out)).toBe(out);
    expect(Array.from(out.data)).toEqual([42, 42, 42]);
  });
});
