/**
 * Face Mirror end to end on real frames (the first 30 of changeLighting.wmv,
 * a frontal face), written losslessly to a temporary clip once:
 * - synthetic asymmetry: the patient's left mouth corner raised and left eye
 *   narrowed by a local image warp; the geometric measures and the AUs must
 *   point to the left side, the unwarped clip must be near symmetric;
 * - flip invariance: the clip flipped with ffmpeg hflip (lossless): its
 *   right-side CSV is the original's left-side CSV (r >= 0.99 per moving AU)
 *   and the summary's sides swap;
 * - self-consistency: `process` on the lossless right-mirrored video gives
 *   NAME_right_mirrored.csv again (1e-4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeVideo, probeVideo } from '../../src/cli/ffmpegDecode.ts';
import { MirrorVideoWriter } from '../../src/cli/mirrorEncoder.ts';
import { mirrorVideo } from '../../src/cli/mirrorVideo.ts';
import { processVideo } from '../../src/cli/processVideo.ts';
import type { BgrImage } from '../../src/core/image.ts';
import { openfaceModelsPath, referenceCsvPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

const skip = sharedSkipReason(true);
const FRAMES = 30;
const NAME = 'changeLighting';

interface Table {
  header: string[];
  rows: number[][];
}

function readCsv(path: string): Table {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  return { header: head.split(',').map((s) => s.trim()), rows: lines.map((l) => l.split(',').map((c) => (c === '' ? Number.NaN : Number(c)))) };
}

function column(table: Table, name: string): number[] {
  const i = table.header.indexOf(name);
  if (i < 0) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[i]);
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function std(a: number[]): number {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
}

/** Bilinear sample of channel ch at (x, y), edges clamped. */
function sample(image: BgrImage, x: number, y: number, ch: number): number {
  const { width, height, data } = image;
  x = Math.min(Math.max(x, 0), width - 1);
  y = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(x0 + 1, width - 1), y1 = Math.min(y0 + 1, height - 1);
  const fx = x - x0, fy = y - y0;
  const at = (xx: number, yy: number) => data[(yy * width + xx) * 3 + ch];
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/**
 * The patient's left (image right) mouth corner (landmark 54) lifted by 0.15
 * inter-ocular distances and the left eye (42-47) squeezed vertically to
 * about half its height, both fading out with a Gaussian around the feature.
 */
function warpLeftSide(image: BgrImage, landmarks: (i: number) => [number, number]): BgrImage {
  const mean = (idx: number[]) => idx.map(landmarks).reduce(([sx, sy], [x, y]) => [sx + x / idx.length, sy + y / idx.length], [0, 0]);
  const [rx, ry] = mean([36, 37, 38, 39, 40, 41]);
  const [ex, ey] = mean([42, 43, 44, 45, 46, 47]);
  const iod = Math.hypot(ex - rx, ey - ry);
  const [cx, cy] = landmarks(54);
  const lift = 0.15 * iod, mouthSigma = 0.25 * iod, eyeSigma = 0.3 * iod, squeeze = 1;
  const out = image.data.slice();
  // beyond 5 sigmas of both features the displacement is below 1e-5 of the face: those pixels stay as they are
  const box = (x: number, y: number, sigma: number) => [x - 5 * sigma, x + 5 * sigma, y - 5 * sigma, y + 5 * sigma];
  const [mx0, mx1, my0, my1] = box(cx, cy, mouthSigma), [ex0, ex1, ey0, ey1] = box(ex, ey, eyeSigma);
  const x0 = Math.max(0, Math.floor(Math.min(mx0, ex0))), x1 = Math.min(image.width - 1, Math.ceil(Math.max(mx1, ex1)));
  const y0 = Math.max(0, Math.floor(Math.min(my0, ey0))), y1 = Math.min(image.height - 1, Math.ceil(Math.max(my1, ey1)));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const gm = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * mouthSigma ** 2));
      const ge = Math.exp(-((x - ex) ** 2 + (y - ey) ** 2) / (2 * eyeSigma ** 2));
      // backward map: a pixel shows what was below it (lift) or farther from the eye's centre line (squeeze)
      const sy = y + lift * gm + squeeze * (y - ey) * ge;
      for (let ch = 0; ch < 3; ch++) out[(y * image.width + x) * 3 + ch] = Math.round(sample(image, x, sy, ch));
    }
  }
  return { width: image.width, height: image.height, data: out };
}

interface Run {
  dir: string;
  summary: { geometry: { measures: Record<string, { right_mean: number; left_mean: number }> }; aus: { aus: Record<string, { right_mean: number; left_mean: number; asymmetry_index: number | null }> } };
}

async function runMirror(video: string, dir: string): Promise<Run> {
  // one thread (here and below): on a 30-frame clip the tracking threads' start-up costs more than they save;
  // the threaded trackers' equality is checked in threadFaceSource.test.ts
  const result = await mirrorVideo({ video, models: openfaceModelsPath(), outDir: dir, lossless: true, qaVideo: false, precision: 'full', quiet: true, threads: 1 });
  return { dir, summary: JSON.parse(readFileSync(result.summaryPath, 'utf8')) };
}

describe.skipIf(skip !== null)(suiteTitle('Face Mirror on real frames', skip), () => {
  const tmp = skip ? '' : mkdtempSync(join(tmpdir(), 'splitface-mirror-'));
  let original: Run, flipped: Run, warped: Run;

  beforeAll(async () => {
    const source = sharedPath(`videos/${NAME}.wmv`);
    const reference = readCsv(referenceCsvPath(NAME));
    const info = probeVideo(source);
    const plain = new MirrorVideoWriter(join(tmp, 'clip.mkv'), 'ffv1', info.width, info.height);
    const bent = new MirrorVideoWriter(join(tmp, 'warped.mkv'), 'ffv1', info.width, info.height);
    for await (const frame of decodeVideo(source, info)) {
      if (frame.index >= FRAMES) break;
      const row = reference.rows[frame.index];
      const landmarks = (i: number): [number, number] => [row[reference.header.indexOf(`x_${i}`)], row[reference.header.indexOf(`y_${i}`)]];
      await plain.write(frame.image, frame.timestamp);
      await bent.write(warpLeftSide(frame.image, landmarks), frame.timestamp);
    }
    await plain.close();
    await bent.close();
    const flip = spawnSync('ffmpeg', ['-v', 'error', '-i', join(tmp, 'clip.mkv'), '-vf', 'hflip', '-c:v', 'ffv1', '-pix_fmt', 'bgr0', '-y', join(tmp, 'clip_flipped.mkv')]);
    expect(flip.status).toBe(0);
    original = await runMirror(join(tmp, 'clip.mkv'), join(tmp, 'original'));
    flipped = await runMirror(join(tmp, 'clip_flipped.mkv'), join(tmp, 'flipped'));
    warped = await runMirror(join(tmp, 'warped.mkv'), join(tmp, 'warped'));
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every output has the clip\'s frame count', () => {
    for (const suffix of ['_right_mirrored.csv', '_left_mirrored.csv', '_mirror.csv']) expect(readCsv(join(original.dir, `clip${suffix}`)).rows.length).toBe(FRAMES);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', join(original.dir, 'clip_right_mirrored.mkv')], { encoding: 'utf8' });
    expect(Number(probe.stdout.trim())).toBe(FRAMES);
  });

  it('synthetic asymmetry: the raised corner and narrowed eye show on the patient\'s left, the unwarped face is near symmetric', () => {
    const g = (run: Run, m: string) => run.summary.geometry.measures[m];
    console.log('unwarped', JSON.stringify(original.summary.geometry.measures), '\nwarped', JSON.stringify(warped.summary.geometry.measures));
    // unwarped: both sides within 10 % (eye opening) and 2 degrees (smile angle)
    expect(Math.abs(g(original, 'eye_opening').right_mean / g(original, 'eye_opening').left_mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(g(original, 'smile_angle').right_mean - g(original, 'smile_angle').left_mean)).toBeLessThan(2);
    // warped: the left eye is the narrower, the left corner the higher
    // (CLNF's shape model ties the two eyes together, so the fitted lids follow the squeeze only in part)
    const eyeRatio = (run: Run) => g(run, 'eye_opening').right_mean / g(run, 'eye_opening').left_mean;
    expect(eyeRatio(warped) - eyeRatio(original)).toBeGreaterThan(0.03);
    // the smile angle: higher on the left in the warped face, and by more than 3 deg beyond the unwarped face's left-minus-right
    // (measured on these 30 frames: warped L - R 2.7 deg, unwarped -1.6 deg, a shift of 4.3 deg)
    const smileLeftMinusRight = (run: Run) => g(run, 'smile_angle').left_mean - g(run, 'smile_angle').right_mean;
    expect(smileLeftMinusRight(warped)).toBeGreaterThan(0);
    expect(smileLeftMinusRight(warped) - smileLeftMinusRight(original)).toBeGreaterThan(3);
    expect(g(warped, 'commissure_height').left_mean).toBeLessThan(g(warped, 'commissure_height').right_mean);
    // AUs: the warp adds left-minus-right to the lip-corner puller and the eye's narrowing AUs
    const shift = (au: string) => {
      const a = (run: Run) => run.summary.aus.aus[au].left_mean - run.summary.aus.aus[au].right_mean;
      return a(warped) - a(original);
    };
    console.log('AU left-minus-right shift', Object.fromEntries(Object.keys(warped.summary.aus.aus).map((au) => [au, shift(au).toFixed(3)])));
    expect(shift('AU12')).toBeGreaterThan(0.1);
    expect(shift('AU07') + shift('AU45')).toBeGreaterThan(0.1);
  });

  it('flip invariance: the flipped clip\'s right side is the original\'s left side, and the summary\'s sides swap', () => {
    for (const [a, b] of [['right', 'left'], ['left', 'right']]) {
      const mine = readCsv(join(flipped.dir, `clip_flipped_${a}_mirrored.csv`));
      const theirs = readCsv(join(original.dir, `clip_${b}_mirrored.csv`));
      const moving = mine.header.filter((h) => h.endsWith('_r') && std(column(theirs, h)) > 0.05);
      expect(moving.length).toBeGreaterThan(3);
      const rs = Object.fromEntries(moving.map((h) => [h, pearson(column(mine, h), column(theirs, h))]));
      console.log(`flipped ${a} vs original ${b}`, JSON.stringify(rs));
      // issue 13's bar, au-compare's r per moving AU (sd >= 0.05). The left face is written flipped and the
      // source is fitted as it is and flipped (docs/mirror.md): both sides' pictures are the same, so r is 1
      // up to the CSV's rounding; before, CLNF's asymmetry gave 0.96-0.98 on average and single AUs down to 0.66
      for (const [au, r] of Object.entries(rs)) expect(r, `flipped ${a} vs original ${b}, ${au}`).toBeGreaterThanOrEqual(0.99);
      // and the lossless videos are the same pixels
      const pixels = (path: string) => spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 1 << 28 }).stdout;
      expect(Buffer.compare(pixels(join(flipped.dir, `clip_flipped_${a}_mirrored.mkv`)), pixels(join(original.dir, `clip_${b}_mirrored.mkv`))), `${a} vs ${b} video`).toBe(0);
    }
    // geometric summary: sides swap (the source landmarks of the two clips are mirror images; they are kept as
    // 32-bit floats, so to 1e-3 inter-ocular distances and 0.01 deg; before the symmetric fit: 0.02 and 1.5 deg)
    for (const [m, o] of Object.entries(original.summary.geometry.measures)) {
      const f = flipped.summary.geometry.measures[m];
      const tolerance = m === 'smile_angle' ? 0.01 : 1e-3;
      expect(Math.abs(f.right_mean - o.left_mean), m).toBeLessThan(tolerance);
      expect(Math.abs(f.left_mean - o.right_mean), m).toBeLessThan(tolerance);
    }
    // AU summary: the sides' means swap, and where the original is clearly asymmetric, the flipped clip is asymmetric the other way
    let clear = 0;
    for (const [au, o] of Object.entries(original.summary.aus.aus)) {
      const f = flipped.summary.aus.aus[au];
      expect(Math.abs(f.right_mean - o.left_mean), au).toBeLessThan(1e-4);
      expect(Math.abs(f.left_mean - o.right_mean), au).toBeLessThan(1e-4);
      if (o.asymmetry_index === null || Math.abs(o.asymmetry_index) < 0.25) continue;
      clear++;
      expect(Math.sign(f.asymmetry_index ?? 0), au).toBe(-Math.sign(o.asymmetry_index));
    }
    console.log(`AUs clearly asymmetric in the original: ${clear}`);
  });

  it('self-consistency: process on the lossless right-mirrored video reproduces NAME_right_mirrored.csv (1e-4)', async () => {
    const mirrored = join(original.dir, 'clip_right_mirrored.mkv');
    const out = join(tmp, 'reprocessed.csv');
    await processVideo({ video: mirrored, models: openfaceModelsPath(), landmarksFrom: undefined, out, precision: 'full', hogOut: undefined, alignedOut: undefined, fps: 30, allFaces: false, threads: 1 });
    const again = readCsv(out);
    const mine = readCsv(join(original.dir, 'clip_right_mirrored.csv'));
    expect(again.header).toEqual(mine.header);
    expect(again.rows.length).toBe(mine.rows.length);
    let worst = 0;
    for (let r = 0; r < mine.rows.length; r++) for (let c = 0; c < mine.header.length; c++) worst = Math.max(worst, Math.abs(again.rows[r][c] - mine.rows[r][c]));
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});

describe.skipIf(skip !== null)(suiteTitle('Face Mirror on a video without a face', skip), () => {
  it('finishes with a clear note, every frame flagged face-lost, the mirrored video the source unchanged', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'splitface-mirror-noface-'));
    const clip = join(tmp, 'noface.mkv');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '8', '-c:v', 'ffv1', '-pix_fmt', 'bgr0', '-y', clip]);
    expect(made.status).toBe(0);
    const result = await mirrorVideo({ video: clip, models: openfaceModelsPath(), outDir: tmp, lossless: true, qaVideo: true, quiet: true, threads: 1 });
    expect(result.frames).toBe(8);
    expect(result.facesFound).toBe(0);
    expect(result.flagged).toBe(8);
    expect(result.notes.join(' ')).toMatch(/no face was found/);
    const flags = column(readCsv(join(tmp, 'noface_mirror.csv')), 'face_found');
    expect(flags.every((f) => f === 0)).toBe(true);
    const bytes = (path: string) => spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 1 << 26 }).stdout;
    expect(Buffer.compare(bytes(join(tmp, 'noface_right_mirrored.mkv')), bytes(clip))).toBe(0);
    rmSync(tmp, { recursive: true, force: true });
  }, 300_000);
});

describe.skipIf(skip !== null)(suiteTitle('Face Mirror on the rotated portrait clip, without the OpenFace folder', skip), () => {
  it('outputs are upright at the display size, one frame per source frame; geometric measures only, said so', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'splitface-mirror-portrait-'));
    const clip = join(tmp, 'portrait.mov');
    // the first 12 frames, stream copied: the rotation tag stays
    const cut = spawnSync('ffmpeg', ['-v', 'error', '-i', sharedPath('videos/lab_portrait_rot90_h264.mov'), '-frames:v', '12', '-c:v', 'copy', '-y', clip]);
    expect(cut.status).toBe(0);
    const source = probeVideo(clip);
    expect(source.rotation).not.toBe(0);
    const result = await mirrorVideo({ video: clip, models: undefined, outDir: tmp, lossless: true, qaVideo: false, quiet: true });
    expect(result.notes.join(' ')).toMatch(/geometric measures only/);
    expect(result.facesFound).toBeGreaterThan(9);
    const mirrored = probeVideo(join(tmp, 'portrait_right_mirrored.mkv'));
    expect([mirrored.width, mirrored.height, mirrored.rotation]).toEqual([source.width, source.height, 0]);
    const csv = readCsv(join(tmp, 'portrait_mirror.csv'));
    expect(csv.rows.length).toBe(12);
    // an upright face: the midline within 10 deg of the vertical
    for (const angle of column(csv, 'midline_angle').filter(Number.isFinite)) expect(Math.abs(angle)).toBeLessThan(10);
    rmSync(tmp, { recursive: true, force: true });
  }, 300_000);
});
