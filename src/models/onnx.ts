/**
 * The ONNX runtime as the core sees it. The core never imports a runtime:
 * the CLI passes onnxruntime-node (src/models/node.ts), the browser will pass
 * onnxruntime-web, tests may pass either. Only float32 tensors cross it.
 */

export interface Float32Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, Float32Tensor>>): Promise<Record<string, Float32Tensor>>;
  release(): Promise<void>;
}

export interface InferenceBackend {
  /** e.g. "onnxruntime-node (cpu)", for logs and timings */
  readonly name: string;
  createSession(model: Uint8Array): Promise<InferenceSession>;
}

/** The output named `name`, or a clear error naming what the model does have. */
export function requireOutput(outputs: Readonly<Record<string, Float32Tensor>>, name: string): Float32Tensor {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`model has no output ${name} (it has ${Object.keys(outputs).join(', ')})`);
  return tensor;
}
