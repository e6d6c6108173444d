import type { BgrImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { triangleMask } from './faceMask.ts';
import { alignShapesWithScaleF32, rigidPoints } from './similarity.ts';
import { warpAffineBilinear } from './warpAffine.ts';

export interface AlignFaceOptions {
  /** scale applied to the PDM mean shape (OpenFace: 0.7) */
  readonly scale?: number;
  /** output width in pixels (OpenFace: 112) */
  readonly width?: number;
  /** output height in pixels (OpenFace: 112) */
  readonly height?: number;
}

/** Landmarks whose mask vertices AlignFaceMask moves up: jaw ends 0 and 16, eyebrows 17-26. */
const RAISED_POINTS: readonly number[] = [0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
/** how far (output pixels) they move, so that the mask covers the forehead */
const RAISE_BY = 30;

const fr = Math.fround;

/**
 * The forward 2x3 similarity warp (row-major, float32 values) of OpenFace
 * 2.2's AlignFace / AlignFaceMask, in its float arithmetic: the
 * scale-rotation A from the rigid landmarks onto the PDM mean shape times
 * `scale`, and a translation that puts the PDM origin (params tx, ty) at the
 * output centre: -A (tx, ty) + (width/2, height/2), integer halves as in C++.
 */
export function similarityWarp(
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  pdm: Pdm,
  scale = 0.7,
  width = 112,
  height = 112,
): Float64Array {
  const n = pdm.numPoints;
  if (landmarks.length !== 2 * n) throw new RangeError(`alignFace: expected ${2 * n} landmark values, got ${landmarks.length}`);
  if (paramsGlobal.length < 6) throw new RangeError('alignFace: paramsGlobal needs 6 values (scale, rx, ry, rz, tx, ty)');

  // source: the landmarks as floats; destination: the first 2n values of mean_shape * scale (z dropped)
  // (cv::Mat * double is a convertTo, which multiplies by the factor as a float)
  const source = Float64Array.from(landmarks, fr);
  const reference = new Float64Array(2 * n);
  const scaleF = fr(scale);
  for (let i = 0; i < 2 * n; i++) reference[i] = fr(fr(pdm.meanShape[i]) * scaleF);

  let a: Float64Array;
  if (n === 68) {
    // OpenFace aligns on the rigid points only (rigid = true in FaceAnalyser)
    const [srcX, srcY] = rigidPoints(source, n);
    const [dstX, dstY] = rigidPoints(reference, n);
    a = alignShapesWithScaleF32(srcX, srcY, dstX, dstY);
  } else {
    a = alignShapesWithScaleF32(source.subarray(0, n), source.subarray(n), reference.subarray(0, n), reference.subarray(n));
  }

  const tx = fr(paramsGlobal[4]);
  const ty = fr(paramsGlobal[5]);
  // cv::Matx22f * cv::Vec2f, in float
  const t0 = fr(fr(a[0] * tx) + fr(a[1] * ty));
  const t1 = fr(fr(a[2] * tx) + fr(a[3] * ty));
  return Float64Array.of(a[0], a[1], fr(-t0 + Math.trunc(width / 2)), a[2], a[3], fr(-t1 + Math.trunc(height / 2)));
}

/**
 * OpenFace's face mask for a warp: the landmarks moved by the warp (float),
 * jaw ends and eyebrows raised by 30 pixels, rasterised through the
 * triangulation (1 = keep, 0 = black).
 */
export function alignedFaceMask(
  landmarks: ArrayLike<number>,
  warp: Float64Array,
  triangulation: Int32Array,
  width: number,
  height: number,
): Uint8Array {
  const n = landmarks.length / 2;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = fr(landmarks[i]);
    const y = fr(landmarks[n + i]);
    // (landmarks as n x 2) * Aᵀ in a gemm (double sums, float result), then the translation added in float
    xs[i] = fr(fr(x * warp[0] + y * warp[1]) + warp[2]);
    ys[i] = fr(fr(x * warp[3] + y * warp[4]) + warp[5]);
  }
  if (n === 68) for (const p of RAISED_POINTS) ys[p] = fr(ys[p] - RAISE_BY);
  return triangleMask(xs, ys, triangulation, width, height);
}

/**
 * OpenFace 2.2's AlignFaceMask (Face_utils.cpp): the similarity-normalised,
 * masked face that FaceAnalyser feeds to its HOG and FeatureExtraction writes
 * to NAME_aligned/.
 *
 * @param frame the full colour frame (BGR, 8-bit)
 * @param landmarks 2n values: x0..x(n-1), then y0..y(n-1) (detected 2D landmarks)
 * @param paramsGlobal the rigid PDM parameters: scale, rx, ry, rz, tx, ty
 * @param triangulation the mask triangulation (tris_68_full.txt), vertex index triples
 */
export function alignFace(
  frame: BgrImage,
  landmarks: ArrayLike<number>,
  paramsGlobal: ArrayLike<number>,
  pdm: Pdm,
  triangulation: Int32Array,
  options: AlignFaceOptions = {},
): BgrImage {
  const scale = options.scale ?? 0.7;
  const width = options.width ?? 112;
  const height = options.height ?? 112;
  const warp = similarityWarp(landmarks, paramsGlobal, pdm, scale, width, height);
  const aligned = warpAffineBilinear(frame, warp, width, height);
  // OpenFace multiplies each channel by the 0/1 mask
  const mask = alignedFaceMask(landmarks, warp, triangulation, width, height);
  const d = aligned.data;
  for (let i = 0, o = 0; i < mask.length; i++, o += 3) {
    if (mask[i] === 0) {
      d[o] = 0;
      d[o + 1] = 0;
      d[o + 2] = 0;
    }
  }
  return aligned;
}
