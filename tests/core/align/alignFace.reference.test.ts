import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { alignFace } from '../../../src/core/align/alignFace.ts';
import type { BgrImage } from '../../../src/core/image.ts';
import { parsePdm, parseTriangulation } from '../../../src/core/pdm/pdm.ts';
import { sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';
import { rng as random } from '../../helpers/rng.ts';

const skip = sharedSkipReason(true);
const NAME = '0188_03_021_al_pacino';
const SIZE = 112;

interface FrameRow {
  /** 0-based frame index (CSV frame - 1, the PNG number) */
  readonly index: number;
  readonly success: boolean;
  readonly landmarks: Float64Array;
  readonly paramsGlobal: Float64Array;
}

function readReferenceCsv(): FrameRow[] {
  const lines = readFileSync(sharedPath(`reference/${NAME}.csv`), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`reference CSV has no column ${name}`);
    return i;
  };
  const xCols = Array.from({ length: 68 }, (_, i) => col(`x_${i}`));
  const yCols = Array.from({ length: 68 }, (_, i) => col(`y_${i}`));
  const pCols = ['p_scale', 'p_rx', 'p_ry', 'p_rz', 'p_tx', 'p_ty'].map(col);
  return lines.slice(1).map((line) => {
    const v = line.split(',').map(Number);
    const landmarks = new Float64Array(136);
    for (let i = 0; i < 68; i++) {
      landmarks[i] = v[xCols[i]];
      landmarks[68 + i] = v[yCols[i]];
    }
    return { index: v[col('frame')] - 1, success: v[col('success')] === 1, landmarks, paramsGlobal: Float64Array.from(pCols, (c) => v[c]) };
  });
}

/** OpenFace's aligned PNG (RGB) as BGR bytes. */
function readAligned(index: number): Uint8Array {
  const png = decode(readFileSync(sharedPath(`reference/aligned/${NAME}/frame_det_${String(index).padStart(6, '0')}.png`)));
  expect([png.width, png.height, png.channels, png.depth]).toEqual([SIZE, SIZE, 3, 8]);
  const bgr = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < bgr.length; i += 3) {
    bgr[i] = png.data[i + 2];
    bgr[i + 1] = png.data[i + 1];
    bgr[i + 2] = png.data[i];
  }
  return bgr;
}


/** Half a unit in the 10th significant digit: how far the CSV's printed value can be from OpenFace's double. */
function halfUnit10(v: number): number {
  return v === 0 ? 0 : 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(v))) - 9);
}

describe.skipIf(skip !== null)(suiteTitle(`alignFace against OpenFace's aligned faces (${NAME})`, skip), () => {
  it('reproduces every tracked frame to the byte, up to the CSV\'s 10-digit rounding of its inputs', () => {
    const pdm = parsePdm(readFileSync(sharedPath('openface/model/pdms/In-the-wild_aligned_PDM_68.txt'), 'utf8'));
    const triangulation = parseTriangulation(readFileSync(sharedPath('openface/model/tris_68_full.txt'), 'utf8'));
    const rows = readReferenceCsv();
    const width = 320;
    const height = 240;
    const frameBytes = width * height * 3;
    // default ffmpeg flags: byte-identical to the frames OpenCV handed OpenFace
    const run = spawnSync('ffmpeg', ['-v', 'error', '-i', sharedPath(`videos/${NAME}.avi`), '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], {
      maxBuffer: 1 << 30,
    });
    expect(run.status).toBe(0);
    const video = run.stdout;
    expect(video.length).toBe(rows.length * frameBytes);

    let frames = 0;
    let identicalFrames = 0;
    let differentBytes = 0;
    let maxDiff = 0;
    const inexact: { row: FrameRow; frame: BgrImage; expected: Uint8Array }[] = [];
    for (const row of rows) {
      if (!row.success) continue;
      const frame: BgrImage = { width, height, data: new Uint8Array(video.buffer, video.byteOffset + row.index * frameBytes, frameBytes) };
      const expected = readAligned(row.index);
      const got = alignFace(frame, row.landmarks, row.paramsGlobal, pdm, triangulation).data;
      let diff = 0;
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i] - expected[i]);
        if (d !== 0) diff++;
        if (d > maxDiff) maxDiff = d;
      }
      frames++;
      differentBytes += diff;
      if (diff === 0) identicalFrames++;
      else inexact.push({ row, frame, expected });
    }
    const share = 1 - differentBytes / (frames * SIZE * SIZE * 3);
    console.log(`alignFace vs OpenFace, ${NAME}: ${identicalFrames}/${frames} frames identical, ` +
      `${differentBytes} of ${frames * SIZE * SIZE * 3} bytes differ (identical share ${share.toFixed(9)}), max |diff| ${maxDiff}`);
    expect(frames).toBe(324);
    // Measured: 321 of 324 frames identical; 6 bytes in 3 frames differ by 1.
    expect(identicalFrames).toBeGreaterThanOrEqual(321);
    expect(differentBytes).toBeLessThanOrEqual(6);
    expect(maxDiff).toBeLessThanOrEqual(1);

    // Those frames have a fixed-point source coordinate within ~1e-5 of a
    // rounding boundary, closer than the CSV's 10 digits pin the inputs down:
    // moving the inputs within their printed precision reproduces them exactly.
    const rnd = random(12345);
    for (const { row, frame, expected } of inexact) {
      let reproduced = false;
      for (let attempt = 0; attempt < 60 && !reproduced; attempt++) {
        const landmarks = row.landmarks.map((v) => v + (2 * rnd() - 1) * halfUnit10(v));
        const params = row.paramsGlobal.map((v) => v + (2 * rnd() - 1) * halfUnit10(v));
        const got = alignFace(frame, landmarks, params, pdm, triangulation).data;
        reproduced = got.every((v, i) => v === expected[i]);
      }
      expect(reproduced, `frame ${row.index}: exact within the CSV's rounding`).toBe(true);
    }
  });
});
