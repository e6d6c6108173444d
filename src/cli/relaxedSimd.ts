/**
 * Turns on WebAssembly relaxed SIMD in Node 20 (Chromium has it on), so the
 * CLNF's fused-FMA kernels (src/core/clnf/wasmKernels.ts) can run where the
 * machine really fuses. Imported for its effect, before any module is
 * compiled, by the CLI, `npm run bench` and the vitest setup.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
