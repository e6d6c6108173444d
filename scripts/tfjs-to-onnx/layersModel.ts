/**
 * Front end for TFJS layers models (model.json with `format: "layers-model"`,
 * a Keras topology). Each supported layer becomes the TF ops it computes;
 * Sequential and functional models are both read.
 */
import type { TfGraph } from './tfGraph.ts';
import { TfGraphBuilder } from './tfGraph.ts';
import type { WeightsManifestGroup } from './weights.ts';
import { decodeWeights } from './weights.ts';

type KerasValue = string | number | boolean | null | KerasValue[] | { [key: string]: KerasValue };
type InboundNode = [string, number, number, Record<string, KerasValue>?];

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, KerasValue>;
  inbound_nodes?: InboundNode[][];
}

export interface LayersModelJson {
  format?: string;
  modelTopology: {
    class_name: string;
    config: { name?: string; layers: KerasLayer[]; input_layers?: [string, number, number][]; output_layers?: [string, number, number][] } | KerasLayer[];
  };
  weightsManifest: WeightsManifestGroup[];
}

function numbers(value: KerasValue | undefined, what: string): number[] {
  if (!Array.isArray(value)) throw new Error(`layers model: ${what} is not a list`);
  return value.map((v) => (v === null ? -1 : Number(v)));
}

function pair(value: KerasValue | undefined, fallback: number): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  const [a, b] = numbers(value, 'kernel/stride');
  return [a, b];
}

function layerName(layer: KerasLayer): string {
  return String(layer.name ?? layer.config.name);
}

/** The activation a layer applies after its affine part. */
function activate(builder: TfGraphBuilder, name: string, input: string, activation: KerasValue | undefined): string {
  switch (activation ?? 'linear') {
    case 'linear': return input;
    case 'relu': return builder.node(`${name}/Relu`, 'Relu', [input]);
    case 'relu6': return builder.node(`${name}/Relu6`, 'Relu6', [input]);
    case 'sigmoid': return builder.node(`${name}/Sigmoid`, 'Sigmoid', [input]);
    case 'tanh': return builder.node(`${name}/Tanh`, 'Tanh', [input]);
    case 'softmax': return builder.node(`${name}/Softmax`, 'Softmax', [input]);
    default: throw new Error(`layers model: activation ${String(activation)} is not supported`);
  }
}

export function layersModelToTfGraph(model: LayersModelJson, readShard: (path: string) => Uint8Array): TfGraph {
  const weights = decodeWeights(model.weightsManifest, readShard);
  const builder = new TfGraphBuilder();
  const topology = model.modelTopology;
  const config = Array.isArray(topology.config) ? { layers: topology.config } : topology.config;
  const sequential = topology.class_name === 'Sequential';
  /** the tensor name each layer's output lives under */
  const outputOf = new Map<string, string>();

  const weight = (layer: string, kind: string): string => {
    const key = [...weights.keys()].find((k) => k === `${layer}/${kind}` || k.endsWith(`/${layer}/${kind}`));
    if (!key) throw new Error(`layers model: no ${kind} weights for layer ${layer}`);
    const value = weights.get(key);
    if (!value) throw new Error(`layers model: missing ${key}`);
    return builder.constant(key, value);
  };

  let previous: string | null = null;
  for (const layer of config.layers) {
    const name = layerName(layer);
    const c = layer.config;
    let inbound = sequential
      ? (previous === null ? [] : [previous])
      : (layer.inbound_nodes?.[0] ?? []).map(([from]) => {
        const tensor = outputOf.get(from);
        if (!tensor) throw new Error(`layers model: layer ${name} reads ${from}, which is not defined before it`);
        return tensor;
      });
    if (sequential && previous === null && layer.class_name !== 'InputLayer') {
      // A Sequential model without an InputLayer carries the input shape on its first layer.
      inbound = [builder.input('input', numbers(c.batch_input_shape, 'batch_input_shape'))];
    }
    const input = inbound[0] ?? '';
    let out: string;
    const useBias = c.use_bias !== false;
    const padding = String(c.padding ?? 'valid').toUpperCase();
    switch (layer.class_name) {
      case 'InputLayer':
        out = builder.input(name, numbers(c.batch_input_shape ?? c.batch_shape, 'batch_input_shape'));
        break;
      case 'Conv2D': {
        const [sh, sw] = pair(c.strides, 1);
        const [dh, dw] = pair(c.dilation_rate, 1);
        out = builder.node(`${name}/Conv2D`, 'Conv2D', [input, weight(name, 'kernel')], { strides: [1, sh, sw, 1], padding, dilations: [1, dh, dw, 1] });
        if (useBias) out = builder.node(`${name}/BiasAdd`, 'BiasAdd', [out, weight(name, 'bias')]);
        out = activate(builder, name, out, c.activation);
        break;
      }
      case 'DepthwiseConv2D': {
        const [sh, sw] = pair(c.strides, 1);
        const [dh, dw] = pair(c.dilation_rate, 1);
        out = builder.node(`${name}/depthwise`, 'DepthwiseConv2dNative', [input, weight(name, 'depthwise_kernel')], { strides: [1, sh, sw, 1], padding, dilations: [1, dh, dw, 1] });
        if (useBias) out = builder.node(`${name}/BiasAdd`, 'BiasAdd', [out, weight(name, 'bias')]);
        out = activate(builder, name, out, c.activation);
        break;
      }
      case 'Dense':
        out = builder.node(`${name}/MatMul`, 'MatMul', [input, weight(name, 'kernel')]);
        if (useBias) out = builder.node(`${name}/BiasAdd`, 'BiasAdd', [out, weight(name, 'bias')]);
        out = activate(builder, name, out, c.activation);
        break;
      case 'Activation':
        out = activate(builder, name, input, c.activation);
        break;
      case 'ReLU':
        out = builder.node(`${name}/Relu`, c.max_value === 6 ? 'Relu6' : 'Relu', [input]);
        break;
      case 'Flatten':
        out = builder.node(`${name}/Flatten`, 'Flatten', [input]);
        break;
      case 'Reshape': {
        const target = [-1, ...numbers(c.target_shape, 'target_shape')];
        out = builder.node(`${name}/Reshape`, 'Reshape', [input, builder.intConstant(`${name}/shape`, [target.length], target)]);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [kh, kw] = pair(c.pool_size, 2);
        const [sh, sw] = c.strides === null || c.strides === undefined ? [kh, kw] : pair(c.strides, 1);
        out = builder.node(`${name}/pool`, layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool', [input], { ksize: [1, kh, kw, 1], strides: [1, sh, sw, 1], padding });
        break;
      }
      case 'Add':
        out = inbound.slice(1).reduce((acc, next, i) => builder.node(`${name}/add${i}`, 'AddV2', [acc, next]), input);
        break;
      case 'Concatenate':
        out = builder.node(`${name}/concat`, 'ConcatV2', [...inbound, builder.intConstant(`${name}/axis`, [], [Number(c.axis ?? -1)])]);
        break;
      default:
        throw new Error(`layers model: layer type ${layer.class_name} is not supported`);
    }
    outputOf.set(name, out);
    previous = out;
  }
  const outputs = sequential || !config.output_layers
    ? [previous ?? '']
    : config.output_layers.map(([layer]) => outputOf.get(layer) ?? '');
  return builder.build(outputs);
}
