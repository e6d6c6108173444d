/**
 * MediaPipe BlazeFace face detection through an injected ONNX runtime:
 * letterbox the frame to the model input (RGB in [-1, 1]), run the net,
 * decode the 896 anchors as MediaPipe does, blend overlaps with weighted NMS,
 * project to frame pixels.
 *
 * The ONNX files (keijiro's Barracuda conversion of the TFLite models) split
 * the SSD head in two: `Identity`/`Identity_2` hold the scores/boxes of the
 * 16x16x2 anchors, `Identity_1`/`Identity_3` those of the 8x8x6 anchors, the
 * same order as MediaPipe's anchor list.
 */
import type { BgrImage } from '../image.ts';
import type { InferenceBackend, InferenceSession } from '../../models/onnx.ts';
import { requireOutput } from '../../models/onnx.ts';
import { sampleRgbNhwc } from '../sampling/sampleRgb.ts';
import type { FaceDetection, Point2 } from './faceDetection.ts';
import type { Letterbox } from './letterbox.ts';
import { fitLetterbox, letterboxGrid, modelToFrameX, modelToFrameY } from './letterbox.ts';
import type { SsdAnchorOptions, SsdAnchors } from './ssdAnchors.ts';
import { generateSsdAnchors } from './ssdAnchors.ts';
import type { SsdDecodeOptions, SsdDetection } from './ssdDecode.ts';
import { decodeSsdDetections } from './ssdDecode.ts';
import { weightedNonMaxSuppression } from './weightedNms.ts';

export interface BlazeFaceVariant {
  readonly name: string;
  readonly inputSize: number;
  readonly anchors: SsdAnchorOptions;
  readonly decode: SsdDecodeOptions;
  readonly minSuppressionThreshold: number;
}

const COMMON_ANCHORS = {
  maxScale: 0.75,
  aspectRatios: [1],
  anchorOffsetX: 0.5,
  anchorOffsetY: 0.5,
  interpolatedScaleAspectRatio: 1,
  reduceBoxesInLowestLayer: false,
  fixedAnchorSize: true,
} as const;

/** face_detection_short_range (front camera): faces filling a good part of a selfie frame. */
export const BLAZEFACE_SHORT_RANGE: BlazeFaceVariant = {
  name: 'short range 128',
  inputSize: 128,
  anchors: { ...COMMON_ANCHORS, inputWidth: 128, inputHeight: 128, minScale: 0.1484375, strides: [8, 16, 16, 16] },
  decode: { numKeypoints: 6, xScale: 128, yScale: 128, wScale: 128, hScale: 128, scoreClippingThresh: 100, minScoreThresh: 0.5, reverseOutputOrder: true },
  minSuppressionThreshold: 0.3,
};

/** face_detection_back (rear camera, 256x256): smaller faces farther away. */
export const BLAZEFACE_BACK: BlazeFaceVariant = {
  name: 'back 256',
  inputSize: 256,
  anchors: { ...COMMON_ANCHORS, inputWidth: 256, inputHeight: 256, minScale: 0.15625, strides: [16, 32, 32, 32] },
  decode: { numKeypoints: 6, xScale: 256, yScale: 256, wScale: 256, hScale: 256, scoreClippingThresh: 100, minScoreThresh: 0.65, reverseOutputOrder: true },
  minSuppressionThreshold: 0.3,
};

const INPUT_NAME = 'input:0';
const SCORE_OUTPUTS = ['Identity:0', 'Identity_1:0'] as const;
const BOX_OUTPUTS = ['Identity_2:0', 'Identity_3:0'] as const;

/** [-1, 1] as the TFLite model expects */
const PIXEL_TO_INPUT = { scale: 2 / 255, offset: -1 };

export interface BlazeFaceOptions {
  /** overrides the variant's minimum score */
  readonly minScore?: number;
  /** box-filter the downscale instead of plain bilinear (MediaPipe uses bilinear) */
  readonly antialias?: boolean;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Normalised letterboxed detection → frame pixels. */
export function projectDetection(d: SsdDetection, lb: Letterbox): FaceDetection {
  const x = modelToFrameX(lb, d.xmin);
  const y = modelToFrameY(lb, d.ymin);
  const keypoints: Point2[] = [];
  for (let k = 0; k < d.keypoints.length; k += 2) keypoints.push({ x: modelToFrameX(lb, d.keypoints[k]), y: modelToFrameY(lb, d.keypoints[k + 1]) });
  return {
    score: d.score,
    box: { x, y, width: modelToFrameX(lb, d.xmax) - x, height: modelToFrameY(lb, d.ymax) - y },
    keypoints,
  };
}

export class BlazeFaceDetector {
  private readonly anchors: SsdAnchors;
  private readonly input: Float32Array;
  private readonly decode: SsdDecodeOptions;

  private constructor(private readonly session: InferenceSession, readonly variant: BlazeFaceVariant, private readonly options: BlazeFaceOptions) {
    this.anchors = generateSsdAnchors(variant.anchors);
    this.input = new Float32Array(variant.inputSize * variant.inputSize * 3);
    this.decode = { ...variant.decode, minScoreThresh: options.minScore ?? variant.decode.minScoreThresh };
  }

  static async create(backend: InferenceBackend, model: Uint8Array, variant: BlazeFaceVariant, options: BlazeFaceOptions = {}): Promise<BlazeFaceDetector> {
    return new BlazeFaceDetector(await backend.createSession(model), variant, options);
  }

  /** Every face found, best score first, in frame pixel-index coordinates. */
  async detect(image: BgrImage): Promise<FaceDetection[]> {
    const size = this.variant.inputSize;
    const lb = fitLetterbox(image.width, image.height, size);
    sampleRgbNhwc(image, letterboxGrid(lb), PIXEL_TO_INPUT, this.input, this.options.antialias ?? false);
    const outputs = await this.session.run({ [INPUT_NAME]: { data: this.input, dims: [1, size, size, 3] } });
    const scores = concat(requireOutput(outputs, SCORE_OUTPUTS[0]).data, requireOutput(outputs, SCORE_OUTPUTS[1]).data);
    const boxes = concat(requireOutput(outputs, BOX_OUTPUTS[0]).data, requireOutput(outputs, BOX_OUTPUTS[1]).data);
    const candidates = decodeSsdDetections(scores, boxes, this.anchors, this.decode);
    return weightedNonMaxSuppression(candidates, this.variant.minSuppressionThreshold).map((d) => projectDetection(d, lb));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
