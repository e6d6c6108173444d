/**
 * Samples a BgrImage on a regular grid into an NHWC RGB float tensor, the
 * input layout of the TFJS-born models. The grid is axis-aligned:
 * output pixel (u, v) reads the source at pixel-index coordinates
 * (x0 + u * step, y0 + v * step), bilinearly. Source pixels outside the
 * frame are black, as the zero padding of a letterbox or square crop.
 *
 * With `antialias`, a step above 1 averages ceil(step)² bilinear taps spread
 * over the output pixel's footprint: a cheap box prefilter, so that a
 * 5x downscale does not alias (plain bilinear reads only 4 of 25 pixels).
 */
import type { BgrImage } from '../image.ts';

export interface SampleGrid {
  readonly x0: number;
  readonly y0: number;
  /** source pixels per output pixel */
  readonly step: number;
  readonly width: number;
  readonly height: number;
}

export interface ValueMapping {
  /** output = pixel (0..255) * scale + offset */
  readonly scale: number;
  readonly offset: number;
}

/** Bilinear RGB at pixel-index coordinates, black outside; writes 3 values to rgb. */
function bilinear(image: BgrImage, x: number, y: number, rgb: Float64Array): void {
  const { width, height, data } = image;
  const xf = Math.floor(x);
  const yf = Math.floor(y);
  const fx = x - xf;
  const fy = y - yf;
  rgb[0] = 0; rgb[1] = 0; rgb[2] = 0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = yf + dy;
    if (yy < 0 || yy >= height) continue;
    const wy = dy === 0 ? 1 - fy : fy;
    if (wy === 0) continue;
    for (let dx = 0; dx < 2; dx++) {
      const xx = xf + dx;
      if (xx < 0 || xx >= width) continue;
      const w = wy * (dx === 0 ? 1 - fx : fx);
      if (w === 0) continue;
      const at = (yy * width + xx) * 3;
      rgb[0] += w * data[at + 2];
      rgb[1] += w * data[at + 1];
      rgb[2] += w * data[at];
    }
  }
}

export function sampleRgbNhwc(image: BgrImage, grid: SampleGrid, mapping: ValueMapping, out: Float32Array, antialias: boolean): void {
  if (out.length < grid.width * grid.height * 3) throw new Error(`output holds ${out.length} values, the grid needs ${grid.width * grid.height * 3}`);
  const taps = antialias ? Math.max(1, Math.ceil(grid.step - 1e-9)) : 1;
  const tapWeight = 1 / (taps * taps);
  const rgb = new Float64Array(3);
  const acc = new Float64Array(3);
  let o = 0;
  for (let v = 0; v < grid.height; v++) {
    const yc = grid.y0 + v * grid.step;
    for (let u = 0; u < grid.width; u++) {
      const xc = grid.x0 + u * grid.step;
      if (taps === 1) {
        bilinear(image, xc, yc, acc);
      } else {
        acc[0] = 0; acc[1] = 0; acc[2] = 0;
        for (let ty = 0; ty < taps; ty++) {
          const y = yc + ((ty + 0.5) / taps - 0.5) * grid.step;
          for (let tx = 0; tx < taps; tx++) {
            bilinear(image, xc + ((tx + 0.5) / taps - 0.5) * grid.step, y, rgb);
            acc[0] += rgb[0]; acc[1] += rgb[1]; acc[2] += rgb[2];
          }
        }
        acc[0] *= tapWeight; acc[1] *= tapWeight; acc[2] *= tapWeight;
      }
      out[o++] = acc[0] * mapping.scale + mapping.offset;
      out[o++] = acc[1] * mapping.scale + mapping.offset;
      out[o++] = acc[2] * mapping.scale + mapping.offset;
    }
  }
}
