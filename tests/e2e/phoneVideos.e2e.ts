/**
 * Phone-like videos in Chromium (issue 14): clips made at set-up with the
 * system ffmpeg from the shared lab clip, one per thing phones and editing
 * tools produce (10-bit HEVC HLG turned a quarter at 60 fps, 8-bit HEVC,
 * H.264 High 10, VP9 and AV1 10-bit, 4:4:4 and 4:2:2, odd sizes, a mirrored
 * display matrix, a variable frame rate, 4K 60 fps). For each: the page's
 * BGR frames (openVideo + rawFrameToBgr, as the analysis worker does) equal
 * the CLI's frame for frame, the CLI's equal `ffmpeg -vf
 * scale=in_color_matrix=bt601:in_range=tv -pix_fmt bgr24` (the project's
 * conversion flags, ffmpeg's autorotation), and the times equal ffprobe's
 * per-frame presentation times.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { launchBrowser, type E2EBrowser } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';
import { decodeInPage } from './helpers/decodePage.ts';
import { cliFrames, sha256 } from './helpers/reference.ts';
import { addVideos, importOpenFaceFolder, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import { cliCsvsOf } from './helpers/cliCsvs.ts';
import { maxCsvDifference } from '../helpers/auCompare.ts';
import { openfaceModelsPath } from '../helpers/shared.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

let browser: E2EBrowser;

/** Frames taken from the lab clip for each test video: short, to keep CI fast. */
const FRAMES = 20;
const FRAMES_4K = 8;

const HEVC_QUIET = ['-x265-params', 'log-level=error'];

/** name, ffmpeg output arguments (after -map 0:v:0 -frames:v N) */
const CASES: readonly (readonly [string, readonly string[]])[] = [
  [
    'hevc10_hlg_portrait_rot90_60.mp4',
    [
      '-vf', 'fps=60,scale=1080:810,pad=1080:1920:(ow-iw)/2:(oh-ih)/2,transpose=cclock',
      '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', ...HEVC_QUIET,
      '-color_primaries', 'bt2020', '-color_trc', 'arib-std-b67', '-colorspace', 'bt2020nc',
      '-tag:v', 'hvc1',
    ],
  ],
  ['hevc8.mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...HEVC_QUIET, '-tag:v', 'hvc1']],
  ['h264_high10.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le']],
  ['vp9_10bit.webm', ['-c:v', 'libvpx-vp9', '-profile:v', '2', '-pix_fmt', 'yuv420p10le', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M']],
  ['av1_10bit.mp4', ['-c:v', 'libsvtav1', '-preset', '12', '-pix_fmt', 'yuv420p10le']],
  ['h264_444.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p']],
  ['h264_422_10bit.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv422p10le']],
  ['odd_321x239.mp4', ['-vf', 'scale=321:239:flags=bicubic', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p']],
  ['odd_639x479.mp4', ['-vf', 'scale=639:479:flags=bicubic', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p']],
  // 30 fps for the first 10 frames, then 60 fps: every other frame of a 60 fps stream dropped at the start
  ['vfr_30_60.mp4', ['-vf', "fps=60,select='gte(n\\,20)+not(mod(n\\,2))'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']],
  ['h264_4k60.mp4', ['-vf', 'fps=60,scale=3840:2160', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']],
];

/**
 * Writes a display matrix into the first track header (ffmpeg 5.1 no longer
 * writes a `rotate` tag on encode): a, b, c, d in 16.16, as a phone does for
 * a portrait clip (0, 1, -1, 0: turn a quarter clockwise) or a front camera
 * for a mirrored one (-1, 0, 0, 1).
 */
function setTrackMatrix(path: string, out: string, [a, b, c, d]: readonly [number, number, number, number]): string {
  const bytes = readFileSync(path);
  const at = bytes.indexOf(Buffer.from('tkhd', 'latin1'));
  if (at < 0 || bytes[at + 4] !== 0) throw new Error('setTrackMatrix: no version-0 tkhd box');
  // type(4) version+flags(4) times(8) track id(4) reserved(4) duration(4) reserved(8) layer, group, volume, reserved(8) → matrix a b u c d v x y w
  const matrix = at + 44;
  bytes.writeInt32BE(a * 0x10000, matrix);
  bytes.writeInt32BE(b * 0x10000, matrix + 4);
  bytes.writeInt32BE(c * 0x10000, matrix + 12);
  bytes.writeInt32BE(d * 0x10000, matrix + 16);
  writeFileSync(out, bytes);
  return out;
}

/** ffprobe's presentation time of every frame, in seconds from the first. */
function ffprobeTimes(path: string): number[] {
  const text = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  const times = text.split('\n').filter((l) => l.trim()).map((l) => Number(l.split(',')[0]));
  return times.map((t) => t - times[0]);
}

/** The BGR frames of plain ffmpeg with the project's conversion flags (autorotation on), hashed as they stream in. */
async function ffmpegHashes(path: string, width: number, height: number): Promise<string[]> {
  const frameBytes = width * height * 3;
  const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', '-vf', 'scale=in_color_matrix=bt601:in_range=tv', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hashes: string[] = [];
  const frame = Buffer.alloc(frameBytes);
  let filled = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - at);
      chunk.copy(frame, filled, at, at + n);
      filled += n;
      at += n;
      if (filled === frameBytes) {
        hashes.push(sha256(frame));
        filled = 0;
      }
    }
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} on ${path}`);
  return hashes;
}

/** Every test clip by name, the two display-matrix ones added to CASES. */
const NAMES = [...CASES.map(([name]) => name), 'mirrored_h264.mp4', 'mirrored_portrait_h264.mp4'];

/** Frames in a test clip. */
const framesOf = (name: string): number => (name.includes('4k') ? FRAMES_4K : FRAMES);

/** The clips, made once for both suites below (encoding is a good part of this file's time), removed after them. */
let clips: ClipFolder | undefined;
const made = new Map<string, string>();
function makeClips(): Map<string, string> {
  if (clips) return made;
  clips = clipFolder();
  const lab = sharedPath('videos/lab_640x480_h264.mp4');
  for (const [name, args] of CASES) {
    const path = clips.encode(name, lab, framesOf(name), args);
    made.set(name, name.includes('rot90') ? setTrackMatrix(path, path, [0, 1, -1, 0]) : path);
  }
  const plain = clips.encode('plain.mp4', lab, FRAMES, ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  made.set('mirrored_h264.mp4', setTrackMatrix(plain, join(clips.dir, 'mirrored_h264.mp4'), [-1, 0, 0, 1]));
  made.set('mirrored_portrait_h264.mp4', setTrackMatrix(plain, join(clips.dir, 'mirrored_portrait_h264.mp4'), [0, 1, 1, 0]));
  return made;
}
afterAll(() => clips?.remove());

describe.skipIf(skip)(suiteTitle('phone videos: the page reads them to the CLI\'s bytes, the CLI to ffmpeg\'s', skip), () => {
  beforeAll(async () => {
    browser = await launchBrowser(baseUrl);
    makeClips();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test.each(NAMES)('%s', async (name) => {
    const path = made.get(name);
    if (!path) throw new Error(`${name} was not made`);
    const [report, cli] = await Promise.all([decodeInPage(browser, baseUrl, [path]), cliFrames(path)]);
    expect(report.error).toBeNull();
    const plain = await ffmpegHashes(path, cli.width, cli.height);
    const probeTimes = ffprobeTimes(path);
    let identical = 0;
    for (let i = 0; i < Math.min(report.frames.length, cli.sha256.length); i++) if (report.frames[i].sha256 === cli.sha256[i]) identical++;
    console.log(
      `${name}: ${report.info?.decoder} ${report.info?.codec} ${report.frames[0]?.format}, ${report.frames.length} frames ${report.frames[0]?.width}x${report.frames[0]?.height}, ` +
        `${identical}/${cli.sha256.length} identical to the CLI, ${(report.ms / 1000).toFixed(1)} s in the page` +
        (report.info?.hdr ? `, HDR ${report.info.hdr.transfer}` : '') +
        (report.info?.mirrored ? ', mirrored' : ''),
    );
    // The CLI is plain ffmpeg with the project's flags.
    expect(cli.sha256).toEqual(plain);
    // The page equals the CLI, frame for frame, at the upright size.
    expect(report.frames.length).toBe(cli.sha256.length);
    expect({ width: report.frames[0].width, height: report.frames[0].height }).toEqual({ width: cli.width, height: cli.height });
    expect(identical).toBe(cli.sha256.length);
    // One row per frame with its own presentation time, as ffprobe lists them.
    expect(probeTimes.length).toBe(report.frames.length);
    const off = probeTimes.filter((t, i) => Math.abs(report.frames[i].timestamp - t) > 1e-6);
    expect(off).toEqual([]);
    const cliOff = probeTimes.filter((t, i) => Math.abs(cli.timestamps[i] - t) > 1e-6);
    expect(cliOff).toEqual([]);
  });

  // OpenFace 2.2's own phone-like clips (../shared/videos, with 2.2's output in reference-2.2): the page
  // reads them to the CLI's bytes, and the CLI reaches AU r = 1.000 on them given 2.2's landmarks
  // (tests/cli), so the page's frames are OpenCV's. SPLITFACE_E2E_FULL=1 compares every frame.
  test.each([
    ['phone_hevc10_hlg_1080x1920_60.mp4', 90],
    ['odd_321x239_h264.mp4', 300],
  ])('%s (OpenFace 2.2 reference clip)', async (name, ciFrames) => {
    const path = sharedPath(`videos/${name}`);
    const frames = process.env.SPLITFACE_E2E_FULL ? undefined : ciFrames;
    const [report, cli] = await Promise.all([decodeInPage(browser, baseUrl, [path], { maxFrames: frames }), cliFrames(path)]);
    expect(report.error).toBeNull();
    const compared = frames ?? cli.sha256.length;
    let identical = 0;
    for (let i = 0; i < compared; i++) if (report.frames[i]?.sha256 === cli.sha256[i]) identical++;
    console.log(`${name}: ${report.info?.decoder} ${report.frames[0]?.format}, ${identical}/${compared} frames identical to the CLI (of ${cli.sha256.length}), ${(report.ms / 1000).toFixed(1)} s in the page`);
    expect(report.frames.length).toBe(compared);
    expect(identical).toBe(compared);
  }, 900_000);

  test('a cut-off HEVC 10-bit clip and an RGB-coded H.264 stream: one plain reason each, frames so far kept', async () => {
    const lab = sharedPath('videos/lab_640x480_h264.mp4');
    const whole = clips!.encode('hevc10_faststart.mp4', lab, 30, ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', ...HEVC_QUIET, '-tag:v', 'hvc1', '-movflags', '+faststart']);
    const cut = await decodeInPage(browser, baseUrl, [clips!.truncated('hevc10_cut.mp4', whole, 0.9)]);
    console.log(`hevc10_cut.mp4: ${cut.frames.length} frames, then: ${cut.error?.message}`);
    expect(cut.error?.message).toMatch(/hevc10_cut\.mp4: the file is truncated or damaged: \d+ of the 30 frames/);
    expect(cut.error?.message.split('\n')).toHaveLength(1);
    expect(cut.frames.length).toBeGreaterThan(0);
    const rgb = clips!.encode('rgb_h264.mkv', lab, 5, ['-c:v', 'libx264rgb', '-preset', 'ultrafast', '-pix_fmt', 'gbrp']);
    const refused = await decodeInPage(browser, baseUrl, [rgb]);
    console.log(`rgb_h264.mkv: ${refused.error?.message}`);
    expect(refused.error?.message).toMatch(/rgb_h264\.mkv: pixel format gbrp( \(RGB-coded\))? is not supported in the browser.*use the command line/);
  });

  test('the HDR clip says it is HDR (HLG, BT.2020); the mirrored clip says it is mirrored', async () => {
    const hdr = await decodeInPage(browser, baseUrl, [made.get('hevc10_hlg_portrait_rot90_60.mp4') ?? ''], { maxFrames: 1 });
    expect(hdr.info?.hdr).toEqual({ transfer: 'hlg', primaries: 'bt2020', toneMapping: 'none' });
    expect(hdr.info?.rotation).toBe(90);
    const mirrored = await decodeInPage(browser, baseUrl, [made.get('mirrored_h264.mp4') ?? ''], { maxFrames: 1 });
    expect(mirrored.info?.mirrored).toBe(true);
    expect(mirrored.info?.rotation).toBe(0);
  });
});

describe.skipIf(skip)(suiteTitle('phone videos through the whole app: CSVs equal the CLI\'s within 1e-4', skip), () => {
  let appBrowser: E2EBrowser;
  const out = mkdtempSync(join(tmpdir(), 'splitface-e2e-phone-'));

  beforeAll(async () => {
    makeClips();
    appBrowser = await launchBrowser(baseUrl);
  });
  afterAll(async () => {
    await appBrowser?.close();
    rmSync(out, { recursive: true, force: true });
  });

  test('every clip is done with one row per frame, and its CSV equals the CLI\'s', async () => {
    const paths = NAMES.map((name) => made.get(name) ?? '');
    const recorded = await appBrowser.open('/');
    await importOpenFaceFolder(recorded.page, openfaceModelsPath());
    await addVideos(recorded.page, paths);
    // the CLI's CSVs meanwhile, in one process (the models loaded once), beside the app's two workers
    const [jobs, cliCsvs] = await Promise.all([waitForJobs(recorded.page, NAMES.length), cliCsvsOf(paths, out)]);
    for (const name of NAMES) {
      const job = jobs.find((j) => j.name === name);
      expect(job?.state, `${name}: ${job?.message}`).toBe('done');
      expect(job?.result?.frames).toBe(framesOf(name));
      const browserText = await jobCsv(recorded.page, name);
      const cliText = readFileSync(cliCsvs.get(made.get(name) ?? '') ?? '', 'utf8');
      const difference = maxCsvDifference(cliText, browserText);
      console.log(`${name}: app CSV ${cliText === browserText ? 'byte-identical to the CLI\'s' : `max difference ${difference.max} at ${difference.where}`}`);
      expect(difference.max, `largest difference at ${difference.where}`).toBeLessThanOrEqual(1e-4);
    }
    expect(recorded.consoleErrors).toEqual([]);
  }, 900_000);
});
