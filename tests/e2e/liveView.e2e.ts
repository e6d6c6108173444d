/**
 * Issue #15, point 3: the live view draws each landmark where the CSV puts
 * it, also for a rotated (portrait) video, with either decoder. The dots
 * are read back from the canvas's pixels (the landmark colour) and compared
 * with the CSV row of the frame the canvas shows (its data-frame).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Page } from 'playwright-core';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, openAppWithOpenFace, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import type { E2EBrowser, RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { parseCsv } from './helpers/csvRows.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const PORTRAIT = sharedPath('videos/lab_portrait_rot90_h264.mov');

/** One frame of the live view as drawn: which frame, and where the landmark-coloured pixels are. */
interface CanvasSample {
  readonly frame: number;
  readonly width: number;
  readonly height: number;
  /** x, y of every pixel drawn in the first face's colour */
  readonly dots: readonly (readonly [number, number])[];
}

/** Reads `count` different frames off the live-view canvas while the job runs. */
async function sampleCanvas(page: Page, jobId: number, count: number): Promise<CanvasSample[]> {
  const samples: CanvasSample[] = [];
  let last = -1;
  const deadline = Date.now() + 120_000;
  while (samples.length < count && Date.now() < deadline) {
    const sample = await page.evaluate(([job, after]) => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="live-view"]');
      const frame = Number(canvas?.dataset.frame ?? -1);
      if (!canvas || Number(canvas.dataset.job) !== job || frame <= after) return null;
      const { width, height } = canvas;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
      const dots: [number, number][] = [];
      // the first face's colour, #21e07a: strongly green, nothing like skin or a lab wall
      for (let i = 0; i < pixels.length; i += 4) {
        const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
        if (g > 150 && g - r > 90 && g - b > 50) dots.push([(i / 4) % width, Math.floor(i / 4 / width)]);
      }
      return { frame, width, height, dots };
    }, [jobId, last] as const);
    if (sample && sample.dots.length > 0) {
      samples.push(sample);
      last = sample.frame;
    } else await page.waitForTimeout(150);
  }
  return samples;
}

/** Distance from each CSV landmark of `frame` (times `scale`, the canvas's pixels per video pixel) to the nearest landmark-coloured pixel. */
function distancesToDots(csv: string, sample: CanvasSample, scale: number): number[] {
  const row = parseCsv(csv).rows.find((r) => Number(r.frame) === sample.frame + 1);
  if (!row) throw new Error(`no CSV row for frame ${sample.frame + 1}`);
  const distances: number[] = [];
  for (let k = 0; k < 68; k++) {
    const x = Number(row[`x_${k}`]) * scale;
    const y = Number(row[`y_${k}`]) * scale;
    let best = Infinity;
    for (const [dx, dy] of sample.dots) best = Math.min(best, Math.hypot(dx + 0.5 - x, dy + 0.5 - y));
    distances.push(best);
  }
  return distances;
}

describe.skipIf(skip !== null)(suiteTitle('live view on a portrait (rotated) video', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;

  beforeAll(async () => {
    clips = clipFolder();
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 900 }, openfaceModelsPath()));
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  /** the portrait clip re-encoded with its frames as stored and the rotation kept as metadata (rotate=90 is its display matrix) */
  function rotatedCopy(name: string, frames: number, args: readonly string[]): string {
    const out = join(clips.dir, name);
    execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-noautorotate', '-i', PORTRAIT, '-frames:v', String(frames), ...args, '-metadata:s:v:0', 'rotate=90', out]);
    return out;
  }

  const cases = [
    // the shared clip is cancelled once the samples are taken: its partial CSV holds their rows
    { decoder: 'WebCodecs', clip: () => PORTRAIT, name: 'lab_portrait_rot90_h264.mov', size: [360, 480], canvas: [360, 480], cancel: true },
    {
      decoder: 'WebCodecs, a portrait frame wider than the preview (downscaled 2:1)',
      clip: () => rotatedCopy('portrait_720x960.mov', 120, ['-vf', 'scale=960:720', ...H264_MP4]),
      name: 'portrait_720x960.mov',
      size: [720, 960],
      canvas: [360, 480],
    },
    {
      decoder: 'ffmpeg.wasm',
      // MPEG-4 Part 2 in MOV with the same rotation: WebCodecs cannot decode it, ffmpeg.wasm does
      clip: () => rotatedCopy('portrait_mpeg4.mov', 150, ['-c:v', 'mpeg4', '-q:v', '2']),
      name: 'portrait_mpeg4.mov',
      size: [360, 480],
      canvas: [360, 480],
    },
  ];

  for (const { decoder, clip, name, size, canvas, cancel } of cases) {
    test(`${decoder}: the dots drawn are within 2.5 px of the CSV's landmarks`, async () => {
      const page = recorded.page;
      const before = (await page.evaluate(() => window.__splitface!.jobs())).length;
      await addVideos(page, [clip()]);
      await page.waitForFunction((n) => (window.__splitface?.jobs() ?? []).length > n, before);
      const jobId = (await page.evaluate(() => window.__splitface!.jobs())).find((j) => j.name === name)!.id;
      const samples = await sampleCanvas(page, jobId, 4);
      if (cancel) await page.locator(`[data-testid="job-row"][data-name="${name}"]`).getByTestId('cancel-job').click();
      const jobs = await waitForJobs(page, before + 1);
      const job = jobs.find((j) => j.name === name)!;
      expect(job.state, job.message ?? '').toBe(cancel ? 'cancelled' : 'done');
      expect(job.result?.provenance.video).toMatchObject({ rotation: 90, width: size[0], height: size[1] });
      expect(samples.length).toBeGreaterThanOrEqual(3);
      const csv = await jobCsv(page, name);
      for (const sample of samples) {
        expect([sample.width, sample.height]).toEqual(canvas);
        const distances = distancesToDots(csv, sample, sample.width / size[0]!).sort((a, b) => a - b);
        const median = distances[34]!;
        const worst = distances[67]!;
        console.log(`${decoder}, frame ${sample.frame + 1}: landmark to nearest dot pixel median ${median.toFixed(2)} px, max ${worst.toFixed(2)} px`);
        expect(median).toBeLessThanOrEqual(1.5);
        expect(worst).toBeLessThanOrEqual(2.5);
      }
    });
  }
});
