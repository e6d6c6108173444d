/**
 * Issue #13 in the app, nothing lost: a Face Mirror run cancelled midway
 * keeps what it computed, as `process` keeps a partial CSV, and Face Mirror
 * results survive a reload like `process`'s.
 * - cancelled in step 2: the videos made so far are finished and download
 *   (their frames = each side's CSV rows = the frames mirrored, with the
 *   source's timestamps), NAME_mirror.partial.csv has a row for every frame
 *   of step 1; every file is named NAME_….partial.*;
 * - cancelled in step 1: the per-frame table and the JSON of the frames
 *   tracked, no videos;
 * - after a reload both are listed again, with the same files to download.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Download, Page } from 'playwright-core';
import { openfaceModelsPath, sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';
import { addVideos, openAppWithOpenFace, waitForJobs } from './helpers/appDriver.ts';
import type { E2EBrowser, RecordedPage } from './helpers/browser.ts';
import { clipFolder, type ClipFolder } from './helpers/clips.ts';
import { parseCsv } from './helpers/csvRows.ts';

const skip = sharedSkipReason(true);
const baseUrl = inject('baseUrl');
const LAB = sharedPath('videos/lab_640x480_h264.mp4');
/** long enough that step 2 is still running when it is cancelled */
const FRAMES = 30;

function frameTimes(path: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', path], { encoding: 'utf8' });
  return (JSON.parse(out) as { frames: { pts_time?: string }[] }).frames.map((f) => Number(f.pts_time));
}

function row(page: Page, name: string) {
  return page.locator(`[data-testid="job-row"][data-name="${name}"]`);
}

/** Waits until `name`'s job is in `step` (1 or 2) with at least `frames` frames of it done. */
async function waitForStep(page: Page, name: string, step: 1 | 2, frames: number): Promise<void> {
  await page.waitForFunction(
    ([n, s, f]) => window.__splitface!.jobs().some((j) => j.name === n && j.state === 'processing' && (j.message ?? '').includes(`step ${s} of 2`) && j.framesDone >= (f as number)),
    [name, step, frames] as const,
    { timeout: 240_000, polling: 50 },
  );
}

/** Downloads every file of `name`'s Face Mirror results into `dir`: file name -> path. */
async function downloadAll(page: Page, name: string, dir: string): Promise<Map<string, string>> {
  mkdirSync(dir, { recursive: true });
  await row(page, name).getByTestId('show-results').click();
  const links = page.getByTestId('mirror-results').getByTestId('mirror-file');
  await links.first().waitFor();
  const saved = new Map<string, string>();
  for (let i = 0; i < (await links.count()); i++) {
    const [download] = await Promise.all([page.waitForEvent('download') as Promise<Download>, links.nth(i).click()]);
    const path = join(dir, download.suggestedFilename());
    await download.saveAs(path);
    saved.set(download.suggestedFilename(), path);
  }
  return saved;
}

describe.skipIf(skip !== null)(suiteTitle('Face Mirror in the app keeps a cancelled run and survives a reload', skip), () => {
  let browser: E2EBrowser;
  let recorded: RecordedPage;
  let clips: ClipFolder;
  let step2: string;
  let step1: string;
  let before: Map<string, Map<string, string>>;

  beforeAll(async () => {
    clips = clipFolder();
    step2 = clips.cut('cut2.mp4', LAB, FRAMES);
    step1 = clips.cut('cut1.mp4', LAB, FRAMES);
    ({ browser, recorded } = await openAppWithOpenFace(baseUrl, { width: 1280, height: 900 }, openfaceModelsPath()));
    const page = recorded.page;
    await page.getByTestId('face-mirror').check();
    await addVideos(page, [step2, step1]);
    await waitForStep(page, 'cut1.mp4', 1, 3);
    await row(page, 'cut1.mp4').getByTestId('cancel-job').click();
    await waitForStep(page, 'cut2.mp4', 2, 4);
    await row(page, 'cut2.mp4').getByTestId('cancel-job').click();
    const jobs = await waitForJobs(page, 2, 240_000);
    for (const job of jobs) expect(job.state, `${job.name}: ${job.message}`).toBe('cancelled');
    before = new Map([['cut2.mp4', await downloadAll(page, 'cut2.mp4', join(clips.dir, 'cut2'))], ['cut1.mp4', await downloadAll(page, 'cut1.mp4', join(clips.dir, 'cut1'))]]);
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    clips?.remove();
  });

  test('cancelled in step 2: the videos made so far play and match each side\'s CSV; the per-frame table covers step 1', async () => {
    const page = recorded.page;
    const kept = (await page.evaluate(() => window.__splitface!.mirror('cut2.mp4')))!;
    expect(kept.partial).toBe(true);
    expect(kept.frames).toBe(FRAMES);
    const mirrored = kept.mirroredFrames;
    expect(mirrored, kept.notes.join(' | ')).toBeGreaterThanOrEqual(4);
    expect(mirrored).toBeLessThan(FRAMES);
    const files = before.get('cut2.mp4')!;
    expect([...files.keys()].map((n) => n.replace(/\.(mp4|webm)$/, '.video')).sort()).toEqual(
      ['cut2_debug.partial.video', 'cut2_left_mirrored.partial.csv', 'cut2_left_mirrored.partial.video', 'cut2_mirror.partial.csv', 'cut2_mirror.partial.json', 'cut2_right_mirrored.partial.csv', 'cut2_right_mirrored.partial.video'],
    );
    const source = frameTimes(step2);
    for (const [name, path] of files) {
      if (/\.(csv|json)$/.test(name)) continue;
      const times = frameTimes(path);
      expect(times.length, name).toBe(mirrored);
      times.forEach((t, i) => expect(Math.abs(t - source[i]!), `${name} frame ${i + 1}`).toBeLessThan(1e-3));
    }
    for (const side of ['right', 'left']) expect(parseCsv(readFileSync(files.get(`cut2_${side}_mirrored.partial.csv`)!, 'utf8')).rows.length, side).toBe(mirrored);
    const table = parseCsv(readFileSync(files.get('cut2_mirror.partial.csv')!, 'utf8'));
    expect(table.rows.length).toBe(FRAMES);
    // right-minus-left AUs where both sides were measured, empty after
    const au = table.header.find((h) => h.endsWith('_r_right_minus_left'))!;
    expect(table.rows.slice(0, mirrored).every((r) => r[au] !== '')).toBe(true);
    expect(table.rows.slice(mirrored).every((r) => r[au] === '')).toBe(true);
    const summary = JSON.parse(readFileSync(files.get('cut2_mirror.partial.json')!, 'utf8'));
    expect(summary.frames).toBe(FRAMES);
    expect(summary.notes[0]).toMatch(/cancelled by the user in step 2 of 2/);
    expect(await row(page, 'cut2.mp4').getAttribute('aria-label')).toBe('cut2.mp4');
    expect(await row(page, 'cut2.mp4').getByTestId('job-message').getAttribute('data-message')).toMatch(/kept as a partial result/);
  });

  test('cancelled in step 1: the per-frame table and the JSON of the frames tracked, no videos', async () => {
    const files = before.get('cut1.mp4')!;
    expect([...files.keys()].sort()).toEqual(['cut1_mirror.partial.csv', 'cut1_mirror.partial.json']);
    const table = parseCsv(readFileSync(files.get('cut1_mirror.partial.csv')!, 'utf8'));
    expect(table.rows.length).toBeGreaterThanOrEqual(3);
    expect(table.rows.length).toBeLessThan(FRAMES);
    expect(table.rows.every((r) => r['midline_x1'] !== '')).toBe(true);
    const summary = JSON.parse(readFileSync(files.get('cut1_mirror.partial.json')!, 'utf8'));
    expect(summary.notes[0]).toMatch(/cancelled by the user in step 1 of 2/);
    expect(summary.aus).toBeNull();
  });

  test('after a reload both runs are listed again, with the same files to download', async () => {
    const page = recorded.page;
    await page.reload();
    await page.waitForFunction(() => (window.__splitface?.jobs() ?? []).length >= 2, undefined, { timeout: 60_000 });
    const jobs = await page.evaluate(() => window.__splitface!.jobs());
    expect(jobs.map((j) => [j.name, j.state]).sort()).toEqual([['cut1.mp4', 'cancelled'], ['cut2.mp4', 'cancelled']]);
    expect(jobs.every((j) => /earlier session/.test(j.message ?? ''))).toBe(true);
    for (const name of ['cut2.mp4', 'cut1.mp4']) {
      const again = await downloadAll(page, name, join(clips.dir, `${name}-reloaded`));
      const earlier = before.get(name)!;
      expect([...again.keys()].sort()).toEqual([...earlier.keys()].sort());
      for (const [file, path] of again) expect(readFileSync(path).equals(readFileSync(earlier.get(file)!)), file).toBe(true);
    }
  });

  test('a folder given as if picked (File System Access): the files are streamed into it under their names, and the results download them', async () => {
    const page = recorded.page;
    const clip = clips.cut('cut10.mp4', LAB, 10);
    // what the folder picker gives the page; an OPFS folder here (headless tests cannot click a native picker)
    await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      window.__splitface!.mirrorFolder(await root.getDirectoryHandle('picked-by-test', { create: true }));
    });
    await page.getByTestId('face-mirror').check();
    expect(await page.getByTestId('mirror-folder').textContent()).toMatch(/straight into the folder picked-by-test/);
    await addVideos(page, [clip]);
    await page.waitForFunction(() => window.__splitface!.jobs().some((j) => j.name === 'cut10.mp4' && ['done', 'failed', 'cancelled'].includes(j.state)), undefined, { timeout: 240_000 });
    const job = (await page.evaluate(() => window.__splitface!.jobs())).find((j) => j.name === 'cut10.mp4')!;
    expect(job.state, job.message ?? '').toBe('done');
    const inFolder = await page.evaluate(async () => {
      const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked-by-test');
      const files: [string, number][] = [];
      for await (const handle of (folder as FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> }).values()) {
        if (handle.kind === 'file') files.push([handle.name, (await (handle as FileSystemFileHandle).getFile()).size]);
      }
      return files.sort();
    });
    const kept = (await page.evaluate(() => window.__splitface!.mirror('cut10.mp4')))!;
    expect(inFolder).toEqual(kept.outputs.map((o) => [o.name, o.bytes]).sort());
    expect(inFolder.map(([name]) => name.replace(/\.(mp4|webm)$/, '.video'))).toEqual(
      ['cut10_debug.video', 'cut10_left_mirrored.csv', 'cut10_left_mirrored.video', 'cut10_mirror.csv', 'cut10_mirror.json', 'cut10_right_mirrored.csv', 'cut10_right_mirrored.video'],
    );
    const files = await downloadAll(page, 'cut10.mp4', join(clips.dir, 'picked'));
    for (const [name, path] of files) {
      if (!/\.(csv|json)$/.test(name)) expect(frameTimes(path).length, name).toBe(10);
    }
  });
});
