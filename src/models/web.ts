/**
 * onnxruntime-web behind the core's InferenceBackend, for the analysis
 * workers. WebGPU when the browser gives an adapter, else WASM with SIMD.
 * The runtime's .wasm files are bundled by Vite and served from our own
 * origin (never a CDN).
 */
import type { Float32Tensor, InferenceBackend, InferenceSession } from './onnx.ts';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';

type Ort = typeof import('onnxruntime-web/wasm');

export type WebProvider = 'webgpu' | 'wasm';

export interface WebBackendOptions {
  /** WASM threads per session. Each analysis worker is already one thread of the pool, so 1 by default. */
  readonly threads?: number;
  /** try WebGPU first (default true) */
  readonly preferWebGpu?: boolean;
}

class WebSession implements InferenceSession {
  constructor(private readonly ort: Ort, private readonly session: import('onnxruntime-web/wasm').InferenceSession) {}

  get inputNames(): readonly string[] { return this.session.inputNames; }
  get outputNames(): readonly string[] { return this.session.outputNames; }

  async run(feeds: Readonly<Record<string, Float32Tensor>>): Promise<Record<string, Float32Tensor>> {
    const ortFeeds: Record<string, import('onnxruntime-web/wasm').Tensor> = {};
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

/** Whether this browser hands out a WebGPU adapter (headless Chromium without a GPU does not). */
async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

export interface WebBackend extends InferenceBackend {
  readonly provider: WebProvider;
}

/** Creates the backend: loads the WebGPU build of the runtime only when an adapter exists. */
export async function createWebBackend(options: WebBackendOptions = {}): Promise<WebBackend> {
  const threads = options.threads ?? 1;
  const webgpu = (options.preferWebGpu ?? true) && (await hasWebGpuAdapter());
  const ort: Ort = webgpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = webgpu ? { wasm: jsepWasmUrl, mjs: jsepGlueUrl } : { wasm: wasmUrl, mjs: wasmGlueUrl };
  ort.env.logLevel = 'error';
  const provider: WebProvider = webgpu ? 'webgpu' : 'wasm';
  return {
    provider,
    name: webgpu ? 'onnxruntime-web (WebGPU)' : `onnxruntime-web (WASM SIMD, ${threads} thread${threads === 1 ? '' : 's'})`,
    async createSession(model: Uint8Array): Promise<InferenceSession> {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return new WebSession(ort, session);
    },
  };
}
