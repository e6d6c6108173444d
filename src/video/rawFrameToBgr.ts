/**
 * RawVideoFrame → OpenCV's BGR bytes, upright. Pure (no DOM): the analysis
 * worker calls it on the planes the decoder handed over, so the pixels are
 * the core's libswscale-exact conversion of the decoder's own samples, never
 * the browser's RGB.
 *
 * Order of operations is ffmpeg's (and so the CLI's): rotate the YUV planes
 * first (autorotation's transpose/flip filters), convert to BGR after.
 */
import type { BgrImage } from '../core/image.ts';
import { nv12ToBgr, yuv420ToBgr, yuv422ToBgr, type Yuv420Planes } from '../core/color/yuvToBgr.ts';
import { rotateYuv420 } from '../core/color/yuvRotate.ts';
import type { RawPlaneLayout, RawVideoFrame } from './types.ts';

function plane(frame: RawVideoFrame, index: number): RawPlaneLayout {
  const layout = frame.planes[index];
  if (!layout) throw new RangeError(`rawFrameToBgr: ${frame.format} frame ${frame.index} has no plane ${index}`);
  return layout;
}

/** The bytes of one plane from its offset to the end of the buffer (the converters check lengths themselves). */
function planeBytes(frame: RawVideoFrame, layout: RawPlaneLayout): Uint8Array {
  return new Uint8Array(frame.data, layout.offset);
}

/**
 * Planar U and V with one shared stride, as the core's Yuv420Planes wants.
 * WebCodecs may give the two chroma planes different strides; then V is
 * repacked to U's stride (a copy of a quarter-size plane, rare in practice).
 */
function planarYuv(frame: RawVideoFrame, chromaRows: number): Yuv420Planes {
  const [yl, ul, vl] = [plane(frame, 0), plane(frame, 1), plane(frame, 2)];
  const chromaWidth = (frame.width + 1) >> 1;
  let v = planeBytes(frame, vl);
  if (vl.stride !== ul.stride) {
    const packed = new Uint8Array(ul.stride * chromaRows);
    for (let r = 0; r < chromaRows; r++) packed.set(v.subarray(r * vl.stride, r * vl.stride + chromaWidth), r * ul.stride);
    v = packed;
  }
  return {
    y: planeBytes(frame, yl),
    u: planeBytes(frame, ul),
    v,
    width: frame.width,
    height: frame.height,
    yStride: yl.stride,
    uvStride: ul.stride,
    ...frame.color,
  };
}

/** NV12 → I420 (split the interleaved chroma), so a rotated NV12 frame can take rotateYuv420. */
function nv12AsI420(frame: RawVideoFrame): Yuv420Planes {
  const [yl, uvl] = [plane(frame, 0), plane(frame, 1)];
  const cw = (frame.width + 1) >> 1;
  const ch = (frame.height + 1) >> 1;
  const uv = planeBytes(frame, uvl);
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
  return { y: planeBytes(frame, yl), u, v, width: frame.width, height: frame.height, yStride: yl.stride, uvStride: cw, ...frame.color };
}

/** An already converted frame (image sequences): the bytes as they are, tightly packed. */
function bgrFrame(frame: RawVideoFrame): BgrImage {
  if (frame.rotation !== 0) throw new RangeError(`rawFrameToBgr: a BGR frame cannot carry a rotation (${frame.rotation})`);
  const { offset, stride } = plane(frame, 0);
  const rowBytes = frame.width * 3;
  if (stride === rowBytes) return { width: frame.width, height: frame.height, data: new Uint8Array(frame.data, offset, rowBytes * frame.height) };
  const data = new Uint8Array(rowBytes * frame.height);
  const src = new Uint8Array(frame.data);
  for (let r = 0; r < frame.height; r++) data.set(src.subarray(offset + r * stride, offset + r * stride + rowBytes), r * rowBytes);
  return { width: frame.width, height: frame.height, data };
}

/**
 * The upright BGR image of a decoded frame, byte-identical to
 * `ffmpeg -i VIDEO -pix_fmt bgr24` with OpenCV's matrix and range (see
 * src/core/color/yuvToBgr.ts for where that holds: even heights).
 * `out`, when given, receives the pixels (width * height * 3 bytes, upright size).
 */
export function rawFrameToBgr(frame: RawVideoFrame, out?: Uint8Array): BgrImage {
  switch (frame.format) {
    case 'BGR':
      return bgrFrame(frame);
    case 'I420': {
      const planes = planarYuv(frame, (frame.height + 1) >> 1);
      return yuv420ToBgr(frame.rotation === 0 ? planes : rotateYuv420(planes, frame.rotation), out);
    }
    case 'NV12': {
      if (frame.rotation !== 0) return yuv420ToBgr(rotateYuv420(nv12AsI420(frame), frame.rotation), out);
      const [yl, uvl] = [plane(frame, 0), plane(frame, 1)];
      return nv12ToBgr({ y: planeBytes(frame, yl), uv: planeBytes(frame, uvl), width: frame.width, height: frame.height, yStride: yl.stride, uvStride: uvl.stride, ...frame.color }, out);
    }
    case 'I422':
      // ffmpeg's transpose refuses 4:2:2 and converts it first through its
      // general scaler, which the core does not reproduce: openVideo rejects
      // rotated 4:2:2 before any frame gets here.
      if (frame.rotation !== 0) throw new RangeError('rawFrameToBgr: rotated 4:2:2 frames are not supported');
      return yuv422ToBgr(planarYuv(frame, frame.height), out);
  }
}
