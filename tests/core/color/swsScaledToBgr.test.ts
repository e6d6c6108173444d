import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { swsScaledYuvToBgr, swsTakesScaledPath, type PlanarYuvFrame } from '../../../src/core/color/swsScaledToBgr.ts';
import { swsBicubicFilter, swsChromaSite } from '../../../src/core/color/swsFilter.ts';
import { hasFfmpeg, SKIP_NO_FFMPEG, suiteTitle } from '../../helpers/shared.ts';

/*
 * The judge is the system ffmpeg itself (libswscale 6.7, x86-64): random
 * planes go in as rawvideo and come out as bgr24 with the project's flags
 * (BT.601, the given range, bicubic), exactly as the CLI converts decoded
 * frames. Random samples are harsher than video (every chroma edge is
 * sharp, so the bicubic filter overshoots and every clamp is exercised).
 */

interface Layout {
  readonly pixFmt: string;
  readonly depth: number;
  readonly sx: 0 | 1;
  readonly sy: 0 | 1;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Random planes, tightly packed, plus the same bytes as ffmpeg's rawvideo input. */
function randomFrame(layout: Layout, width: number, height: number, seed: number, smooth: boolean): { frame: PlanarYuvFrame; raw: Uint8Array } {
  const next = xorshift(seed);
  const cw = (width + (1 << layout.sx) - 1) >> layout.sx;
  const ch = (height + (1 << layout.sy) - 1) >> layout.sy;
  const max = (1 << layout.depth) - 1;
  const plane = (w: number, h: number): Uint8Array | Uint16Array => {
    const p = layout.depth > 8 ? new Uint16Array(w * h) : new Uint8Array(w * h);
    for (let i = 0; i < p.length; i++) {
      // smooth: a gentle ramp with a little noise, like video; else uniform noise over the whole range
      p[i] = smooth ? Math.min(max, ((i % w) * max) / w / 2 + (((i / w) | 0) * max) / h / 2 + (next() % 16)) | 0 : next() % (max + 1);
    }
    return p;
  };
  const y = plane(width, height);
  const u = plane(cw, ch);
  const v = plane(cw, ch);
  const bytesPer = layout.depth > 8 ? 2 : 1;
  const raw = new Uint8Array((y.length + u.length + v.length) * bytesPer);
  let at = 0;
  for (const p of [y, u, v]) {
    const b = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
    raw.set(b, at);
    at += b.length;
  }
  return { frame: { y, u, v, width, height, yStride: width, uvStride: cw, bitDepth: layout.depth, chromaShiftX: layout.sx, chromaShiftY: layout.sy }, raw };
}

function ffmpegBgr(raw: Uint8Array, pixFmt: string, width: number, height: number, range: 'tv' | 'pc'): Uint8Array {
  const run = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${width}x${height}`, '-i', '-', '-vf', `scale=in_color_matrix=bt601:in_range=${range}`, '-pix_fmt', 'bgr24', '-f', 'rawvideo', '-'],
    { input: raw, maxBuffer: 1 << 28 },
  );
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr.toString()}`);
  return new Uint8Array(run.stdout);
}

function firstDifference(a: Uint8Array, b: Uint8Array, width: number): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const px = Math.floor(i / 3);
      return `byte ${i} (x ${px % width}, y ${Math.floor(px / width)}, channel ${i % 3}): ${a[i]} vs ffmpeg ${b[i]}`;
    }
  }
  return a.length === b.length ? 'identical' : `lengths ${a.length} vs ${b.length}`;
}

const LAYOUTS: readonly Layout[] = [
  { pixFmt: 'yuv420p10le', depth: 10, sx: 1, sy: 1 },
  { pixFmt: 'yuv422p10le', depth: 10, sx: 1, sy: 0 },
  { pixFmt: 'yuv444p10le', depth: 10, sx: 0, sy: 0 },
  { pixFmt: 'yuv420p12le', depth: 12, sx: 1, sy: 1 },
  { pixFmt: 'yuv444p12le', depth: 12, sx: 0, sy: 0 },
  { pixFmt: 'yuv420p9le', depth: 9, sx: 1, sy: 1 },
  { pixFmt: 'yuv444p', depth: 8, sx: 0, sy: 0 },
  { pixFmt: 'yuv420p', depth: 8, sx: 1, sy: 1 },
  { pixFmt: 'yuv422p', depth: 8, sx: 1, sy: 0 },
];

/** Sizes: even, odd width, odd height, both odd, small, not multiples of 8 or 16. */
const SIZES: readonly (readonly [number, number])[] = [
  [64, 48],
  [321, 239],
  [38, 27],
  [8, 7],
];

describe(suiteTitle('swsScaledYuvToBgr against ffmpeg bgr24', hasFfmpeg ? null : SKIP_NO_FFMPEG), () => {
  for (const layout of LAYOUTS) {
    for (const [width, height] of SIZES) {
      const scaled = swsTakesScaledPath(layout.depth, layout.sx, height);
      // 4:2:0 and 4:2:2 need an even width from a real encoder, but swscale takes any; the unscaled path is yuvToBgr.ts's.
      it.skipIf(!hasFfmpeg || !scaled)(`${layout.pixFmt} ${width}x${height}`, () => {
        // limited range: a noise frame and a smooth one through one ffmpeg run; full range: a smooth one
        const noise = randomFrame(layout, width, height, 1 + width, false);
        const smooth = randomFrame(layout, width, height, 7 + width, true);
        const limited = ffmpegBgr(Buffer.concat([noise.raw, smooth.raw]), layout.pixFmt, width, height, 'tv');
        const frameBytes = width * height * 3;
        expect(firstDifference(swsScaledYuvToBgr(noise.frame).data, limited.subarray(0, frameBytes), width), 'tv noise').toBe('identical');
        expect(firstDifference(swsScaledYuvToBgr(smooth.frame).data, limited.subarray(frameBytes), width), 'tv smooth').toBe('identical');
        const full = ffmpegBgr(smooth.raw, layout.pixFmt, width, height, 'pc');
        expect(firstDifference(swsScaledYuvToBgr({ ...smooth.frame, fullRange: true }).data, full, width), 'pc smooth').toBe('identical');
      });
    }
  }
});

describe('swsBicubicFilter', () => {
  it('is one tap of weight one when nothing is resampled', () => {
    const f = swsBicubicFilter(100, 100, 128, 128, 1 << 12, 2);
    expect(f.size).toBe(1);
    expect(Array.from(f.coeff.subarray(0, 3))).toEqual([4096, 4096, 4096]);
    expect(Array.from(f.pos.subarray(0, 3))).toEqual([0, 1, 2]);
  });
  it('stretches 4:2:0 chroma rows with weights that sum to one and stay inside the plane', () => {
    const f = swsBicubicFilter(60, 120, swsChromaSite(1), swsChromaSite(0), 1 << 12, 2);
    for (let i = 0; i < 120; i++) {
      let sum = 0;
      for (let j = 0; j < f.size; j++) sum += f.coeff[i * f.size + j];
      expect(sum).toBe(4096);
      expect(f.pos[i]).toBeGreaterThanOrEqual(0);
      expect(f.pos[i] + f.size).toBeLessThanOrEqual(60);
    }
  });
});
