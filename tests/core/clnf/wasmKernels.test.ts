import { describe, expect, it } from 'vitest';
import { CcnfExpertRuntime } from '../../../src/core/clnf/ccnfResponse.ts';
import { floatPdm, hessianF, shape3dF } from '../../../src/core/clnf/pdmFloat.ts';
import { invertCholeskyF32 } from '../../../src/core/clnf/smallLinalg.ts';
import { warpAreaOfInterest } from '../../../src/core/clnf/areaOfInterest.ts';
import { choleskySolveF32 } from '../../../src/core/pdm/linalg.ts';
import { FMA_KIND_LABELS, WasmKernels, type FmaKind } from '../../../src/core/clnf/wasmKernels.ts';
import { rng } from './synthetic.ts';

/**
 * The WebAssembly kernels against the TypeScript code they replace: the
 * same bits (the tracker's landmarks are chaotic in them: one float ulp in a
 * response map can move a landmark by 1e-4 px a few frames later). Both
 * builds: fused FMA (relaxed SIMD; src/cli/relaxedSimd.ts, the vitest setup, turns it on
 * in Node) and emulated FMA.
 */
const fr = Math.fround;

/** Object.is over the entries: NaN equals NaN, 0 and -0 differ */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(fr(a[i]), fr(b[i]))) return false;
  return true;
}

for (const kind of ['fused', 'emulated'] as const satisfies readonly FmaKind[]) {
  const wasm = WasmKernels.create(kind);
  const title = `CLNF WebAssembly kernels, ${FMA_KIND_LABELS[kind]}${wasm ? '' : ' (skipped: this engine does not run this build, or not fused)'}`;
  describe.skipIf(!wasm)(title, () => {
    it('are the build asked for', () => {
      expect(wasm!.fma).toBe(kind);
    });

    it('give the TypeScript CCNF responses bit for bit (7 and 5 neurons, patches 11 and 9, windows 3 to 11)', () => {
      const random = rng(11);
      for (const [patch, count] of [[11, 7], [9, 5]] as const) {
        const neurons = Array.from({ length: count }, (_, k) => ({
          neuronType: 0, normWeights: 5 + k, bias: -2 + k / 3, alpha: k === 2 ? 1e-5 : 0.3 + k / 10, width: patch, height: patch,
          weights: Float32Array.from({ length: patch * patch }, () => random() - 0.5),
        }));
        const comps = (w: number): Float32Array[] => [Float32Array.from({ length: w ** 4 }, (_, e) => (e % (w * w + 1) === 0 ? 1 : Math.abs(Math.floor(e / (w * w)) - (e % (w * w))) === 1 ? -0.2 : 0))];
        const expert = new CcnfExpertRuntime({ width: patch, height: patch, neurons, betas: Float64Array.of(0.7), confidence: 1 });
        for (const win of [3, 5, 7, 9, 11]) {
          const aw = win + patch - 1;
          const area = Float64Array.from({ length: aw * aw }, () => Math.round(random() * 255 * 1024) / 1024);
          const components = comps(win);
          const js = new Float32Array(win * win), wa = new Float32Array(win * win);
          expert.response(area, aw, aw, expert.sigma(win, components), js, new Float64Array(expert.scratchSize(win)));
          expect(expert.responseWasm(wasm!, area, aw, aw, win, components, wa)).toBe(true);
          expect(sameBits(wa, js)).toBe(true);
          // the exact redo path of the emulated build's SIMD blocks (taken where a step lands on a float midpoint)
          if (kind === 'fused') continue;
          wasm!.alwaysRedo(true);
          const redone = new Float32Array(win * win);
          expect(expert.responseWasm(wasm!, area, aw, aw, win, components, redone)).toBe(true);
          wasm!.alwaysRedo(false);
          expect(sameBits(redone, js)).toBe(true);
        }
      }
    });

    it('give the TypeScript CCNF responses bit for bit whichever way the patch sums go (exact running sums or the float loop)', () => {
      const random = rng(23);
      const patch = 11, win = 9, aw = win + patch - 1;
      const neurons = Array.from({ length: 6 }, (_, k) => ({
        neuronType: 0, normWeights: 3 + k, bias: -1 + k / 4, alpha: 0.2 + k / 9, width: patch, height: patch,
        weights: Float32Array.from({ length: patch * patch }, () => random() - 0.5),
      }));
      const expert = new CcnfExpertRuntime({ width: patch, height: patch, neurons, betas: Float64Array.of(), confidence: 1 });
      const areas: [string, (i: number) => number][] = [
        // bright: patch sums on both sides of 2^14 (the running sums stop being exact there)
        ['bright, integer / 1024', () => Math.round((75 + random() * 120) * 1024) / 1024],
        // not multiples of 2^-10: the float loop everywhere
        ['arbitrary floats', () => fr(random() * 255)],
        // one negative value
        ['a negative value', (i) => (i === 40 ? -1 : Math.round(random() * 100 * 1024) / 1024)],
      ];
      for (const [what, value] of areas) {
        const area = Float64Array.from({ length: aw * aw }, (_, i) => value(i));
        const js = new Float32Array(win * win), wa = new Float32Array(win * win);
        expert.response(area, aw, aw, expert.sigma(win, []), js, new Float64Array(expert.scratchSize(win)));
        expect(expert.responseWasm(wasm!, area, aw, aw, win, [], wa)).toBe(true);
        expect(sameBits(wa, js), what).toBe(true);
      }
    });

    it('give the TypeScript Hessians bit for bit (lower triangle; rigid and full, with and without regularisation)', () => {
      const random = rng(5);
      for (const [P, rows] of [[6, 136], [40, 136], [38, 102], [16, 12], [40, 12], [45, 57]]) {
        const JT = Float64Array.from({ length: P * rows }, () => fr(random() - 0.5));
        const JwT = Float64Array.from(JT, (v, i) => fr(v * (1 + (i % 3) / 7)));
        const reg = P > 6 ? Float64Array.from({ length: P - 6 }, () => fr(random() * 3)) : null;
        const h1 = new Float64Array(P * P), h2 = new Float64Array(P * P);
        hessianF(JT, JwT, rows, P, reg, h1, null);
        hessianF(JT, JwT, rows, P, reg, h2, wasm);
        for (let j = 0; j < P; j++) for (let i = 0; i <= j; i++) expect(Object.is(h2[j * P + i], h1[j * P + i])).toBe(true);
        // unweighted, JwT the same array as JT (the module then reads its one copy twice)
        const u1 = new Float64Array(P * P), u2 = new Float64Array(P * P);
        hessianF(JwT, JwT, rows, P, reg, u1, null);
        hessianF(JwT, JwT, rows, P, reg, u2, wasm);
        for (let j = 0; j < P; j++) for (let i = 0; i <= j; i++) expect(Object.is(u2[j * P + i], u1[j * P + i])).toBe(true);
        if (kind === 'emulated') {
          const h3 = new Float64Array(P * P);
          wasm!.alwaysRedo(true);
          hessianF(JT, JwT, rows, P, reg, h3, wasm);
          wasm!.alwaysRedo(false);
          for (let j = 0; j < P; j++) for (let i = 0; i <= j; i++) expect(Object.is(h3[j * P + i], h1[j * P + i])).toBe(true);
        }
        // and it is the product it claims to be
        let s = 0;
        for (let r = 0; r < rows; r++) s += JT[r] * JwT[(P - 1) * rows + r];
        expect(h1[(P - 1) * P]).toBeCloseTo(s, 4);
      }
    });

    it('give the TypeScript 3D shapes bit for bit (68 points, 34 modes; 28 points, 10 modes)', () => {
      const random = rng(17);
      for (const [n, m] of [[68, 34], [28, 10]]) {
        const pdm = floatPdm({
          numPoints: n, numModes: m,
          meanShape: Float64Array.from({ length: 3 * n }, () => (random() - 0.5) * 100),
          princComp: Float64Array.from({ length: 3 * n * m }, () => random() - 0.5),
          eigenValues: Float64Array.from({ length: m }, () => 1 + random() * 50),
        });
        for (let t = 0; t < 5; t++) {
          const loc = Float64Array.from({ length: m }, () => fr((random() - 0.5) * 20));
          const js = shape3dF(pdm, loc), wa = wasm!.shape3d(pdm, loc, new Float64Array(3 * n));
          for (let r = 0; r < 3 * n; r++) expect(Object.is(wa[r], js[r])).toBe(true);
        }
      }
    });

    it('solve as the TypeScript float Cholesky bit for bit (n = 6 to 40), and refuse the same pivots', () => {
      const random = rng(23);
      for (const n of [6, 7, 16, 38, 40]) {
        const m = Float64Array.from({ length: n * n }, () => random() - 0.5);
        const a = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
            a[i * n + j] = fr(s + (i === j ? 0.1 + random() : 0));
          }
        }
        const b = Float64Array.from({ length: n }, () => fr(random() * 4 - 2));
        const a1 = a.slice(), b1 = b.slice(), a2 = a.slice(), b2 = b.slice();
        expect(choleskySolveF32(a1, b1, n)).toBe(true);
        expect(wasm!.choleskySolve(a2, b2, n)).toBe(true);
        expect(sameBits(b2, b1)).toBe(true);
        expect(sameBits(a2, a1)).toBe(true);
      }
      const singular = Float64Array.of(1, 0, 1, 1), rhs = Float64Array.of(1, 1);
      expect(wasm!.choleskySolve(singular, rhs, 2)).toBe(choleskySolveF32(Float64Array.of(1, 0, 1, 1), Float64Array.of(1, 1), 2));
    });

    it('cut the TypeScript areas of interest (inside, across the border, outside, rotated and scaled)', () => {
      const random = rng(3);
      const fr2 = Math.fround;
      for (const [w, h] of [[37, 29], [64, 48]]) {
        const data = Uint8Array.from({ length: w * h }, () => Math.floor(random() * 256));
        const image = { width: w, height: h, data };
        for (let t = 0; t < 40; t++) {
          const angle = (random() - 0.5) * 1.2, scale = 0.6 + random();
          const a = fr2(scale * Math.cos(angle)), b = fr2(scale * Math.sin(angle));
          const tx = fr2((random() - 0.3) * w * 1.4), ty = fr2((random() - 0.3) * h * 1.4);
          const aw = 9 + (t % 11), ah = 9 + ((t * 7) % 11);
          const js = new Float64Array(aw * ah);
          warpAreaOfInterest(data, w, h, a, -b, tx, b, a, ty, js, aw, ah);
          wasm!.warpArea(image, a, -b, tx, b, a, ty, aw, ah);
          expect(Array.from(wasm!.warpedArea(aw, ah))).toEqual(Array.from(js));
        }
      }
    });

    it('give the TypeScript Sigma inverses bit for bit (OpenCV\'s float Cholesky, n = 9 to 121)', () => {
      const random = rng(9);
      for (const n of [9, 25, 49, 81, 121]) {
        // SPD: 2 (a I + coupling between neighbours), float values
        const q = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          q[i * n + i] = fr(2 * (3 + random()));
          if (i + 1 < n) q[i * n + i + 1] = q[(i + 1) * n + i] = fr(-0.4 * random());
        }
        const js = invertCholeskyF32(q, n)!, wa = wasm!.invertCholesky(q, n)!;
        expect(sameBits(wa, js)).toBe(true);
      }
    });

    it('give the TypeScript Sigma inverses bit for bit on dense random SPD matrices (n = 2 to 121)', () => {
      const random = rng(21);
      for (const n of [2, 3, 9, 16, 25, 49, 64, 81, 100, 121]) {
        // M Mᵀ / n + a I in float: dense, well conditioned, every entry non-zero
        const m = Float64Array.from({ length: n * n }, () => random() - 0.5);
        const q = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
            q[i * n + j] = q[j * n + i] = fr(s / n + (i === j ? 0.5 + random() : 0));
          }
        }
        const js = invertCholeskyF32(q, n)!, wa = wasm!.invertCholesky(q, n)!;
        expect(sameBits(wa, js)).toBe(true);
      }
      // a pivot below FLT_EPSILON: both refuse
      const singular = Float64Array.of(1, 1, 1, 1);
      expect(invertCholeskyF32(singular, 2)).toBeNull();
      expect(wasm!.invertCholesky(singular, 2)).toBeNull();
    });
  });
}
