import { describe, expect, it } from 'vitest';
import { hessianKernel, KERNEL_PARAMS } from '../../../src/core/pdm/hessianKernel.ts';
import { rng } from './syntheticPdm.ts';

const fr = Math.fround;

/** The reference arithmetic: a float fused multiply-add chain over the rows (or two, even and odd rows). */
function entry(JT: Float64Array, rows: number, a: number, b: number, twoChains: boolean): number {
  if (!twoChains) {
    let acc = 0;
    for (let k = 0; k < rows; k++) acc = fr(JT[a * rows + k] * JT[b * rows + k] + acc);
    return acc;
  }
  let even = 0, odd = 0;
  for (let k = 0; k < rows; k += 2) {
    even = fr(JT[a * rows + k] * JT[b * rows + k] + even);
    odd = fr(JT[a * rows + k + 1] * JT[b * rows + k + 1] + odd);
  }
  return fr(even + odd);
}

const kernel = hessianKernel();

describe.skipIf(kernel === null)(`hessianKernel (WebAssembly SIMD)${kernel === null ? ' (skipped: no WebAssembly SIMD here)' : ''}`, () => {
  it('gives the float chains\' bits for every lower-triangle entry, one chain or two as the mask says', () => {
    const P = KERNEL_PARAMS, rows = 136, random = rng(17);
    const mask = new Uint8Array(P * P);
    // a mask that changes every 8 columns and is the same for rows 2i and 2i + 1
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) mask[a * P + b] = ((a >> 1) + (b >> 3)) % 2;
    for (let trial = 0; trial < 3; trial++) {
      const JT = Float64Array.from({ length: P * rows }, () => fr((random() - 0.5) * 10 ** (random() * 4 - 2)));
      const H = new Float64Array(P * P).fill(-1);
      kernel!.lowerTriangle(JT, rows, mask, H);
      for (let a = 0; a < P; a++) {
        for (let b = 0; b <= a; b++) expect(H[a * P + b], `H[${a}][${b}]`).toBe(entry(JT, rows, a, b, mask[a * P + b] === 1));
        for (let b = a + 1; b < P; b++) expect(H[a * P + b]).toBe(-1);
      }
    }
  });

  it('rejects an odd or too large row count', () => {
    const P = KERNEL_PARAMS;
    expect(() => kernel!.lowerTriangle(new Float64Array(P * 135), 135, new Uint8Array(P * P), new Float64Array(P * P))).toThrow(RangeError);
    expect(() => kernel!.lowerTriangle(new Float64Array(P * 138), 138, new Uint8Array(P * P), new Float64Array(P * P))).toThrow(RangeError);
  });
});
