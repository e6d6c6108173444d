/**
 * Phone video speed in the app (issue 14): a 1080p60 HEVC Main 10 clip
 * (made here from the shared 1080p lab clip, 1920x1080, yuv420p10le, HLG tags)
 * through headless Chromium. Two figures:
 *  - decoding alone: openVideo + rawFrameToBgr in the decode test page, i.e.
 *    the decoder (ffmpeg.wasm here: Linux Chromium has no HEVC in WebCodecs)
 *    and the libswscale-exact 10-bit conversion, frames per second;
 *  - the whole app, end to end (the OpenFace folder imported, the clip added,
 *    until its CSV is written), frames per second.
 * Run alone with `npx tsx scripts/bench/phoneVideo.ts [--frames N] [--json]`,
 * or from scripts/bench.ts through runPhoneVideoBench.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildAndServe } from './serveApp.ts';
import { addVideos, importOpenFaceFolder, waitForJobs } from '../../tests/e2e/helpers/appDriver.ts';
import type { DecodeReport } from '../../tests/e2e/pages/decodeApi.ts';

export interface PhoneVideoFigures {
  readonly clip: string;
  readonly frames: number;
  readonly decoder: string | null;
  /** decode + conversion to OpenCV's BGR, in the page */
  readonly decode_fps: number;
  /** the whole app, model loading included */
  readonly end_to_end_fps: number | null;
  readonly end_to_end_error: string | null;
  readonly cores: number;
}

export interface PhoneVideoOptions {
  /** ../shared */
  readonly shared: string;
  readonly frames?: number;
  readonly log?: (line: string) => void;
}

const CHROMIUM = '/usr/bin/chromium';

/** 1080p60 HEVC Main 10 with HLG tags, `frames` frames, from the shared 1080p lab clip. */
function makeClip(shared: string, dir: string, frames: number): string {
  const out = join(dir, 'phone_hevc10_1080p60.mp4');
  execFileSync('ffmpeg', [
    '-v', 'error', '-nostdin', '-y', '-i', join(shared, 'videos/lab_1080p60_h264.mp4'), '-map', '0:v:0', '-frames:v', String(frames),
    '-vf', 'scale=1920:1080:flags=bicubic', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-x265-params', 'log-level=error',
    '-color_primaries', 'bt2020', '-color_trc', 'arib-std-b67', '-colorspace', 'bt2020nc', '-tag:v', 'hvc1', out,
  ]);
  return out;
}

export async function runPhoneVideoBench(options: PhoneVideoOptions): Promise<PhoneVideoFigures> {
  const frames = options.frames ?? 240;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'splitface-bench-phone-'));
  const app = await buildAndServe({ input: { main: 'index.html', decode: 'tests/e2e/pages/decode.html' }, tempPrefix: 'splitface-bench-phone-build-' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--disable-gpu'] });
  try {
    const clip = makeClip(options.shared, dir, frames);
    log(`phone video: ${frames} frames of 1080p60 HEVC Main 10 made; decoding in the page`);
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/tests/e2e/pages/decode.html`);
    await page.setInputFiles('#files', [clip]);
    const report: DecodeReport = await page.evaluate(() => window.splitfaceE2E!.decode({}));
    await page.close();
    if (report.error) throw new Error(`decoding failed: ${report.error.message}`);
    const decodeFps = report.frames.length / (report.ms / 1000);
    log(`phone video: decode + BGR ${decodeFps.toFixed(1)} fps (${report.info?.decoder}); now the whole app`);

    let endToEnd: number | null = null;
    let endToEndError: string | null = null;
    const appPage = await browser.newPage();
    try {
      await appPage.goto(app.baseUrl);
      await importOpenFaceFolder(appPage, join(options.shared, 'openface-2.2'));
      const started = Date.now();
      await addVideos(appPage, [clip]);
      const [job] = await waitForJobs(appPage, 1, 3_600_000);
      if (job.state !== 'done') endToEndError = job.message ?? job.state;
      else endToEnd = (job.result?.frames ?? 0) / ((Date.now() - started) / 1000);
    } catch (error) {
      endToEndError = error instanceof Error ? error.message : String(error);
    } finally {
      await appPage.close();
    }
    return {
      clip: `1920x1080 HEVC Main 10 (yuv420p10le, HLG), 60 fps, ${frames} frames`,
      frames: report.frames.length,
      decoder: report.info?.decoder ?? null,
      decode_fps: Number(decodeFps.toFixed(1)),
      end_to_end_fps: endToEnd === null ? null : Number(endToEnd.toFixed(1)),
      end_to_end_error: endToEndError,
      cores: cpus().length,
    };
  } finally {
    await browser.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function phoneVideoLines(f: PhoneVideoFigures): string[] {
  return [
    `Phone video in the app (${f.clip}, ${f.cores} cores):`,
    `| figure | fps |`,
    `|---|---|`,
    `| decode + conversion to OpenCV's BGR (${f.decoder}) | ${f.decode_fps} |`,
    `| whole app, end to end | ${f.end_to_end_fps ?? `failed: ${f.end_to_end_error}`} |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--frames');
  const frames = at > 0 ? Number(process.argv[at + 1]) : undefined;
  const shared = new URL('../../../shared/', import.meta.url).pathname;
  const figures = await runPhoneVideoBench({ shared, frames, log: (l) => process.stderr.write(`${l}\n`) });
  console.log(process.argv.includes('--json') ? JSON.stringify(figures, null, 2) : phoneVideoLines(figures).join('\n'));
}
