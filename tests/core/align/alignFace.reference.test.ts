import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { alignFace } from '../../../src/core/align/alignFace.ts';
import type { BgrImage } from '../../../src/core/image.ts';
import { calcParams, toFloat32Pdm } from '../../../src/core/pdm/calcParams.ts';
import { parsePdm, parseTriangulation } from '../../../src/core/pdm/pdm.ts';
import { OPENFACE_DIR, REFERENCE_DIR, referenceCsvPath, sharedPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

const skip = sharedSkipReason(true);
const NAME = '0188_03_021_al_pacino';
const SIZE = 112;

interface FrameRow {
  /** 0-based frame index (CSV frame - 1) */
  readonly index: number;
  readonly success: boolean;
  readonly landmarks: Float64Array;
}

function readReferenceCsv(): FrameRow[] {
  const lines = readFileSync(referenceCsvPath(NAME), 'utf8').trim().split('\n');
  const header = lines[0].split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`reference CSV has no column ${name}`);
    return i;
  };
  const xCols = Array.from({ length: 68 }, (_, i) => col(`x_${i}`));
  const yCols = Array.from({ length: 68 }, (_, i) => col(`y_${i}`));
  return lines.slice(1).map((line) => {
    const v = line.split(',').map(Number);
    const landmarks = new Float64Array(136);
    for (let i = 0; i < 68; i++) {
      landmarks[i] = v[xCols[i]];
      landmarks[68 + i] = v[yCols[i]];
    }
    return { index: v[col('frame')] - 1, success: v[col('success')] === 1, landmarks };
  });
}

/** OpenFace 2.2's aligned face for a frame (PNG, RGB; numbered like the CSV, from 1) as BGR bytes. */
function readAligned(index: number): Uint8Array {
  const png = decode(readFileSync(sharedPath(`${REFERENCE_DIR}/aligned/${NAME}/frame_det_${String(index + 1).padStart(6, '0')}.png`)));
  expect([png.width, png.height, png.channels, png.depth]).toEqual([SIZE, SIZE, 3, 8]);
  const bgr = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < bgr.length; i += 3) {
    bgr[i] = png.data[i + 2];
    bgr[i + 1] = png.data[i + 1];
    bgr[i + 2] = png.data[i];
  }
  return bgr;
}

describe.skipIf(skip !== null)(suiteTitle(`alignFace against OpenFace 2.2's aligned faces (${NAME})`, skip), () => {
  it('reproduces every frame to the byte from 2.2\'s landmarks and the analyser\'s own CalcParams fit', () => {
    const pdm = toFloat32Pdm(parsePdm(readFileSync(sharedPath(`${OPENFACE_DIR}/model/pdms/In-the-wild_aligned_PDM_68.txt`), 'utf8')));
    const triangulation = parseTriangulation(readFileSync(sharedPath(`${OPENFACE_DIR}/model/tris_68_full.txt`), 'utf8'));
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
    const differing: number[] = [];
    for (const row of rows) {
      if (!row.success) continue;
      const frame: BgrImage = { width, height, data: new Uint8Array(video.buffer, video.byteOffset + row.index * frameBytes, frameBytes) };
      // FaceAnalyser aligns with its own fit's translation, not the tracker's p_tx, p_ty
      const fit = calcParams(pdm, row.landmarks);
      const got = alignFace(frame, row.landmarks, fit.paramsGlobal, pdm, triangulation).data;
      const expected = readAligned(row.index);
      frames++;
      if (!got.every((v, i) => v === expected[i])) differing.push(row.index + 1);
    }
    expect(frames).toBe(324);
    expect(differing, 'frames whose aligned face differs').toEqual([]);
  });
});
