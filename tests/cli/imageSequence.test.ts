import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import { decodeImageSequence, probeImageSequence } from '../../src/cli/imageSequence.ts';
import type { DecodedFrame } from '../../src/core/analysis/frame.ts';
import { runCli } from '../helpers/cli.ts';
import { hasFfmpeg, sharedPath, sharedSkipReason, SKIP_NO_FFMPEG, suiteTitle, referenceCsvPath, openfaceModelsPath } from '../helpers/shared.ts';

const skipShared = sharedSkipReason(true);
const hasDjpeg = !spawnSync('djpeg', ['-version'], { stdio: 'ignore' }).error;
const SKIP_NO_DJPEG = 'needs djpeg for the libjpeg-turbo golden (apt-get install libjpeg-turbo-progs); the AU check below still runs';
const FIXTURES = fileURLToPath(new URL('../fixtures/jpeg/', import.meta.url));

async function collect(frames: AsyncGenerator<DecodedFrame>): Promise<DecodedFrame[]> {
  const out: DecodedFrame[] = [];
  for await (const frame of frames) out.push(frame);
  return out;
}

/** libjpeg-turbo's own decode of a file (`djpeg -pnm`, RGB or grey), as BGR. */
function djpegBgr(path: string): Uint8Array {
  const run = spawnSync('djpeg', ['-pnm', path], { maxBuffer: 1 << 28 });
  expect(run.status).toBe(0);
  const header = /^(P[56])\s+(\d+)\s+(\d+)\s+255\s/.exec(run.stdout.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error(`${path}: unexpected djpeg output`);
  const n = Number(header[2]) * Number(header[3]);
  const px = run.stdout.subarray(header[0].length);
  const bgr = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (header[1] === 'P5') bgr.fill(px[i], i * 3, i * 3 + 3);
    else {
      bgr[i * 3] = px[i * 3 + 2];
      bgr[i * 3 + 1] = px[i * 3 + 1];
      bgr[i * 3 + 2] = px[i * 3];
    }
  }
  return bgr;
}

describe.skipIf(skipShared !== null)(suiteTitle('image folder decoding on the shared image_sequence (OpenFace -fdir -asvid)', skipShared), () => {
  const folder = sharedPath('videos/image_sequence');

  it('lists the 30 JPEGs in name order, 640x480, one frame per OpenFace row', () => {
    const info = probeImageSequence(folder);
    expect(info.files.length).toBe(30);
    expect(info.files[0]).toMatch(/001\.jpg$/);
    expect([info.width, info.height]).toEqual([640, 480]);
    const rows = readFileSync(referenceCsvPath('image_sequence'), 'utf8').trim().split('\n').length - 1;
    expect(info.frameCountHint).toBe(rows);
  });

  it.skipIf(!hasDjpeg)(suiteTitle('every frame byte-identical to libjpeg-turbo (djpeg), i.e. to cv::imread', hasDjpeg ? null : SKIP_NO_DJPEG), async () => {
    const info = probeImageSequence(folder);
    const frames = await collect(decodeImageSequence(folder, 30, info));
    expect(frames.length).toBe(30);
    frames.forEach((frame, i) => {
      const want = djpegBgr(info.files[i]);
      const got = frame.image.data;
      let differing = 0;
      for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) differing++;
      expect(differing, `${info.files[i]}: values differing from libjpeg-turbo`).toBe(0);
    });
  });

  it('AU intensities and presence agree with OpenFace on these images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitface-imgseq-'));
    try {
      const out = join(dir, 'image_sequence.csv');
      const cli = runCli([
        'process',
        folder,
        '--openface-models',
        openfaceModelsPath(),
        '--landmarks-from',
        referenceCsvPath('image_sequence'),
        '--out',
        out,
      ]);
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stderr).not.toMatch(/warning/);
      const compare = spawnSync(process.execPath, [sharedPath('tools/au-compare.mjs'), out, referenceCsvPath('image_sequence'), '--json'], { encoding: 'utf8' });
      expect(compare.status, compare.stderr).toBe(0);
      const { summary, frames } = JSON.parse(compare.stdout) as { summary: { mean_r: number; min_r: number; min_presence: number }; frames: { compared: number } };
      // With ffmpeg's decode these were mean_r 0.947, min_r 0.845, min_presence 0.867; exact pixels give 1.000.
      expect(frames.compared).toBe(30);
      expect(summary.mean_r).toBeGreaterThanOrEqual(0.99);
      expect(summary.min_r).toBeGreaterThanOrEqual(0.97);
      expect(summary.min_presence).toBeGreaterThanOrEqual(0.97);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(!hasFfmpeg)(suiteTitle('image folders: other formats, fallbacks and errors', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  const withFolder = async (files: Record<string, Uint8Array>, body: (dir: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'splitface-imgseq-'));
    try {
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('PNG frames come out as their exact samples (ffmpeg bgr24 is lossless for 8-bit PNG)', async () => {
    const width = 7;
    const height = 5;
    const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + 11) & 255);
    const png = encodePng({ width, height, data: rgb, channels: 3, depth: 8 });
    await withFolder({ 'a.png': png, 'b.png': png }, async (dir) => {
      const frames = await collect(decodeImageSequence(dir, 30));
      expect(frames.map((f) => f.timestamp)).toEqual([0, 1 / 30]);
      const bgr = frames[1].image.data;
      for (let i = 0; i < width * height; i++) expect([bgr[i * 3], bgr[i * 3 + 1], bgr[i * 3 + 2]]).toEqual([rgb[i * 3 + 2], rgb[i * 3 + 1], rgb[i * 3]]);
    });
  });

  it('a JPEG our decoder cannot reproduce falls back to ffmpeg, with one warning per reason', async () => {
    const smoothing = readFileSync(`${FIXTURES}unsupported_block_smoothing.jpg`);
    await withFolder({ '1.jpg': smoothing, '2.jpg': smoothing, '3.jpg': readFileSync(`${FIXTURES}synth_420.jpg`) }, async (dir) => {
      const warnings: string[] = [];
      const frames = await collect(decodeImageSequence(dir, 25, undefined, { warn: (m) => warnings.push(m) }));
      expect(frames.length).toBe(3);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(/1\.jpg: progressive JPEG .*decoded with ffmpeg instead/);
      const ff = spawnSync('ffmpeg', ['-v', 'error', '-i', join(dir, '1.jpg'), '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-']).stdout;
      expect(Buffer.from(frames[0].image.data).equals(ff)).toBe(true);
    });
  });

  it('a JPEG of another size stops the sequence with a message naming both sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitface-imgseq-'));
    try {
      copyFileSync(`${FIXTURES}synth_420.jpg`, join(dir, '1.jpg'));
      copyFileSync(`${FIXTURES}truncated_420.jpg`, join(dir, '2.jpg'));
      await expect(collect(decodeImageSequence(dir, 30))).rejects.toThrow(/2\.jpg: every image of a sequence must be 33x17 like the first one \(this one is 95x63\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a broken JPEG', async () => {
    await withFolder({ '1.jpg': Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]) }, async (dir) => {
      expect(() => probeImageSequence(dir)).toThrow(/1\.jpg: not a readable JPEG \(no frame header/);
    });
  });
});
