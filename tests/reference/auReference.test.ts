import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { runCli } from '../helpers/cli.ts';
import { sharedPath, sharedSkipReason, suiteTitle } from '../helpers/shared.ts';

interface AuSummary {
  mean_r: number;
  min_r: number;
  min_presence: number;
}

function runTool(tool: string, args: string[]): string {
  const run = spawnSync(process.execPath, [sharedPath(`tools/${tool}`), ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(run.stderr).toBe('');
  return run.stdout;
}

/** Every OpenFace reference output and the input it was made from. */
function referenceCases(): { name: string; input: string }[] {
  const videos = readdirSync(sharedPath('videos'));
  return readdirSync(sharedPath('reference'))
    .filter((f) => f.endsWith('.csv') && !f.endsWith('.raw.csv'))
    .map((f) => f.slice(0, -4))
    .map((name) => {
      const file = videos.find((v) => v === name || v.startsWith(`${name}.`));
      if (!file) throw new Error(`no video for reference ${name}`);
      return { name, input: sharedPath(`videos/${file}`) };
    });
}

const skip = sharedSkipReason(true);

// Issue #4's bar: given OpenFace's own landmarks, our AUs are OpenFace's.
describe.skipIf(skip !== null)(suiteTitle('AU engine against OpenFace C++ with OpenFace landmarks', skip), () => {
  const out = mkdtempSync(join(tmpdir(), 'splitface-ref-'));
  for (const { name, input } of skip ? [] : referenceCases()) {
    it(`${name}: mean r >= 0.99, lowest AU r >= 0.97, presence >= 0.97${existsSync(sharedPath(`reference/${name}.hog`)) ? ', FHOG 99% within 1e-3' : ''}`, () => {
      const csv = join(out, `${name}.csv`);
      const hog = join(out, `${name}.hog`);
      const run = runCli(['process', input, '--openface-models', sharedPath('openface'), '--landmarks-from', sharedPath(`reference/${name}.csv`), '--out', csv, '--hog-out', hog]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const summary = (JSON.parse(runTool('au-compare.mjs', [csv, sharedPath(`reference/${name}.csv`)])) as { summary: AuSummary }).summary;
      expect(summary.mean_r).toBeGreaterThanOrEqual(0.99);
      expect(summary.min_r).toBeGreaterThanOrEqual(0.97);
      expect(summary.min_presence).toBeGreaterThanOrEqual(0.97);
      if (existsSync(sharedPath(`reference/${name}.hog`))) {
        const hogResult = JSON.parse(runTool('hog-compare.mjs', [hog, sharedPath(`reference/${name}.hog`)])) as { within_tol: number; frames: { compared: number } };
        expect(hogResult.frames.compared).toBeGreaterThan(0);
        expect(hogResult.within_tol).toBeGreaterThanOrEqual(0.99);
      }
    });
  }
});

describe.skipIf(skip !== null)(suiteTitle('--aligned-out writes OpenFace\'s aligned faces', skip), () => {
  it('0188_03_021_al_pacino: one PNG per tracked frame, pixels as OpenFace -simalign wrote them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitface-aligned-'));
    const run = runCli(['process', sharedPath('videos/0188_03_021_al_pacino.avi'), '--openface-models', sharedPath('openface'), '--landmarks-from', sharedPath('reference/0188_03_021_al_pacino.csv'), '--out', join(dir, 'out.csv'), '--aligned-out', join(dir, 'aligned')]);
    expect(run.status).toBe(0);
    const ours = readdirSync(join(dir, 'aligned')).sort();
    const theirs = readdirSync(sharedPath('reference/aligned/0188_03_021_al_pacino')).sort();
    expect(ours).toEqual(theirs);
    let identical = 0;
    for (const name of theirs) {
      const a = decodePng(readFileSync(join(dir, 'aligned', name)));
      const b = decodePng(readFileSync(sharedPath(`reference/aligned/0188_03_021_al_pacino/${name}`)));
      expect([a.width, a.height, a.channels]).toEqual([112, 112, 3]);
      if (Buffer.compare(Buffer.from(a.data as Uint8Array), Buffer.from(b.data as Uint8Array)) === 0) identical++;
    }
    // 3 frames sit within 1e-5 px of a fixed-point rounding edge that the CSV's 10 digits cannot pin down.
    expect(identical).toBeGreaterThanOrEqual(theirs.length - 3);
  });
});

describe.skipIf(skip !== null)(suiteTitle('landmarks without PDM parameters are fitted', skip), () => {
  it('0188_03_021_al_pacino: the CSV stripped of p_* columns still gives OpenFace\'s AUs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitface-fit-'));
    const lines = readFileSync(sharedPath('reference/0188_03_021_al_pacino.csv'), 'utf8').trim().split('\n');
    const keep = lines[0].split(',').map((h, i) => [h.trim(), i] as const).filter(([h]) => !h.startsWith('p_')).map(([, i]) => i);
    const stripped = join(dir, 'landmarks-only.csv');
    writeFileSync(stripped, lines.map((line) => line.split(',').filter((_, i) => keep.includes(i)).join(',')).join('\n'));
    expect(readFileSync(stripped, 'utf8')).not.toMatch(/p_scale|p_0/);
    const csv = join(dir, 'out.csv');
    const run = runCli(['process', sharedPath('videos/0188_03_021_al_pacino.avi'), '--openface-models', sharedPath('openface'), '--landmarks-from', stripped, '--out', csv]);
    expect(run.status).toBe(0);
    const summary = (JSON.parse(runTool('au-compare.mjs', [csv, sharedPath('reference/0188_03_021_al_pacino.csv')])) as { summary: AuSummary }).summary;
    expect(summary.mean_r).toBeGreaterThanOrEqual(0.99);
    expect(summary.min_r).toBeGreaterThanOrEqual(0.97);
    expect(summary.min_presence).toBeGreaterThanOrEqual(0.97);
  });
});

describe.skipIf(skip !== null)(suiteTitle('splitface process on bad input, with real models', skip), () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-bad-'));
  const models = sharedPath('openface');
  const landmarks = sharedPath('reference/0188_03_021_al_pacino.csv');

  it('a text file named .mp4 is not a readable video', () => {
    const fake = join(dir, 'notes.mp4');
    writeFileSync(fake, 'these are my notes, not a video\n');
    const run = runCli(['process', fake, '--openface-models', models, '--landmarks-from', landmarks, '--out', join(dir, 'x.csv')]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^splitface: .*notes\.mp4: not a readable video \(.+\)$/);
  });

  it('a missing video is named', () => {
    const run = runCli(['process', join(dir, 'gone.avi'), '--openface-models', models, '--landmarks-from', landmarks]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/gone\.avi: no such file or folder$/);
  });

  it('a CSV without landmark columns is named', () => {
    const csv = join(dir, 'no-landmarks.csv');
    writeFileSync(csv, 'frame,timestamp,success\n1,0,1\n');
    const run = runCli(['process', sharedPath('videos/0188_03_021_al_pacino.avi'), '--openface-models', models, '--landmarks-from', csv]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/no-landmarks\.csv: no 'x_0' column/);
  });

  it('a truncated video keeps the frames it had, in a file that says it is partial', () => {
    const cut = join(dir, 'cut.avi');
    writeFileSync(cut, readFileSync(sharedPath('videos/0188_03_021_al_pacino.avi')).subarray(0, 400_000));
    const out = join(dir, 'cut.csv');
    const run = runCli(['process', cut, '--openface-models', models, '--landmarks-from', landmarks, '--out', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/only (\d+) of the 324 frames the file announces could be decoded/);
    expect(existsSync(out)).toBe(false);
    const partial = readFileSync(join(dir, 'cut.partial.csv'), 'utf8').trim().split('\n');
    const decoded = Number(/only (\d+) of/.exec(run.stderr)?.[1]);
    expect(decoded).toBeGreaterThan(10);
    expect(partial.length - 1).toBe(decoded);
    const meta = JSON.parse(readFileSync(join(dir, 'cut.partial.json'), 'utf8')) as { partial: boolean; frames: number };
    expect(meta).toMatchObject({ partial: true, frames: decoded });
  });
});
