/** Reads the declared inputs and outputs of an ONNX model (for the manifest). */
import onnxProto from 'onnx-proto';
import type { ModelTensorInfo } from '../../src/models/manifest.ts';

const { onnx } = onnxProto;

type ValueInfo = onnxProto.onnx.IValueInfoProto;

function describe(v: ValueInfo): ModelTensorInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    shape: dims.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? -1))),
  };
}

export function onnxSignature(bytes: Uint8Array): { inputs: ModelTensorInfo[]; outputs: ModelTensorInfo[] } {
  const graph = onnx.ModelProto.decode(bytes).graph;
  if (!graph) throw new Error('ONNX file without a graph');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name)).map(describe),
    outputs: (graph.output ?? []).map(describe),
  };
}
