import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ffmpegCliColorInfo,
  nv12ToBgr,
  openCvColorInfo,
  swsMatrixForColorspace,
  swsYuv2RgbCoefficients,
  yuv420ToBgr,
  yuv422ToBgr,
  type Yuv420Planes,
} from '../../../src/core/color/yuvToBgr.ts';
import { clockwiseTurnForDisplayRotation, rotatePlane, rotateYuv420 } from '../../../src/core/color/yuvRotate.ts';
import { hasFfmpeg, sharedPath, sharedSkipReason, SKIP_NO_FFMPEG, suiteTitle } from '../../helpers/shared.ts';

/*
 * Expected values are worked out by hand from libswscale's fixed-point
 * formulas (yuv2rgb.c ff_yuv2rgb_c_init_tables, x86/yuv_2_rgb.asm), not taken
 * from the code under test. BT.601 limited range:
 *   yCoeff  = round(((65536 * 255) / 219 = 76309) / 8)  = 9539
 *   vrCoeff = round(104597 / 8) = 13075,  ubCoeff = round(132201 / 8) = 16525
 *   ugCoeff = round(-25675 / 8) = -3209,  vgCoeff = round(-53279 / 8) = -6660
 *   (round = floor(x + 0.5)), yOffset = 16 << 3 = 128
 * and per pixel, with pmulhw(a, b) = floor(a * b / 65536):
 *   yy = pmulhw(8Y - 128, 9539); B = yy + pmulhw(8U - 1024, 16525)
 *   G = yy + pmulhw(8U - 1024, -3209) + pmulhw(8V - 1024, -6660)
 *   R = yy + pmulhw(8V - 1024, 13075), each clamped to 0..255.
 */

/** A frame of one flat colour, tightly packed. */
function flat(width: number, height: number, y: number, u: number, v: number): Yuv420Planes {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return { y: new Uint8Array(width * height).fill(y), u: new Uint8Array(cw * ch).fill(u), v: new Uint8Array(cw * ch).fill(v), width, height, yStride: width, uvStride: cw };
}

/** [B, G, R] of one Y'CbCr triple (a 2x2 frame, so the even-size path runs). */
function bgr(y: number, u: number, v: number, info: Pick<Yuv420Planes, 'matrix' | 'fullRange'> = {}): number[] {
  const img = yuv420ToBgr({ ...flat(2, 2, y, u, v), ...info });
  return Array.from(img.data.subarray(0, 3));
}

/** The formula of the comment above for any coefficients, one pixel, written out plainly. */
function formula(y: number, u: number, v: number, k: ReturnType<typeof swsYuv2RgbCoefficients>): number[] {
  const mulhi = (a: number, b: number): number => Math.floor((a * b) / 65536);
  const clamp = (x: number): number => Math.min(255, Math.max(0, x));
  const yy = mulhi(8 * y - k.yOffset, k.yCoeff);
  const cu = 8 * u - 1024;
  const cv = 8 * v - 1024;
  return [clamp(yy + mulhi(cu, k.ubCoeff)), clamp(yy + mulhi(cu, k.ugCoeff) + mulhi(cv, k.vgCoeff)), clamp(yy + mulhi(cv, k.vrCoeff))];
}

/** A deterministic pseudo-random byte source (xorshift32), so failures reproduce. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 255;
  }
  return out;
}

/** Random planes with padded strides (the converter must honour them). */
function randomPlanes(width: number, height: number, seed: number, pad = 5): Yuv420Planes {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const yStride = width + pad;
  const uvStride = cw + pad;
  return { y: bytes(yStride * height, seed), u: bytes(uvStride * ch, seed + 1), v: bytes(uvStride * ch, seed + 2), width, height, yStride, uvStride };
}

/** Per-pixel expectation from the plain formula: pixel (x, y) takes chroma sample (x >> 1, y >> 1). */
function expected(p: Yuv420Planes, chromaRow: (row: number) => number = (row) => row >> 1): Uint8Array {
  const k = swsYuv2RgbCoefficients(p.matrix, p.fullRange);
  const out = new Uint8Array(p.width * p.height * 3);
  for (let row = 0; row < p.height; row++) {
    for (let x = 0; x < p.width; x++) {
      const c = chromaRow(row) * p.uvStride + (x >> 1);
      out.set(formula(p.y[row * p.yStride + x], p.u[c], p.v[c], k), (row * p.width + x) * 3);
    }
  }
  return out;
}

describe('swscale fixed-point coefficients (ff_yuv2rgb_c_init_tables, defaults)', () => {
  it('BT.601 limited range', () => {
    expect(swsYuv2RgbCoefficients('bt601', false)).toEqual({ yOffset: 128, yCoeff: 9539, vrCoeff: 13075, ubCoeff: 16525, ugCoeff: -3209, vgCoeff: -6660 });
  });
  it('BT.709 limited range: 117489/8, 138438/8, -13975/8, -34925/8 rounded', () => {
    expect(swsYuv2RgbCoefficients('bt709', false)).toEqual({ yOffset: 128, yCoeff: 9539, vrCoeff: 14686, ubCoeff: 17305, ugCoeff: -1747, vgCoeff: -4366 });
  });
  it('BT.601 full range: chroma scaled by 224/255 with truncating division, no luma offset or gain', () => {
    // 104597*224/255 = 91881.3 -> 91881 -> /8 = 11485.1; 132201 -> 116129 -> 14516.1;
    // -25675 -> -22553 -> -2819.1 -> -2819; -53279 -> -46801 -> -5850.1 -> -5850
    expect(swsYuv2RgbCoefficients('bt601', true)).toEqual({ yOffset: 0, yCoeff: 8192, vrCoeff: 11485, ubCoeff: 14516, ugCoeff: -2819, vgCoeff: -5850 });
  });
});

describe('yuv420ToBgr: single pixels worked out by hand (BT.601, limited range)', () => {
  it('black (Y 16), white (Y 235) and mid grey (Y 126) with neutral chroma', () => {
    expect(bgr(16, 128, 128)).toEqual([0, 0, 0]); // pmulhw(0, 9539) = 0
    expect(bgr(235, 128, 128)).toEqual([255, 255, 255]); // 1752 * 9539 / 65536 = 255.01
    expect(bgr(126, 128, 128)).toEqual([128, 128, 128]); // 880 * 9539 / 65536 = 128.09
  });
  it('footroom and headroom clamp: Y 0 gives floor(-18.6) = -19 -> 0, Y 255 gives 278 -> 255', () => {
    expect(bgr(0, 128, 128)).toEqual([0, 0, 0]);
    expect(bgr(255, 128, 128)).toEqual([255, 255, 255]);
    expect(bgr(17, 128, 128)).toEqual([1, 1, 1]); // 8 * 9539 / 65536 = 1.16
  });
  it('a saturated red (Y 81, U 90, V 240): B and G clamp at 0', () => {
    // yy = floor(520 * 9539 / 65536) = 75; U: 8*90-1024 = -304, V: 896
    // B = 75 + floor(-304 * 16525 / 65536 = -76.7) = 75 - 77 = -2 -> 0
    // G = 75 + floor(-304 * -3209 / 65536 = 14.9) + floor(896 * -6660 / 65536 = -91.1) = 75 + 14 - 92 = -3 -> 0
    // R = 75 + floor(896 * 13075 / 65536 = 178.8) = 253
    expect(bgr(81, 90, 240)).toEqual([0, 0, 253]);
  });
  it('pmulhw floors: -56.48 becomes -57, 10.97 becomes 10', () => {
    // Y 100: yy = floor(672 * 9539 / 65536 = 97.8) = 97; U 100: 8*100-1024 = -224
    // B = 97 + floor(-224 * 16525 / 65536 = -56.48) = 97 - 57 = 40
    // G = 97 + floor(-224 * -3209 / 65536 = 10.97) + floor(0) = 107; R = 97
    expect(bgr(100, 100, 128)).toEqual([40, 107, 97]);
  });
  it('BT.709 and full range take their own coefficients', () => {
    // BT.709, Y 81 U 90 V 240: B = 75 + floor(-304*17305/65536 = -80.3) = -6 -> 0;
    // G = 75 + floor(-304*-1747/65536 = 8.1) + floor(896*-4366/65536 = -59.7) = 75 + 8 - 60 = 23; R = 75 + floor(896*14686/65536 = 200.8) = 275 -> 255
    expect(bgr(81, 90, 240, { matrix: 'bt709' })).toEqual([0, 23, 255]);
    // Full range, Y 81 U 90 V 240: yy = floor(648 * 8192 / 65536) = 81;
    // B = 81 + floor(-304*14516/65536 = -67.3) = 13; G = 81 + floor(-304*-2819/65536 = 13.08) + floor(896*-5850/65536 = -79.98) = 81 + 13 - 80 = 14;
    // R = 81 + floor(896*11485/65536 = 157.02) = 238
    expect(bgr(81, 90, 240, { fullRange: true })).toEqual([13, 14, 238]);
  });
});

describe('yuv420ToBgr: layout', () => {
  it('one chroma sample serves its 2x2 block, no interpolation', () => {
    // 4x2: left block U/V = 90/240 (red), right block 128/128 (grey); Y differs per pixel.
    const planes: Yuv420Planes = { y: Uint8Array.from([81, 126, 16, 235, 81, 126, 235, 16]), u: Uint8Array.from([90, 128]), v: Uint8Array.from([240, 128]), width: 4, height: 2, yStride: 4, uvStride: 2 };
    const img = yuv420ToBgr(planes);
    const px = (x: number, y: number): number[] => Array.from(img.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([0, 0, 253]);
    expect(px(0, 1)).toEqual([0, 0, 253]);
    // Y 126 with the red chroma: yy 128; B = 128 - 77 = 51, G = 128 + 14 - 92 = 50, R = 128 + 178 = 306 -> 255
    expect(px(1, 0)).toEqual([51, 50, 255]);
    expect(px(1, 1)).toEqual([51, 50, 255]);
    expect(px(2, 0)).toEqual([0, 0, 0]);
    expect(px(3, 0)).toEqual([255, 255, 255]);
    expect(px(2, 1)).toEqual([255, 255, 255]);
    expect(px(3, 1)).toEqual([0, 0, 0]);
  });

  it('odd width and height: the last column and row use their own chroma samples', () => {
    // 3x3: chroma 2x2. Column 2 uses chroma column 1, row 2 uses chroma row 1.
    const planes: Yuv420Planes = {
      y: new Uint8Array(9).fill(126),
      u: Uint8Array.from([128, 90, 128, 128]),
      v: Uint8Array.from([128, 240, 128, 128]),
      width: 3,
      height: 3,
      yStride: 3,
      uvStride: 2,
    };
    const img = yuv420ToBgr(planes);
    const px = (x: number, y: number): number[] => Array.from(img.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([128, 128, 128]);
    expect(px(1, 1)).toEqual([128, 128, 128]);
    expect(px(2, 0)).toEqual([51, 50, 255]);
    expect(px(2, 1)).toEqual([51, 50, 255]);
    expect(px(2, 2)).toEqual([128, 128, 128]);
    expect(px(0, 2)).toEqual([128, 128, 128]);
  });

  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [7, 5],
    [8, 2],
    [13, 6],
    [16, 9],
    [322, 7],
  ])('%ix%i random frame with padded strides matches the formula (I420 and NV12)', (width, height) => {
    for (const info of [{}, { matrix: 'bt709' as const }, { fullRange: true }]) {
      const planes = { ...randomPlanes(width, height, width * 1000 + height), ...info };
      const want = expected(planes);
      expect(yuv420ToBgr(planes).data).toEqual(want);
      // The same samples as NV12: U,V interleaved in one plane with its own padding.
      const cw = (width + 1) >> 1;
      const ch = (height + 1) >> 1;
      const uvStride = 2 * cw + 3;
      const uv = new Uint8Array(uvStride * ch);
      for (let r = 0; r < ch; r++) {
        for (let k = 0; k < cw; k++) {
          uv[r * uvStride + 2 * k] = planes.u[r * planes.uvStride + k];
          uv[r * uvStride + 2 * k + 1] = planes.v[r * planes.uvStride + k];
        }
      }
      expect(nv12ToBgr({ y: planes.y, uv, width, height, yStride: planes.yStride, uvStride, ...info }).data).toEqual(want);
    }
  });

  it('writes into a given buffer, at any byte offset (the word path and the byte path agree)', () => {
    const planes = randomPlanes(64, 10, 7);
    const want = expected(planes);
    const aligned = new Uint8Array(64 * 10 * 3);
    expect(yuv420ToBgr(planes, aligned).data).toBe(aligned);
    expect(aligned).toEqual(want);
    const backing = new Uint8Array(64 * 10 * 3 + 1);
    const unaligned = backing.subarray(1);
    expect(yuv420ToBgr(planes, unaligned).data).toEqual(want);
    expect(() => yuv420ToBgr(planes, new Uint8Array(10))).toThrow(RangeError);
  });

  it('rejects planes that are too short or strides narrower than the image', () => {
    const planes = flat(4, 4, 16, 128, 128);
    expect(() => yuv420ToBgr({ ...planes, y: planes.y.subarray(0, 15) })).toThrow(RangeError);
    expect(() => yuv420ToBgr({ ...planes, uvStride: 1 })).toThrow(RangeError);
    expect(() => yuv420ToBgr({ ...planes, width: 0 })).toThrow(RangeError);
  });

  it('4:2:2: every luma row has its own chroma row', () => {
    const width = 10;
    const height = 6;
    const cw = 5;
    const planes: Yuv420Planes = { y: bytes(width * height, 3), u: bytes(cw * height, 4), v: bytes(cw * height, 5), width, height, yStride: width, uvStride: cw };
    expect(yuv422ToBgr(planes).data).toEqual(expected(planes, (row) => row));
  });
});

describe('which matrix and range', () => {
  it('swscale maps unknown tags to BT.601', () => {
    expect(swsMatrixForColorspace(undefined)).toBe('bt601');
    expect(swsMatrixForColorspace('unknown')).toBe('bt601');
    expect(swsMatrixForColorspace('smpte170m')).toBe('bt601');
    expect(swsMatrixForColorspace('bt470bg')).toBe('bt601');
    expect(swsMatrixForColorspace('bt709')).toBe('bt709');
    expect(swsMatrixForColorspace('bt2020nc')).toBe('bt2020');
  });
  it('the ffmpeg CLI follows the tags; OpenCV keeps BT.601 and honours full range only for yuvj decoders', () => {
    expect(ffmpegCliColorInfo('bt709', true)).toEqual({ matrix: 'bt709', fullRange: true });
    expect(openCvColorInfo('h264', true)).toEqual({ matrix: 'bt601', fullRange: true });
    expect(openCvColorInfo('avc1.64001f', true)).toEqual({ matrix: 'bt601', fullRange: true });
    expect(openCvColorInfo('hevc', true)).toEqual({ matrix: 'bt601', fullRange: true });
    expect(openCvColorInfo('vp9', true)).toEqual({ matrix: 'bt601', fullRange: false });
    expect(openCvColorInfo('vp09.00.10.08', true)).toEqual({ matrix: 'bt601', fullRange: false });
    expect(openCvColorInfo('h264', false)).toEqual({ matrix: 'bt601', fullRange: false });
  });
});

describe('rotateYuv420', () => {
  // 3x2 plane:  a b c        90 cw:  d a       180:  f e d      270 cw:  c f
  //             d e f                e b             c b a               b e
  //                                  f c                                 a d
  const plane = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  it('turns a plane clockwise by 90, 180 and 270 degrees', () => {
    expect(Array.from(rotatePlane(plane, 3, 2, 3, 90))).toEqual([4, 1, 5, 2, 6, 3]);
    expect(Array.from(rotatePlane(plane, 3, 2, 3, 180))).toEqual([6, 5, 4, 3, 2, 1]);
    expect(Array.from(rotatePlane(plane, 3, 2, 3, 270))).toEqual([3, 6, 2, 5, 1, 4]);
  });
  it('honours the stride and works on planes larger than one tile', () => {
    const w = 70;
    const h = 45;
    const src = bytes((w + 3) * h, 11);
    const r90 = rotatePlane(src, w, h, w + 3, 90);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(r90[x * h + (h - 1 - y)]).toBe(src[y * (w + 3) + x]);
  });
  it('moves each plane at its own size; four quarter turns are the identity', () => {
    const p = randomPlanes(7, 5, 21, 0);
    const r = rotateYuv420(p, 90);
    expect([r.width, r.height, r.yStride, r.uvStride, r.u.length]).toEqual([5, 7, 5, 3, 12]);
    const back = rotateYuv420(rotateYuv420(rotateYuv420(r, 90), 90), 90);
    expect(back.y).toEqual(p.y);
    expect(back.u).toEqual(p.u);
    expect(back.v).toEqual(p.v);
    const half = rotateYuv420(rotateYuv420(p, 180), 180);
    expect(half.v).toEqual(p.v);
    expect(rotateYuv420(rotateYuv420(p, 90), 270).y).toEqual(p.y);
  });
  it('keeps the colour info', () => {
    expect(rotateYuv420({ ...flat(4, 2, 16, 128, 128), matrix: 'bt709', fullRange: true }, 90)).toMatchObject({ matrix: 'bt709', fullRange: true, width: 2, height: 4 });
  });
  it('display-matrix rotation (counter-clockwise, as ffprobe prints it) to a clockwise turn, as ffmpeg decides', () => {
    expect(clockwiseTurnForDisplayRotation(-90)).toBe(90);
    expect(clockwiseTurnForDisplayRotation(90)).toBe(270);
    expect(clockwiseTurnForDisplayRotation(180)).toBe(180);
    expect(clockwiseTurnForDisplayRotation(-180)).toBe(180);
    expect(clockwiseTurnForDisplayRotation(270)).toBe(90);
    expect(clockwiseTurnForDisplayRotation(0)).toBe(0);
    expect(clockwiseTurnForDisplayRotation(-90.4)).toBe(90);
    expect(clockwiseTurnForDisplayRotation(45)).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Against ffmpeg itself: the same decoder gives the YUV (rawvideo yuv420p
// passes decoded samples through untouched) and the reference bgr24 bytes.

const skip = sharedSkipReason(true);

interface Clip {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** input options (before -i) and the frames to sample */
  readonly input: readonly string[];
  readonly every: number;
}

const CLIPS: readonly Clip[] = [
  { file: 'lab_640x480_h264.mp4', width: 640, height: 480, input: [], every: 21 },
  { file: 'lab_1080p60_h264.mp4', width: 1440, height: 1080, input: ['-t', '3'], every: 12 },
  { file: 'lab_1080p60_h264.mp4', width: 1440, height: 1080, input: ['-ss', '20', '-t', '2'], every: 8 },
  { file: 'lab_vp9.webm', width: 640, height: 480, input: [], every: 21 },
  { file: 'lab_portrait_rot90_h264.mov', width: 360, height: 480, input: [], every: 21 },
  { file: '0188_03_021_al_pacino.avi', width: 320, height: 240, input: [], every: 8 },
  { file: 'default.wmv', width: 640, height: 480, input: [], every: 7 },
  { file: 'multi_face.avi', width: 640, height: 480, input: [], every: 17 },
];

/** Every `every`-th decoded frame as raw bytes of one pixel format, split into frames. */
function ffmpegFrames(file: string, input: readonly string[], every: number, pixFmt: string, frameBytes: number, extraInput: readonly string[] = []): Uint8Array[] {
  const run = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-nostdin', ...extraInput, ...input, '-i', sharedPath(`videos/${file}`), '-map', '0:v:0', '-vf', `select=not(mod(n\\,${every}))`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'],
    { maxBuffer: 1 << 30 },
  );
  if (run.status !== 0) throw new Error(`ffmpeg failed on ${file}: ${run.stderr.toString().trim()}`);
  const out: Uint8Array[] = [];
  const all = new Uint8Array(run.stdout.buffer, run.stdout.byteOffset, run.stdout.length);
  for (let o = 0; o + frameBytes <= all.length; o += frameBytes) out.push(all.subarray(o, o + frameBytes));
  expect(all.length % frameBytes).toBe(0);
  return out;
}

function i420(frame: Uint8Array, width: number, height: number): Yuv420Planes {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const ySize = width * height;
  return { y: frame.subarray(0, ySize), u: frame.subarray(ySize, ySize + cw * ch), v: frame.subarray(ySize + cw * ch, ySize + 2 * cw * ch), width, height, yStride: width, uvStride: cw };
}

function countIdentical(got: readonly Uint8Array[], want: readonly Uint8Array[]): number {
  let same = 0;
  for (let i = 0; i < want.length; i++) if (Buffer.compare(got[i], want[i]) === 0) same++;
  return same;
}

describe.skipIf(skip !== null)(suiteTitle('yuv420ToBgr against `ffmpeg -pix_fmt bgr24` (libswscale SIMD path)', skip), () => {
  it.each(CLIPS)('$file $input: every sampled frame byte-identical', ({ file, width, height, input, every }) => {
    const yuvBytes = width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1);
    const yuv = ffmpegFrames(file, input, every, 'yuv420p', yuvBytes);
    const want = ffmpegFrames(file, input, every, 'bgr24', width * height * 3);
    expect(yuv.length).toBe(want.length);
    expect(want.length).toBeGreaterThan(10);
    const out = new Uint8Array(width * height * 3);
    const got = yuv.map((frame) => yuv420ToBgr(i420(frame, width, height), out).data.slice());
    expect(countIdentical(got, want)).toBe(want.length);
  });

  it('portrait clip: stored (sideways) planes turned 90 clockwise, then converted, equal ffmpeg\'s autorotated bgr24', () => {
    const clip = { file: 'lab_portrait_rot90_h264.mov', input: [] as string[], every: 21 };
    const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream_side_data=rotation', '-of', 'csv=p=0', sharedPath(`videos/${clip.file}`)], { encoding: 'utf8' });
    const turn = clockwiseTurnForDisplayRotation(Number(probe.stdout.trim()));
    if (turn !== 90) throw new Error(`expected a clockwise quarter turn, got ${turn}`);
    // -noautorotate: the planes as stored, 480x360.
    const stored = ffmpegFrames(clip.file, clip.input, clip.every, 'yuv420p', 480 * 360 * 1.5, ['-noautorotate']);
    const want = ffmpegFrames(clip.file, clip.input, clip.every, 'bgr24', 360 * 480 * 3);
    expect(stored.length).toBe(want.length);
    const got = stored.map((frame) => yuv420ToBgr(rotateYuv420(i420(frame, 480, 360), turn)).data);
    expect(countIdentical(got, want)).toBe(want.length);
  });
});

// Every (Y, U, V) triple once: a 4096x4096 frame whose 2048x2048 chroma samples
// run through all 65536 (U, V) pairs 64 times, each with 4 new luma values, so
// the 2^24 luma/chroma combinations all occur. ffmpeg converts it from stdin.
describe.skipIf(!hasFfmpeg)(suiteTitle('yuv420ToBgr on all 2^24 (Y, U, V) combinations against ffmpeg', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  const W = 4096;
  const CW = W / 2;
  function allCombinations(): Yuv420Planes {
    const y = new Uint8Array(W * W);
    const u = new Uint8Array(CW * CW);
    const v = new Uint8Array(CW * CW);
    for (let k = 0; k < CW * CW; k++) {
      const pair = k >> 6;
      const lumaBase = (k & 63) * 4;
      const cx = k % CW;
      const cy = (k - cx) / CW;
      u[k] = pair & 255;
      v[k] = pair >> 8;
      y[2 * cy * W + 2 * cx] = lumaBase;
      y[2 * cy * W + 2 * cx + 1] = lumaBase + 1;
      y[(2 * cy + 1) * W + 2 * cx] = lumaBase + 2;
      y[(2 * cy + 1) * W + 2 * cx + 1] = lumaBase + 3;
    }
    return { y, u, v, width: W, height: W, yStride: W, uvStride: CW };
  }
  it.each([
    { matrix: 'bt601' as const, fullRange: false, filter: [] as string[] },
    { matrix: 'bt709' as const, fullRange: true, filter: ['-vf', 'scale=in_color_matrix=bt709:in_range=pc'] },
  ])('$matrix, full range $fullRange: identical bytes', ({ matrix, fullRange, filter }) => {
    const planes = allCombinations();
    const input = Buffer.concat([planes.y, planes.u, planes.v]);
    const run = spawnSync('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${W}`, '-i', '-', ...filter, '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { input, maxBuffer: 1 << 27 });
    expect(run.status).toBe(0);
    const got = yuv420ToBgr({ ...planes, matrix, fullRange }).data;
    expect(run.stdout.length).toBe(got.length);
    let differing = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== run.stdout[i]) differing++;
    expect(differing).toBe(0);
  });
});
