/**
 * onnxruntime-web for the analysis workers: WebGPU when the browser gives an
 * adapter, else WASM with SIMD. The runtime's .wasm files are bundled by
 * Vite and served from our own origin (never a CDN).
 */
import { createOrtWebBackend, type OrtWebBackend, type OrtWebModule } from './ortWebSession.ts';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';

export interface WebBackendOptions {
  /** WASM threads per session. Each analysis worker is already one thread of the pool, so 1 by default. */
  readonly threads?: number;
  /** try WebGPU first (default true) */
  readonly preferWebGpu?: boolean;
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

/** Creates the backend: loads the WebGPU build of the runtime only when an adapter exists. */
export async function createWebBackend(options: WebBackendOptions = {}): Promise<OrtWebBackend> {
  const webgpu = (options.preferWebGpu ?? true) && (await hasWebGpuAdapter());
  const ort: OrtWebModule = webgpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = options.threads ?? 1;
  ort.env.wasm.wasmPaths = webgpu ? { wasm: jsepWasmUrl, mjs: jsepGlueUrl } : { wasm: wasmUrl, mjs: wasmGlueUrl };
  ort.env.logLevel = 'error';
  return createOrtWebBackend(ort, webgpu ? 'webgpu' : 'wasm');
}
