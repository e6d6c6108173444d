/**
 * The CLI's ONNX runtimes behind the core's InferenceBackend: by default
 * onnxruntime-web's WebAssembly kernels (`wasm`), the browser's own, so the
 * CLI and the app write the same CSV; or onnxruntime-node's native execution
 * providers (`cpu`, `coreml`, `cuda`, `webgpu`).
 */
import ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import type { Float32Tensor, InferenceBackend, InferenceSession } from './onnx.ts';
import { createOrtWebBackend } from './ortWebSession.ts';

/** Execution providers the CLI offers (`--ep`): wasm is onnxruntime-web, the rest onnxruntime-node. */
export const EXECUTION_PROVIDERS = ['wasm', 'cpu', 'coreml', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export const DEFAULT_EXECUTION_PROVIDER: ExecutionProvider = 'wasm';

export interface NodeBackendOptions {
  /** threads per session; defaults to 1 so that frames can be pipelined on the other core */
  readonly intraOpThreads?: number;
  /** preferred execution provider (default wasm); native ones fall back to cpu where not available */
  readonly executionProvider?: ExecutionProvider;
  /** told once when the preferred provider could not be used */
  readonly onFallback?: (message: string) => void;
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
  let provider: ExecutionProvider = options.executionProvider ?? DEFAULT_EXECUTION_PROVIDER;
  if (provider === 'wasm') {
    ortWeb.env.wasm.numThreads = threads;
    ortWeb.env.logLevel = 'error';
    return createOrtWebBackend(ortWeb, 'wasm');
  }
  const create = (model: Uint8Array, ep: ExecutionProvider) =>
    ort.InferenceSession.create(model, {
      executionProviders: [ep],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // 3 = errors only: the BlazeFace file carries unused initializers ORT warns about.
      logSeverityLevel: 3,
    });
  return {
    get name() {
      return `onnxruntime-node (${provider}, ${threads} thread${threads === 1 ? '' : 's'})`;
    },
    async createSession(model: Uint8Array): Promise<InferenceSession> {
      if (provider !== 'cpu') {
        try {
          return new NodeSession(await create(model, provider));
        } catch (error) {
          options.onFallback?.(`the ${provider} execution provider is not available here (${(error as Error).message.split('\n')[0]}); using cpu`);
          provider = 'cpu';
        }
      }
      return new NodeSession(await create(model, 'cpu'));
    },
  };
}
