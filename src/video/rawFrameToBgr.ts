/**
 * RawVideoFrame → OpenCV's BGR bytes, upright. Pure (no DOM): the analysis
 * worker calls it on the planes the decoder handed over, so the pixels are
 * the core's libswscale-exact conversion of the decoder's own samples, never
 * the browser's RGB.
 *
 * Order of operations is ffmpeg's (and so the CLI's): turn and flip the YUV
 * planes first (autorotation's transpose/hflip/vflip filters), convert to
 * BGR after.
 */
import type { BgrImage } from '../core/image.ts';
import { nv12ToBgr } from '../core/color/yuvToBgr.ts';
import { orientPlane, type Orientation } from '../core/color/yuvRotate.ts';
import { planarYuvToBgr } from '../core/color/planarYuvToBgr.ts';
import type { PlanarYuvFrame } from '../core/color/swsScaledToBgr.ts';
import { yuvLayout, type YuvPixelFormat } from './pixelFormats.ts';
import type { RawPlaneLayout, RawVideoFrame } from './types.ts';

function plane(frame: RawVideoFrame, index: number): RawPlaneLayout {
  const layout = frame.planes[index];
  if (!layout) throw new RangeError(`rawFrameToBgr: ${frame.format} frame ${frame.index} has no plane ${index}`);
  return layout;
}

/** The samples of one plane from its offset to the end of the buffer, as bytes or 16-bit words (copied if misaligned). */
function planeSamples(frame: RawVideoFrame, layout: RawPlaneLayout, wide: boolean): Uint8Array | Uint16Array {
  if (!wide) return new Uint8Array(frame.data, layout.offset);
  const length = (frame.data.byteLength - layout.offset) >> 1;
  if ((layout.offset & 1) === 0) return new Uint16Array(frame.data, layout.offset, length);
  return new Uint16Array(frame.data.slice(layout.offset, layout.offset + 2 * length));
}

/** NV12 → planar 4:2:0 (split the interleaved chroma), so a turned NV12 frame takes the planar route. */
function nv12AsPlanar(frame: RawVideoFrame): { y: Uint8Array; u: Uint8Array; v: Uint8Array; yStride: number; uvStride: number } {
  const [yl, uvl] = [plane(frame, 0), plane(frame, 1)];
  const cw = (frame.width + 1) >> 1;
  const ch = (frame.height + 1) >> 1;
  const uv = new Uint8Array(frame.data, uvl.offset);
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  for (let r = 0; r < ch; r++) {
    let s = r * uvl.stride;
    let d = r * cw;
    for (let c = 0; c < cw; c++, s += 2, d++) {
      u[d] = uv[s];
      v[d] = uv[s + 1];
    }
  }
  return { y: new Uint8Array(frame.data, yl.offset), u, v, yStride: yl.stride, uvStride: cw };
}

/**
 * The decoder's planes as a PlanarYuvFrame (strides in samples). WebCodecs
 * may give the two chroma planes different strides; then V is repacked to
 * U's stride (a copy of one chroma plane, rare in practice).
 */
function planarFrame(frame: RawVideoFrame, format: Exclude<YuvPixelFormat, 'NV12'>): PlanarYuvFrame {
  const layout = yuvLayout(format);
  const wide = layout.bitDepth > 8;
  const bytes = wide ? 2 : 1;
  const [yl, ul, vl] = [plane(frame, 0), plane(frame, 1), plane(frame, 2)];
  const chromaWidth = (frame.width + (1 << layout.chromaShiftX) - 1) >> layout.chromaShiftX;
  const chromaRows = (frame.height + (1 << layout.chromaShiftY) - 1) >> layout.chromaShiftY;
  const uvStride = ul.stride / bytes;
  let v = planeSamples(frame, vl, wide);
  if (vl.stride !== ul.stride) {
    const vStride = vl.stride / bytes;
    const packed = wide ? new Uint16Array(uvStride * chromaRows) : new Uint8Array(uvStride * chromaRows);
    for (let r = 0; r < chromaRows; r++) packed.set(v.subarray(r * vStride, r * vStride + chromaWidth), r * uvStride);
    v = packed;
  }
  return {
    y: planeSamples(frame, yl, wide),
    u: planeSamples(frame, ul, wide),
    v,
    width: frame.width,
    height: frame.height,
    yStride: yl.stride / bytes,
    uvStride,
    bitDepth: layout.bitDepth,
    chromaShiftX: layout.chromaShiftX,
    chromaShiftY: layout.chromaShiftY,
    ...frame.color,
  };
}

/** Turns (and flips) every plane of a planar frame as ffmpeg's autorotation filters do. */
function oriented(p: PlanarYuvFrame, orientation: Orientation): PlanarYuvFrame {
  const cw = (p.width + (1 << p.chromaShiftX) - 1) >> p.chromaShiftX;
  const ch = (p.height + (1 << p.chromaShiftY) - 1) >> p.chromaShiftY;
  const turned = orientation.rotation === 90 || orientation.rotation === 270;
  const width = turned ? p.height : p.width;
  const height = turned ? p.width : p.height;
  return {
    ...p,
    y: orientPlane(p.y, p.width, p.height, p.yStride, orientation),
    u: orientPlane(p.u, cw, ch, p.uvStride, orientation),
    v: orientPlane(p.v, cw, ch, p.uvStride, orientation),
    width,
    height,
    yStride: width,
    uvStride: turned ? ch : cw,
  };
}

/** An already converted frame (image sequences): the bytes as they are, tightly packed. */
function bgrFrame(frame: RawVideoFrame): BgrImage {
  if (frame.rotation !== 0 || frame.mirrored) throw new RangeError(`rawFrameToBgr: a BGR frame cannot carry a rotation (${frame.rotation})`);
  const { offset, stride } = plane(frame, 0);
  const rowBytes = frame.width * 3;
  if (stride === rowBytes) return { width: frame.width, height: frame.height, data: new Uint8Array(frame.data, offset, rowBytes * frame.height) };
  const data = new Uint8Array(rowBytes * frame.height);
  const src = new Uint8Array(frame.data);
  for (let r = 0; r < frame.height; r++) data.set(src.subarray(offset + r * stride, offset + r * stride + rowBytes), r * rowBytes);
  return { width: frame.width, height: frame.height, data };
}

/** The size of a decoded frame once turned upright (the size rawFrameToBgr's image and `out` have). */
export function uprightSize(frame: Pick<RawVideoFrame, 'width' | 'height' | 'rotation'>): { width: number; height: number } {
  return frame.rotation === 90 || frame.rotation === 270 ? { width: frame.height, height: frame.width } : { width: frame.width, height: frame.height };
}

/**
 * The upright BGR image of a decoded frame, byte-identical to
 * `ffmpeg -i VIDEO -vf scale=in_color_matrix=bt601:in_range=... -pix_fmt bgr24`
 * (OpenCV's matrix and range) for every layout the decoders hand over.
 * `out`, when given, receives the pixels (width * height * 3 bytes, upright size).
 */
export function rawFrameToBgr(frame: RawVideoFrame, out?: Uint8Array): BgrImage {
  if (frame.format === 'BGR') return bgrFrame(frame);
  const orientation: Orientation = { rotation: frame.rotation, mirrored: frame.mirrored ?? false };
  const upright = orientation.rotation === 0 && !orientation.mirrored;
  if (frame.format === 'NV12') {
    if (upright) {
      const [yl, uvl] = [plane(frame, 0), plane(frame, 1)];
      const y = new Uint8Array(frame.data, yl.offset);
      const uv = new Uint8Array(frame.data, uvl.offset);
      return nv12ToBgr({ y, uv, width: frame.width, height: frame.height, yStride: yl.stride, uvStride: uvl.stride, ...frame.color }, out);
    }
    const split = nv12AsPlanar(frame);
    const p: PlanarYuvFrame = { ...split, width: frame.width, height: frame.height, bitDepth: 8, chromaShiftX: 1, chromaShiftY: 1, ...frame.color };
    return planarYuvToBgr(oriented(p, orientation), out);
  }
  if (!upright && frame.format.startsWith('I422') && (frame.rotation === 90 || frame.rotation === 270)) {
    // ffmpeg's transpose refuses 4:2:2 and converts it first through its
    // general scaler to another format; openVideo rejects such videos before any frame gets here.
    throw new RangeError('rawFrameToBgr: turned 4:2:2 frames are not supported');
  }
  const p = planarFrame(frame, frame.format);
  return planarYuvToBgr(upright ? p : oriented(p, orientation), out);
}
