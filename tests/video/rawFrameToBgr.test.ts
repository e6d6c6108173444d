import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rawFrameToBgr } from '../../src/video/rawFrameToBgr.ts';
import { packedLayout, type YuvPixelFormat } from '../../src/video/pixelFormats.ts';
import type { RawPlaneLayout, RawVideoFrame } from '../../src/video/types.ts';
import { yuv420ToBgr, yuv422ToBgr } from '../../src/core/color/yuvToBgr.ts';
import type { BgrImage } from '../../src/core/image.ts';
import { hasFfmpeg, SKIP_NO_FFMPEG, suiteTitle } from '../helpers/shared.ts';
import { rng } from '../helpers/rng.ts';

/*
 * rawFrameToBgr is plumbing around the core's exact converters: plane
 * offsets and strides, NV12's interleaved chroma, rotation before
 * conversion. Frames are synthetic random planes; expectations come from
 * the core converters on planes laid out by hand, from rotating the BGR
 * result by hand (even sizes: every 2x2 chroma block lands on a 2x2 block),
 * and from ffmpeg itself where it is installed.
 */

const COLOR = { matrix: 'bt601', fullRange: false } as const;

function randomBytes(n: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** A frame whose planes are `planes` (each tightly packed) copied into one buffer at the given strides and a leading gap. */
function frame(format: YuvPixelFormat, width: number, height: number, planes: Uint8Array[], strides: number[], rotation: RawVideoFrame['rotation'] = 0): RawVideoFrame {
  const rows = planes.map((_, i) => (i === 0 || format === 'I422' ? height : (height + 1) >> 1));
  const widths = planes.map((p, i) => p.length / rows[i]);
  const layouts: RawPlaneLayout[] = [];
  let offset = 7; // planes need not start at 0
  for (let i = 0; i < planes.length; i++) {
    layouts.push({ offset, stride: strides[i] });
    offset += strides[i] * rows[i] + 3;
  }
  const data = new Uint8Array(offset);
  planes.forEach((p, i) => {
    for (let r = 0; r < rows[i]; r++) data.set(p.subarray(r * widths[i], (r + 1) * widths[i]), layouts[i].offset + r * strides[i]);
  });
  return { index: 0, timestamp: 0, format, width, height, data: data.buffer, planes: layouts, rotation, color: COLOR };
}

function i420Planes(width: number, height: number, seed: number): Uint8Array[] {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return [randomBytes(width * height, seed), randomBytes(cw * ch, seed + 1), randomBytes(cw * ch, seed + 2)];
}

function interleave(u: Uint8Array, v: Uint8Array): Uint8Array {
  const uv = new Uint8Array(u.length * 2);
  for (let i = 0; i < u.length; i++) {
    uv[2 * i] = u[i];
    uv[2 * i + 1] = v[i];
  }
  return uv;
}

/** The BGR image turned clockwise by hand. */
function turnBgr(image: BgrImage, degrees: 90 | 180 | 270): BgrImage {
  const { width: w, height: h, data } = image;
  const turned = degrees !== 180;
  const ow = turned ? h : w;
  const oh = turned ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [ox, oy] = degrees === 90 ? [h - 1 - y, x] : degrees === 180 ? [w - 1 - x, h - 1 - y] : [y, w - 1 - x];
      out.set(data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (oy * ow + ox) * 3);
    }
  }
  return { width: ow, height: oh, data: out };
}

describe('rawFrameToBgr', () => {
  it('I420 with padded strides and offsets equals the core conversion of the packed planes', () => {
    const [y, u, v] = i420Planes(10, 6, 1);
    const expected = yuv420ToBgr({ y, u, v, width: 10, height: 6, yStride: 10, uvStride: 5, ...COLOR });
    expect(rawFrameToBgr(frame('I420', 10, 6, [y, u, v], [16, 8, 8]))).toEqual(expected);
  });

  it('I420 whose U and V strides differ (WebCodecs may do that)', () => {
    const [y, u, v] = i420Planes(8, 4, 2);
    const expected = yuv420ToBgr({ y, u, v, width: 8, height: 4, yStride: 8, uvStride: 4, ...COLOR });
    expect(rawFrameToBgr(frame('I420', 8, 4, [y, u, v], [8, 4, 12]))).toEqual(expected);
  });

  it('NV12 equals I420 with the same samples', () => {
    const [y, u, v] = i420Planes(12, 8, 3);
    const i420 = rawFrameToBgr(frame('I420', 12, 8, [y, u, v], [12, 6, 6]));
    expect(rawFrameToBgr(frame('NV12', 12, 8, [y, interleave(u, v)], [16, 16]))).toEqual(i420);
  });

  it('I422 equals the core 4:2:2 conversion', () => {
    const y = randomBytes(6 * 4, 4);
    const u = randomBytes(3 * 4, 5);
    const v = randomBytes(3 * 4, 6);
    const expected = yuv422ToBgr({ y, u, v, width: 6, height: 4, yStride: 6, uvStride: 3, ...COLOR });
    expect(rawFrameToBgr(frame('I422', 6, 4, [y, u, v], [6, 3, 3]))).toEqual(expected);
  });

  it.each([90, 180, 270] as const)('turns I420 and NV12 %i° clockwise before converting (= turning the BGR image, for even sizes)', (degrees) => {
    const [y, u, v] = i420Planes(8, 6, 7);
    const upright = turnBgr(rawFrameToBgr(frame('I420', 8, 6, [y, u, v], [8, 4, 4])), degrees);
    expect(rawFrameToBgr(frame('I420', 8, 6, [y, u, v], [9, 5, 5], degrees))).toEqual(upright);
    expect(rawFrameToBgr(frame('NV12', 8, 6, [y, interleave(u, v)], [8, 8], degrees))).toEqual(upright);
  });

  it('passes BGR frames through, repacking padded rows', () => {
    const bgr = randomBytes(4 * 3 * 3, 8);
    const padded = new Uint8Array(3 * 16 + 5);
    for (let r = 0; r < 3; r++) padded.set(bgr.subarray(r * 12, r * 12 + 12), 5 + r * 16);
    const raw: RawVideoFrame = { index: 0, timestamp: 0, format: 'BGR', width: 4, height: 3, data: padded.buffer, planes: [{ offset: 5, stride: 16 }], rotation: 0, color: COLOR };
    expect(rawFrameToBgr(raw)).toEqual({ width: 4, height: 3, data: bgr });
  });

  it('refuses what it cannot do exactly', () => {
    expect(() => rawFrameToBgr(frame('I422', 6, 4, [randomBytes(24, 1), randomBytes(12, 2), randomBytes(12, 3)], [6, 3, 3], 90))).toThrow(/4:2:2/);
  });

  it('writes into a given output buffer', () => {
    const [y, u, v] = i420Planes(4, 2, 9);
    const out = new Uint8Array(4 * 2 * 3);
    const image = rawFrameToBgr(frame('I420', 4, 2, [y, u, v], [4, 2, 2]), out);
    expect(image.data).toBe(out);
  });
});

describe.skipIf(!hasFfmpeg)(suiteTitle('rawFrameToBgr against ffmpeg (autorotation, then bgr24)', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  function ffmpegBgr(pixFmt: string, width: number, height: number, packed: Uint8Array, filter: string): Uint8Array {
    const run = spawnSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${width}x${height}`, '-i', '-', '-vf', `${filter}scale=in_color_matrix=bt601:in_range=tv`, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { input: packed });
    expect(run.status).toBe(0);
    return new Uint8Array(run.stdout);
  }

  it.each([
    ['I420', 'yuv420p', 0, ''],
    ['I420', 'yuv420p', 90, 'transpose=clock,'],
    ['I420', 'yuv420p', 180, 'hflip,vflip,'],
    ['I420', 'yuv420p', 270, 'transpose=cclock,'],
    ['I422', 'yuv422p', 0, ''],
  ] as const)('%s (%s) turned %i°', (format, pixFmt, rotation, filter) => {
    // 34x20: not a multiple of 16 wide, and turned to 20x34.
    const width = 34;
    const height = 20;
    const layout = packedLayout(format, width, height);
    const packed = randomBytes(layout.byteLength, 11 + rotation);
    const raw: RawVideoFrame = { index: 0, timestamp: 0, format, width, height, data: packed.slice().buffer, planes: layout.planes, rotation, color: COLOR };
    expect(Buffer.from(rawFrameToBgr(raw).data).equals(Buffer.from(ffmpegBgr(pixFmt, width, height, packed, filter)))).toBe(true);
  });

  // NV12 comes from WebCodecs (hardware decoders) carrying the samples ffmpeg's
  // software decoder would give OpenCV as yuv420p: that is the reference.
  it.each([[0, ''], [90, 'transpose=clock,'], [270, 'transpose=cclock,']] as const)('NV12 turned %i° = ffmpeg on the same samples as yuv420p', (rotation, filter) => {
    const [width, height] = [34, 20];
    const [y, u, v] = i420Planes(width, height, 21 + rotation);
    const nv12 = packedLayout('NV12', width, height);
    const packed = new Uint8Array(nv12.byteLength);
    packed.set(y, 0);
    packed.set(interleave(u, v), nv12.planes[1].offset);
    const raw: RawVideoFrame = { index: 0, timestamp: 0, format: 'NV12', width, height, data: packed.buffer, planes: nv12.planes, rotation, color: COLOR };
    const i420 = new Uint8Array([...y, ...u, ...v]);
    expect(Buffer.from(rawFrameToBgr(raw).data).equals(Buffer.from(ffmpegBgr('yuv420p', width, height, i420, filter)))).toBe(true);
  });
});

describe(suiteTitle('rawFrameToBgr on 10-bit and 4:4:4 frames, turned and mirrored, against ffmpeg', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  /** A packed frame of random samples in ffmpeg's rawvideo layout, and those bytes for ffmpeg. */
  function packedFrame(format: YuvPixelFormat, width: number, height: number, seed: number, orientation: Pick<RawVideoFrame, 'rotation' | 'mirrored'>): { frame: RawVideoFrame; raw: Uint8Array } {
    const layout = packedLayout(format, width, height);
    const next = rng(seed);
    const wide = format.includes('P1');
    const max = format.endsWith('P10') ? 1023 : format.endsWith('P12') ? 4095 : 255;
    const data = new ArrayBuffer(layout.byteLength);
    const samples = wide ? new Uint16Array(data) : new Uint8Array(data);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.floor(next() * (max + 1));
    return { frame: { index: 0, timestamp: 0, format, width, height, data, planes: layout.planes, color: COLOR, ...orientation }, raw: new Uint8Array(data) };
  }

  /** ffmpeg's own turn and flip filters (what its autorotation inserts), then the project's conversion. */
  function ffmpegUpright(raw: Uint8Array, pixFmt: string, width: number, height: number, filters: string, uprightBytes: number): Uint8Array {
    const vf = `${filters ? `${filters},` : ''}scale=in_color_matrix=bt601:in_range=tv:flags=bicubic`;
    const run = spawnSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${width}x${height}`, '-i', '-', '-vf', vf, '-pix_fmt', 'bgr24', '-f', 'rawvideo', '-'], { input: raw, maxBuffer: 1 << 26 });
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(run.stdout.length).toBe(uprightBytes);
    return new Uint8Array(run.stdout);
  }

  const CASES: readonly [YuvPixelFormat, string, RawVideoFrame['rotation'], boolean, string][] = [
    ['I420P10', 'yuv420p10le', 90, false, 'transpose=clock'],
    ['I420P10', 'yuv420p10le', 90, true, 'transpose=cclock_flip'],
    ['I420P10', 'yuv420p10le', 0, true, 'hflip'],
    ['I420P10', 'yuv420p10le', 180, true, 'vflip'],
    ['I444P12', 'yuv444p12le', 270, true, 'transpose=clock_flip'],
    ['I444', 'yuv444p', 270, false, 'transpose=cclock'],
    ['I422P10', 'yuv422p10le', 180, false, 'hflip,vflip'],
  ];
  for (const [format, pixFmt, rotation, mirrored, filters] of CASES) {
    it.skipIf(!hasFfmpeg)(`${format} turned ${rotation}${mirrored ? ', mirrored' : ''} (ffmpeg: ${filters})`, () => {
      const [width, height] = format === 'I444' ? [37, 23] : [36, 22];
      const { frame: f, raw } = packedFrame(format, width, height, 11 + rotation, { rotation, mirrored });
      const ours = rawFrameToBgr(f);
      const theirs = ffmpegUpright(raw, pixFmt, width, height, filters, width * height * 3);
      const turned = rotation === 90 || rotation === 270;
      expect({ width: ours.width, height: ours.height }).toEqual({ width: turned ? height : width, height: turned ? width : height });
      expect(Buffer.from(ours.data).equals(Buffer.from(theirs))).toBe(true);
    });
  }
});
