import { describe, expect, it } from 'vitest';
import { csvFileName, sidecarFileName, stemOf, uniqueStems } from '../../src/app/batch/naming.ts';

describe('download names', () => {
  it('drops folders and the last extension only', () => {
    expect(stemOf('lab_640x480_h264.mp4')).toBe('lab_640x480_h264');
    expect(stemOf('a/b/clip.v2.mov')).toBe('clip.v2');
    expect(stemOf('C:\\videos\\x.avi')).toBe('x');
    expect(stemOf('noextension')).toBe('noextension');
    expect(stemOf('.hidden')).toBe('.hidden');
  });

  it('marks partial results in both the CSV and the sidecar name', () => {
    expect(csvFileName('clip', false)).toBe('clip.csv');
    expect(csvFileName('clip', true)).toBe('clip.partial.csv');
    expect(sidecarFileName('clip', false)).toBe('clip.json');
    expect(sidecarFileName('clip', true)).toBe('clip.partial.json');
  });

  it('numbers repeated stems, case-insensitively, keeping order', () => {
    expect(uniqueStems(['a', 'b', 'a', 'A', 'a (2)'])).toEqual(['a', 'b', 'a (2)', 'A (3)', 'a (2) (2)']);
  });
});
