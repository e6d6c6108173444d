import { describe, expect, it } from 'vitest';
import { fileKind, groupInputFiles, naturalCompare, type InputFile } from '../../src/app/batch/inputFiles.ts';

const f = (path: string, type = ''): InputFile<string> => ({ file: path, path, type });

describe('fileKind', () => {
  it('tells videos, images and the rest apart', () => {
    expect(fileKind('a.MP4', '')).toBe('video');
    expect(fileKind('a.avi', '')).toBe('video');
    expect(fileKind('a.unknown', 'video/x-foo')).toBe('video');
    expect(fileKind('frame.JPG', 'image/jpeg')).toBe('image');
    expect(fileKind('frames/0001.png', '')).toBe('image');
    expect(fileKind('notes.txt', 'text/plain')).toBe('other');
    expect(fileKind('.DS_Store', '')).toBe('other');
    expect(fileKind('dir/._clip.mp4', '')).toBe('other');
  });
});

describe('groupInputFiles', () => {
  it('makes one job per video, in the order given', () => {
    const { groups, skipped } = groupInputFiles([f('b.mp4'), f('a.avi')]);
    expect(groups.map((g) => [g.kind, g.name, g.stem])).toEqual([
      ['video', 'b.mp4', 'b'],
      ['video', 'a.avi', 'a'],
    ]);
    expect(skipped).toEqual([]);
  });

  it('makes one sequence per folder of images, frames in natural order', () => {
    const { groups, skipped } = groupInputFiles([
      f('session/frames/frame10.png'),
      f('session/frames/frame2.png'),
      f('session/frames/.DS_Store'),
      f('session/frames/notes.txt'),
      f('session/clip.mov'),
      f('session/frames/frame1.png'),
      f('session/other/x.jpg'),
    ]);
    expect(groups.map((g) => [g.kind, g.name, g.stem, g.files.map((x) => x.path.split('/').pop())])).toEqual([
      ['images', 'frames', 'frames', ['frame1.png', 'frame2.png', 'frame10.png']],
      ['video', 'clip.mov', 'clip', ['clip.mov']],
      ['images', 'other', 'other', ['x.jpg']],
    ]);
    expect(skipped.map((s) => s.path)).toEqual(['session/frames/.DS_Store', 'session/frames/notes.txt']);
  });

  it('groups images picked without a folder into one sequence named after the first', () => {
    const { groups } = groupInputFiles([f('img_3.jpg'), f('img_1.jpg')]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ kind: 'images', name: 'img_1.jpg', stem: 'img_1' });
  });

  it('still makes a job of an unknown file picked on its own, so its row can say what is wrong', () => {
    const { groups, skipped } = groupInputFiles([f('report.pdf', 'application/pdf')]);
    expect(groups.map((g) => g.kind)).toEqual(['video']);
    expect(skipped).toEqual([]);
  });
});

describe('naturalCompare', () => {
  it('orders numbers by value and is stable for equal-looking names', () => {
    expect(['f10', 'f2', 'F1', 'f1'].sort(naturalCompare)).toEqual(['F1', 'f1', 'f2', 'f10']);
  });
});
