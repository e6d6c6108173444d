/**
 * One CCNF patch expert prepared for OpenFace 2.2's responses
 * (CCNF_patch_expert::ResponseOpenBlas). For an area of interest of
 * (window + height - 1) x (window + width - 1) pixels the response map is
 * window x window:
 *
 * 1. im2col with contrast normalisation: for every position (columns of the
 *    map outer, rows inner) the patch under it, column-major, minus its mean,
 *    divided by its norm, behind a leading 1 (the bias input); all float,
 *    the sum over the patch in row-major order, the squares in column-major;
 * 2. every neuron's weights (column-major, times its norm_weights, float)
 *    after its bias, dotted with each normalised patch by OpenBLAS's sgemm
 *    (openblasGemm.ts: the kernel's exact summation);
 * 3. per position, over the neurons whose alpha exceeds 1e-4 in file order:
 *    response += 2α / (1 + e^-q) (in double, stored as float);
 * 4. the map transposed to rows = y, multiplied by Sigma = (2 (Σα I +
 *    Σ β_k S_k))⁻¹ by sgemm (one chain per entry), and shifted up so its
 *    minimum is 0 when it was negative.
 */
import type { CcnfPatchExpert } from './ccnfModel.ts';
import { fmaf } from './floatOps.ts';
import { openblasDot, openblasSplitMask } from './openblasGemm.ts';
import { invertCholeskyF32 } from './smallLinalg.ts';
import * as pm from '../math/portableMath.ts';
import type { ResidentExpert, WasmKernels } from './wasmKernels.ts';

const fr = Math.fround;

/**
 * Sigma inverses shared between experts: many experts of a scale (a view and
 * its mirror image) have the same betas and alphas, hence the same Sigma.
 * Keyed by the scale's sigma components (one array per scale and window),
 * then by everything else Sigma depends on.
 */
const sharedSigmas = new WeakMap<readonly Float32Array[], Map<string, Float64Array>>();

export class CcnfExpertRuntime {
  readonly width: number;
  readonly height: number;
  /** patch confidence (NU-RLMS weight) */
  readonly confidence: number;
  /** neurons in the file (the sgemm's N, which decides its summation) */
  readonly numNeurons: number;
  /** K = width·height + 1: bias input then the patch */
  readonly inputs: number;
  /** the expert as read from the model file (the weights are rebuilt from it when needed) */
  private readonly source: CcnfPatchExpert;
  /** `weights` once built; null again once the WebAssembly kernels hold their own copy */
  private builtWeights: Float64Array | null = null;
  /** indices of the neurons with alpha > 1e-4, and their 2α (double) */
  readonly used: Int32Array;
  readonly twoAlpha: Float64Array;
  private readonly sumAlphas: number;
  private readonly betas: Float64Array;
  private readonly sigmas = new Map<number, Float64Array>();
  /** this expert's constants in a WebAssembly module's memory, once copied there */
  private resident: { wasm: WasmKernels; expert: ResidentExpert; sigmas: Map<number, number> } | null = null;

  constructor(expert: CcnfPatchExpert) {
    this.width = expert.width;
    this.height = expert.height;
    this.confidence = expert.confidence;
    const w = expert.width, h = expert.height;
    this.numNeurons = expert.neurons.length;
    this.inputs = w * h + 1;
    this.source = expert;
    const used: number[] = [], twoAlpha: number[] = [];
    expert.neurons.forEach((n, i) => {
      if (n.alpha > 1e-4) {
        used.push(i);
        twoAlpha.push(2 * n.alpha);
      }
    });
    this.used = Int32Array.from(used);
    this.twoAlpha = Float64Array.from(twoAlpha);
    // float sum_alphas over all neurons
    let sumAlphas = 0;
    for (const n of expert.neurons) sumAlphas = fr(sumAlphas + n.alpha);
    this.sumAlphas = sumAlphas;
    this.betas = expert.betas;
  }

  /**
   * numNeurons x inputs float weights: bias, then weights·norm_weights in
   * column-major patch order. Built on first use, not kept while the
   * WebAssembly kernels hold the expert (they have their own float copy;
   * a double copy of every expert in use would stay resident beside it for
   * nothing: about 7 MB after 300 frames of a frontal face).
   */
  get weights(): Float64Array {
    if (this.builtWeights) return this.builtWeights;
    const { width: w, height: h, neurons } = this.source;
    const weights = new Float64Array(this.numNeurons * this.inputs);
    neurons.forEach((n, i) => {
      const row = i * this.inputs;
      weights[row] = fr(n.bias);
      const nw = fr(n.normWeights);
      for (let xx = 0; xx < w; xx++) for (let yy = 0; yy < h; yy++) weights[row + 1 + xx * h + yy] = fr(n.weights[yy * w + xx] * nw);
    });
    this.builtWeights = weights;
    return weights;
  }

  /**
   * Sigma for a window size (CCNF_patch_expert::ComputeSigmas): SigmaInv =
   * 2 (Σα I + Σ β_k S_k) in float (each β_k S_k term added with OpenCV's
   * fused scaleAdd), inverted with OpenCV's float Cholesky. `components` are
   * the model's sigma components for this window (none for the eye models).
   * `wasm` inverts faster (the same bits).
   */
  sigma(window: number, components: readonly Float32Array[], wasm: WasmKernels | null = null): Float64Array {
    let s = this.sigmas.get(window);
    if (s) return s;
    let shared = sharedSigmas.get(components);
    if (!shared) {
      shared = new Map();
      sharedSigmas.set(components, shared);
    }
    const key = `${window}|${this.sumAlphas}|${Array.from(this.betas.subarray(0, Math.min(components.length, this.betas.length)), fr).join(',')}`;
    s = shared.get(key);
    if (s) {
      this.sigmas.set(window, s);
      return s;
    }
    const n = window * window;
    const q = new Float64Array(n * n);
    const nb = Math.min(components.length, this.betas.length);
    for (let b = 0; b < nb; b++) {
      const beta = fr(this.betas[b]);
      const comp = components[b];
      for (let e = 0; e < n * n; e++) q[e] = fmaf(comp[e], beta, q[e]);
    }
    for (let e = 0; e < n * n; e++) q[e] = fr(2 * fr((e % (n + 1) === 0 ? this.sumAlphas : 0) + q[e]));
    const inv = (wasm && wasm.invertCholesky(q, n)) ?? invertCholeskyF32(q, n);
    if (!inv) throw new RangeError(`CCNF Sigma for window ${window} is not positive definite`);
    s = inv;
    this.sigmas.set(window, s);
    shared.set(key, s);
    return s;
  }

  /**
   * `response` computed by the WebAssembly kernels (the same bits), or false
   * when they cannot take this area (the caller then uses `response`).
   * `aoi` null: the area wasm.warpArea left in the module.
   */
  responseWasm(wasm: WasmKernels, aoi: ArrayLike<number> | null, aoiWidth: number, aoiHeight: number, window: number, components: readonly Float32Array[], out: Float32Array | Float64Array): boolean {
    if (!wasm.fitsResponse(aoiWidth, aoiHeight, this.width, this.height)) return false;
    if (!this.resident || this.resident.wasm !== wasm) {
      this.resident = { wasm, expert: wasm.storeExpert(this.weights, this.numNeurons, this.used, this.twoAlpha), sigmas: new Map() };
      this.builtWeights = null;
    }
    let sigmaAt = this.resident.sigmas.get(window);
    if (sigmaAt === undefined) {
      sigmaAt = wasm.storeSigma(this.sigma(window, components, wasm), window * window);
      this.resident.sigmas.set(window, sigmaAt);
    }
    const positions = (aoiWidth - this.width + 1) * (aoiHeight - this.height + 1);
    wasm.response(this.resident.expert, this.width, this.height, aoi, aoiWidth, aoiHeight, sigmaAt, openblasSplitMask(positions, this.numNeurons), out);
    return true;
  }

  /** doubles of scratch `response` needs for this window */
  scratchSize(window: number): number {
    return window * window * (this.inputs + 2);
  }

  /**
   * The response map (window x window, row-major, rows = y) of `aoi`
   * (aoiWidth x aoiHeight). `sigma` comes from `sigma(window, …)`.
   */
  response(aoi: ArrayLike<number>, aoiWidth: number, aoiHeight: number, sigma: Float64Array, out: Float32Array | Float64Array, scratch: Float64Array): void {
    const w = this.width, h = this.height, K = this.inputs;
    const xB = aoiWidth - w + 1, yB = aoiHeight - h + 1;
    const positions = xB * yB;
    const cols = scratch.subarray(0, positions * K);
    const acc = scratch.subarray(positions * K, positions * (K + 1));
    const map = scratch.subarray(positions * (K + 1), positions * (K + 2));
    // 1. normalised patches, one row of K per position (x outer, y inner)
    const area = fr(w * h);
    let row = 0;
    for (let j = 0; j < xB; j++) {
      for (let i = 0; i < yB; i++, row += K) {
        cols[row] = 1;
        let sum = 0;
        for (let yy = 0; yy < h; yy++) {
          const src = (i + yy) * aoiWidth + j;
          for (let xx = 0; xx < w; xx++) {
            const v = aoi[src + xx];
            sum = fr(sum + v);
            cols[row + 1 + xx * h + yy] = v;
          }
        }
        const mean = fr(sum / area);
        let sq = 0;
        for (let x = 1; x < K; x++) {
          const v = fr(cols[row + x] - mean);
          cols[row + x] = v;
          sq = fr(sq + fr(v * v));
        }
        let norm = fr(Math.sqrt(sq));
        if (norm === 0) norm = 1;
        norm = fr(1 / norm);
        for (let x = 1; x < K; x++) cols[row + x] = fr(cols[row + x] * norm);
      }
    }
    // 2-3. neuron activations summed per position (sgemm: M = positions, N = neurons)
    const split = openblasSplitMask(positions, this.numNeurons);
    acc.fill(0);
    const weights = this.weights;
    for (let u = 0; u < this.used.length; u++) {
      const neuron = this.used[u], twoAlpha = this.twoAlpha[u];
      const wo = neuron * K;
      for (let p = 0; p < positions; p++) {
        const q = openblasDot(cols, p * K, 1, weights, wo, 1, K, split[p + neuron * positions] === 1);
        acc[p] = fr(acc[p] + twoAlpha / (1 + pm.exp(-q)));
      }
    }
    // 4. transposed (rows = y), times Sigma, shifted to a non-negative minimum
    for (let x = 0; x < xB; x++) for (let y = 0; y < yB; y++) map[y * xB + x] = acc[x * yB + y];
    let min = Infinity;
    for (let r = 0; r < positions; r++) {
      let s = 0;
      const so = r * positions;
      for (let k = 0; k < positions; k++) s = fmaf(map[k], sigma[so + k], s);
      out[r] = s;
      if (s < min) min = s;
    }
    if (min < 0) for (let r = 0; r < positions; r++) out[r] = fr(out[r] - min);
  }
}
