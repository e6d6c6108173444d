/** onnxruntime-node behind the core's InferenceBackend (CPU execution provider). */
import ort from 'onnxruntime-node';
import type { Float32Tensor, InferenceBackend, InferenceSession } from './onnx.ts';

export interface NodeBackendOptions {
  /** threads per session; defaults to 1 so that frames can be pipelined on the other core */
  readonly intraOpThreads?: number;
}

class NodeSession implements InferenceSession {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }

  async run(feeds: Readonly<Record<string, Float32Tensor>>): Promise<Record<string, Float32Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, Float32Tensor> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
      out[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> { return this.session.release(); }
}

export function createNodeBackend(options: NodeBackendOptions = {}): InferenceBackend {
  const threads = options.intraOpThreads ?? 1;
  return {
    name: `onnxruntime-node (cpu, ${threads} thread${threads === 1 ? '' : 's'})`,
    async createSession(model: Uint8Array): Promise<InferenceSession> {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // 3 = errors only: the BlazeFace file carries unused initializers ORT warns about.
        logSeverityLevel: 3,
      });
      return new NodeSession(session);
    },
  };
}
