/**
 * Front end for TFJS graph models (model.json with `format: "graph-model"`):
 * a TensorFlow GraphDef in JSON. Const values come from the weight shards.
 */
import type { TfAttr, TfConst, TfGraph } from './tfGraph.ts';
import { TfGraphBuilder } from './tfGraph.ts';
import type { WeightsManifestGroup } from './weights.ts';
import { decodeWeights } from './weights.ts';

interface GraphDefAttr {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: (string | number)[]; f?: number[]; s?: string[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

interface GraphDefNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, GraphDefAttr>;
}

interface SignatureEntry { name: string }

export interface GraphModelJson {
  format?: string;
  modelTopology: { node: GraphDefNode[] };
  weightsManifest: WeightsManifestGroup[];
  signature?: { inputs?: Record<string, SignatureEntry>; outputs?: Record<string, SignatureEntry> };
}

function decodeBase64(s: string): string {
  return Buffer.from(s, 'base64').toString('latin1');
}

/** GraphDef attributes flattened to plain values (strings are base64 in the JSON). */
function convertAttr(attr: GraphDefAttr): TfAttr | undefined {
  if (attr.list) {
    if (attr.list.i) return attr.list.i.map(Number);
    if (attr.list.f) return attr.list.f.map(Number);
    if (attr.list.s) return attr.list.s.map(decodeBase64).join(',');
    return [];
  }
  if (attr.i !== undefined) return Number(attr.i);
  if (attr.f !== undefined) return Number(attr.f);
  if (attr.b !== undefined) return attr.b;
  if (attr.s !== undefined) return decodeBase64(attr.s);
  if (attr.type !== undefined) return attr.type;
  if (attr.shape) return (attr.shape.dim ?? []).map((d) => Number(d.size ?? -1));
  return undefined;
}

/** Strips the ":0" of a first output and the "^" of control inputs. */
function tensorName(input: string): string {
  return input.endsWith(':0') ? input.slice(0, -2) : input;
}

export function graphModelToTfGraph(model: GraphModelJson, readShard: (path: string) => Uint8Array): TfGraph {
  const weights = decodeWeights(model.weightsManifest, readShard);
  const builder = new TfGraphBuilder();
  const consumed = new Set<string>();
  const nodes = model.modelTopology.node;
  for (const node of nodes) {
    const attrs: Record<string, TfAttr> = {};
    for (const [key, value] of Object.entries(node.attr ?? {})) {
      const converted = convertAttr(value);
      if (converted !== undefined) attrs[key] = converted;
    }
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
    inputs.forEach((i) => consumed.add(i));
    if (node.op === 'Placeholder') {
      builder.input(node.name, (attrs.shape as readonly number[] | undefined) ?? []);
    } else if (node.op === 'Const') {
      const value: TfConst | undefined = weights.get(node.name);
      if (!value) throw new Error(`graph model: constant ${node.name} is not in the weights manifest`);
      builder.constant(node.name, value);
    } else {
      builder.node(node.name, node.op, inputs, attrs);
    }
  }
  const signatureOutputs = Object.values(model.signature?.outputs ?? {}).map((o) => tensorName(o.name));
  const outputs = signatureOutputs.length > 0
    ? signatureOutputs
    : nodes.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && !consumed.has(n.name)).map((n) => n.name);
  return builder.build(outputs);
}
