import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yuv420ToBgr } from '../../src/core/color/yuvToBgr.ts';
import { decodeVideo, probeVideo } from '../../src/cli/ffmpegDecode.ts';
import { hasFfmpeg, sharedPath, sharedSkipReason, SKIP_NO_FFMPEG, suiteTitle, referenceCsvPath } from '../helpers/shared.ts';

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
  return readFileSync(referenceCsvPath(name), 'utf8').trim().split('\n').length - 1;
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

describe.skipIf(skipShared !== null)(suiteTitle('decodeVideo reads colour as OpenCV does', skipShared), () => {
  const dir = mkdtempSync(join(tmpdir(), 'splitface-colour-'));
  const source = sharedPath('videos/lab_640x480_h264.mp4');
  /** The same H.264 stream with other colour signalling (no re-encode). */
  function retagged(name: string, metadata: string): string {
    const out = join(dir, name);
    const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', source, '-frames:v', '5', '-c', 'copy', '-bsf:v', `h264_metadata=${metadata}`, out]);
    expect(run.status).toBe(0);
    return out;
  }
  async function firstFrames(path: string, count: number): Promise<Uint8Array[]> {
    const frames: Uint8Array[] = [];
    for await (const frame of decodeVideo(path)) if (frames.length < count) frames.push(frame.image.data);
    return frames;
  }
  /** The decoder's own full-range planes (asking for yuv420p would squeeze them to limited range). */
  function yuvPlanes(path: string, width: number, height: number, count: number): Uint8Array[] {
    const run = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'yuvj420p', '-'], { maxBuffer: 1 << 28 });
    const size = (width * height * 3) / 2;
    return Array.from({ length: count }, (_, k) => new Uint8Array(run.stdout.buffer, run.stdout.byteOffset + k * size, size));
  }

  it('a BT.709 tag changes nothing (OpenCV always converts with BT.601)', async () => {
    const tagged = retagged('bt709.mp4', 'matrix_coefficients=1:colour_primaries=1:transfer_characteristics=1');
    const plain = await firstFrames(source, 3);
    const bt709 = await firstFrames(tagged, 3);
    expect(bt709.map((f) => createHash('sha1').update(f).digest('hex'))).toEqual(plain.map((f) => createHash('sha1').update(f).digest('hex')));
  });

  it('a full-range H.264 stream (decoded as yuvj420p) is converted as full range, like OpenCV', async () => {
    const full = retagged('full.mp4', 'video_full_range_flag=1');
    const info = probeVideo(full);
    expect(info.pixelFormat).toBe('yuvj420p');
    const frames = await firstFrames(full, 2);
    const planes = yuvPlanes(full, 640, 480, 2);
    for (let k = 0; k < 2; k++) {
      const p = planes[k];
      const expected = yuv420ToBgr({
        y: p.subarray(0, 640 * 480), u: p.subarray(640 * 480, 640 * 480 * 1.25), v: p.subarray(640 * 480 * 1.25),
        width: 640, height: 480, yStride: 640, uvStride: 320, matrix: 'bt601', fullRange: true,
      });
      expect(Buffer.compare(Buffer.from(frames[k]), Buffer.from(expected.data))).toBe(0);
    }
    const limited = await firstFrames(source, 1);
    expect(Buffer.compare(Buffer.from(frames[0]), Buffer.from(limited[0]))).not.toBe(0);
  });
});
