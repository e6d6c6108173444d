/**
 * Decoding in Chromium: openVideo (or openImageSequence) + rawFrameToBgr,
 * every frame compared (SHA-256 of the BGR bytes) with the CLI's decode,
 * which is byte-identical to what OpenCV gives OpenFace; same frame count,
 * same timestamps.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createHash } from 'node:crypto';
import { sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { launchBrowser, type E2EBrowser } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';
import { decodeInPage } from './helpers/decodePage.ts';
import { cliFrames, cliImageFrames, forEachFfmpegFrame, type ReferenceFrames } from './helpers/reference.ts';
import type { DecodeReport } from './pages/decodeApi.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

let browser: E2EBrowser;
let clips: ClipFolder;

function identicalFrames(report: DecodeReport, reference: readonly string[]): number {
  let identical = 0;
  for (let i = 0; i < Math.min(report.frames.length, reference.length); i++) if (report.frames[i].sha256 === reference[i]) identical++;
  return identical;
}

/** The CLI reads times from showinfo's pts_time, printed to 6 significant digits; the page's are exact. */
function expectSameTimes(report: DecodeReport, reference: ReferenceFrames): void {
  const off = reference.timestamps.filter((t, i) => Math.abs((report.frames[i]?.timestamp ?? Number.NaN) - t) > Math.max(1e-6, Math.abs(t) * 1e-5));
  expect(off).toEqual([]);
}

function summary(name: string, report: DecodeReport, identical: number, expected: number): string {
  return `${name}: ${report.info?.decoder} ${report.info?.codec}, ${report.frames.length}/${expected} frames, ${((100 * identical) / Math.max(1, expected)).toFixed(2)}% identical, ${(report.ms / 1000).toFixed(1)} s in the page`;
}

/** Decodes `paths` in the page and the CLI's way; asserts identical frames and times. */
async function expectLikeCli(name: string, paths: string[], decoder: string, reference: () => Promise<ReferenceFrames>): Promise<void> {
  const [report, expected] = await Promise.all([decodeInPage(browser, baseUrl, paths, { sequence: decoder === 'images' }), reference()]);
  expect(report.error).toBeNull();
  expect(report.info?.decoder).toBe(decoder);
  const identical = identicalFrames(report, expected.sha256);
  console.log(summary(name, report, identical, expected.sha256.length));
  expect(report.frames.length).toBe(expected.sha256.length);
  expect({ width: report.frames[0].width, height: report.frames[0].height }).toEqual({ width: expected.width, height: expected.height });
  expectSameTimes(report, expected);
  expect(identical).toBe(expected.sha256.length);
}

describe.skipIf(skip)(suiteTitle('decoding in Chromium matches the CLI byte for byte', skip), () => {
  beforeAll(async () => {
    browser = await launchBrowser(baseUrl);
    clips = clipFolder();
  });
  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test.each([
    ['lab_640x480_h264.mp4', 'webcodecs'],
    ['lab_vp9.webm', 'webcodecs'],
    ['lab_portrait_rot90_h264.mov', 'webcodecs'],
    ['0417_02_003_bill_clinton.avi', 'ffmpeg.wasm'],
    ['changeLighting.wmv', 'ffmpeg.wasm'],
  ])('%s (%s)', async (name, decoder) => {
    const path = sharedPath(`videos/${name}`);
    await expectLikeCli(name, [path], decoder, () => cliFrames(path));
  });

  test('generated clips: AV1, H.264 full range (yuvj420p), H.264 in MKV (WebCodecs); HEVC (ffmpeg.wasm: no HEVC decoder in Linux Chromium)', async () => {
    const lab = sharedPath('videos/lab_640x480_h264.mp4');
    const cases: [string, string, readonly string[]][] = [
      ['av1.webm', 'webcodecs', ['-c:v', 'libaom-av1', '-cpu-used', '8', '-crf', '45', '-row-mt', '1']],
      ['fullrange_h264.mp4', 'webcodecs', ['-vf', 'scale=out_range=full', '-pix_fmt', 'yuvj420p', '-c:v', 'libx264', '-preset', 'ultrafast']],
      ['h264.mkv', 'webcodecs', ['-c:v', 'copy']],
      ['hevc.mp4', 'ffmpeg.wasm', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error']],
    ];
    for (const [name, decoder, codecArgs] of cases) {
      const path = clips.encode(name, lab, 45, codecArgs);
      await expectLikeCli(name, [path], decoder, () => cliFrames(path));
    }
  });

  test('image sequence (JPEG folder, the core decoder)', async () => {
    const folder = sharedPath('videos/image_sequence');
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(folder).map((name) => `${folder}/${name}`);
    await expectLikeCli('image_sequence', files, 'images', () => cliImageFrames(folder));
  });

  test("0188_03_021_al_pacino.avi (ffmpeg.wasm): exactly ffmpeg's bit-exact decode; x86 OpenCV differs by its inexact MMX half-pel rounding", async () => {
    const path = sharedPath('videos/0188_03_021_al_pacino.avi');
    const [report, cli] = await Promise.all([decodeInPage(browser, baseUrl, [path]), cliFrames(path)]);
    expect(report.error).toBeNull();
    expect(report.info?.decoder).toBe('ffmpeg.wasm');
    expect(report.frames.length).toBe(cli.sha256.length);
    expectSameTimes(report, cli);
    // ffmpeg.wasm runs FFmpeg's C code: the same samples as `-flags +bitexact` on x86.
    const bitexact: string[] = [];
    const differing = { bytes: 0, maxDiff: 0 };
    const cliBytes: Buffer[] = [];
    await forEachFfmpegFrame(path, [], cli.width, cli.height, (bgr) => cliBytes.push(Buffer.from(bgr)));
    let frame = 0;
    await forEachFfmpegFrame(path, ['-flags', '+bitexact'], cli.width, cli.height, (bgr) => {
      bitexact.push(createHash('sha256').update(bgr).digest('hex'));
      const other = cliBytes[frame++];
      for (let i = 0; i < bgr.length; i++) {
        const d = Math.abs(bgr[i] - other[i]);
        if (d) {
          differing.bytes++;
          if (d > differing.maxDiff) differing.maxDiff = d;
        }
      }
    });
    const identicalToBitexact = identicalFrames(report, bitexact);
    const identicalToCli = identicalFrames(report, cli.sha256);
    const totalBytes = cli.sha256.length * cli.width * cli.height * 3;
    console.log(summary('0188_03_021_al_pacino.avi vs bit-exact ffmpeg', report, identicalToBitexact, bitexact.length));
    console.log(
      `0188_03_021_al_pacino.avi vs the CLI (x86 SIMD decoder): ${identicalToCli}/${cli.sha256.length} frames identical, ` +
        `${(100 - (100 * differing.bytes) / totalBytes).toFixed(3)}% of bytes identical, largest difference ${differing.maxDiff}`,
    );
    expect(identicalToBitexact).toBe(bitexact.length);
  });
});
