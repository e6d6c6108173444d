import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeVideo, probeVideo } from '../../src/cli/ffmpegDecode.ts';
import { hasFfmpeg, sharedPath, sharedSkipReason, SKIP_NO_FFMPEG, suiteTitle } from '../helpers/shared.ts';

const skipShared = sharedSkipReason(true);

/** Frame hashes of plain `ffmpeg -pix_fmt bgr24` output: the bytes OpenCV hands OpenFace. */
function referenceFrameHashes(path: string, frameBytes: number): string[] {
  const run = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { maxBuffer: 4 << 30 });
  expect(run.status).toBe(0);
  const out = run.stdout;
  expect(out.length % frameBytes).toBe(0);
  const hashes: string[] = [];
  for (let off = 0; off < out.length; off += frameBytes) hashes.push(createHash('sha1').update(out.subarray(off, off + frameBytes)).digest('hex'));
  return hashes;
}

function referenceRowCount(name: string): number {
  return readFileSync(sharedPath(`reference/${name}.csv`), 'utf8').trim().split('\n').length - 1;
}

describe.skipIf(skipShared !== null)(suiteTitle('decodeVideo on the shared videos', skipShared), () => {
  const cases: [string, string][] = [
    ['lab_640x480_h264.mp4', 'lab_640x480_h264'],
    ['lab_vp9.webm', 'lab_vp9'],
    ['lab_portrait_rot90_h264.mov', 'lab_portrait_rot90_h264'],
    ['0188_03_021_al_pacino.avi', '0188_03_021_al_pacino'],
  ];
  for (const [video, reference] of cases) {
    it(`${video}: every frame byte-identical to ffmpeg -pix_fmt bgr24, one frame per OpenFace row`, async () => {
      const path = sharedPath(`videos/${video}`);
      const info = probeVideo(path);
      const expected = referenceFrameHashes(path, info.width * info.height * 3);
      const got: string[] = [];
      let lastTimestamp = -1;
      for await (const frame of decodeVideo(path, info)) {
        expect(frame.index).toBe(got.length);
        expect(frame.timestamp).toBeGreaterThan(lastTimestamp);
        lastTimestamp = frame.timestamp;
        got.push(createHash('sha1').update(frame.image.data).digest('hex'));
      }
      expect(got.length).toBe(referenceRowCount(reference));
      expect(got).toEqual(expected);
    });
  }

  it('the portrait clip comes out upright (360x480) from its -90° display matrix', () => {
    const info = probeVideo(sharedPath('videos/lab_portrait_rot90_h264.mov'));
    expect([info.width, info.height, info.rotation]).toEqual([360, 480, 270]);
  });
});

describe.skipIf(!hasFfmpeg)(suiteTitle('decodeVideo errors', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  it('names a file that is not a video', () => {
    const path = new URL('../../package.json', import.meta.url).pathname;
    expect(() => probeVideo(path)).toThrow(/package\.json: not a readable video/);
  });
  it('names a missing file', () => {
    expect(() => probeVideo('/nonexistent/clip.mp4')).toThrow(/clip\.mp4: not a readable video \(.*No such file/);
  });
});
