import { readFileSync, readdirSync } from 'node:fs';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { BgrImage } from '../../../src/core/image.ts';
import { extractFhog, type FhogFeatures } from '../../../src/core/hog/fhog.ts';
import { HogFormatError, concatHogFrames, encodeHogFrame, readHogFile } from '../../../src/core/hog/hogFile.ts';
import { REFERENCE_DIR, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

// ---------------------------------------------------------------------------
// helpers

type ChannelFn = (x: number, y: number) => number;

/** A BGR image whose channels are given as functions of the pixel position. */
function makeImage(width: number, height: number, blue: ChannelFn, green: ChannelFn, red: ChannelFn): BgrImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = blue(x, y);
      data[i + 1] = green(x, y);
      data[i + 2] = red(x, y);
    }
  }
  return { width, height, data };
}

function grey(width: number, height: number, intensity: ChannelFn): BgrImage {
  return makeImage(width, height, intensity, intensity, intensity);
}

function at(features: FhogFeatures, row: number, col: number, channel: number): number {
  return features.values[(row * features.cols + col) * 31 + channel];
}

/** Sum of one channel over all cells. */
function channelTotal(features: FhogFeatures, channel: number): number {
  let total = 0;
  for (let r = 0; r < features.rows; r++) for (let c = 0; c < features.cols; c++) total += at(features, r, c, channel);
  return total;
}

/** Sum of all 31 channels of one cell. */
function cellTotal(features: FhogFeatures, row: number, col: number): number {
  let total = 0;
  for (let ch = 0; ch < 31; ch++) total += at(features, row, col, ch);
  return total;
}

// Orientation channels (dlib's directions, image y pointing down):
// 0 = gradient (+1, 0): intensity rising to the right; 9 = the opposite.
// 4 = gradient (0, +1): rising downwards (exactly between the 80 and 100 degree
//     directions, which tie; the first one, 4, wins); 13 = the opposite.
// 6 = 120 degrees: (-0.5, 0.866).
const RIGHT = 0;
const LEFT = 9;
const DOWN = 4;
const UP = 13;
const AT_120_DEGREES = 6;

// ---------------------------------------------------------------------------
// synthetic images, expectations derived from the algorithm

describe('extractFhog on synthetic images', () => {
  it('gives 12x12 cells of 31 channels for the 112x112 aligned face, 4464 values', () => {
    const features = extractFhog(grey(112, 112, () => 0));
    expect(features.rows).toBe(12);
    expect(features.cols).toBe(12);
    expect(features.channels).toBe(31);
    expect(features.values.length).toBe(4464);
    expect(features.values.every((v) => v === 0)).toBe(true);
  });

  it('names rows and cols correctly on a non-square image (64 wide, 32 high)', () => {
    const features = extractFhog(grey(64, 32, (x) => x));
    expect(features.rows).toBe(2); // 32/8 = 4 cells, minus the 1-cell border on each side
    expect(features.cols).toBe(6);
    expect(features.values.length).toBe(2 * 6 * 31);
  });

  it('puts a uniform 120-degree gradient in orientation 6 only, with the truncated value 0.4 in interior cells', () => {
    // I = (63 - x) + 2y: every central difference is (gx, gy) = (-2, 4), 116.6 degrees,
    // nearest to the 120-degree direction (dots: 100 deg 4.29, 120 deg 4.46, 140 deg 4.10).
    const features = extractFhog(grey(64, 64, (x, y) => 63 - x + 2 * y));
    expect(features.rows).toBe(6);
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        for (let ch = 0; ch < 27; ch++) {
          if (ch === AT_120_DEGREES || ch === 18 + AT_120_DEGREES) continue;
          expect(at(features, r, c, ch)).toBe(0);
        }
        // undirected = directed + its opposite (which is empty)
        expect(at(features, r, c, 18 + AT_120_DEGREES)).toBe(at(features, r, c, AT_120_DEGREES));
      }
    }
    // Cells 1..6 of the 8x8 grid collect full bilinear weight (64 votes of |g| each).
    // Every block then has energy 4 * (64|g|)^2, so h / ||block|| = 0.5 is truncated to
    // 0.2, halved: 0.1 per normalisation, 0.4 over the four. Texture: 0.1 * 0.4714.
    for (let r = 1; r <= 4; r++) {
      for (let c = 1; c <= 4; c++) {
        expect(at(features, r, c, AT_120_DEGREES)).toBeCloseTo(0.4, 6);
        expect(at(features, r, c, 18 + AT_120_DEGREES)).toBeCloseTo(0.4, 6);
        for (let ch = 27; ch < 31; ch++) expect(at(features, r, c, ch)).toBeCloseTo(0.04714, 6);
      }
    }
  });

  it('keeps the gradient sign: a dark-to-bright vertical edge is orientation 0, bright-to-dark is 9', () => {
    const darkLeft = extractFhog(grey(64, 64, (x) => (x < 32 ? 0 : 255)));
    const brightLeft = extractFhog(grey(64, 64, (x) => (x < 32 ? 255 : 0)));
    expect(channelTotal(darkLeft, RIGHT)).toBeGreaterThan(0);
    expect(channelTotal(darkLeft, LEFT)).toBe(0);
    expect(channelTotal(brightLeft, LEFT)).toBeGreaterThan(0);
    expect(channelTotal(brightLeft, RIGHT)).toBe(0);
    // Both have the same undirected channel 18.
    expect(channelTotal(darkLeft, 18)).toBeCloseTo(channelTotal(brightLeft, 18), 6);
    const darkTop = extractFhog(grey(64, 64, (_x, y) => (y < 32 ? 0 : 255)));
    expect(channelTotal(darkTop, DOWN)).toBeGreaterThan(0);
    expect(channelTotal(darkTop, UP)).toBe(0);
  });

  it('lays cells out row by row: a bright top-right block only touches the top-right cells', () => {
    // Bright where x >= 44 and y < 20. Its edges (pixels x >= 43, y <= 20) vote only into
    // grid cells 0..3 vertically and 4..7 horizontally, i.e. HOG rows 0..2 and cols 3..5.
    const features = extractFhog(grey(64, 64, (x, y) => (x >= 44 && y < 20 ? 255 : 0)));
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        if (r <= 2 && c >= 3) continue;
        expect(cellTotal(features, r, c)).toBe(0);
      }
    }
    expect(cellTotal(features, 0, 4)).toBeGreaterThan(0);
    expect(cellTotal(features, 2, 5)).toBeGreaterThan(0);
    // left edge of the block: rising to the right; bottom edge: falling downwards.
    expect(channelTotal(features, RIGHT)).toBeGreaterThan(0);
    expect(channelTotal(features, UP)).toBeGreaterThan(0);
    expect(channelTotal(features, LEFT)).toBe(0);
    expect(channelTotal(features, DOWN)).toBe(0);
  });

  it('takes the gradient of the colour channel with the largest gradient (red vs blue)', () => {
    const mid = () => 128;
    // red: (gx, gy) = (8, 0); blue: (0, 4). Red wins: everything in orientation 0.
    const redStrongest = extractFhog(makeImage(64, 64, (_x, y) => 2 * y, mid, (x) => 4 * x));
    expect(channelTotal(redStrongest, RIGHT)).toBeGreaterThan(0);
    expect(channelTotal(redStrongest, DOWN)).toBe(0);
    // red: (4, 0); blue: (0, 8). Blue wins: everything in orientation 4. (A grey
    // conversion would give orientation 2 here, a blue-only one orientation 4 above.)
    const blueStrongest = extractFhog(makeImage(64, 64, (_x, y) => 4 * y, mid, (x) => 2 * x));
    expect(channelTotal(blueStrongest, DOWN)).toBeGreaterThan(0);
    expect(channelTotal(blueStrongest, RIGHT)).toBe(0);
  });

  it('breaks equal-strength ties like dlib: vector path prefers blue, scalar path red', () => {
    // red: (4, 0), blue: (0, 4), same squared length 16. dlib's SSE path keeps red only
    // if strictly stronger than green, then only if strictly stronger than blue: blue.
    const tie = (w: number, h: number) => makeImage(w, h, (_x, y) => 2 * y, () => 128, (x) => 2 * x);
    // (the rightmost 6 pixel columns take the scalar path: look at a cell on the left)
    const wide = extractFhog(tie(64, 64));
    expect(at(wide, 2, 1, DOWN)).toBeGreaterThan(0);
    expect(at(wide, 2, 1, RIGHT)).toBe(0);
    // A 5x5 image with 2-pixel cells has visible columns 1..3 only, fewer than one
    // vector group of 8, so every pixel takes the scalar path, which starts from red
    // and switches only to a strictly stronger channel: red.
    const tiny = extractFhog(tie(5, 5), 2);
    expect(tiny.rows).toBe(1);
    expect(tiny.cols).toBe(1);
    expect(at(tiny, 0, 0, RIGHT)).toBeGreaterThan(0);
    expect(at(tiny, 0, 0, DOWN)).toBe(0);
  });

  it('returns an empty grid for an image smaller than 3 cells', () => {
    const features = extractFhog(grey(16, 16, (x) => x));
    expect(features.rows).toBe(0);
    expect(features.values.length).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// .hog files

describe('.hog encoding', () => {
  it('round-trips a frame and writes OpenFace header order (cols, rows, 31, flag)', () => {
    const features = extractFhog(grey(64, 32, (x, y) => (x * 7 + y * 3) & 255));
    const bytes = encodeHogFrame(features);
    const view = new DataView(bytes.buffer);
    expect(view.getInt32(0, true)).toBe(6); // cols first
    expect(view.getInt32(4, true)).toBe(2);
    expect(view.getInt32(8, true)).toBe(31);
    expect(view.getFloat32(12, true)).toBe(1);
    const [frame] = readHogFile(bytes);
    expect(frame.rows).toBe(2);
    expect(frame.cols).toBe(6);
    expect(frame.success).toBe(true);
    expect(Array.from(frame.values)).toEqual(Array.from(features.values));
  });

  it('writes a failed frame as flag -1 with zeros on the 12x12 grid, and can flag computed features as failed', () => {
    const failed = encodeHogFrame(null);
    const untracked = encodeHogFrame(extractFhog(grey(112, 112, (x) => x)), { success: false });
    const frames = readHogFile(concatHogFrames([failed, untracked]));
    expect(frames).toHaveLength(2);
    expect(frames[0].success).toBe(false);
    expect(frames[0].rows * frames[0].cols * frames[0].channels).toBe(4464);
    expect(frames[0].values.every((v) => v === 0)).toBe(true);
    expect(new DataView(failed.buffer).getFloat32(12, true)).toBe(-1);
    expect(frames[1].success).toBe(false);
    expect(frames[1].values.some((v) => v > 0)).toBe(true);
  });

  it('rejects a truncated file', () => {
    const bytes = encodeHogFrame(null);
    expect(() => readHogFile(bytes.subarray(0, bytes.length - 4))).toThrow(HogFormatError);
    expect(() => readHogFile(concatHogFrames([bytes, bytes.subarray(0, 8)]))).toThrow(HogFormatError);
  });
});

// ---------------------------------------------------------------------------
// OpenFace 2.2 reference: its aligned faces (PNG copies of NAME_aligned/) and its .hog

const clip = '0188_03_021_al_pacino';
const skip = sharedSkipReason();
const alignedDir = sharedPath(`${REFERENCE_DIR}/aligned/${clip}/`);
const referenceHog = sharedPath(`${REFERENCE_DIR}/${clip}.hog`);

/** PNG (RGB or RGBA, 8-bit) of an aligned face -> OpenCV's BGR bytes. */
function readAlignedFace(file: string): BgrImage {
  const png = decode(readFileSync(file));
  const pixels = png.width * png.height;
  const stride = png.channels;
  const data = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    data[i * 3] = png.data[i * stride + 2];
    data[i * 3 + 1] = png.data[i * stride + 1];
    data[i * 3 + 2] = png.data[i * stride];
  }
  return { width: png.width, height: png.height, data };
}

describe.skipIf(skip !== null)(suiteTitle(`FHOG against OpenFace 2.2 (${clip})`, skip), () => {
  it('gives OpenFace\'s FHOG of its own aligned faces, bit for bit, so our .hog is its .hog', () => {
    const reference = readHogFile(readFileSync(referenceHog), referenceHog);
    const files = readdirSync(alignedDir).filter((f) => /^frame_det_\d{6}\.png$/.test(f)).sort();
    expect(files.length).toBe(reference.length);

    let values = 0;
    let within = 0;
    let maxAbs = 0;
    const ours: Uint8Array[] = [];
    for (const file of files) {
      const frameIndex = Number(file.slice(10, 16)) - 1; // frame_det_NNNNNN.png counts from 1 (the CSV frame)
      const features = extractFhog(readAlignedFace(alignedDir + file));
      const expected = reference[frameIndex];
      expect(expected.success).toBe(true);
      expect([features.rows, features.cols]).toEqual([expected.rows, expected.cols]);
      ours.push(encodeHogFrame(features, { success: expected.success }));
      for (let i = 0; i < expected.values.length; i++) {
        const diff = Math.abs(features.values[i] - expected.values[i]);
        values++;
        if (diff <= 1e-3) within++;
        if (diff > maxAbs) maxAbs = diff;
      }
    }
    expect(within / values).toBeGreaterThanOrEqual(0.99);
    // Stronger than the bar: dlib 19.13's float arithmetic, vector and scalar columns alike.
    expect(maxAbs).toBe(0);
    expect(Buffer.from(concatHogFrames(ours)).equals(readFileSync(referenceHog))).toBe(true);
  });
});
