import type { BgrImage } from '../image.ts';

/**
 * Felzenszwalb HOG ("FHOG", 31 channels per cell) computed exactly as dlib's
 * `extract_fhog_features` does it on an 8-bit BGR image, which is what OpenFace's
 * `Extract_FHOG_descriptor` calls on the 112x112 aligned face.
 *
 * Why this is written the way it is: AU intensities react to tiny HOG changes, so
 * the goal is dlib's float32 numbers bit for bit, not "a HOG". The version that
 * matters is the dlib bundled with OpenFace (18.x): it fills the histograms 4
 * pixel columns at a time with SSE floats (simd4f) and the last columns with
 * scalar doubles, then normalises with simd4f. Each float operation below is done
 * in double and rounded with Math.fround, which gives exactly the IEEE float32
 * result of that operation; the order of operations follows dlib's, because float
 * arithmetic is not associative and the two code paths order products differently.
 * On the reference (324 aligned faces) the output is identical to OpenFace's.
 *
 * Channel layout per cell (dlib's order):
 *   0..17  contrast-sensitive orientations, 20 degrees apart; o and o + 9 are
 *          opposite gradient directions (0 = intensity rising to the right,
 *          4 = rising downwards, image rows growing downwards)
 *   18..26 contrast-insensitive orientations (o and o + 9 together)
 *   27..30 texture (truncated gradient energy) under the 4 block normalisations
 */
export interface FhogFeatures {
  /** HOG cells vertically: round(height / cellSize) - 2 */
  rows: number;
  /** HOG cells horizontally: round(width / cellSize) - 2 */
  cols: number;
  channels: 31;
  /**
   * rows * cols * 31 values in OpenFace's descriptor order, which is also the
   * order of a `.hog` file frame: cell row by cell row (top to bottom), within a
   * row cell by cell (left to right), and the 31 channels of a cell together:
   * values[(row * cols + col) * 31 + channel]. (OpenFace copies dlib's
   * hog[y][x](o) in exactly this nesting; its loop bounds name the grid's
   * sides the other way round, which only matters for non-square grids, never
   * for its square 112x112 faces.)
   */
  values: Float32Array;
}

export const FHOG_CHANNELS = 31;

const f32 = Math.fround;

/**
 * dlib's 9 unit vectors (cos, sin of 0, 20, ..., 160 degrees) to four decimals
 * (not exact cosines), stored as doubles. The scalar path uses them as doubles;
 * the vector path multiplies a float vector by them, which converts each to float.
 */
const DIRECTION_X = new Float64Array([1.0, 0.9397, 0.766, 0.5, 0.1736, -0.1736, -0.5, -0.766, -0.9397]);
const DIRECTION_Y = new Float64Array([0.0, 0.342, 0.6428, 0.866, 0.9848, 0.9848, 0.866, 0.6428, 0.342]);
const DIRECTION_X_FLOAT = DIRECTION_X.map(f32);
const DIRECTION_Y_FLOAT = DIRECTION_Y.map(f32);

/** `const float eps = 0.0001` */
const EPS = f32(0.0001);
/** Truncation: dlib folds the classic min(h * n, 0.2) * 0.5 into min(h, nn) * n with nn = 0.2 * sqrt(..), n = 0.1 / nn. */
const TRUNCATE_FACTOR = f32(0.2);
const HALF_TRUNCATE = f32(0.1);
/** Texture features: t *= 2 * 0.2357 (the double 0.4714 converted to float). */
const TEXTURE_FACTOR = f32(2 * 0.2357);

/**
 * dlib 19.13 (the one OpenFace 2.2 builds with) processes pixel columns 8 at
 * a time (simd8f, float); the leftover columns on the right (105 to 110 for a
 * 112-pixel face) take a scalar path, also in float, that differs from the
 * vector path only in how it breaks ties between colour channels.
 */
const SIMD_WIDTH = 8;

/** Gradient components are differences of bytes: -255..255. */
const GRADIENT_SPAN = 511;

/**
 * The vector path's orientation bin (0..17) for every gradient (gx, gy), indexed
 * [(gy + 255) * 511 + gx + 255]: computed once (about 2.4 million float dot
 * products) instead of 9 dot products per pixel.
 */
let vectorOrientationTable: Uint8Array | null = null;

function getVectorOrientationTable(): Uint8Array {
  if (vectorOrientationTable !== null) return vectorOrientationTable;
  const table = new Uint8Array(GRADIENT_SPAN * GRADIENT_SPAN);
  for (let gy = -255; gy <= 255; gy++) {
    for (let gx = -255; gx <= 255; gx++) {
      table[(gy + 255) * GRADIENT_SPAN + gx + 255] = vectorOrientation(gx, gy);
    }
  }
  vectorOrientationTable = table;
  return table;
}

/**
 * Snap a gradient to the direction with the largest |dot| (float dot products with
 * the float directions, as the vector path computes them); the sign picks
 * orientation o or o + 9. Strict > keeps the first of equal candidates, and a zero
 * gradient gets orientation 0 (its vote is 0 anyway).
 */
function vectorOrientation(gx: number, gy: number): number {
  let bestDot = 0;
  let bestOrientation = 0;
  for (let o = 0; o < 9; o++) {
    const dot = f32(f32(gx * DIRECTION_X_FLOAT[o]) + f32(gy * DIRECTION_Y_FLOAT[o]));
    if (dot > bestDot) {
      bestDot = dot;
      bestOrientation = o;
    } else if (-dot > bestDot) {
      bestDot = -dot;
      bestOrientation = o + 9;
    }
  }
  return bestOrientation;
}

/**
 * Reusable scratch buffers keyed by geometry, so per-frame calls allocate only
 * the output array.
 */
interface Scratch {
  cellsNr: number;
  cellsNc: number;
  /** (cellsNr + 2) x (cellsNc + 2) x 18 orientation histograms, with a 1-cell border like dlib's */
  hist: Float32Array;
  /** cellsNr x cellsNc gradient energy per cell */
  norm: Float32Array;
}
let scratch: Scratch | null = null;

function getScratch(cellsNr: number, cellsNc: number): Scratch {
  if (scratch === null || scratch.cellsNr !== cellsNr || scratch.cellsNc !== cellsNc) {
    scratch = {
      cellsNr,
      cellsNc,
      hist: new Float32Array((cellsNr + 2) * (cellsNc + 2) * 18),
      norm: new Float32Array(cellsNr * cellsNc),
    };
  } else {
    scratch.hist.fill(0);
    scratch.norm.fill(0);
  }
  return scratch;
}

/**
 * FHOG of a BGR image with square cells of `cellSize` pixels (OpenFace uses 8:
 * 112x112 -> 12x12 cells; the outer ring of cells only serves as normalisation
 * context). Images under 3 cells in either direction give rows = cols = 0.
 */
export function extractFhog(image: BgrImage, cellSize = 8): FhogFeatures {
  const { width, height, data } = image;
  if (!Number.isInteger(cellSize) || cellSize < 2) throw new RangeError(`cellSize must be an integer >= 2, got ${cellSize}`);
  if (data.length < width * height * 3) throw new RangeError(`image data holds ${data.length} bytes, ${width}x${height} BGR needs ${width * height * 3}`);

  // (int)((double)nr / cell_size + 0.5)
  const cellsNr = Math.floor(height / cellSize + 0.5);
  const cellsNc = Math.floor(width / cellSize + 0.5);
  const hogNr = Math.max(cellsNr - 2, 0);
  const hogNc = Math.max(cellsNc - 2, 0);
  if (hogNr === 0 || hogNc === 0) return { rows: 0, cols: 0, channels: 31, values: new Float32Array(0) };

  const { hist, norm } = getScratch(cellsNr, cellsNc);
  accumulateHistograms(data, width, height, cellSize, cellsNr, cellsNc, hist);
  computeCellEnergy(hist, cellsNr, cellsNc, norm);
  const values = new Float32Array(hogNr * hogNc * FHOG_CHANNELS);
  computeFeatures(hist, norm, cellsNc, hogNr, hogNc, values);
  return { rows: hogNr, cols: hogNc, channels: 31, values };
}

/**
 * Gradient at each pixel (central differences of the colour channel with the
 * largest gradient), snapped to one of 18 orientations, voted with bilinear
 * weights into the 4 surrounding cells' histograms. Votes are added in pixel
 * scan order (row by row, left to right), the order dlib adds them in.
 */
function accumulateHistograms(
  data: Uint8Array,
  width: number,
  height: number,
  cellSize: number,
  cellsNr: number,
  cellsNc: number,
  hist: Float32Array,
): void {
  const histStride = (cellsNc + 2) * 18;
  const rowStride = width * 3;
  // Pixels 1 .. visible-2 (a 1-pixel border has no central difference); pixels
  // beyond the last whole cell are ignored.
  const visibleNr = Math.min(cellsNr * cellSize, height) - 1;
  const visibleNc = Math.min(cellsNc * cellSize, width) - 1;
  // dlib's vector loop: x = 1, 1 + W, ... while x < visibleNc - (W - 1); the rest is scalar.
  let vectorEnd = 1;
  while (vectorEnd < visibleNc - (SIMD_WIDTH - 1)) vectorEnd += SIMD_WIDTH;

  const vectorOrientations = getVectorOrientationTable();

  for (let y = 1; y < visibleNr; y++) {
    // Row position in cell units, centred on cells: yp = (y + 0.5) / cell - 0.5.
    // The weights are multiples of 1/(2*cell): exact in float and double alike.
    const yp = (y + 0.5) / cellSize - 0.5;
    const iyp = Math.floor(yp);
    const vy0 = yp - iyp;
    const vy1 = 1 - vy0;
    const histRowTop = (iyp + 1) * histStride; // +1: dlib's border row
    const histRowBottom = histRowTop + histStride;
    const rowCentre = y * rowStride;

    for (let x = 1; x < visibleNc; x++) {
      const centre = rowCentre + x * 3;
      const left = centre - 3;
      const right = centre + 3;
      const up = centre - rowStride;
      const down = centre + rowStride;
      // BGR byte order: +0 blue, +1 green, +2 red. Integer differences and
      // squared lengths are exact in any arithmetic.
      const gxB = data[right] - data[left];
      const gyB = data[down] - data[up];
      const gxG = data[right + 1] - data[left + 1];
      const gyG = data[down + 1] - data[up + 1];
      const gxR = data[right + 2] - data[left + 2];
      const gyR = data[down + 2] - data[up + 2];
      const lenB = gxB * gxB + gyB * gyB;
      const lenG = gxG * gxG + gyG * gyG;
      const lenR = gxR * gxR + gyR * gyR;

      let gx: number;
      let gy: number;
      let len: number;
      let bestOrientation = 0;
      let binLeft: number; // bin index (bordered histogram column * 18 + orientation), left cell
      if (x < vectorEnd) {
        // ---- vector path (simd4f: float arithmetic) ----
        // Channel choice: red only if strictly stronger than green, then that only
        // if strictly stronger than blue, so ties go to green, then to blue.
        if (lenR > lenG) {
          gx = gxR; gy = gyR; len = lenR;
        } else {
          gx = gxG; gy = gyG; len = lenG;
        }
        if (!(len > lenB)) {
          gx = gxB; gy = gyB; len = lenB;
        }
        bestOrientation = vectorOrientations[(gy + 255) * GRADIENT_SPAN + gx + 255];
        const magnitude = f32(Math.sqrt(len));
        // xp = (x + 0.5) / cell + 0.5: one cell ahead of the scalar formula, so
        // truncation is floor and indexes the bordered histogram directly.
        const xp = f32(f32((x + 0.5) / cellSize) + 0.5);
        const ixp = Math.trunc(xp);
        const vx0 = f32(xp - ixp);
        const vx1 = f32(1 - vx0);
        // The magnitude multiplies the x weight first, then the y weight (vy0, vy1
        // are exact in float).
        const vx1v = f32(vx1 * magnitude);
        const vx0v = f32(vx0 * magnitude);
        binLeft = ixp * 18 + bestOrientation;
        // Float32Array stores round each sum to float, as dlib's float += does.
        hist[histRowTop + binLeft] += f32(vy1 * vx1v);
        hist[histRowBottom + binLeft] += f32(vy0 * vx1v);
        hist[histRowTop + binLeft + 18] += f32(vy1 * vx0v);
        hist[histRowBottom + binLeft + 18] += f32(vy0 * vx0v);
      } else {
        // ---- scalar path (float arithmetic, dlib 19.13) ----
        // Channel choice: start from red, switch only to a strictly stronger
        // green, then a strictly stronger blue (ties stay with red, then green).
        gx = gxR; gy = gyR; len = lenR;
        if (lenG > len) {
          gx = gxG; gy = gyG; len = lenG;
        }
        if (lenB > len) {
          gx = gxB; gy = gyB; len = lenB;
        }
        // the same float dot products with the float directions as the vector path
        bestOrientation = vectorOrientations[(gy + 255) * GRADIENT_SPAN + gx + 255];
        const magnitude = f32(Math.sqrt(len));
        const xp = (x + 0.5) / cellSize - 0.5;
        const ixp = Math.floor(xp);
        const vx0 = xp - ixp;
        const vx1 = 1 - vx0;
        binLeft = (ixp + 1) * 18 + bestOrientation;
        // (vy * vx) is exact; times the magnitude rounds to float, and the
        // Float32Array store rounds the float sum.
        hist[histRowTop + binLeft] += f32(vy1 * vx1 * magnitude);
        hist[histRowBottom + binLeft] += f32(vy0 * vx1 * magnitude);
        hist[histRowTop + binLeft + 18] += f32(vy1 * vx0 * magnitude);
        hist[histRowBottom + binLeft + 18] += f32(vy0 * vx0 * magnitude);
      }
    }
  }
}

/** Per cell: sum over the 9 undirected orientations of (h[o] + h[o + 9])^2. */
function computeCellEnergy(hist: Float32Array, cellsNr: number, cellsNc: number, norm: Float32Array): void {
  const histStride = (cellsNc + 2) * 18;
  for (let r = 0; r < cellsNr; r++) {
    for (let c = 0; c < cellsNc; c++) {
      const bin = (r + 1) * histStride + (c + 1) * 18;
      let energy = 0;
      for (let o = 0; o < 9; o++) {
        const undirected = f32(hist[bin + o] + hist[bin + o + 9]);
        energy = f32(energy + f32(undirected * undirected));
      }
      norm[r * cellsNc + c] = energy;
    }
  }
}

/**
 * Horizontal sum of 4 float lanes as dlib's `sum(simd4f)` does it on plain SSE2
 * (add the high half onto the low half, then lane 1 onto lane 0):
 * (l0 + l2) + (l1 + l3). The SSE3/SSE4.1 variants pair (l0 + l1) + (l2 + l3);
 * the reference matches the SSE2 order bit for bit.
 */
function sumLanes(l0: number, l1: number, l2: number, l3: number): number {
  return f32(f32(l0 + l2) + f32(l1 + l3));
}

/**
 * Each HOG cell (x, y) is interior cell (x + 1, y + 1). Its histogram is
 * normalised by the energy of each of the 4 2x2 blocks that contain it (lanes
 * 0..3: block to the bottom-right, top-right, bottom-left, top-left), truncated,
 * and the 4 results summed (the 0.5 factor is folded into n).
 */
function computeFeatures(
  hist: Float32Array,
  norm: Float32Array,
  cellsNc: number,
  hogNr: number,
  hogNc: number,
  values: Float32Array,
): void {
  const histStride = (cellsNc + 2) * 18;
  for (let y = 0; y < hogNr; y++) {
    for (let x = 0; x < hogNc; x++) {
      const top = y * cellsNc + x; // norm[y][x]
      const mid = top + cellsNc; // norm[y+1][x]
      const bottom = mid + cellsNc; // norm[y+2][x]
      // Block sums, added in dlib's lane order z1 + z2 + z3 + z4 + eps.
      const block0 = f32(f32(f32(f32(norm[mid + 1] + norm[mid + 2]) + norm[bottom + 1]) + norm[bottom + 2]) + EPS);
      const block1 = f32(f32(f32(f32(norm[top + 1] + norm[top + 2]) + norm[mid + 1]) + norm[mid + 2]) + EPS);
      const block2 = f32(f32(f32(f32(norm[mid] + norm[mid + 1]) + norm[bottom]) + norm[bottom + 1]) + EPS);
      const block3 = f32(f32(f32(f32(norm[top] + norm[top + 1]) + norm[mid]) + norm[mid + 1]) + EPS);
      const cap0 = f32(TRUNCATE_FACTOR * f32(Math.sqrt(block0)));
      const cap1 = f32(TRUNCATE_FACTOR * f32(Math.sqrt(block1)));
      const cap2 = f32(TRUNCATE_FACTOR * f32(Math.sqrt(block2)));
      const cap3 = f32(TRUNCATE_FACTOR * f32(Math.sqrt(block3)));
      const scale0 = f32(HALF_TRUNCATE / cap0);
      const scale1 = f32(HALF_TRUNCATE / cap1);
      const scale2 = f32(HALF_TRUNCATE / cap2);
      const scale3 = f32(HALF_TRUNCATE / cap3);

      const bin = (y + 2) * histStride + (x + 2) * 18; // hist[y+1+1][x+1+1]
      const out = (y * hogNc + x) * FHOG_CHANNELS;

      // Contrast-sensitive: dlib handles 3 orientations per step and adds
      // (h_a + h_b) + h_c to the texture accumulators t (one per lane).
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let o = 0; o < 18; o += 3) {
        const a = hist[bin + o];
        const b = hist[bin + o + 1];
        const c = hist[bin + o + 2];
        const a0 = f32(Math.min(a, cap0) * scale0);
        const a1 = f32(Math.min(a, cap1) * scale1);
        const a2 = f32(Math.min(a, cap2) * scale2);
        const a3 = f32(Math.min(a, cap3) * scale3);
        const b0 = f32(Math.min(b, cap0) * scale0);
        const b1 = f32(Math.min(b, cap1) * scale1);
        const b2 = f32(Math.min(b, cap2) * scale2);
        const b3 = f32(Math.min(b, cap3) * scale3);
        const c0 = f32(Math.min(c, cap0) * scale0);
        const c1 = f32(Math.min(c, cap1) * scale1);
        const c2 = f32(Math.min(c, cap2) * scale2);
        const c3 = f32(Math.min(c, cap3) * scale3);
        values[out + o] = sumLanes(a0, a1, a2, a3);
        values[out + o + 1] = sumLanes(b0, b1, b2, b3);
        values[out + o + 2] = sumLanes(c0, c1, c2, c3);
        t0 = f32(t0 + f32(f32(a0 + b0) + c0));
        t1 = f32(t1 + f32(f32(a1 + b1) + c1));
        t2 = f32(t2 + f32(f32(a2 + b2) + c2));
        t3 = f32(t3 + f32(f32(a3 + b3) + c3));
      }

      // Contrast-insensitive: opposite orientations summed first.
      for (let o = 0; o < 9; o++) {
        const s = f32(hist[bin + o] + hist[bin + o + 9]);
        values[out + 18 + o] = sumLanes(
          f32(Math.min(s, cap0) * scale0),
          f32(Math.min(s, cap1) * scale1),
          f32(Math.min(s, cap2) * scale2),
          f32(Math.min(s, cap3) * scale3),
        );
      }

      // Texture: the truncated gradient energy under each normalisation.
      values[out + 27] = f32(t0 * TEXTURE_FACTOR);
      values[out + 28] = f32(t1 * TEXTURE_FACTOR);
      values[out + 29] = f32(t2 * TEXTURE_FACTOR);
      values[out + 30] = f32(t3 * TEXTURE_FACTOR);
    }
  }
}
