import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildZip, sidecarJson, zipEntries, zipFileName } from '../../src/app/batch/zip.ts';

const result = (csv: string, partial = false) => ({ csv: new Blob([csv]), provenance: { models: 'x' }, partial, stoppedBy: partial ? 'cancelled by the user' : null });

describe('download all', () => {
  it('lists CSV and provenance per finished job, names unique, partial marked', () => {
    const entries = zipEntries([
      { stem: 'clip', result: result('a') },
      { stem: 'queued', result: null },
      { stem: 'clip', result: result('b', true) },
    ]);
    expect(entries.map((e) => e.name)).toEqual(['clip.csv', 'clip.json', 'clip (2).partial.csv', 'clip (2).partial.json']);
    expect(entries[2]!.content).toBeInstanceOf(Blob);
    expect(JSON.parse(entries[3]!.content as string)).toEqual({ models: 'x', partial: true, stoppedBy: 'cancelled by the user' });
  });

  it('keeps the provenance as given when it already says whether it is partial', () => {
    expect(JSON.parse(sidecarJson({ csv: new Blob([]), provenance: { partial: false, a: 1 }, partial: false, stoppedBy: null }))).toEqual({ partial: false, a: 1 });
  });

  it('builds a zip that unzips to the same text, from Blobs and strings', async () => {
    const csv = 'frame, face_id\n1, 0\n';
    const json = '{"ü": "ñ"}\n';
    const files = unzipSync(await buildZip([{ name: 'clip.csv', content: new Blob([csv]) }, { name: 'clip.json', content: json }]));
    expect(Object.keys(files)).toEqual(['clip.csv', 'clip.json']);
    expect(strFromU8(files['clip.csv']!)).toBe(csv);
    expect(strFromU8(files['clip.json']!)).toBe(json);
  });

  it('names the zip after the local date and time', () => {
    expect(zipFileName(new Date(2025, 10, 3, 9, 7))).toBe('splitface-2025-11-03-0907.zip');
  });
});
