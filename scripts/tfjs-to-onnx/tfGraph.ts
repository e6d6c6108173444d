/**
 * The converter's intermediate form: a TensorFlow-style graph (NHWC, TF op
 * names and TF attribute meanings), whatever the source format was. Every
 * front end (TFJS graph model, TFJS layers model, face-api's hard-coded nets)
 * produces this, and one emitter turns it into ONNX, so the NHWC→NCHW work is
 * written once.
 */

export type TfDtype = 'float32' | 'int32';

/** A constant tensor (weights, shapes, axes), row-major in TF's layout. */
export interface TfConst {
  readonly dtype: TfDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export type TfAttr = number | boolean | string | readonly number[];

export interface TfNode {
  readonly name: string;
  /** a TF op name: Conv2D, DepthwiseConv2dNative, BiasAdd, AddV2, Relu, MatMul, ... */
  readonly op: string;
  /** names of the node outputs it reads ("node" or "node:1"), constants included */
  readonly inputs: readonly string[];
  readonly attrs: Readonly<Record<string, TfAttr>>;
}

export interface TfInput {
  readonly name: string;
  /** NHWC for images; -1 for a dimension that is not fixed (the batch) */
  readonly shape: readonly number[];
}

export interface TfGraph {
  readonly inputs: readonly TfInput[];
  /** in execution order: every input of a node is a graph input, a constant or an earlier node */
  readonly nodes: readonly TfNode[];
  readonly consts: ReadonlyMap<string, TfConst>;
  /** names of the tensors the model returns, in order */
  readonly outputs: readonly string[];
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Collects nodes and constants while a front end walks its source format. */
export class TfGraphBuilder {
  private readonly nodes: TfNode[] = [];
  private readonly consts = new Map<string, TfConst>();
  private readonly inputs: TfInput[] = [];

  input(name: string, shape: readonly number[]): string {
    this.inputs.push({ name, shape });
    return name;
  }

  constant(name: string, value: TfConst): string {
    if (value.data.length !== shapeSize(value.shape)) {
      throw new Error(`constant ${name}: ${value.data.length} values for shape [${value.shape.join(',')}]`);
    }
    this.consts.set(name, value);
    return name;
  }

  floatConstant(name: string, shape: readonly number[], values: ArrayLike<number>): string {
    return this.constant(name, { dtype: 'float32', shape, data: Float32Array.from(values) });
  }

  intConstant(name: string, shape: readonly number[], values: ArrayLike<number>): string {
    return this.constant(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
  }

  node(name: string, op: string, inputs: readonly string[], attrs: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, inputs, attrs });
    return name;
  }

  build(outputs: readonly string[]): TfGraph {
    return { inputs: this.inputs, nodes: this.nodes, consts: this.consts, outputs };
  }
}
