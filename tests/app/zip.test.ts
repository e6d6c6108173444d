import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildZip, sidecarJson, zipEntries, zipFileName } from '../../src/app/batch/zip.ts';

const result = (csv: string, partial = false) => ({ csv, provenance: { models: 'x' }, partial, stoppedBy: partial ? 'cancelled by the user' : null });

describe('download all', () => {
  it('lists CSV and provenance per finished job, names unique, partial marked', () => {
    const entries = zipEntries([
      { stem: 'clip', result: result('a') },
      { stem: 'queued', result: null },
      { stem: 'clip', result: result('b', true) },
    ]);
    expect(entries.map((e) => e.name)).toEqual(['clip.csv', 'clip.json', 'clip (2).partial.csv', 'clip (2).partial.json']);
    expect(JSON.parse(entries[3]!.text)).toEqual({ models: 'x', partial: true, stoppedBy: 'cancelled by the user' });
  });

  it('keeps the provenance as given when it already says whether it is partial', () => {
    expect(JSON.parse(sidecarJson({ csv: '', provenance: { partial: false, a: 1 }, partial: false, stoppedBy: null }))).toEqual({ partial: false, a: 1 });
  });

  it('builds a zip that unzips to the same text', () => {
    const entries = [
      { name: 'clip.csv', text: 'frame, face_id\n1, 0\n' },
      { name: 'clip.json', text: '{"ü": "ñ"}\n' },
    ];
    const files = unzipSync(buildZip(entries));
    expect(Object.keys(files)).toEqual(['clip.csv', 'clip.json']);
    expect(strFromU8(files['clip.csv']!)).toBe(entries[0]!.text);
    expect(strFromU8(files['clip.json']!)).toBe(entries[1]!.text);
  });

  it('names the zip after the local date and time', () => {
    expect(zipFileName(new Date(2025, 10, 3, 9, 7))).toBe('splitface-2025-11-03-0907.zip');
  });
});
