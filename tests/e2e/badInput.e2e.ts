/**
 * Damaged and unsupported files in Chromium: each ends in a VideoInputError
 * whose message says what is wrong; a truncated file first yields the
 * frames before the cut. A huge file is read in pieces, never whole.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { launchBrowser, type E2EBrowser } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';
import { decodeInPage } from './helpers/decodePage.ts';
import { cliFrames } from './helpers/reference.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

let browser: E2EBrowser;
let clips: ClipFolder;

describe.skipIf(skip)(suiteTitle('bad input gives a clear error', skip), () => {
  beforeAll(async () => {
    browser = await launchBrowser(baseUrl);
    clips = clipFolder();
  });
  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('a text file named .mp4 is "not a video file"', async () => {
    const report = await decodeInPage(browser, baseUrl, [clips.text('notes.mp4', 'These are my notes, not a video.\n'.repeat(50))]);
    expect(report.frames).toHaveLength(0);
    expect(report.error?.name).toBe('VideoInputError');
    expect(report.error?.message).toMatch(/^notes\.mp4: not a video file/);
  });

  test('an empty file', async () => {
    const report = await decodeInPage(browser, baseUrl, [clips.text('empty.mov', '')]);
    expect(report.error?.message).toBe('empty.mov: the file is empty');
  });

  test('a truncated MP4 (WebCodecs) yields the frames before the cut, then says it is truncated', async () => {
    const path = clips.truncated('cut.mp4', sharedPath('videos/lab_640x480_h264.mp4'), 0.5);
    const report = await decodeInPage(browser, baseUrl, [path]);
    expect(report.info?.decoder).toBe('webcodecs');
    expect(report.frames.length).toBeGreaterThan(300);
    expect(report.frames.length).toBeLessThan(842);
    expect(report.error?.name).toBe('VideoInputError');
    expect(report.error?.message).toMatch(/^cut\.mp4: the file is truncated: its index lists 842 frames/);
  });

  test('a truncated AVI (ffmpeg.wasm) yields the frames before the cut, then says it is truncated', async () => {
    const path = clips.truncated('cut.avi', sharedPath('videos/0417_02_003_bill_clinton.avi'), 0.5);
    const report = await decodeInPage(browser, baseUrl, [path]);
    expect(report.info?.decoder).toBe('ffmpeg.wasm');
    expect(report.frames.length).toBeGreaterThan(50);
    expect(report.frames.length).toBeLessThan(330);
    expect(report.error?.message).toMatch(/^cut\.avi: the file is truncated/);
  });

  test('an unknown codec is named', async () => {
    const path = clips.patched('unknown.avi', sharedPath('videos/0417_02_003_bill_clinton.avi'), 'FMP4', 'QQQ1');
    const report = await decodeInPage(browser, baseUrl, [path]);
    expect(report.frames).toHaveLength(0);
    expect(report.error?.message).toMatch(/^unknown\.avi: .*codec.*QQQ1/);
  });

  test('an odd frame height is no longer refused: every frame comes, at its own size, with the same frame count as the CLI', async () => {
    const path = sharedPath('videos/0490_03_007_bill_gates.avi');
    const [report, cli] = await Promise.all([decodeInPage(browser, baseUrl, [path]), cliFrames(path)]);
    expect(report.error).toBeNull();
    expect(report.frames).toHaveLength(cli.sha256.length);
    expect({ width: report.frames[0].width, height: report.frames[0].height }).toEqual({ width: 320, height: 239 });
    // byte equality for odd sizes is checked on H.264 clips in phoneVideos.e2e.ts; MPEG-4 Part 2 AVIs
    // may differ by a level where native ffmpeg takes a rounding shortcut (README, "Same pixels as OpenFace")
    const identical = report.frames.filter((frame, i) => frame.sha256 === cli.sha256[i]).length;
    console.log(`bill_gates (320x239): ${report.frames.length} frames, ${identical} identical to the CLI's`);
  });

  test('a 6 GB file is streamed: the first frames come at once and memory stays small', async () => {
    const lab = sharedPath('videos/lab_640x480_h264.mp4');
    const huge = clips.paddedMp4('huge.mp4', lab, 6 * 1024 ** 3);
    const hugeHevc = clips.paddedMp4('huge_hevc.mp4', clips.encode('small_hevc.mp4', lab, 30, ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error']), 6 * 1024 ** 3);
    for (const [path, decoder] of [[huge, 'webcodecs'], [hugeHevc, 'ffmpeg.wasm']] as const) {
      const report = await decodeInPage(browser, baseUrl, [path], { maxFrames: 20 });
      console.log(`${path.split('/').pop()}: ${report.info?.decoder}, 20 frames in ${(report.ms / 1000).toFixed(1)} s, JS heap ${((report.heapBytes ?? 0) / 1024 ** 2).toFixed(0)} MiB`);
      expect(report.error).toBeNull();
      expect(report.info?.decoder).toBe(decoder);
      expect(report.info?.sizeBytes).toBeGreaterThan(6 * 1024 ** 3);
      expect(report.frames).toHaveLength(20);
      expect(report.ms).toBeLessThan(20_000);
      if (report.heapBytes !== null) expect(report.heapBytes).toBeLessThan(256 * 1024 ** 2);
    }
  });
});
