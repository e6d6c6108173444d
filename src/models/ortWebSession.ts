/**
 * onnxruntime-web behind the core's InferenceBackend, for any host: the
 * browser's workers (src/models/web.ts) and the CLI (src/models/node.ts,
 * `--ep wasm`, its default). The same WebAssembly kernels on both sides give
 * the same detector and landmark outputs to the last bit, and so the same
 * CSV from the app and the command line.
 */
import type * as OrtWeb from 'onnxruntime-web';
import type { Float32Tensor, InferenceBackend, InferenceSession } from './onnx.ts';

export type OrtWebModule = typeof OrtWeb;
export type OrtWebProvider = 'webgpu' | 'wasm';

class OrtWebSession implements InferenceSession {
  constructor(private readonly ort: OrtWebModule, private readonly session: OrtWeb.InferenceSession) {}

  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }

  async run(feeds: Readonly<Record<string, Float32Tensor>>): Promise<Record<string, Float32Tensor>> {
    const ortFeeds: Record<string, OrtWeb.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new this.ort.Tensor('float32', t.data, [...t.dims]);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, Float32Tensor> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
      // Outputs from WebGPU live on the GPU until read.
      out[name] = { data: (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array, dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> { return this.session.release(); }
}

export interface OrtWebBackend extends InferenceBackend {
  readonly provider: OrtWebProvider;
}

/** `ort` must already have its env (wasm paths, threads) set by the host. */
export function createOrtWebBackend(ort: OrtWebModule, provider: OrtWebProvider): OrtWebBackend {
  const threads = ort.env.wasm.numThreads ?? 1;
  return {
    provider,
    name: provider === 'webgpu' ? 'onnxruntime-web (WebGPU)' : `onnxruntime-web (WASM SIMD, ${threads} thread${threads === 1 ? '' : 's'})`,
    async createSession(model: Uint8Array): Promise<InferenceSession> {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return new OrtWebSession(ort, session);
    },
  };
}
