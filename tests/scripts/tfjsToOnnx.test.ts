/**
 * The converter on tiny models built here: a TFJS graph model (GraphDef JSON)
 * and a TFJS layers model, each saved to a temp folder in TFJS format, run by
 * tfjs (CPU backend) and by onnxruntime on the converted file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import ort from 'onnxruntime-node';
import { convertTfjsModel } from '../../scripts/tfjs-to-onnx/convert.ts';

let folder = '';

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomValues(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, random);
}

async function runOnnx(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', v.data, v.dims);
  const out = await session.run(ortFeeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** A GraphDef attr list of ints, as the TFJS converter writes them. */
const ints = (values: number[]) => ({ list: { i: values.map(String) } });
const str = (s: string) => ({ s: Buffer.from(s).toString('base64') });

beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = mkdtempSync(join(tmpdir(), 'splitface-tfjs-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('TFJS graph model → ONNX', () => {
  it('conv (SAME, stride 2) + bias + relu + depthwise + avg pool + reshape + dense matches tfjs', async () => {
    const random = seeded(1);
    const conv = randomValues(3 * 3 * 3 * 4, random);
    const convBias = randomValues(4, random);
    const depthwise = randomValues(3 * 3 * 4 * 2, random);
    const dense = randomValues(3 * 3 * 8 * 5, random);
    const denseBias = randomValues(5, random);
    const shape = Int32Array.from([-1, 72]);
    const weights = [
      { name: 'conv/kernel', shape: [3, 3, 3, 4], dtype: 'float32', data: conv },
      { name: 'conv/bias', shape: [4], dtype: 'float32', data: convBias },
      { name: 'dw/kernel', shape: [3, 3, 4, 2], dtype: 'float32', data: depthwise },
      { name: 'flat/shape', shape: [2], dtype: 'int32', data: shape },
      { name: 'dense/kernel', shape: [72, 5], dtype: 'float32', data: dense },
      { name: 'dense/bias', shape: [5], dtype: 'float32', data: denseBias },
    ];
    const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
    const modelJson = {
      format: 'graph-model',
      generatedBy: 'splitface test',
      modelTopology: {
        node: [
          node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '9' }, { size: '9' }, { size: '3' }] } } }),
          ...weights.map((w) => node(w.name, 'Const', [], { dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } })),
          node('conv/Conv2D', 'Conv2D', ['x', 'conv/kernel'], { strides: ints([1, 2, 2, 1]), padding: str('SAME'), dilations: ints([1, 1, 1, 1]), data_format: str('NHWC') }),
          node('conv/BiasAdd', 'BiasAdd', ['conv/Conv2D', 'conv/bias']),
          node('conv/Relu', 'Relu', ['conv/BiasAdd']),
          node('dw/depthwise', 'DepthwiseConv2dNative', ['conv/Relu', 'dw/kernel'], { strides: ints([1, 1, 1, 1]), padding: str('SAME'), dilations: ints([1, 1, 1, 1]) }),
          node('dw/Relu6', 'Relu6', ['dw/depthwise']),
          node('pool', 'AvgPool', ['dw/Relu6'], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: str('SAME') }),
          node('flat', 'Reshape', ['pool', 'flat/shape']),
          node('dense/MatMul', 'MatMul', ['flat', 'dense/kernel'], { transpose_a: { b: false }, transpose_b: { b: false } }),
          node('dense/BiasAdd', 'BiasAdd', ['dense/MatMul', 'dense/bias']),
          node('out', 'Identity', ['dense/BiasAdd']),
        ],
        versions: { producer: 1 },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(({ name, shape: s, dtype }) => ({ name, shape: s, dtype })) }],
    };
    const dir = join(folder, 'graph');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const bin = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer)));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bin);

    // tfjs loads the same files back from the folder
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as typeof modelJson;
    const shard = readFileSync(join(dir, 'group1-shard1of1.bin'));
    const model = await tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: saved.modelTopology,
      weightSpecs: saved.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
      weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength),
      format: 'graph-model',
    }));
    const input = randomValues(2 * 9 * 9 * 3, seeded(7)).map((v) => v * 255);
    const expected = (model.execute(tf.tensor4d(input, [2, 9, 9, 3]), 'out') as tf.Tensor).dataSync();

    const converted = convertTfjsModel(join(dir, 'model.json'), { producer: 'test' });
    expect(converted.outputs).toEqual([{ name: 'out', shape: [-1, 5] }]);
    const actual = (await runOnnx(converted.bytes, { x: { data: input, dims: [2, 9, 9, 3] } })).out;
    const diff = maxAbsDiff(actual, expected);
    console.log(`graph model → ONNX vs tfjs: max abs difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });
});

describe('TFJS layers model → ONNX', () => {
  it('Sequential conv2d(relu) + max pool + flatten + dense matches tfjs', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) }),
      ],
    });
    const dir = join(folder, 'layers');
    mkdirSync(dir, { recursive: true });
    // What tfjs-node's file:// handler writes: model.json + weights.bin.
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(weightData));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const input = randomValues(3 * 8 * 8 * 3, seeded(11));
    const expected = (model.predict(tf.tensor4d(input, [3, 8, 8, 3])) as tf.Tensor).dataSync();
    const converted = convertTfjsModel(join(dir, 'model.json'), { producer: 'test' });
    const inputName = converted.inputs[0].name;
    const out = await runOnnx(converted.bytes, { [inputName]: { data: input, dims: [3, 8, 8, 3] } });
    const diff = maxAbsDiff(out[converted.outputs[0].name], expected);
    console.log(`layers model → ONNX vs tfjs: max abs difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });
});
