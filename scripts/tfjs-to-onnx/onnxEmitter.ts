/**
 * Turns a TF-style graph (NHWC) into an ONNX ModelProto (opset 13).
 *
 * Layout: ONNX convolutions and pools work on NCHW, TF's on NHWC. Every 4-D
 * tensor therefore has a layout here: `nchw` (stored transposed) or TF's own.
 * Conv-like ops pull their input to NCHW and produce NCHW; element-wise ops
 * keep whatever layout their operands share, rewriting constant operands
 * (biases, means) to broadcast over NCHW; ops whose meaning depends on the
 * memory order (Reshape, Flatten, MatMul, Softmax, model outputs) get TF's
 * layout back first. A Transpose is emitted only where the layout changes, so
 * a chain of convolutions costs one transpose at the input and one where the
 * features are flattened. The model's inputs and outputs keep TF's shapes.
 *
 * Shapes are inferred as we go (TF semantics) to turn SAME padding into
 * explicit pads, which every onnxruntime backend handles the same way.
 */
import onnxProto from 'onnx-proto';
import type { TfAttr, TfConst, TfGraph, TfNode } from './tfGraph.ts';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

export const ONNX_OPSET = 13;

interface Value {
  /** name of the ONNX tensor holding it */
  readonly onnx: string;
  /** TF (NHWC) shape; -1 for the free batch dimension */
  readonly shape: readonly number[];
  /** a 4-D tensor stored as NCHW */
  readonly nchw: boolean;
}

export interface EmitOptions {
  readonly producer: string;
  readonly docString?: string;
  /** extra key/value pairs stored in the model's metadata_props */
  readonly metadata?: Readonly<Record<string, string>>;
}

function attrNumbers(node: TfNode, key: string, fallback?: readonly number[]): readonly number[] {
  const value = node.attrs[key];
  if (value === undefined && fallback) return fallback;
  if (!Array.isArray(value)) throw new Error(`${node.op} ${node.name}: attribute ${key} missing`);
  return value as readonly number[];
}

function attrString(node: TfNode, key: string, fallback: string): string {
  const value: TfAttr | undefined = node.attrs[key];
  return typeof value === 'string' ? value : fallback;
}

function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(da === 1 ? db : db === 1 ? da : da === -1 ? db : da);
  }
  return out;
}

/** One spatial dimension of a TF conv/pool: output size and ONNX pads. */
function spatial(input: number, kernel: number, stride: number, dilation: number, padding: string): { out: number; before: number; after: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.ceil((input - effective + 1) / stride), before: 0, after: 0 };
  if (padding !== 'SAME') throw new Error(`padding ${padding} is not supported`);
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + effective - input, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** NHWC row-major data of a constant viewed as NCHW (shape left-padded to rank 4). */
function constantToNchw(c: TfConst): { dims: number[]; data: Float32Array } {
  const [n, h, w, ch] = [...Array(4 - c.shape.length).fill(1), ...c.shape] as number[];
  const out = new Float32Array(c.data.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < ch; k++) {
    out[((i * ch + k) * h + y) * w + x] = c.data[((i * h + y) * w + x) * ch + k];
  }
  return { dims: [n, ch, h, w], data: out };
}

/** TF conv filter [kh,kw,in,out] → ONNX weight [out,in,kh,kw]. */
function convFilterToOnnx(c: TfConst): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = c.shape;
  const out = new Float32Array(c.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * kh + y) * kw + x] = c.data[((y * kw + x) * cin + i) * cout + o];
  }
  return { dims: [cout, cin, kh, kw], data: out };
}

/**
 * TF depthwise filter [kh,kw,in,multiplier] → ONNX grouped-conv weight
 * [in*multiplier,1,kh,kw]; TF's output channel c*multiplier+m is group c's m-th.
 */
function depthwiseFilterToOnnx(c: TfConst): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, mult] = c.shape;
  const out = new Float32Array(c.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let m = 0; m < mult; m++) {
    out[((i * mult + m) * kh + y) * kw + x] = c.data[((y * kw + x) * cin + i) * mult + m];
  }
  return { dims: [cin * mult, 1, kh, kw], data: out };
}

function attribute(name: string, value: number | readonly number[] | string, kind: 'int' | 'float' = 'int'): AttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: [...(value as readonly number[])] });
  if (kind === 'float') return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value as number });
  return onnx.AttributeProto.create({ name, type: A.INT, i: value as number });
}

class OnnxGraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly initialized = new Set<string>();
  private readonly values = new Map<string, Value>();
  private readonly layoutCache = new Map<string, Value>();
  private counter = 0;

  constructor(private readonly consts: ReadonlyMap<string, TfConst>) {}

  define(tfName: string, value: Value): void {
    this.values.set(tfName, value);
  }

  isConst(tfName: string): boolean {
    return this.consts.has(tfName) && !this.values.has(tfName);
  }

  constant(tfName: string): TfConst {
    const c = this.consts.get(tfName);
    if (!c) throw new Error(`${tfName} is not a constant`);
    return c;
  }

  value(tfName: string): Value {
    const v = this.values.get(tfName);
    if (v) return v;
    const c = this.consts.get(tfName);
    if (!c) throw new Error(`tensor ${tfName} is used before it is defined`);
    return { onnx: this.floatInit(tfName, [...c.shape], c.data), shape: c.shape, nchw: false };
  }

  fresh(base: string): string {
    return `${base}__${this.counter++}`;
  }

  floatInit(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    if (!this.initialized.has(name)) {
      const bytes = new Uint8Array(Float32Array.from(data).buffer);
      this.initializers.push(onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes }));
      this.initialized.add(name);
    }
    return name;
  }

  int64Init(name: string, dims: readonly number[], data: ArrayLike<number>): string {
    if (!this.initialized.has(name)) {
      const values = BigInt64Array.from(Array.from(data, (v) => BigInt(v)));
      this.initializers.push(onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(values.buffer) }));
      this.initialized.add(name);
    }
    return name;
  }

  emit(opType: string, inputs: readonly string[], output: string, attributes: AttributeProto[] = []): string {
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: [output], name: output, attribute: attributes }));
    return output;
  }

  asNchw(v: Value): Value {
    if (v.nchw) return v;
    if (v.shape.length !== 4) throw new Error(`${v.onnx}: expected a 4-D tensor, got [${v.shape.join(',')}]`);
    const key = `${v.onnx}>nchw`;
    let out = this.layoutCache.get(key);
    if (!out) {
      out = { onnx: this.emit('Transpose', [v.onnx], `${v.onnx}__nchw`, [attribute('perm', [0, 3, 1, 2])]), shape: v.shape, nchw: true };
      this.layoutCache.set(key, out);
    }
    return out;
  }

  asTf(v: Value): Value {
    if (!v.nchw) return v;
    const key = `${v.onnx}>tf`;
    let out = this.layoutCache.get(key);
    if (!out) {
      out = { onnx: this.emit('Transpose', [v.onnx], `${v.onnx}__nhwc`, [attribute('perm', [0, 2, 3, 1])]), shape: v.shape, nchw: false };
      this.layoutCache.set(key, out);
    }
    return out;
  }
}

/** Name of a node's result in a given layout (TF layout keeps the TF name). */
function outName(node: TfNode, nchw: boolean): string {
  return nchw ? `${node.name}__nchw` : node.name;
}

function emitConv(w: OnnxGraphWriter, node: TfNode, depthwise: boolean, inputs: readonly string[]): Value {
  const x = w.asNchw(w.value(inputs[0]));
  const filter = w.constant(inputs[1]);
  const strides = attrNumbers(node, 'strides');
  const dilations = attrNumbers(node, 'dilations', [1, 1, 1, 1]);
  const padding = attrString(node, 'padding', 'VALID');
  const [kh, kw, cin, k3] = filter.shape;
  const h = spatial(x.shape[1], kh, strides[1], dilations[1], padding);
  const wd = spatial(x.shape[2], kw, strides[2], dilations[2], padding);
  const onnxFilter = depthwise ? depthwiseFilterToOnnx(filter) : convFilterToOnnx(filter);
  const weightName = w.floatInit(`${inputs[1]}__oihw`, onnxFilter.dims, onnxFilter.data);
  const attributes = [
    attribute('kernel_shape', [kh, kw]),
    attribute('strides', [strides[1], strides[2]]),
    attribute('dilations', [dilations[1], dilations[2]]),
    attribute('pads', [h.before, wd.before, h.after, wd.after]),
  ];
  if (depthwise) attributes.push(attribute('group', cin));
  const channels = depthwise ? cin * k3 : k3;
  const result = w.emit('Conv', [x.onnx, weightName], outName(node, true), attributes);
  return { onnx: result, shape: [x.shape[0], h.out, wd.out, channels], nchw: true };
}

function emitPool(w: OnnxGraphWriter, node: TfNode, inputs: readonly string[]): Value {
  const x = w.asNchw(w.value(inputs[0]));
  const ksize = attrNumbers(node, 'ksize');
  const strides = attrNumbers(node, 'strides');
  const padding = attrString(node, 'padding', 'VALID');
  const h = spatial(x.shape[1], ksize[1], strides[1], 1, padding);
  const wd = spatial(x.shape[2], ksize[2], strides[2], 1, padding);
  // TF's AvgPool averages only the real (unpadded) inputs: count_include_pad = 0, ONNX's default.
  const result = w.emit(node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [x.onnx], outName(node, true), [
    attribute('kernel_shape', [ksize[1], ksize[2]]),
    attribute('strides', [strides[1], strides[2]]),
    attribute('pads', [h.before, wd.before, h.after, wd.after]),
  ]);
  return { onnx: result, shape: [x.shape[0], h.out, wd.out, x.shape[3]], nchw: true };
}

const BINARY_OPS: Record<string, string> = {
  BiasAdd: 'Add', Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Maximum: 'Max', Minimum: 'Min',
};

/** Element-wise op with TF broadcasting, in whatever layout the variable operands have. */
function emitBinary(w: OnnxGraphWriter, node: TfNode, onnxOp: string, aName: string, bName: string, name = outName(node, false)): Value {
  const aConst = w.isConst(aName);
  const bConst = w.isConst(bName);
  let a = aConst ? null : w.value(aName);
  let b = bConst ? null : w.value(bName);
  if (a && b && a.nchw !== b.nchw) {
    if (a.shape.length === 4 && b.shape.length === 4) { a = w.asNchw(a); b = w.asNchw(b); } else { a = w.asTf(a); b = w.asTf(b); }
  }
  const nchw = (a?.nchw ?? false) || (b?.nchw ?? false);
  const operand = (v: Value | null, tfName: string): { onnx: string; shape: readonly number[] } => {
    if (v) return v;
    const c = w.constant(tfName);
    if (!nchw) return { onnx: w.floatInit(tfName, [...c.shape], c.data), shape: c.shape };
    const converted = constantToNchw(c);
    return { onnx: w.floatInit(`${tfName}__nchw`, converted.dims, converted.data), shape: [...Array(4 - c.shape.length).fill(1), ...c.shape] };
  };
  const left = operand(a, aName);
  const right = operand(b, bName);
  const result = w.emit(onnxOp, [left.onnx, right.onnx], nchw ? `${name}__nchw` : name);
  return { onnx: result, shape: broadcastShapes(left.shape, right.shape), nchw };
}

function emitActivation(w: OnnxGraphWriter, node: TfNode, op: string, x: Value, name: string): Value {
  const output = x.nchw ? `${name}__nchw` : name;
  switch (op) {
    case 'Relu': w.emit('Relu', [x.onnx], output); break;
    case 'Relu6': w.emit('Clip', [x.onnx, w.floatInit('__zero', [], [0]), w.floatInit('__six', [], [6])], output); break;
    case 'Sigmoid': w.emit('Sigmoid', [x.onnx], output); break;
    case 'Tanh': w.emit('Tanh', [x.onnx], output); break;
    case 'Elu': w.emit('Elu', [x.onnx], output); break;
    case 'LeakyRelu': w.emit('LeakyRelu', [x.onnx], output, [attribute('alpha', Number(node.attrs.alpha ?? node.attrs.leakyrelu_alpha ?? 0.2), 'float')]); break;
    default: throw new Error(`${node.name}: activation ${op} is not supported`);
  }
  return { onnx: output, shape: x.shape, nchw: x.nchw };
}

/** FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul: the op, then BiasAdd and an activation. */
function emitFused(w: OnnxGraphWriter, node: TfNode, base: (inputs: readonly string[]) => Value): Value {
  const fused = attrString(node, 'fused_ops', '').split(',').filter((s) => s.length > 0);
  let v = base(node.inputs);
  let next = 2;
  for (const [i, op] of fused.entries()) {
    const last = i === fused.length - 1;
    const name = last ? node.name : `${node.name}/${op}`;
    if (op === 'BiasAdd') {
      const tmp = `${node.name}__pre_bias`;
      w.define(tmp, v);
      v = emitBinary(w, node, 'Add', tmp, node.inputs[next++], name);
    } else {
      v = emitActivation(w, node, op, v, name);
    }
  }
  return v;
}

function emitNode(w: OnnxGraphWriter, node: TfNode): Value {
  const inputs = node.inputs;
  const binary = BINARY_OPS[node.op];
  if (binary) return emitBinary(w, node, binary, inputs[0], inputs[1]);
  switch (node.op) {
    case 'Conv2D': return emitConv(w, node, false, inputs);
    case 'DepthwiseConv2dNative': case 'DepthwiseConv2D': return emitConv(w, node, true, inputs);
    case 'FusedConv2D': return emitFused(w, node, (i) => emitConv(w, { ...node, name: `${node.name}/conv` }, false, i));
    case 'FusedDepthwiseConv2dNative': return emitFused(w, node, (i) => emitConv(w, { ...node, name: `${node.name}/conv` }, true, i));
    case '_FusedMatMul': return emitFused(w, node, (i) => emitMatMul(w, { ...node, name: `${node.name}/matmul` }, i));
    case 'MaxPool': case 'AvgPool': return emitPool(w, node, inputs);
    case 'Relu': case 'Relu6': case 'Sigmoid': case 'Tanh': case 'Elu': case 'LeakyRelu':
      return emitActivation(w, node, node.op, w.value(inputs[0]), node.name);
    case 'Identity': return w.value(inputs[0]);
    case 'Softmax': {
      const x = w.asTf(w.value(inputs[0]));
      return { onnx: w.emit('Softmax', [x.onnx], node.name, [attribute('axis', -1)]), shape: x.shape, nchw: false };
    }
    case 'MatMul': return emitMatMul(w, node, inputs);
    case 'Flatten': {
      const x = w.asTf(w.value(inputs[0]));
      const rest = x.shape.slice(1).reduce((a, b) => a * b, 1);
      return { onnx: w.emit('Flatten', [x.onnx], node.name, [attribute('axis', 1)]), shape: [x.shape[0], rest], nchw: false };
    }
    case 'Reshape': {
      const x = w.asTf(w.value(inputs[0]));
      const target = Array.from(w.constant(inputs[1]).data);
      const known = x.shape.every((d) => d > 0) ? x.shape.reduce((a, b) => a * b, 1) : -1;
      const fixed = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const shape = target.map((d) => (d === -1 && known > 0 ? known / fixed : d));
      const shapeName = w.int64Init(`${inputs[1]}__int64`, [target.length], target);
      return { onnx: w.emit('Reshape', [x.onnx, shapeName], node.name), shape, nchw: false };
    }
    case 'ConcatV2': case 'Concat': {
      const axisName = node.op === 'ConcatV2' ? inputs[inputs.length - 1] : inputs[0];
      const parts = (node.op === 'ConcatV2' ? inputs.slice(0, -1) : inputs.slice(1)).map((n) => w.value(n));
      const rank = parts[0].shape.length;
      let axis = Number(w.constant(axisName).data[0]);
      if (axis < 0) axis += rank;
      const allNchw = parts.every((p) => p.nchw);
      const operands = allNchw ? parts : parts.map((p) => w.asTf(p));
      const onnxAxis = allNchw ? [0, 2, 3, 1][axis] : axis;
      const shape = [...parts[0].shape];
      shape[axis] = parts.reduce((n, p) => n + p.shape[axis], 0);
      const output = allNchw ? `${node.name}__nchw` : node.name;
      return { onnx: w.emit('Concat', operands.map((p) => p.onnx), output, [attribute('axis', onnxAxis)]), shape, nchw: allNchw };
    }
    default:
      throw new Error(`TF op ${node.op} (${node.name}) is not supported by the converter`);
  }
}

function emitMatMul(w: OnnxGraphWriter, node: TfNode, inputs: readonly string[]): Value {
  let a = w.asTf(w.value(inputs[0]));
  let b = w.asTf(w.value(inputs[1]));
  if (node.attrs.transpose_a === true) a = { onnx: w.emit('Transpose', [a.onnx], w.fresh(`${node.name}/a_t`), [attribute('perm', [1, 0])]), shape: [a.shape[1], a.shape[0]], nchw: false };
  if (node.attrs.transpose_b === true) b = { onnx: w.emit('Transpose', [b.onnx], w.fresh(`${node.name}/b_t`), [attribute('perm', [1, 0])]), shape: [b.shape[1], b.shape[0]], nchw: false };
  return { onnx: w.emit('MatMul', [a.onnx, b.onnx], node.name), shape: [a.shape[0], b.shape[1]], nchw: false };
}

function valueInfo(name: string, shape: readonly number[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (d < 0 ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  });
}

export interface EmittedModel {
  readonly bytes: Uint8Array;
  readonly inputs: readonly { name: string; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; shape: readonly number[] }[];
}

export function emitOnnx(graph: TfGraph, options: EmitOptions): EmittedModel {
  const w = new OnnxGraphWriter(graph.consts);
  for (const input of graph.inputs) w.define(input.name, { onnx: input.name, shape: input.shape, nchw: false });
  for (const node of graph.nodes) w.define(node.name, emitNode(w, node));
  const outputs = graph.outputs.map((name) => {
    const v = w.asTf(w.value(name));
    if (v.onnx !== name) w.emit('Identity', [v.onnx], name);
    return { name, shape: v.shape };
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: options.producer,
    docString: options.docString ?? '',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'main',
      node: w.nodes,
      initializer: w.initializers,
      input: graph.inputs.map((i) => valueInfo(i.name, i.shape)),
      output: outputs.map((o) => valueInfo(o.name, o.shape)),
    },
  });
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs,
  };
}
