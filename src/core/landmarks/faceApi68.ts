/**
 * face-api's 68-point landmark net (converted to ONNX by scripts/tfjs-to-onnx)
 * through an injected ONNX runtime. The crop is sampled as face-api's tensor
 * path does (tf.image.resizeBilinear without half-pixel centres: output pixel
 * d reads the source at crop.x + d * size / 112), so the net's outputs map
 * back by x = crop.x + u * size. Points come out in iBUG 68 order, which is
 * OpenFace's.
 */
import type { BgrImage } from '../image.ts';
import type { InferenceBackend, InferenceSession } from '../../models/onnx.ts';
import { requireOutput } from '../../models/onnx.ts';
import type { SampleGrid } from '../sampling/sampleRgb.ts';
import { sampleRgbNhwc } from '../sampling/sampleRgb.ts';
import type { SquareCrop } from './faceCrop.ts';

export const FACE_API_INPUT_SIZE = 112;
export const LANDMARK_COUNT = 68;
const INPUT_NAME = 'input';
const OUTPUT_NAME = 'landmarks';
/** the net subtracts its mean and scales itself: it takes 0..255 */
const RAW_PIXELS = { scale: 1, offset: 0 };

export interface FaceApi68Options {
  /** box-filter downscales of more than 2x (face-api itself uses plain bilinear) */
  readonly antialias?: boolean;
}

export function cropSampleGrid(crop: SquareCrop): SampleGrid {
  return { x0: crop.x, y0: crop.y, step: crop.size / FACE_API_INPUT_SIZE, width: FACE_API_INPUT_SIZE, height: FACE_API_INPUT_SIZE };
}

/** Net output (x0, y0, x1, y1... relative to the crop) → frame pixels, x_0..x_67 then y_0..y_67. */
export function landmarksFromNetOutput(output: Float32Array, crop: SquareCrop): Float64Array {
  const out = new Float64Array(2 * LANDMARK_COUNT);
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    out[i] = crop.x + output[2 * i] * crop.size;
    out[LANDMARK_COUNT + i] = crop.y + output[2 * i + 1] * crop.size;
  }
  return out;
}

export class FaceApi68Landmarker {
  private readonly input = new Float32Array(FACE_API_INPUT_SIZE * FACE_API_INPUT_SIZE * 3);

  private constructor(private readonly session: InferenceSession, private readonly options: FaceApi68Options) {}

  static async create(backend: InferenceBackend, model: Uint8Array, options: FaceApi68Options = {}): Promise<FaceApi68Landmarker> {
    return new FaceApi68Landmarker(await backend.createSession(model), options);
  }

  /** The 112x112x3 RGB input the net sees for this crop (NHWC, 0..255). */
  cropInput(image: BgrImage, crop: SquareCrop, out: Float32Array = new Float32Array(this.input.length)): Float32Array {
    const grid = cropSampleGrid(crop);
    sampleRgbNhwc(image, grid, RAW_PIXELS, out, (this.options.antialias ?? false) && grid.step > 2);
    return out;
  }

  /** Raw net output for a prepared input: 136 values, x/y interleaved, relative to the crop. */
  async run(input: Float32Array): Promise<Float32Array> {
    const outputs = await this.session.run({ [INPUT_NAME]: { data: input, dims: [1, FACE_API_INPUT_SIZE, FACE_API_INPUT_SIZE, 3] } });
    return requireOutput(outputs, OUTPUT_NAME).data;
  }

  /** 68 points in frame pixels (x_0..x_67 then y_0..y_67). */
  async detect(image: BgrImage, crop: SquareCrop): Promise<Float64Array> {
    this.cropInput(image, crop, this.input);
    return landmarksFromNetOutput(await this.run(this.input), crop);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
