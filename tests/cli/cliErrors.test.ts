import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';

// Each expected problem is one line on stderr, a non-zero exit and no stack trace.
function expectOneLineError(args: string[], message: RegExp): void {
  const run = runCli(args);
  expect(run.status).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^splitface: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

describe('splitface command-line errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-cli-'));
  const emptyModels = join(dir, 'not-models');
  mkdirSync(emptyModels);
  const halfModels = join(dir, 'half-models');
  mkdirSync(join(halfModels, 'AU_predictors'), { recursive: true });
  writeFileSync(join(halfModels, 'AU_predictors', 'AU_all_best.txt'), 'svr_combined/AU_1_dynamic_intensity_comb.dat AU01\n');
  // The model folder is checked before the video is opened, so any existing file will do here.
  const clip = join(dir, 'clip.mp4');
  writeFileSync(clip, 'not read in these tests');

  it('prints usage with --help', () => {
    const run = runCli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/splitface process VIDEO --openface-models DIR/);
  });

  it('names an unknown command', () => {
    expectOneLineError(['frobnicate'], /unknown command 'frobnicate'/);
  });

  it('names a video that does not exist', () => {
    expectOneLineError(['process', join(dir, 'missing.mp4'), '--openface-models', emptyModels], /missing\.mp4: no such file or folder/);
  });

  it('requires the model folder', () => {
    expectOneLineError(['process', 'clip.mp4'], /--openface-models DIR is required/);
  });

  it('names a model folder that does not exist', () => {
    expectOneLineError(['process', clip, '--openface-models', join(dir, 'nope')], /nope: no such folder/);
  });

  it('names the file a wrong model folder lacks', () => {
    expectOneLineError(['process', clip, '--openface-models', emptyModels], /not an OpenFace model folder: AU_predictors\/AU_all_best\.txt is missing/);
  });

  it('names the model file a list points to but the folder lacks', () => {
    expectOneLineError(['process', clip, '--openface-models', halfModels], /AU_predictors\/svr_combined\/AU_1_dynamic_intensity_comb\.dat is missing/);
  });

  it('rejects an unknown option', () => {
    expectOneLineError(['process', clip, '--openface-models', emptyModels, '--bogus'], /Unknown option '--bogus'/);
  });
});
