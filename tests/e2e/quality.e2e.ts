/**
 * Issue #15, point 1: a result whose tracking is doubtful says so. The clip's
 * first 30 frames show the face 120 px to the right of where it is after
 * them, so the face fit jumps at frame 31 (the same evidence a corrected
 * mis-initialisation leaves): the results view shows "check frames" with the
 * stretch, the provenance JSON holds the verdict, and the start of the track
 * is named as suspect. Takes the README's screenshot of the warning.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, openAppWithOpenFace, waitForJobs } from './helpers/appDriver.ts';
import type { E2EBrowser, RecordedPage } from './helpers/browser.ts';
import { clipFolder, H264_MP4, type ClipFolder } from './helpers/clips.ts';
import { audit, serious } from './helpers/axe.ts';
import type { TrackingQuality } from '../../src/core/quality/trackingQuality.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

describe.skipIf(skip !== null)(suiteTitle('tracking quality verdict', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;

  beforeAll(async () => {
    clips = clipFolder();
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 1000 }, openfaceModelsPath()));
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('a clip whose first frames put the face elsewhere gets "check frames", in the page and the JSON', async () => {
    const page = recorded.page;
    const clip = join(clips.dir, 'shifted_start.mp4');
    // frames 1-30: the picture moved 120 px right (cropped and padded); frames 31-150: as recorded
    execFileSync('ffmpeg', [
      '-v', 'error', '-nostdin', '-y', '-i', sharedPath('videos/lab_640x480_h264.mp4'),
      '-filter_complex', '[0:v]trim=end_frame=30,setpts=PTS-STARTPTS,crop=520:480:0:0,pad=640:480:120:0[a];[0:v]trim=start_frame=30:end_frame=150,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]',
      '-map', '[v]', ...H264_MP4, clip,
    ]);
    await addVideos(page, [clip]);
    const [job] = await waitForJobs(page, 1);
    expect(job?.state, job?.message ?? '').toBe('done');
    const quality = job!.result!.provenance.tracking_quality as TrackingQuality;
    expect(quality.verdict).toBe('check');
    expect(quality.jumps).toContain(31);
    expect(quality.startSuspect).toEqual({ first: 1, last: 30 });
    expect(quality.ranges[0]).toMatchObject({ first: 1, last: 31 });

    const shown = page.getByTestId('results-quality');
    await shown.waitFor();
    expect(await shown.getAttribute('data-verdict')).toBe('check');
    const text = (await shown.textContent()) ?? '';
    expect(text).toMatch(/Check frames 1–31/);
    expect(text).toMatch(/start of the track \(frames 1–30\)/);
    expect(text).toMatch(/cut those first seconds off/);
    // the flagged frames as pictures with their landmarks: the track's start, and the frames either side of the jump
    const labels = await page.getByTestId('quality-frames').locator('li').allInnerTexts();
    expect(labels.map((l) => l.replace(/\s+/g, ' ').trim())).toEqual(['frame 1 start of the track', 'frame 30 before a jump', 'frame 31 after a jump']);
    const drawn = await page.getByTestId('quality-frames').locator('canvas').first().evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    expect(drawn).toEqual([160, 120]);
    expect(serious(await audit(page))).toEqual([]);
    mkdirSync(SHOTS, { recursive: true });
    await shown.scrollIntoViewIfNeeded();
    await page.getByTestId('results').screenshot({ path: join(SHOTS, 'quality-warning.png') });
  });
});
