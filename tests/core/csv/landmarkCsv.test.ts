/**
 * Reading OpenFace CSVs: the 2D landmarks always, the other column groups
 * (parameters, pose, and 2.2's gaze, eye landmarks and 3D landmarks) when all
 * their columns are there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLandmarkCsv } from '../../../src/core/csv/landmarkCsv.ts';
import { auCsvHeader } from '../../../src/core/csv/auCsv.ts';
import { CsvFormatError } from '../../../src/core/errors.ts';
import { referenceCsvPath, sharedSkipReason, suiteTitle } from '../../helpers/shared.ts';

/** A CSV with `header` and one row whose cell k is k / 8 (frame 1, success 1). */
function csvWith(header: readonly string[]): string {
  const cells = header.map((name, k) => (name === 'frame' || name === 'success' ? '1' : String(k / 8)));
  return `${header.join(',')}\n${cells.join(',')}\n`;
}

describe('parseLandmarkCsv', () => {
  it('reads every group of a 2.2 CSV into its field, in the layout of FaceOutputs3d', () => {
    const header = auCsvHeader(null);
    const [row] = parseLandmarkCsv(csvWith(header), 'test.csv');
    const valueOf = (name: string) => header.indexOf(name) / 8;
    expect(row.gaze).toHaveLength(8);
    expect(row.gaze![0]).toBe(valueOf('gaze_0_x'));
    expect(row.gaze![7]).toBe(valueOf('gaze_angle_y'));
    expect(row.eyeLandmarks).toHaveLength(112);
    expect(row.eyeLandmarks![56]).toBe(valueOf('eye_lmk_y_0'));
    expect(row.eyeLandmarks3d).toHaveLength(168);
    expect(row.eyeLandmarks3d![56]).toBe(valueOf('eye_lmk_Y_0'));
    expect(row.eyeLandmarks3d![167]).toBe(valueOf('eye_lmk_Z_55'));
    expect(row.landmarks3d).toHaveLength(204);
    expect(row.landmarks3d![68]).toBe(valueOf('Y_0'));
    expect(row.landmarks3d![203]).toBe(valueOf('Z_67'));
    expect(row.landmarks[68]).toBe(valueOf('y_0'));
    expect(row.pose![5]).toBe(valueOf('pose_Rz'));
    expect(row.paramsGlobal![0]).toBe(valueOf('p_scale'));
    expect(row.paramsLocal![33]).toBe(valueOf('p_33'));
  });

  it('leaves a group null when any of its columns is missing, and trims header names', () => {
    const header = auCsvHeader(null).filter((name) => name !== 'eye_lmk_Z_7' && name !== 'gaze_angle_y' && !name.startsWith('X_'));
    const [row] = parseLandmarkCsv(csvWith(header.map((name) => ` ${name}`)), 'test.csv');
    expect(row.gaze).toBeNull();
    expect(row.eyeLandmarks3d).toBeNull();
    expect(row.landmarks3d).toBeNull();
    expect(row.eyeLandmarks).toHaveLength(112);
    expect(row.pose).toHaveLength(6);
  });

  it('needs the 2D landmarks and names a bad cell\'s column', () => {
    const header = auCsvHeader(null);
    expect(() => parseLandmarkCsv(csvWith(header.filter((n) => n !== 'y_3')), 'a.csv')).toThrow(CsvFormatError);
    const bad = csvWith(header).replace(/,([^,]*)\n$/, ',oops\n');
    expect(() => parseLandmarkCsv(bad, 'a.csv')).toThrow(/a\.csv: line 2: 'oops' is not a number \(p_33\)/);
  });
});

const skip = sharedSkipReason();

describe.skipIf(skip !== null)(suiteTitle('parseLandmarkCsv on OpenFace 2.2\'s CSVs', skip), () => {
  it('reads all of lab_640x480_h264\'s groups', () => {
    const rows = parseLandmarkCsv(readFileSync(referenceCsvPath('lab_640x480_h264'), 'utf8'), 'lab_640x480_h264');
    expect(rows.length).toBeGreaterThan(800);
    for (const row of rows) {
      expect(row.gaze?.length).toBe(8);
      expect(row.eyeLandmarks?.length).toBe(112);
      expect(row.eyeLandmarks3d?.length).toBe(168);
      expect(row.landmarks3d?.length).toBe(204);
    }
  });
});
