/**
 * WebAssembly compiled from AssemblyScript: how SplitFace loads it.
 *
 * Kernels are written in AssemblyScript (assembly/*.ts), compiled at install
 * time (npm's postinstall runs scripts/build-wasm.ts) into git-ignored
 * TypeScript modules holding the binary in base64, and instantiated
 * synchronously here, so Node, the page and Vite's workers load them alike.
 * Each user keeps a TypeScript path with the same bits for where WebAssembly
 * SIMD is unavailable (instantiateBase64 then returns null).
 *
 *   instantiateBase64<Exports>(base64, what)   a fresh instance, or null
 *   LinearMemory(memory)   f32 / f64 views that follow memory growth; ensure(end)
 *   align16(at)
 *
 * generated/cnnKernelsWasm.ts: CNN_KERNELS_WASM (assembly/cnnKernels.ts),
 * used by src/core/cnn/wasmLayers.ts.
 */
export { instantiateBase64 } from './instantiate.ts';
export { LinearMemory, align16 } from './linearMemory.ts';
