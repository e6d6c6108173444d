/**
 * The QA video's frame: the source with its landmarks, the fitted midline
 * and a banner graded by head yaw (as the desktop tool's debug video:
 * optimal / acceptable / mirroring affected, plus face lost), with the pose
 * and score in text. Drawn straight into the BGR bytes with a built-in 5x7
 * pixel font, so the core needs no canvas and the CLI no font files.
 */
import type { BgrImage } from '../image.ts';
import { LANDMARK_COUNT } from './faceLandmarks.ts';
import type { Midline } from './midline.ts';
import type { MirrorQuality } from './mirrorQuality.ts';

type Bgr = readonly [number, number, number];

const GRADE_COLOURS: Record<MirrorQuality['grade'], Bgr> = {
  optimal: [60, 160, 40],
  acceptable: [0, 170, 220],
  affected: [40, 40, 210],
  lost: [110, 110, 110],
};
const GRADE_TEXT: Record<MirrorQuality['grade'], string> = {
  optimal: 'OPTIMAL',
  acceptable: 'ACCEPTABLE',
  affected: 'MIRRORING AFFECTED',
  lost: 'FACE LOST',
};
const LANDMARK_COLOUR: Bgr = [80, 255, 80];
const MIDLINE_COLOUR: Bgr = [255, 0, 255];
const WHITE: Bgr = [255, 255, 255];

/** 5x7 glyphs, one 5-bit row per entry, top row first (bit 4 = leftmost). */
const GLYPHS: Record<string, readonly number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [30, 17, 17, 17, 17, 17, 30],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14], P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12],
  '+': [0, 4, 4, 31, 4, 4, 0], '-': [0, 0, 0, 31, 0, 0, 0], '.': [0, 0, 0, 0, 0, 12, 12], ':': [0, 12, 12, 0, 12, 12, 0],
  '/': [1, 1, 2, 4, 8, 16, 16], ' ': [0, 0, 0, 0, 0, 0, 0],
};

function setPixel(image: BgrImage, x: number, y: number, colour: Bgr): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const o = (y * image.width + x) * 3;
  image.data[o] = colour[0];
  image.data[o + 1] = colour[1];
  image.data[o + 2] = colour[2];
}

function fillRect(image: BgrImage, x0: number, y0: number, w: number, h: number, colour: Bgr): void {
  const left = Math.max(0, x0), right = Math.min(image.width, x0 + w);
  const [b, g, r] = colour;
  const data = image.data;
  for (let y = Math.max(0, y0); y < Math.min(image.height, y0 + h); y++) {
    for (let o = (y * image.width + left) * 3, end = (y * image.width + right) * 3; o < end; o += 3) {
      data[o] = b;
      data[o + 1] = g;
      data[o + 2] = r;
    }
  }
}

/** Text in the 5x7 font at `scale` pixels per font pixel; characters it lacks are drawn as spaces. */
export function drawText(image: BgrImage, text: string, x: number, y: number, scale: number, colour: Bgr): void {
  let cx = x;
  for (const ch of text.toUpperCase()) {
    const glyph = GLYPHS[ch] ?? GLYPHS[' '];
    for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if (glyph[row] & (16 >> col)) fillRect(image, cx + col * scale, y + row * scale, scale, scale, colour);
    cx += 6 * scale;
  }
}

/** The line across the whole frame (clipped), `thickness` pixels wide. */
function drawLine(image: BgrImage, line: Midline, colour: Bgr, thickness: number): void {
  const reach = image.width + image.height;
  const steps = Math.ceil(2 * reach);
  const half = (thickness - 1) / 2;
  // only the steps whose pixels can fall inside the frame (a margin of the thickness around it)
  const [from, to] = stepsInside(line, image.width, image.height, reach, half + 1);
  for (let s = Math.max(0, from); s <= Math.min(steps, to); s++) {
    const t = -reach + s;
    const px = line.x + t * line.dx, py = line.y + t * line.dy;
    for (let k = -half; k <= half; k++) setPixel(image, Math.round(px + k * line.dy), Math.round(py - k * line.dx), colour);
  }
}

/**
 * The steps s (t = s - reach along the line) whose point lies within
 * `margin` pixels of the frame [0, width - 1] x [0, height - 1], as an
 * inclusive range (empty when from > to); every other step would only set
 * pixels outside the frame.
 */
function stepsInside(line: Midline, width: number, height: number, reach: number, margin: number): [number, number] {
  let lo = -Infinity, hi = Infinity;
  for (const [p, d, size] of [[line.x, line.dx, width], [line.y, line.dy, height]]) {
    if (Math.abs(d) < 1e-12) {
      if (p < -margin || p > size - 1 + margin) return [1, 0];
      continue;
    }
    const a = (-margin - p) / d, b = (size - 1 + margin - p) / d;
    lo = Math.max(lo, Math.min(a, b));
    hi = Math.min(hi, Math.max(a, b));
  }
  return [Math.floor(lo + reach), Math.ceil(hi + reach)];
}

function signed(v: number): string {
  return Number.isNaN(v) ? '--' : `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(1)}`;
}

/**
 * The QA frame in `into` (a buffer the caller reuses, the source's size):
 * the source's pixels with the overlay drawn on them. Returns `into`.
 */
export function drawQaFrame(source: BgrImage, into: BgrImage, landmarks: ArrayLike<number> | null, line: Midline | null, quality: MirrorQuality): BgrImage {
  if (into.width !== source.width || into.height !== source.height) throw new Error('drawQaFrame: the buffer\'s size differs from the source');
  into.data.set(source.data);
  drawQaOverlay(into, landmarks, line, quality);
  return into;
}

/** Draws the overlay onto `image` in place. `landmarks` null or `line` null: nothing drawn for them. */
export function drawQaOverlay(image: BgrImage, landmarks: ArrayLike<number> | null, line: Midline | null, quality: MirrorQuality): void {
  const scale = Math.max(1, Math.round(image.height / 240));
  if (line) drawLine(image, line, MIDLINE_COLOUR, scale + 1);
  if (landmarks) {
    for (let i = 0; i < LANDMARK_COUNT; i++) {
      const x = Math.round(landmarks[i]), y = Math.round(landmarks[i + LANDMARK_COUNT]);
      fillRect(image, x - scale, y - scale, 2 * scale + 1, 2 * scale + 1, LANDMARK_COLOUR);
    }
  }
  const pose = quality.grade === 'lost' ? '' : Number.isNaN(quality.yaw) ? '  NO POSE' : `  YAW ${signed(quality.yaw)} PITCH ${signed(quality.pitch)} ROLL ${signed(quality.roll)}`;
  const text = `${GRADE_TEXT[quality.grade]}${pose}  SCORE ${quality.score.toFixed(2)}`;
  // the banner's text fits the frame's width (a narrow portrait frame gets smaller letters)
  const textScale = Math.max(1, Math.min(scale, Math.floor((image.width - 4) / (6 * text.length))));
  fillRect(image, 0, 0, image.width, 11 * textScale, GRADE_COLOURS[quality.grade]);
  drawText(image, text, 2 * textScale, 2 * textScale, textScale, WHITE);
}
