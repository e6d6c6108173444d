import { describe, expect, it } from 'vitest';
import { CNN_KERNELS_WASM } from '../../../src/core/wasm/generated/cnnKernelsWasm.ts';
import { LinearMemory, align16, instantiateBase64 } from '../../../src/core/wasm/index.ts';

/** The loader of the AssemblyScript modules (built at install time by scripts/build-wasm.ts). */

interface Exports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
}

describe('instantiateBase64', () => {
  it('instantiates a generated module synchronously, a fresh memory per instance', () => {
    const a = instantiateBase64<Exports>(CNN_KERNELS_WASM, 'cnn kernels');
    const b = instantiateBase64<Exports>(CNN_KERNELS_WASM, 'cnn kernels');
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(a!.heapBase()).toBeGreaterThan(0);
    expect(a!.memory).not.toBe(b!.memory);
    new Uint8Array(a!.memory.buffer)[a!.heapBase()] = 7;
    expect(new Uint8Array(b!.memory.buffer)[b!.heapBase()]).toBe(0);
  });

  it('returns null for bytes that are not a module', () => {
    expect(instantiateBase64<Exports>(btoa('not wasm'), 'junk')).toBeNull();
    expect(instantiateBase64<Exports>('', 'empty')).toBeNull();
  });
});

describe('LinearMemory', () => {
  it('grows on demand and its views follow the grown buffer', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const views = new LinearMemory(memory);
    views.f64[10] = 1.5;
    expect(views.f32.length).toBe(16384);
    views.ensure(65536); // already there: no growth
    expect(memory.buffer.byteLength).toBe(65536);
    views.ensure(65537 + 3 * 65536);
    expect(memory.buffer.byteLength).toBe(5 * 65536);
    expect(views.f32.length).toBe(5 * 16384);
    expect(views.f64[10]).toBe(1.5);
    views.f32[5 * 16384 - 1] = 2;
    expect(new Float32Array(memory.buffer)[5 * 16384 - 1]).toBe(2);
  });

  it('align16 rounds up to a multiple of 16', () => {
    expect([0, 1, 15, 16, 17, 4095].map(align16)).toEqual([0, 16, 16, 16, 32, 4096]);
  });
});
