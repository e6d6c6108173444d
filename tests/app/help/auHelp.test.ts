import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AU_HELP, SOURCES } from '../../../src/app/help/auHelp.ts';
import { AU_NAMES } from '../../../src/app/batch/auSummary.ts';
import { referenceCsvPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

describe('the help panel AUs', () => {
  it('each has a FACS name, muscles and only known sources are cited', () => {
    for (const a of AU_HELP) {
      expect(AU_NAMES[a.au], a.au).toBeTruthy();
      expect(a.muscles.length, a.au).toBeGreaterThan(3);
    }
    for (const source of Object.values(SOURCES)) expect(source.citation).toMatch(/\(\d{4}\)|documentation/);
  });
});

const skip = sharedSkipReason();
describe.skipIf(skip !== null)(suiteTitle("the help panel lists exactly OpenFace 2.2's AU columns", skip), () => {
  it('intensity (_r) and presence (_c), as in a 2.2 CSV', () => {
    const header = readFileSync(referenceCsvPath('lab_640x480_h264'), 'utf8').split('\n')[0]!.split(',').map((c) => c.trim());
    const intensity = header.filter((c) => /^AU\d+_r$/.test(c)).map((c) => c.slice(0, 4));
    const presence = header.filter((c) => /^AU\d+_c$/.test(c)).map((c) => c.slice(0, 4));
    expect(AU_HELP.filter((a) => a.intensity).map((a) => a.au)).toEqual(intensity);
    expect(AU_HELP.map((a) => a.au)).toEqual(presence);
  });
});
