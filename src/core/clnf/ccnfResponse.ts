import type { CcnfPatchExpert } from './ccnfModel.ts';
import { ccnfExp } from './ccnfExp.ts';
import { invertSpdDouble } from './smallLinalg.ts';
import type { WasmKernels } from './wasmKernels.ts';

const DBL_EPSILON = 2.220446049250313e-16;

/**
 * One CCNF patch expert prepared for fast responses (CCNF_patch_expert::
 * Response). For an area of interest of (window + height - 1) x (window +
 * width - 1) pixels it computes the window x window response map:
 *
 * 1. every neuron whose alpha exceeds 1e-4: the normalised cross-correlation
 *    of the area with the neuron's weights (OpenCV's TM_CCOEFF_NORMED, as
 *    OpenFace's matchTemplate_m computes it), then
 *    2·alpha / (1 + exp(-(ncc · norm_weights + bias)));
 * 2. the neuron maps summed (float), multiplied by Sigma = (2 (Σα I + Σ β_k
 *    S_k))⁻¹ for the window size (the CCNF's edge potentials; S_k are the
 *    model's sigma components), and shifted so that the minimum is 0 when it
 *    was negative.
 *
 * OpenFace computes the correlation by DFT in double and stores it as float;
 * here it is a direct sum in double, rounded to float the same way (the two
 * agree to ~1e-15 before rounding). Window sums come from double integral
 * images built like OpenCV's, so the normalisation matches bit for bit. The
 * exponential is ccnfExp (within ~1 ulp of libm's; the activation is rounded
 * to float after it).
 */
export class CcnfExpertRuntime {
  readonly width: number;
  readonly height: number;
  readonly confidence: number;
  /** number of neurons used (alpha > 1e-4) */
  private readonly count: number;
  /** weights of the used neurons (float32 values), interleaved: [pixel * count + neuron] */
  private readonly interleaved: Float64Array;
  /** the same padded to 8 per pixel for the WebAssembly kernel (up to 8 neurons) */
  private readonly interleaved8: Float64Array;
  private readonly templMean: Float64Array;
  private readonly templNorm: Float64Array;
  private readonly normWeights: Float64Array;
  private readonly bias: Float64Array;
  private readonly twoAlpha: Float64Array;
  private readonly sumAlphas: number;
  private readonly betas: Float64Array;
  private readonly sigmas = new Map<number, Float64Array>();
  /** where the weights and Sigma matrices sit in `wasm`'s memory, once copied there */
  private wasm: WasmKernels | null = null;
  private wasmWeights = -1;
  private wasmConsts = -1;
  private readonly wasmSigmas = new Map<number, number>();

  constructor(expert: CcnfPatchExpert) {
    this.width = expert.width;
    this.height = expert.height;
    this.confidence = expert.confidence;
    const area = expert.width * expert.height;
    const used = expert.neurons.filter((n) => n.alpha > 1e-4);
    this.count = used.length;
    this.interleaved = new Float64Array(this.count * area);
    this.interleaved8 = new Float64Array(this.count <= 8 ? 8 * area : 0);
    this.templMean = new Float64Array(this.count);
    this.templNorm = new Float64Array(this.count);
    this.normWeights = new Float64Array(this.count);
    this.bias = new Float64Array(this.count);
    this.twoAlpha = new Float64Array(this.count);
    const invArea = 1 / area;
    used.forEach((n, k) => {
      let s = 0, sq = 0;
      for (let i = 0; i < area; i++) {
        const w = n.weights[i];
        this.interleaved[i * this.count + k] = w;
        if (this.count <= 8) this.interleaved8[i * 8 + k] = w;
        s += w;
        sq += w * w;
      }
      // cv::meanStdDev, then matchTemplate's templNorm = sqrt(sdv²) / sqrt(1/area)
      const mean = s * invArea;
      const sdv = Math.sqrt(Math.max(sq * invArea - mean * mean, 0));
      this.templMean[k] = mean;
      this.templNorm[k] = Math.sqrt(sdv * sdv) / Math.sqrt(invArea);
      this.normWeights[k] = n.normWeights;
      this.bias[k] = n.bias;
      this.twoAlpha[k] = 2 * n.alpha;
    });
    // float sum_alphas, accumulated over all neurons (also the unused ones)
    let sumAlphas = 0;
    for (const n of expert.neurons) sumAlphas = Math.fround(sumAlphas + n.alpha);
    this.sumAlphas = sumAlphas;
    this.betas = expert.betas;
  }

  /**
   * Sigma for a window size (CCNF_patch_expert::ComputeSigmas): SigmaInv =
   * 2 (Σα I + Σ β_k S_k) in float, inverted. `components` are the model's
   * sigma components for this window (none for the eye models, whose Sigma is
   * then I / (2 Σα)). `wasm` speeds up the inversion (same result).
   */
  sigma(window: number, components: readonly Float32Array[], wasm: WasmKernels | null = null): Float64Array {
    let s = this.sigmas.get(window);
    if (s) return s;
    const n = window * window;
    const fr = Math.fround;
    const inv = new Float64Array(n * n);
    const q1 = this.sumAlphas;
    const nb = Math.min(components.length, this.betas.length);
    // (a tracker computes ~1000 of these when it starts: plain loops, no callbacks)
    const betas = new Float64Array(nb);
    for (let b = 0; b < nb; b++) betas[b] = fr(this.betas[b]);
    for (let e = 0; e < n * n; e++) {
      let q2 = 0;
      for (let b = 0; b < nb; b++) q2 = fr(q2 + fr(betas[b] * components[b][e]));
      inv[e] = q2;
    }
    for (let e = 0; e < n * n; e++) {
      const diagonal = e % (n + 1) === 0;
      inv[e] = fr(2 * fr((diagonal ? q1 : 0) + inv[e]));
    }
    // (WebAssembly when available: the same bits, several times faster)
    s = (wasm && wasm.invertSpd(inv, n)) ?? invertSpdDouble(inv, n);
    for (let e = 0; e < n * n; e++) s[e] = fr(s[e]);
    this.sigmas.set(window, s);
    return s;
  }

  /**
   * The response map (window x window, row-major) of the area of interest
   * `aoi` (aoiWidth x aoiHeight, aoiWidth = window + width - 1). `sigma` comes
   * from `sigma(window, …)`; `scratch` must hold at least `scratchSize(window)` doubles.
   * `wasm`, when given, runs the correlations, activations and Sigma product
   * in WebAssembly SIMD (the same bits, faster).
   */
  response(aoi: Float64Array, aoiWidth: number, aoiHeight: number, sigma: Float64Array, out: Float32Array, scratch: Float64Array, wasm: WasmKernels | null = null): void {
    const tw = this.width, th = this.height;
    const rw = aoiWidth - tw + 1, rh = aoiHeight - th + 1;
    const positions = rw * rh;
    const N = this.count;
    const fr = Math.fround;
    // scratch layout: integral, squared integral, window sums, window norms, correlations, activations
    const iw = aoiWidth + 1;
    const isz = iw * (aoiHeight + 1);
    let o = 0;
    const take = (n: number): Float64Array => scratch.subarray(o, (o += n));
    const sum = take(isz), sqsum = take(isz), tsum = take(positions), wndNorm = take(positions);
    const corr = take(positions * Math.max(N, 1)), acc = take(positions);

    // cv::integral(img, sum, sqsum, CV_64F): row prefix sums added to the row above
    for (let x = 0; x < iw; x++) {
      sum[x] = 0;
      sqsum[x] = 0;
    }
    for (let y = 0; y < aoiHeight; y++) {
      let sr = 0, sq = 0;
      const row = (y + 1) * iw, prev = y * iw, src = y * aoiWidth;
      sum[row] = 0;
      sqsum[row] = 0;
      for (let x = 0; x < aoiWidth; x++) {
        const v = aoi[src + x];
        sr += v;
        sq += v * v;
        sum[row + x + 1] = sum[prev + x + 1] + sr;
        sqsum[row + x + 1] = sqsum[prev + x + 1] + sq;
      }
    }
    // window statistics, shared by all neurons (matchTemplate_m, CCOEFF_NORMED)
    const invArea = 1 / (tw * th);
    for (let i = 0; i < rh; i++) {
      for (let j = 0; j < rw; j++) {
        const i0 = i * iw + j, i1 = i0 + tw, i2 = (i + th) * iw + j, i3 = i2 + tw;
        const t = sum[i0] - sum[i1] - sum[i2] + sum[i3];
        const wndSum2 = sqsum[i0] - sqsum[i1] - sqsum[i2] + sqsum[i3];
        tsum[i * rw + j] = t;
        wndNorm[i * rw + j] = Math.sqrt(Math.max(wndSum2 - t * t * invArea, 0));
      }
    }

    // the product Sigma · activations goes into `corr` (no longer needed by then)
    const y = corr;
    if (wasm && this.fitsWasm(wasm, aoiWidth, aoiHeight)) {
      const at = this.resident(wasm, rw, sigma);
      wasm.ccnf(aoi, aoiWidth, aoiHeight, rw, rh, tw, th, this.wasmWeights, N, this.wasmConsts, tsum, wndNorm, at, y);
    } else {
      if (N === 7) correlate7(aoi, aoiWidth, rw, rh, tw, th, this.interleaved, corr);
      else correlateN(aoi, aoiWidth, rw, rh, tw, th, this.interleaved, N, corr);
      this.activate(corr, tsum, wndNorm, positions, acc);
      // Sigma · activations (float matrices; OpenCV's gemm accumulates in
      // double; here each row's even and odd columns are summed apart, then
      // added — the order of the WebAssembly kernel)
      const pairs = positions & ~1;
      for (let r = 0; r < positions; r++) {
        let e = 0, od = 0;
        const so = r * positions;
        let c = 0;
        for (; c < pairs; c += 2) {
          e += sigma[so + c] * acc[c];
          od += sigma[so + c + 1] * acc[c + 1];
        }
        if (c < positions) e += sigma[so + c] * acc[c];
        y[r] = e + od;
      }
    }
    let min = Infinity;
    for (let r = 0; r < positions; r++) {
      const v = fr(y[r]);
      out[r] = v;
      if (v < min) min = v;
    }
    if (min < 0) for (let r = 0; r < positions; r++) out[r] = fr(out[r] - min);
  }

  /** Whether `wasm`'s kernels take this expert on an aoiWidth x aoiHeight area. */
  fitsWasm(wasm: WasmKernels, aoiWidth: number, aoiHeight: number): boolean {
    const rw = aoiWidth - this.width + 1, rh = aoiHeight - this.height + 1;
    return this.count >= 1 && this.count <= 8 && wasm.fitsCorrelation(aoiWidth, aoiHeight, this.width, this.height, rw, rh) && wasm.fitsMatvec(rw * rh);
  }

  /**
   * Copies the weights, neuron constants and this window's Sigma into
   * `wasm`'s memory on first use; returns Sigma's offset.
   */
  private resident(wasm: WasmKernels, window: number, sigma: Float64Array): number {
    if (wasm !== this.wasm) {
      this.wasm = wasm;
      this.wasmWeights = this.wasmConsts = -1;
      this.wasmSigmas.clear();
    }
    if (this.wasmWeights < 0) {
      this.wasmWeights = wasm.store(this.interleaved8);
      this.wasmConsts = wasm.store(this.neuronConstants());
    }
    let at = this.wasmSigmas.get(window);
    if (at === undefined) {
      // (float32: Sigma's entries are float values; `matvec` reads them so)
      at = wasm.store32(sigma);
      this.wasmSigmas.set(window, at);
    }
    return at;
  }

  /**
   * `response` of the area that getQuadrangleSubPix cuts from `wasm`'s
   * current frame (`useImage`) with the affine map [[m00, m01, cx], [m10,
   * m11, cy]], all inside WebAssembly in one call (the same bits as
   * getQuadrangleSubPix then `response`). Needs `fitsWasm` and
   * `wasm.fitsArea`. The map also stays in `wasm`'s response slot `slot`
   * (see WasmKernels.meanShifts), when given.
   */
  responseInWasm(wasm: WasmKernels, imageWidth: number, imageHeight: number, m00: number, m01: number, cx: number, m10: number, m11: number, cy: number, window: number, sigma: Float64Array, out: Float32Array, slot = -1): void {
    const at = this.resident(wasm, window, sigma);
    const aw = window + this.width - 1, ah = window + this.height - 1;
    wasm.landmarkResponse(imageWidth, imageHeight, m00, m01, cx, m10, m11, cy, aw, ah, this.width, this.height, this.wasmWeights, this.count, this.wasmConsts, at, out, slot);
  }

  /**
   * Each neuron's normalised correlation and activation, summed over the
   * neurons in float, per position (CCNF_neuron::Response, then the sum in
   * CCNF_patch_expert::Response). The same operations as the WebAssembly
   * `activate` kernel.
   */
  private activate(corr: Float64Array, tsum: Float64Array, wndNorm: Float64Array, positions: number, acc: Float64Array): void {
    const fr = Math.fround;
    const N = this.count;
    const { templMean, templNorm, normWeights, bias, twoAlpha } = this;
    for (let p = 0; p < positions; p++) {
      const t = tsum[p], wn = wndNorm[p];
      let total = 0;
      for (let k = 0; k < N; k++) {
        let ncc: number;
        const norm = templNorm[k];
        if (norm < DBL_EPSILON) {
          ncc = 1;
        } else {
          // crossCorr_m stores the correlation as float; the normalisation is double
          const num = fr(corr[p * N + k]) - t * templMean[k];
          const den = wn * norm;
          const an = Math.abs(num);
          if (an < den) ncc = fr(num / den);
          else if (an < den * 1.125) ncc = num > 0 ? 1 : -1;
          else ncc = 0;
        }
        total = fr(total + fr(twoAlpha[k] / (1 + ccnfExp(-(ncc * normWeights[k] + bias[k])))));
      }
      acc[p] = total;
    }
  }

  /** The neuron constants for `activate`, 6 rows of 8: mean, norm, w, b, 2α, constant-template flag. */
  private neuronConstants(): Float64Array {
    const c = new Float64Array(48);
    for (let k = 0; k < this.count; k++) {
      c[k] = this.templMean[k];
      c[8 + k] = this.templNorm[k];
      c[16 + k] = this.normWeights[k];
      c[24 + k] = this.bias[k];
      c[32 + k] = this.twoAlpha[k];
      c[40 + k] = this.templNorm[k] < DBL_EPSILON ? 1 : 0;
    }
    return c;
  }

  /** scratch doubles `response` needs for this window size */
  scratchSize(window: number): number {
    const aw = window + this.width - 1, ah = window + this.height - 1;
    const positions = window * window;
    return 2 * (aw + 1) * (ah + 1) + positions * (3 + Math.max(this.count, 1));
  }
}

/**
 * Valid cross-correlation of the area with 7 templates at once (the CCNF
 * models have 7 neurons per patch): two neighbouring positions share each
 * weight load and each area pixel is loaded once for all seven templates.
 * out[position * 7 + neuron]; each sum runs over the template pixels in
 * row-major order, in double.
 */
function correlate7(aoi: Float64Array, aw: number, rw: number, rh: number, tw: number, th: number, w: Float64Array, out: Float64Array): void {
  for (let i = 0; i < rh; i++) {
    let j = 0;
    for (; j + 1 < rw; j += 2) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0;
      let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
      let q = 0;
      for (let ky = 0; ky < th; ky++) {
        let src = (i + ky) * aw + j;
        const end = src + tw;
        let v = aoi[src];
        for (; src < end; src++, q += 7) {
          const u = aoi[src + 1];
          const w0 = w[q], w1 = w[q + 1], w2 = w[q + 2], w3 = w[q + 3], w4 = w[q + 4], w5 = w[q + 5], w6 = w[q + 6];
          a0 += v * w0; a1 += v * w1; a2 += v * w2; a3 += v * w3; a4 += v * w4; a5 += v * w5; a6 += v * w6;
          b0 += u * w0; b1 += u * w1; b2 += u * w2; b3 += u * w3; b4 += u * w4; b5 += u * w5; b6 += u * w6;
          v = u;
        }
      }
      let o = (i * rw + j) * 7;
      out[o] = a0; out[o + 1] = a1; out[o + 2] = a2; out[o + 3] = a3; out[o + 4] = a4; out[o + 5] = a5; out[o + 6] = a6;
      o += 7;
      out[o] = b0; out[o + 1] = b1; out[o + 2] = b2; out[o + 3] = b3; out[o + 4] = b4; out[o + 5] = b5; out[o + 6] = b6;
    }
    if (j < rw) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0;
      let q = 0;
      for (let ky = 0; ky < th; ky++) {
        let src = (i + ky) * aw + j;
        const end = src + tw;
        for (; src < end; src++, q += 7) {
          const v = aoi[src];
          a0 += v * w[q]; a1 += v * w[q + 1]; a2 += v * w[q + 2]; a3 += v * w[q + 3]; a4 += v * w[q + 4]; a5 += v * w[q + 5]; a6 += v * w[q + 6];
        }
      }
      const o = (i * rw + j) * 7;
      out[o] = a0; out[o + 1] = a1; out[o + 2] = a2; out[o + 3] = a3; out[o + 4] = a4; out[o + 5] = a5; out[o + 6] = a6;
    }
  }
}

/** The same for any number of templates. */
function correlateN(aoi: Float64Array, aw: number, rw: number, rh: number, tw: number, th: number, w: Float64Array, n: number, out: Float64Array): void {
  let o = 0;
  for (let i = 0; i < rh; i++) {
    for (let j = 0; j < rw; j++) {
      for (let k = 0; k < n; k++) out[o + k] = 0;
      let q = 0;
      for (let ky = 0; ky < th; ky++) {
        const base = (i + ky) * aw + j;
        for (let kx = 0; kx < tw; kx++, q += n) {
          const v = aoi[base + kx];
          for (let k = 0; k < n; k++) out[o + k] += v * w[q + k];
        }
      }
      o += n;
    }
  }
}
