/**
 * Face Mirror in the app, in headless Chromium (issue #13, bar 6: >= 15 fps
 * of source video): the whole run on lab_640x480_h264.mp4 (source tracking,
 * both sides' tracking and AUs, the three videos encoded with WebCodecs into
 * OPFS), timed from adding the video to its results, with the OpenFace
 * folder imported. fps = source frames / seconds. Also says how much of the
 * machine other work used meanwhile (cpuShare.ts).
 *
 *   npx tsx scripts/bench/mirrorBrowserBench.ts      (alone; npm run bench runs it after the other browser sections)
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { launchBrowser } from '../../tests/e2e/helpers/browser.ts';
import { addVideos, importOpenFaceFolder, waitForJobs } from '../../tests/e2e/helpers/appDriver.ts';
import { buildAndServe } from './serveApp.ts';
import { watchOtherCpu } from './cpuShare.ts';

export const MIRROR_BROWSER_VIDEO = 'lab_640x480_h264.mp4';
export const MIRROR_BROWSER_TARGET_FPS = 15;

export interface MirrorBrowserFigures {
  readonly video: string;
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  /** what the app wrote the videos as */
  readonly videos: string;
  /** ms per source frame by stage, from the run's own timings */
  readonly ms_per_frame: Record<string, number>;
  readonly other_cpu_percent: number | null;
}

export type MirrorBrowserOutcome = MirrorBrowserFigures | { readonly skipped: string };

export async function runMirrorBrowserBench(options: { readonly shared: string; readonly log: (line: string) => void }): Promise<MirrorBrowserOutcome> {
  const video = join(options.shared, 'videos', MIRROR_BROWSER_VIDEO);
  const models = join(options.shared, 'openface-2.2');
  if (!existsSync(video) || !existsSync(models)) return { skipped: `needs ${video} and ${models}` };
  const app = await buildAndServe({ tempPrefix: 'splitface-mirror-bench-' });
  const browser = await launchBrowser(app.baseUrl, { serviceWorkers: 'block' });
  try {
    const { page } = await browser.open('/');
    await page.setViewportSize({ width: 1280, height: 900 });
    await importOpenFaceFolder(page, models);
    await page.getByTestId('face-mirror').check();
    options.log(`Face Mirror in Chromium: ${MIRROR_BROWSER_VIDEO}`);
    const cpu = watchOtherCpu();
    const started = performance.now();
    await addVideos(page, [video]);
    const [job] = await waitForJobs(page, 1, 3 * 3600 * 1000);
    const seconds = (performance.now() - started) / 1000;
    const otherCpu = cpu.stop();
    if (!job || job.state !== 'done') throw new Error(`Face Mirror ended ${job?.state}: ${job?.message ?? 'no message'}`);
    const mirror = await page.evaluate((name) => window.__splitface!.mirror(name), MIRROR_BROWSER_VIDEO);
    if (!mirror) throw new Error('the app shows no Face Mirror result');
    const frames = job.framesDone;
    const perFrame: Record<string, number> = {};
    for (const [stage, ms] of Object.entries(mirror.stageMs)) perFrame[stage] = Math.round((ms / frames) * 100) / 100;
    return {
      video: MIRROR_BROWSER_VIDEO,
      frames,
      seconds: Math.round(seconds * 10) / 10,
      fps: Math.round((frames / seconds) * 10) / 10,
      videos: String(mirror.summary['videos'] ?? ''),
      ms_per_frame: perFrame,
      other_cpu_percent: otherCpu,
    };
  } finally {
    await browser.close();
    await app.close();
  }
}

export function mirrorBrowserLines(outcome: MirrorBrowserOutcome | { readonly error: string }): string[] {
  if ('skipped' in outcome) return [`Face Mirror in Chromium: skipped, ${outcome.skipped}`];
  if ('error' in outcome) return [`Face Mirror in Chromium: failed, ${outcome.error}`];
  const stages = Object.entries(outcome.ms_per_frame).map(([stage, ms]) => `${stage} ${ms}`).join(', ');
  return [
    `Face Mirror in headless Chromium (whole run: source tracking, both sides' tracking and AUs, three videos: ${outcome.videos})`,
    '| video | frames | seconds | fps | target | other CPU use |',
    '|---|---|---|---|---|---|',
    `| ${outcome.video} | ${outcome.frames} | ${outcome.seconds} | ${outcome.fps} | >= ${MIRROR_BROWSER_TARGET_FPS} | ${outcome.other_cpu_percent === null ? '–' : `${outcome.other_cpu_percent} %`} |`,
    `ms per source frame: ${stages}`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { SHARED, hasSharedData } = await import('../sharedData.ts');
  if (!hasSharedData) console.log('Face Mirror in Chromium: skipped, ../shared is not present');
  else for (const line of mirrorBrowserLines(await runMirrorBrowserBench({ shared: SHARED, log: (line) => process.stderr.write(`${line}\n`) }))) console.log(line);
}
