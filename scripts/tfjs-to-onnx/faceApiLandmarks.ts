/**
 * Front end for face-api's 68-point landmark nets. face-api ships only weight
 * shards and a weights manifest (no model.json): the architecture lives in
 * its code (FaceLandmark68Net = FaceFeatureExtractor + fully connected layer;
 * FaceLandmark68TinyNet = TinyFaceFeatureExtractor + fc). This file rebuilds
 * that architecture as TF ops, op for op and in the same addition order as
 * face-api's denseBlock3/denseBlock4, so float rounding matches too.
 *
 * Model contract: input `input` [N,112,112,3], RGB 0..255 as float, already
 * padded to a square and resized (face-api's NetInput.toBatchTensor does that
 * outside the net); output `landmarks` [N,136], x0,y0,x1,y1... relative to
 * the 112x112 input (0..1).
 */
import type { TfConst, TfGraph } from './tfGraph.ts';
import { TfGraphBuilder } from './tfGraph.ts';

export type FaceApiLandmarkVariant = 'full' | 'tiny';

interface Variant {
  readonly blocks: number;
  readonly convsPerBlock: 3 | 4;
  readonly poolSize: number;
}

const VARIANTS: Record<FaceApiLandmarkVariant, Variant> = {
  full: { blocks: 4, convsPerBlock: 4, poolSize: 7 },
  tiny: { blocks: 3, convsPerBlock: 3, poolSize: 14 },
};

/** face-api's FaceFeatureExtractor: normalize(x, meanRgb).div(255) */
const MEAN_RGB = [122.782, 117.001, 104.298];
export const FACE_API_LANDMARK_INPUT_SIZE = 112;

export function faceApiLandmarkNetToTfGraph(weights: ReadonlyMap<string, TfConst>, variant: FaceApiLandmarkVariant): TfGraph {
  const spec = VARIANTS[variant];
  const b = new TfGraphBuilder();
  const weight = (name: string): string => {
    const value = weights.get(name);
    if (!value) throw new Error(`face-api ${variant} landmark net: weight ${name} is missing from the manifest`);
    return b.constant(name, value);
  };
  const same = { padding: 'SAME', dilations: [1, 1, 1, 1] };
  /** tf.separableConv2d + bias, as face-api's depthwiseSeparableConv */
  const separable = (x: string, prefix: string, stride: number): string => {
    const depthwise = b.node(`${prefix}/depthwise`, 'DepthwiseConv2dNative', [x, weight(`${prefix}/depthwise_filter`)], { strides: [1, stride, stride, 1], ...same });
    const pointwise = b.node(`${prefix}/pointwise`, 'Conv2D', [depthwise, weight(`${prefix}/pointwise_filter`)], { strides: [1, 1, 1, 1], padding: 'VALID', dilations: [1, 1, 1, 1] });
    return b.node(`${prefix}/add_bias`, 'AddV2', [pointwise, weight(`${prefix}/bias`)]);
  };
  const relu = (x: string, name: string): string => b.node(name, 'Relu', [x]);
  /** right-nested sum a + (b + (c + ...)), the order face-api adds in */
  const nestedSum = (terms: string[], name: string): string => {
    let acc = terms[terms.length - 1];
    for (let i = terms.length - 2; i >= 0; i--) acc = b.node(`${name}/sum${i}`, 'AddV2', [terms[i], acc]);
    return acc;
  };

  const input = b.input('input', [-1, FACE_API_LANDMARK_INPUT_SIZE, FACE_API_LANDMARK_INPUT_SIZE, 3]);
  const centred = b.node('normalize/sub_mean', 'Sub', [input, b.floatConstant('normalize/mean_rgb', [3], MEAN_RGB)]);
  let x = b.node('normalize/div_255', 'RealDiv', [centred, b.floatConstant('normalize/255', [], [255])]);

  for (let block = 0; block < spec.blocks; block++) {
    const p = `dense${block}`;
    const first = block === 0
      ? b.node(`${p}/conv0/add_bias`, 'AddV2', [b.node(`${p}/conv0/conv`, 'Conv2D', [x, weight(`${p}/conv0/filters`)], { strides: [1, 2, 2, 1], ...same }), weight(`${p}/conv0/bias`)])
      : separable(x, `${p}/conv0`, 2);
    const outs = [relu(first, `${p}/out1`)];
    for (let conv = 1; conv < spec.convsPerBlock; conv++) {
      const into = conv === 1 ? outs[0] : relu(nestedSum(outs, `${p}/in${conv + 1}`), `${p}/in${conv + 1}/relu`);
      outs.push(separable(into, `${p}/conv${conv}`, 1));
    }
    x = relu(nestedSum(outs, `${p}/out`), `${p}/out/relu`);
  }
  const pooled = b.node('avg_pool', 'AvgPool', [x], { ksize: [1, spec.poolSize, spec.poolSize, 1], strides: [1, 2, 2, 1], padding: 'VALID' });
  const flat = b.node('flatten', 'Flatten', [pooled]);
  const fc = b.node('fc/matmul', 'MatMul', [flat, weight('fc/weights')]);
  b.node('landmarks', 'AddV2', [fc, weight('fc/bias')]);
  return b.build(['landmarks']);
}
