/**
 * Issue #15, point 4: image folders in the browser. The shared JPEG folder
 * converted to PNG (lossless) and to BMP, picked through the folder input,
 * gives the CLI's CSV on the same folder; a TIFF folder gets a plain message
 * that points to the command line, and the drop zone lists TIFF as
 * command-line only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { maxCsvDifference } from '../helpers/auCompare.ts';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { openAppWithOpenFace, jobCsv, waitForJobs } from './helpers/appDriver.ts';
import { foreignRequests, type E2EBrowser, type RecordedPage } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');

describe.skipIf(skip !== null)(suiteTitle('PNG and BMP image folders in the browser', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;

  /**
   * The first images of the shared JPEG folder converted one by one with
   * ffmpeg into `name`/ (same names, new extension). Twelve are enough to
   * show the decoding exact; each image costs a detection in both runs.
   */
  function converted(name: string, ext: string, pixFmt: string): string {
    const source = sharedPath('videos/image_sequence');
    const folder = join(clips.dir, name);
    mkdirSync(folder);
    for (const image of readdirSync(source).sort().slice(0, 12)) {
      const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', join(source, image), '-pix_fmt', pixFmt, join(folder, image.replace(/\.jpe?g$/i, `.${ext}`))]);
      if (run.status !== 0) throw new Error(run.stderr.toString());
    }
    return folder;
  }

  beforeAll(async () => {
    clips = clipFolder();
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 900 }, openfaceModelsPath()));
  });

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('the drop zone says which image formats the browser reads', async () => {
    const text = await recorded.page.locator('.formats').textContent();
    expect(text).toMatch(/JPEG, PNG or BMP/);
    expect(text).toMatch(/TIFF.*command line only/);
  });

  for (const [ext, pixFmt] of [['png', 'rgb24'], ['bmp', 'bgr24']] as const) {
    test(`a ${ext.toUpperCase()} folder gives the CLI's CSV`, async () => {
      const page = recorded.page;
      const folder = converted(`faces_${ext}`, ext, pixFmt);
      const before = (await page.evaluate(() => window.__splitface!.jobs())).length;
      await page.getByTestId('sequence-input').setInputFiles(folder);
      const jobs = await waitForJobs(page, before + 1);
      const job = jobs.find((j) => j.name === `faces_${ext}`)!;
      expect(job.state, job.message ?? '').toBe('done');
      expect(job.result?.frames).toBe(readdirSync(folder).length);
      const browserCsv = await jobCsv(page, job.name);
      const cliCsv = join(clips.dir, `faces_${ext}.cli.csv`);
      const cli = runCli(['process', folder, '--openface-models', openfaceModelsPath(), '--out', cliCsv]);
      expect(cli.status, cli.stderr).toBe(0);
      const cliText = readFileSync(cliCsv, 'utf8');
      const difference = maxCsvDifference(cliText, browserCsv);
      console.log(`${ext} folder: browser CSV ${cliText === browserCsv ? 'byte-identical to the CLI' : `max difference ${difference.max} at ${difference.where}`}`);
      expect(browserCsv).toBe(cliText);
    });
  }

  test('a TIFF folder fails with a message that points to the command line', async () => {
    const page = recorded.page;
    const folder = converted('faces_tiff', 'tif', 'rgb24');
    const before = (await page.evaluate(() => window.__splitface!.jobs())).length;
    await page.getByTestId('sequence-input').setInputFiles(folder);
    const jobs = await waitForJobs(page, before + 1);
    const job = jobs.find((j) => j.name === 'faces_tiff')!;
    expect(job.state).toBe('failed');
    expect(job.message).toMatch(/not a JPEG, PNG or BMP image.*command line/);
    // the row leads with what happened and what to do; the technical text is one click away
    const shown = page.locator('[data-testid="job-row"][data-name="faces_tiff"] [data-testid="job-message"]');
    expect(await shown.locator('.summary').textContent()).toMatch(/^This folder holds images the browser version cannot read/);
    expect(await shown.locator('.action').textContent()).toMatch(/command line/);
    const details = shown.locator('details');
    expect(await details.getAttribute('open')).toBeNull();
    await details.locator('summary').click();
    expect(await details.locator('code').textContent()).toContain('is not a JPEG, PNG or BMP image');
    expect(foreignRequests(recorded.requests, baseUrl)).toEqual([]);
    expect(recorded.consoleErrors).toEqual([]);
  });
});
