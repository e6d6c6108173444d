import v8 from 'node:v8';

/**
 * Vitest setup: turns on WebAssembly relaxed SIMD in Node 20 (Chromium has it
 * on) as the CLI does, so that the CLNF's fused-FMA kernels are what the tests
 * run where the machine has them (src/core/clnf/wasmKernels.ts).
 */
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
