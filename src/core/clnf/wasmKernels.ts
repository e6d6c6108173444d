/**
 * The CLNF's WebAssembly kernels (AssemblyScript source in
 * assembly/clnfKernels.ts, compiled at install time by scripts/build-wasm.ts):
 * the CCNF response maps and the NU-RLMS / CalcParams Hessians, with the
 * very operations of their TypeScript versions (ccnfResponse.ts,
 * pdmFloat.ts hessianF). Same bits, faster; tests/core/clnf/wasmKernels.test.ts
 * compares them.
 *
 * Two builds of the same source: `fused` (relaxed SIMD's multiply-add, four
 * float FMAs per instruction) where the engine accepts relaxed SIMD and a
 * probe shows its multiply-add is fused (x86 with FMA3, ARM64; Chromium has
 * it on, Node 20 needs --experimental-wasm-relaxed-simd, which the CLI sets),
 * else `emulated` (plain SIMD, each FMA emulated in double, two per
 * instruction). Both give OpenBLAS's float FMA bits.
 *
 * Constant data (each patch expert's weights, its Sigma matrices, OpenBLAS's
 * split masks) is copied into the module's memory once and stays there; a
 * call copies only its inputs (an area of interest, a Jacobian) and outputs.
 */
import { CLNF_KERNELS_WASM } from './generated/clnfKernelsWasm.ts';
import { CLNF_KERNELS_FUSED_WASM } from './generated/clnfKernelsFusedWasm.ts';
import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { choleskySolveF32 } from '../pdm/linalg.ts';

/** How the kernels compute OpenBLAS's float FMAs: one relaxed-SIMD instruction, or emulated in double. */
export type FmaKind = 'fused' | 'emulated';

/** Words for provenance and timings. */
export const FMA_KIND_LABELS: Readonly<Record<FmaKind, string>> = {
  fused: 'fused FMA (relaxed SIMD)',
  emulated: 'emulated FMA (SIMD)',
};

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  ccnfResponse(
    aoi: number, aw: number, ah: number, pw: number, ph: number,
    weights: number, weightsT: number, numNeurons: number, used: number, twoAlpha: number, usedCount: number,
    sigmaT: number, split: number, out: number, scratch: number,
  ): void;
  hessian(J: number, JwT: number, rows: number, P: number, reg: number, hasReg: number, split: number, H: number): void;
  invertCholesky(a: number, n: number, b: number, row: number, lt: number): number;
  transposeWeights(weights: number, K: number, used: number, usedCount: number, weightsT: number): void;
  transposeFloats(src: number, rows: number, cols: number, dst: number): void;
  shape3d(VT: number, mean: number, rows: number, m: number, loc: number, out: number): void;
  choleskySolve(a: number, b: number, n: number): number;
  warpArea(src: number, srcWidth: number, srcHeight: number, m00: number, m01: number, tx: number, m10: number, m11: number, ty: number, out: number, width: number, height: number): void;
  setAlwaysRedo(on: number): void;
  fusedProbe(a: number, c: number): number;
}

/** An expert's constants in the module's memory (see `storeExpert`). */
export interface ResidentExpert {
  readonly weights: number;
  /** the used neurons' weights transposed (k-major, 8 per row) */
  readonly weightsT: number;
  readonly used: number;
  readonly twoAlpha: number;
  readonly usedCount: number;
  readonly numNeurons: number;
}

/** Largest scratch areas a call needs (bytes): an 11x11 patch over a window of 11 needs 64 KB. */
const SCRATCH_BYTES = 1 << 20;
const IO_BYTES = 1 << 18;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const compiled = new Map<FmaKind, WebAssembly.Module | null>();

/** The module of one build, or null where this engine cannot compile it (cached). */
function compiledModule(kind: FmaKind): WebAssembly.Module | null {
  let module = compiled.get(kind);
  if (module === undefined) {
    const bytes = decodeBase64(kind === 'fused' ? CLNF_KERNELS_FUSED_WASM : CLNF_KERNELS_WASM);
    try {
      module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      module = null;
    }
    compiled.set(kind, module);
  }
  return module;
}

function instantiate(kind: FmaKind): KernelExports | null {
  const module = compiledModule(kind);
  if (!module) return null;
  const abort = (): never => {
    throw new Error('clnf kernels: abort');
  };
  const x = new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as KernelExports;
  // a fused a·a + c with a = 1 + 2^-23, c = -(1 + 2^-22) is 2^-46; unfused, 0
  if (kind === 'fused' && x.fusedProbe(1 + 2 ** -23, -(1 + 2 ** -22)) !== 2 ** -46) return null;
  return x;
}

export class WasmKernels {
  private readonly x: KernelExports;
  private top: number;
  /** per-call buffers: scratch, then inputs and outputs */
  private readonly scratch: number;
  private readonly io: number;
  private f32 = new Float32Array(0);
  private f64 = new Float64Array(0);
  private u8 = new Uint8Array(0);
  private i32 = new Int32Array(0);
  private readonly masks = new Map<Uint8Array, number>();
  /** Sigma matrices already stored, by array (experts share them) */
  private readonly sigmas = new WeakMap<ArrayLike<number>, number>();
  /** PDMs stored for shape3d: [VT, mean] addresses */
  private readonly pdms = new WeakMap<Pdm, readonly [number, number]>();
  /** the image `warpArea` reads, copied in once per image object */
  private image: GrayImage | null = null;
  private imageAt = 0;
  private imageBytes = 0;

  private constructor(exports: KernelExports, readonly fma: FmaKind) {
    this.x = exports;
    this.top = (exports.heapBase() + 15) & ~15;
    this.scratch = this.reserve(SCRATCH_BYTES);
    this.io = this.reserve(IO_BYTES);
  }

  /**
   * The kernels, or null where WebAssembly SIMD is unavailable (the
   * TypeScript code then runs). `only`: that build or null (tests); by
   * default the fused one where it runs fused, else the emulated one.
   */
  static create(only?: FmaKind): WasmKernels | null {
    for (const kind of only ? [only] : (['fused', 'emulated'] as const)) {
      try {
        const x = instantiate(kind);
        if (x) return new WasmKernels(x, kind);
      } catch {
        // this build cannot run here: try the next
      }
    }
    return null;
  }

  /** Reserves `bytes` (16-byte aligned) for good; grows the memory when needed. */
  private reserve(bytes: number): number {
    const at = this.top;
    this.top = (this.top + bytes + 15) & ~15;
    const need = this.top - this.x.memory.buffer.byteLength;
    if (need > 0) this.x.memory.grow(Math.ceil(need / 65536));
    this.views();
    return at;
  }

  /** (re)creates the typed views after the memory grew */
  private views(): void {
    const buf = this.x.memory.buffer;
    if (this.f32.buffer !== buf) {
      this.f32 = new Float32Array(buf);
      this.f64 = new Float64Array(buf);
      this.u8 = new Uint8Array(buf);
      this.i32 = new Int32Array(buf);
    }
  }

  /** Copies float values into the module's memory for good; returns their address. */
  storeFloats(values: ArrayLike<number>): number {
    const at = this.reserve(values.length * 4);
    this.f32.set(values, at >> 2);
    return at;
  }

  /** An expert's weights (neurons x inputs), its used neurons and their 2α, for good. */
  storeExpert(weights: ArrayLike<number>, numNeurons: number, used: Int32Array, twoAlpha: Float64Array): ResidentExpert {
    const w = this.storeFloats(weights);
    const u = this.reserve(used.length * 4);
    this.i32.set(used, u >> 2);
    const t = this.reserve(twoAlpha.length * 8);
    this.f64.set(twoAlpha, t >> 3);
    const inputs = weights.length / numNeurons;
    const wt = this.reserve(inputs * ((used.length + 7) & ~7) * 4);
    this.x.transposeWeights(w, inputs, u, used.length, wt);
    return { weights: w, weightsT: wt, used: u, twoAlpha: t, usedCount: used.length, numNeurons };
  }

  /** A Sigma matrix (n x n, row-major) stored transposed, for good (once per array). */
  storeSigma(sigma: ArrayLike<number>, n: number): number {
    const stored = this.sigmas.get(sigma);
    if (stored !== undefined) return stored;
    const at = this.reserve(n * n * 4);
    this.sigmas.set(sigma, at);
    const base = at >> 2;
    for (let r = 0; r < n; r++) for (let k = 0; k < n; k++) this.f32[base + k * n + r] = sigma[r * n + k];
    return at;
  }

  /** An OpenBLAS split mask, stored once per mask array. */
  private mask(mask: Uint8Array): number {
    let at = this.masks.get(mask);
    if (at === undefined) {
      at = this.reserve(mask.length);
      this.u8.set(mask, at);
      this.masks.set(mask, at);
    }
    return at;
  }

  /** Whether `response` takes an area of aoiWidth x aoiHeight with a pw x ph patch (at least 4 positions). */
  fitsResponse(aoiWidth: number, aoiHeight: number, pw: number, ph: number): boolean {
    const yB = aoiHeight - ph + 1;
    const M = (aoiWidth - pw + 1) * yB;
    const K = pw * ph + 1;
    // scratch: the patches, the activations, the map, the area transposed, its shifted planes, the patch sums and column sums
    return M >= 4 && K * M * 8 + M * 12 + aoiWidth * aoiHeight * 4 + ph * aoiWidth * yB * 4 + M * 4 + aoiWidth * yB * 8 + 32 <= SCRATCH_BYTES && aoiWidth * aoiHeight * 4 + M * 4 <= IO_BYTES;
  }

  /**
   * areaOfInterest.ts warpAreaOfInterest in WebAssembly (the same values),
   * into the place where `response` finds its area when given none. The
   * image is copied into the module once per image object (the tracker
   * makes one per frame; its pixels must not change while it is in use).
   */
  warpArea(image: GrayImage, m00: number, m01: number, tx: number, m10: number, m11: number, ty: number, width: number, height: number): void {
    if (image !== this.image) {
      const bytes = image.width * image.height;
      if (bytes > this.imageBytes) {
        this.imageAt = this.reserve(bytes);
        this.imageBytes = bytes;
      }
      this.u8.set(image.data.subarray(0, bytes), this.imageAt);
      this.image = image;
    }
    this.x.warpArea(this.imageAt, image.width, image.height, m00, m01, tx, m10, m11, ty, this.io, width, height);
  }

  /** A copy of the area `warpArea` left (tests). */
  warpedArea(width: number, height: number): Float32Array {
    return this.f32.slice(this.io >> 2, (this.io >> 2) + width * height);
  }

  /**
   * CcnfExpertRuntime.response in WebAssembly (see there); `sigmaT` from
   * storeSigma; `aoi` null: the area `warpArea` left.
   */
  response(expert: ResidentExpert, pw: number, ph: number, aoi: ArrayLike<number> | null, aoiWidth: number, aoiHeight: number, sigmaT: number, split: Uint8Array, out: Float32Array | Float64Array): void {
    const M = (aoiWidth - pw + 1) * (aoiHeight - ph + 1);
    const maskAt = this.mask(split);
    const aoiAt = this.io, outAt = this.io + aoiWidth * aoiHeight * 4;
    if (aoi) this.f32.set(aoi, aoiAt >> 2);
    this.x.ccnfResponse(aoiAt, aoiWidth, aoiHeight, pw, ph, expert.weights, expert.weightsT, expert.numNeurons, expert.used, expert.twoAlpha, expert.usedCount, sigmaT, maskAt, outAt, this.scratch);
    const o = outAt >> 2;
    out.set(this.f32.subarray(o, o + M));
  }

  /**
   * pdm/linalg.ts choleskySolveF32 in WebAssembly (the same bits): solves
   * a x = b for a float SPD matrix (lower triangle read; `a` receives the
   * factor, `b` the solution), false when a pivot is below FLT_EPSILON.
   */
  choleskySolve(a: Float64Array, b: Float64Array, n: number): boolean {
    const bytes = n * n * 8;
    if (bytes + n * 8 > SCRATCH_BYTES) return choleskySolveF32(a, b, n);
    const A = this.scratch, B = A + bytes;
    this.f64.set(a.subarray(0, n * n), A >> 3);
    this.f64.set(b.subarray(0, n), B >> 3);
    const solved = this.x.choleskySolve(A, B, n) !== 0;
    a.set(this.f64.subarray(A >> 3, (A >> 3) + n * n));
    b.set(this.f64.subarray(B >> 3, (B >> 3) + n));
    return solved;
  }

  /**
   * pdmFloat.ts shape3dF in WebAssembly (the same bits) for a float PDM
   * (floatPdm), whose components are copied in on first use.
   */
  shape3d(pdm: Pdm, loc: ArrayLike<number>, out: Float64Array): Float64Array {
    const rows = 3 * pdm.numPoints, m = pdm.numModes, R = (rows + 3) & ~3;
    let stored = this.pdms.get(pdm);
    if (!stored) {
      const VT = this.reserve(m * R * 4), mean = this.reserve(R * 4);
      const f32 = this.f32;
      f32.fill(0, VT >> 2, (VT >> 2) + m * R);
      f32.fill(0, mean >> 2, (mean >> 2) + R);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < m; k++) f32[(VT >> 2) + k * R + r] = pdm.princComp[r * m + k];
        f32[(mean >> 2) + r] = pdm.meanShape[r];
      }
      stored = [VT, mean];
      this.pdms.set(pdm, stored);
    }
    const locAt = this.io, outAt = this.io + ((m * 4 + 15) & ~15);
    for (let k = 0; k < m; k++) this.f32[(locAt >> 2) + k] = loc[k];
    this.x.shape3d(stored[0], stored[1], rows, m, locAt, outAt);
    const o = outAt >> 2;
    out.set(this.f32.subarray(o, o + rows));
    return out;
  }

  /**
   * smallLinalg.ts invertCholeskyF32 in WebAssembly (the same bits): the
   * inverse of a float SPD matrix, or null when a pivot is below FLT_EPSILON.
   */
  invertCholesky(a: ArrayLike<number>, n: number): Float64Array | null {
    const bytes = n * n * 8;
    if (3 * bytes + n * 8 > SCRATCH_BYTES) return null;
    const A = this.scratch, B = A + bytes, Lt = B + bytes, row = Lt + bytes;
    this.f64.set(a, A >> 3);
    if (!this.x.invertCholesky(A, n, B, row, Lt)) return null;
    return this.f64.slice(B >> 3, (B >> 3) + n * n);
  }

  /**
   * For tests: every SIMD block of the response and Hessian kernels redone
   * with the exact fmaf, as blocks with a float midpoint are (same results).
   * The emulated build only (the fused one has no redo).
   */
  alwaysRedo(on: boolean): void {
    this.x.setAlwaysRedo(on ? 1 : 0);
  }

  /** Whether `hessian` takes a P-parameter fit over `rows` rows. */
  fitsHessian(P: number, rows: number): boolean {
    return 4 * P * rows * 4 + P * 8 + P * P * 8 + 8 <= IO_BYTES;
  }

  /** pdmFloat.ts hessianF in WebAssembly: JT and JwT are P x rows (transposed Jacobians), H is P x P. */
  hessian(JT: Float64Array, JwT: Float64Array, rows: number, P: number, reg: ArrayLike<number> | null, split: Uint8Array, H: Float64Array): void {
    const maskAt = this.mask(split);
    // J: f32 [rows][P] (small enough to stay in the first-level cache; transposed from JT in the module), then JwT: f32 [P][rows], reg, H, JT
    const J = this.io, Jw = J + P * rows * 4, regAt = (Jw + P * rows * 4 + 7) & ~7, Hat = regAt + P * 8, JTat = Hat + P * P * 8;
    const f32 = this.f32;
    f32.set(JT.subarray(0, P * rows), JTat >> 2);
    this.x.transposeFloats(JTat, P, rows, J);
    // unweighted (JwT is JT): the copy at JTat is already JwT's floats, [P][rows]
    const same = JwT === JT;
    if (!same) f32.set(JwT.subarray(0, P * rows), Jw >> 2);
    if (reg) this.f64.set(reg, regAt >> 3);
    this.x.hessian(J, same ? JTat : Jw, rows, P, regAt, reg ? 1 : 0, maskAt, Hat);
    H.set(this.f64.subarray(Hat >> 3, (Hat >> 3) + P * P));
  }
}
