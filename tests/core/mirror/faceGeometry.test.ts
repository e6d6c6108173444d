import { describe, expect, it } from 'vitest';
import { FRAME_RECORD_LENGTH, measureFrame, sideOffset, SIDE_MEASURES, summariseGeometry } from '../../../src/core/mirror/faceGeometry.ts';
import { fitMidline } from '../../../src/core/mirror/midline.ts';
import { LANDMARK_COUNT } from '../../../src/core/mirror/faceLandmarks.ts';
import { AuAsymmetryAccumulator } from '../../../src/core/mirror/auAsymmetry.ts';

/** A symmetric schematic face about x = 300 (the 68 points at plausible places), patient's right on the image's left. */
function face(): Float64Array {
  const p = new Float64Array(2 * LANDMARK_COUNT);
  const put = (i: number, x: number, y: number) => ((p[i] = x), (p[i + LANDMARK_COUNT] = y));
  const pair = (r: number, l: number, dx: number, y: number) => (put(r, 300 - dx, y), put(l, 300 + dx, y));
  for (let k = 0; k < 8; k++) pair(k, 16 - k, 70 - k * 8, 200 + k * 12); // jaw
  put(8, 300, 296); // chin
  [[17, 26, 55, 160], [18, 25, 45, 155], [19, 24, 35, 153], [20, 23, 25, 155], [21, 22, 12, 160]].forEach(([r, l, dx, y]) => pair(r, l, dx, y));
  [27, 28, 29, 30].forEach((i, k) => put(i, 300, 175 + k * 12));
  [[31, 35, 12, 225], [32, 34, 6, 228]].forEach(([r, l, dx, y]) => pair(r, l, dx, y));
  put(33, 300, 230);
  [[36, 45, 45, 180], [37, 44, 38, 176], [38, 43, 30, 176], [39, 42, 22, 180], [40, 47, 30, 184], [41, 46, 38, 184]].forEach(([r, l, dx, y]) => pair(r, l, dx, y));
  [[48, 54, 25, 260], [49, 53, 16, 255], [50, 52, 7, 253], [59, 55, 16, 266], [58, 56, 7, 268], [60, 64, 21, 260], [61, 63, 7, 258], [67, 65, 7, 262]].forEach(([r, l, dx, y]) => pair(r, l, dx, y));
  put(51, 300, 254);
  put(57, 300, 269);
  put(62, 300, 258);
  put(66, 300, 262);
  return p;
}

function record(points: Float64Array): Float64Array {
  const out = new Float64Array(FRAME_RECORD_LENGTH);
  measureFrame(points, fitMidline(points)!.line, out);
  return out;
}

const value = (r: Float64Array, side: 'right' | 'left', m: (typeof SIDE_MEASURES)[number]) => r[sideOffset(side) + SIDE_MEASURES.indexOf(m)];

describe('geometric measures', () => {
  it('a symmetric face measures the same on both sides', () => {
    const r = record(face());
    for (const m of SIDE_MEASURES) expect(value(r, 'right', m)).toBeCloseTo(value(r, 'left', m), 9);
  });

  it('the patient\'s left corner raised and left eye narrowed show on the left (image right) side', () => {
    const p = face();
    p[54 + LANDMARK_COUNT] -= 8; // left mouth corner 8 px up
    p[43 + LANDMARK_COUNT] += 2; // left upper lid down
    p[44 + LANDMARK_COUNT] += 2;
    const r = record(p);
    expect(value(r, 'left', 'smile_angle')).toBeGreaterThan(value(r, 'right', 'smile_angle') + 5);
    expect(value(r, 'left', 'commissure_height')).toBeLessThan(value(r, 'right', 'commissure_height'));
    expect(value(r, 'left', 'eye_opening')).toBeLessThan(0.8 * value(r, 'right', 'eye_opening'));
  });

  it('excursion from rest: a corner that moves in a smile frame shows a larger excursion on its side', () => {
    const frames = 10;
    const records = new Float64Array(frames * FRAME_RECORD_LENGTH);
    for (let f = 0; f < frames; f++) {
      const p = face();
      if (f >= 7) {
        p[48] -= 10; // the right corner pulled out and up in the last three frames
        p[48 + LANDMARK_COUNT] -= 6;
      }
      records.set(record(p), f * FRAME_RECORD_LENGTH);
    }
    const summary = summariseGeometry(records, new Uint8Array(frames).fill(1));
    expect(summary.measures.commissure_excursion.right_p95).toBeGreaterThan(0.1);
    // the left corner did not move; the midline shifts a little (the corner pairs vote for it), so not exactly 0
    expect(summary.measures.commissure_excursion.left_p95).toBeLessThan(0.2 * summary.measures.commissure_excursion.right_p95);
  });
});

describe('AU asymmetry summary', () => {
  it('per AU index and region symmetry: only the right side moving gives +1 and 0', () => {
    const acc = new AuAsymmetryAccumulator(['AU01', 'AU02', 'AU04', 'AU12']);
    for (let f = 0; f < 10; f++) acc.add([1, 0, 0.5, 2], [1, 0, 0.5, 0]);
    const s = acc.summary();
    expect(s.aus.AU12.asymmetry_index).toBe(1);
    expect(s.aus.AU01.asymmetry_index).toBe(0);
    expect(s.aus.AU02.asymmetry_index).toBeNull();
    expect(s.regions.mouth.symmetry_index).toBe(0);
    expect(s.regions.brow.symmetry_index).toBe(1);
    expect(s.regions.eye.symmetry_index).toBeNull();
  });
});
