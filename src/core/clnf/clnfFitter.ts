/**
 * Fitting one CLNF model (OpenFace 1.x CLNF::Fit and CLNF::NU_RLMS): at each
 * patch-expert scale, compute the CCNF response maps around the current
 * landmarks, then run regularised landmark mean-shift twice — first over the
 * rigid parameters only, then over all parameters — both against those same
 * response maps.
 *
 * NU-RLMS iteration (Saragih 2011, Baltrušaitis 2013), at most
 * `numIterations` times, stopping early when the shape moved less than 0.01 px:
 *   mean shifts v of every visible landmark in its response map (kernel σ),
 *   rotated/scaled back to image axes;
 *   Δp = (JᵀWJ + Λ)⁻¹ (JᵀW v - Λ p) with Λ = reg_factor / eigenvalues on the
 *   modes (0 on the rigid pass) and W = weight_factor · patch confidence
 *   (identity when weight_factor is 0);
 *   p ← p + Δp (rotations composed), modes clamped to ±3σ, rotations to ±90°.
 * The matrices are float32 in OpenFace; they are here too (Math.fround).
 */

import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { computeJacobianT, updateModelParameters } from '../pdm/fitPdm.ts';
import { projectShape, projectShape3d } from '../pdm/shape.ts';
import { alignShapesWithScaleDirectSums } from '../align/similarity.ts';
import { getQuadrangleSubPix } from './areaOfInterest.ts';
import { CcnfExpertRuntime } from './ccnfResponse.ts';
import type { CcnfScale } from './ccnfModel.ts';
import { buildKdeTable, meanShifts, type KdeTable } from './meanShift.ts';
import { clampParams, regularisedStep } from './pdmOps.ts';
import type { WasmKernels } from './wasmKernels.ts';
import * as pm from '../math/portableMath.ts';

const fr = Math.fround;

/** OpenFace's FaceModelParameters, the parts the fitting uses. */
export interface FitParameters {
  /** response window per scale; 0 skips the scale */
  readonly windowSizes: readonly number[];
  readonly regFactor: number;
  readonly sigma: number;
  readonly weightFactor: number;
  readonly numIterations: number;
  readonly limitPose: boolean;
  /** scale-dependent reg_factor, sigma and weight_factor (OpenFace's refine_parameters) */
  readonly refineParameters: boolean;
}

interface ScaleRuntime {
  readonly scaling: number;
  readonly centers: readonly Float64Array[];
  readonly visibilities: readonly Uint8Array[];
  readonly sigmaComponents: ReadonlyMap<number, readonly Float32Array[]>;
  readonly model: CcnfScale;
  /** [view][landmark], prepared on first use (most views are never needed) */
  readonly experts: (CcnfExpertRuntime | null)[][];
}

/** One CLNF model (PDM + CCNF patch experts at several scales) prepared for fitting. */
export class ClnfFitter {
  readonly pdm: Pdm;
  readonly scales: readonly ScaleRuntime[];
  private readonly kdeTables = new Map<string, KdeTable>();
  /** the KDE tables' float32 copies in the WebAssembly memory (`store32` offsets) */
  private readonly kdeInWasm = new Map<string, number>();
  /** the window of the last responses when every visible landmark's map is in its WebAssembly slot, else 0 */
  private responsesInWasm = 0;
  private readonly responses: Float32Array[];
  private aoi = new Float64Array(0);
  private scratch = new Float64Array(0);
  private readonly work: Workspace;
  /** mean log-likelihood of the last non-rigid pass (OpenFace's model_likelihood) */
  modelLikelihood = -10;

  /**
   * `wasm`: the WebAssembly kernels to use (shared by the models of one
   * tracker), or null for the TypeScript loops; results are identical.
   * `likelihood`: compute `modelLikelihood` (it is informational only; the
   * part models skip it).
   */
  constructor(pdm: Pdm, scales: readonly CcnfScale[], private readonly wasm: WasmKernels | null = null, private readonly likelihood = true) {
    this.pdm = pdm;
    this.scales = scales.map((s) => ({
      scaling: s.scaling,
      centers: s.centers,
      visibilities: s.visibilities,
      sigmaComponents: s.sigmaComponents,
      model: s,
      experts: s.experts.map(() => []),
    }));
    this.responses = Array.from({ length: pdm.numPoints }, () => new Float32Array(0));
    const n = pdm.numPoints, rows = 2 * n, P = 6 + pdm.numModes;
    this.work = {
      shape: new Float64Array(rows),
      prev: new Float64Array(rows),
      s3: new Float64Array(3 * n),
      dxs: new Float64Array(n),
      dys: new Float64Array(n),
      ms: new Float64Array(rows),
      reference: new Float64Array(rows),
      referenceGlobal: new Float64Array(6),
      weights: new Float64Array(rows),
      JT: new Float64Array(P * rows),
      JwT: new Float64Array(P * rows),
      g: new Float64Array(P),
      H: new Float64Array(P * P),
    };
  }

  /** The prepared experts of one view (null where the view cannot see a landmark). */
  private viewExperts(scale: number, view: number): (CcnfExpertRuntime | null)[] {
    const sc = this.scales[scale];
    const prepared = sc.experts[view];
    if (prepared.length === 0) {
      sc.model.experts[view].forEach((e, p) => prepared.push(sc.visibilities[view][p] && e.neurons.length > 0 ? new CcnfExpertRuntime(e) : null));
    }
    return prepared;
  }

  /** Patch_experts::GetViewIdx: the view whose orientation is nearest (Euclidean in Euler angles). */
  viewIndex(glob: ArrayLike<number>, scale: number): number {
    const centers = this.scales[scale].centers;
    let best = 0, dbest = 0;
    for (let i = 0; i < centers.length; i++) {
      const v1 = glob[1] - centers[i][0], v2 = glob[2] - centers[i][1], v3 = glob[3] - centers[i][2];
      const d = v1 * v1 + v2 * v2 + v3 * v3;
      if (i === 0 || d < dbest) {
        dbest = d;
        best = i;
      }
    }
    return best;
  }

  /**
   * CLNF::Fit: updates `glob` and `loc` in place. Returns false when the face
   * ended up too small to track (scale < 0.25), as OpenFace does.
   */
  fit(image: GrayImage, glob: Float64Array, loc: Float64Array, params: FitParameters): boolean {
    const pdm = this.pdm;
    const n = pdm.numPoints;
    const base = new Float64Array(2 * n);
    const simImgToRef = new Float64Array(4);
    const simRefToImg = new Float64Array(4);
    for (let scale = 0; scale < this.scales.length; scale++) {
      const window = params.windowSizes[scale] ?? 0;
      if (window === 0 || 0.9 * this.scales[scale].scaling > glob[0]) continue;
      // responses around the current landmarks, which are also the base shape of the mean shifts
      this.computeResponses(image, glob, loc, window, scale, base, simImgToRef, simRefToImg);

      let reg = params.regFactor, sigma = params.sigma, weight = params.weightFactor;
      if (params.refineParameters) {
        const l = pm.log(this.scales[scale].scaling / 0.25) / pm.log(2);
        reg = params.regFactor - 15 * l;
        if (reg <= 0) reg = 0.001;
        sigma = params.sigma + 0.25 * l;
        weight = params.weightFactor + 2 * params.weightFactor * l;
      }
      const view = this.viewIndex(glob, scale);
      const stage: RlmsStage = { window, view, scale, regFactor: reg, sigma, weightFactor: weight, numIterations: params.numIterations, limitPose: params.limitPose };
      this.rlms(glob, loc, base, simImgToRef, simRefToImg, stage, true);
      this.rlms(glob, loc, base, simImgToRef, simRefToImg, stage, false);
      if (this.likelihood) this.modelLikelihood = this.logLikelihood(stage);
      if (glob[0] < 0.25) return false;
    }
    return true;
  }

  /**
   * Patch_experts::Response: the landmarks (into `landmarks`), the
   * similarity between them and the reference shape at this scale, and the
   * response map of every visible landmark (area of interest cut with
   * getQuadrangleSubPix).
   */
  private computeResponses(image: GrayImage, glob: Float64Array, loc: Float64Array, window: number, scale: number, landmarks: Float64Array, simImgToRef: Float64Array, simRefToImg: Float64Array): void {
    const pdm = this.pdm;
    const n = pdm.numPoints;
    const sc = this.scales[scale];
    const view = this.viewIndex(glob, scale);
    const { s3, reference, referenceGlobal } = this.work;
    projectShape(pdm, loc, glob, landmarks, s3);
    referenceGlobal[0] = sc.scaling;
    projectShape(pdm, loc, referenceGlobal, reference, s3);
    alignShapesWithScaleDirectSums(landmarks, reference, n, simImgToRef);
    invert2x2(simImgToRef, simRefToImg);
    const a1 = simRefToImg[0];
    const b1 = -simRefToImg[1];
    const components = sc.sigmaComponents.get(window) ?? [];
    const experts = this.viewExperts(scale, view);
    this.wasm?.useImage(image);
    const vis = sc.visibilities[view];
    let allInWasm = this.wasm !== null && this.wasm.fitsMeanShifts(n, window);
    for (let i = 0; i < n; i++) {
      const expert = experts[i];
      if (!vis[i]) continue;
      if (!expert) {
        // visible without an expert (no such landmark in OpenFace's models):
        // the mean shift would read this landmark's old map, which is only
        // in the TypeScript arrays
        allInWasm = false;
        continue;
      }
      const aw = window + expert.width - 1, ah = window + expert.height - 1;
      if (this.responses[i].length !== window * window) this.responses[i] = new Float32Array(window * window);
      if (this.wasm && this.wasm.fitsArea(aw, ah) && expert.fitsWasm(this.wasm, aw, ah)) {
        // area, response and all in one WebAssembly call (the map stays in slot i there for the mean shifts)
        expert.responseInWasm(this.wasm, image.width, image.height, a1, -b1, landmarks[i], b1, a1, landmarks[i + n], window, expert.sigma(window, components, this.wasm), this.responses[i], i);
        continue;
      }
      allInWasm = false;
      if (this.aoi.length < aw * ah) this.aoi = new Float64Array(aw * ah);
      const need = expert.scratchSize(window);
      if (this.scratch.length < need) this.scratch = new Float64Array(need);
      if (this.wasm && this.wasm.fitsArea(aw, ah)) this.wasm.quad(image.width, image.height, a1, -b1, landmarks[i], b1, a1, landmarks[i + n], this.aoi, aw, ah);
      else getQuadrangleSubPix(image.data, image.width, image.height, a1, -b1, landmarks[i], b1, a1, landmarks[i + n], this.aoi, aw, ah);
      expert.response(this.aoi, aw, ah, expert.sigma(window, components, this.wasm), this.responses[i], this.scratch, this.wasm);
    }
    this.responsesInWasm = allInWasm ? window : 0;
  }

  private kde(window: number, a: number): KdeTable {
    // OpenFace caches by window size only; its kernel width is fixed per
    // window in every configuration it uses, so keying by both is the same.
    const key = `${window}:${a}`;
    let t = this.kdeTables.get(key);
    if (!t) {
      t = buildKdeTable(window, a);
      this.kdeTables.set(key, t);
    }
    return t;
  }

  /** The float32 copy of a KDE table in `wasm`'s memory (stored on first use). */
  private kdeWasm(wasm: WasmKernels, table: KdeTable, a: number): number {
    const key = `${table.window}:${a}`;
    let at = this.kdeInWasm.get(key);
    if (at === undefined) {
      at = wasm.store32(table.values);
      this.kdeInWasm.set(key, at);
    }
    return at;
  }

  /** CLNF::NU_RLMS: updates glob and loc; leaves the last iteration's response positions in work.dxs/dys. */
  private rlms(glob: Float64Array, loc: Float64Array, base: Float64Array, simImgToRef: Float64Array, simRefToImg: Float64Array, stage: RlmsStage, rigid: boolean): void {
    const pdm = this.pdm;
    const n = pdm.numPoints, m = pdm.numModes, rows = 2 * n;
    const P = rigid ? 6 : 6 + m;
    const sc = this.scales[stage.scale];
    const vis = sc.visibilities[stage.view];
    const experts = this.viewExperts(stage.scale, stage.view);
    const window = stage.window;

    for (let j = 0; j < m; j++) loc[j] = fr(loc[j]);
    const reg = new Float64Array(m);
    if (!rigid) for (let j = 0; j < m; j++) reg[j] = fr(stage.regFactor / pdm.eigenValues[j]);

    // NU-RLMS weights: weight_factor times each patch's confidence, or none.
    const weights = this.work.weights.fill(1);
    if (stage.weightFactor > 0) {
      for (let i = 0; i < n; i++) {
        const e = experts[i];
        const w = fr(fr(stage.weightFactor) * fr(e ? e.confidence : 0));
        weights[i] = w;
        weights[i + n] = w;
      }
    }

    const a = fr(-0.5 / (stage.sigma * stage.sigma));
    const table = this.kde(window, a);
    // the mean shifts in WebAssembly when the maps are there (storing the
    // table first: it may grow the memory, which would detach the views below)
    const kdeAt = this.wasm && this.responsesInWasm === window ? this.kdeWasm(this.wasm, table, a) : -1;
    const half = (window - 1) >> 1;
    const ws = this.work;
    const { shape, prev, s3, dxs, dys, ms } = ws;
    // The Jacobians live in the WebAssembly memory when the solve runs there
    // (no copy per iteration). With unit weights JwT = float(JT · 1) is JT
    // itself, so one matrix serves as both; JwT then also gets the zeroed
    // rows of the landmarks the view cannot see, which changes nothing: those
    // rows only ever meet a zero (v there, or JT's zeroed row) in the sums of
    // g and H, and adding a zero product leaves a sum that starts at +0
    // unchanged.
    const unitWeights = !(stage.weightFactor > 0);
    // (preparePdm first: storing the PDM may grow the memory, which would detach the views)
    const inWasm = this.wasm && this.wasm.preparePdm(pdm) && this.wasm.fitsNormal(P, rows) ? this.wasm : null;
    const JT = inWasm ? inWasm.matrix(1, P, rows) : ws.JT.subarray(0, P * rows);
    const JwT = unitWeights ? JT : inWasm ? inWasm.matrix(0, P, rows) : ws.JwT.subarray(0, P * rows);
    const g = ws.g.subarray(0, P);
    const H = ws.H.subarray(0, P * P);
    const A = simImgToRef;
    const B0 = fr(simRefToImg[0]), B1 = fr(simRefToImg[1]), B2 = fr(simRefToImg[2]), B3 = fr(simRefToImg[3]);

    for (let iter = 0; iter < stage.numIterations; iter++) {
      // the 3D shape (kept for the Jacobian) and its projection
      if (inWasm) projectShape3d(inWasm.shape3d(pdm, loc), glob, shape);
      else projectShape(pdm, loc, glob, shape, s3);
      if (iter > 0) {
        let d = 0;
        for (let k = 0; k < rows; k++) {
          const t = shape[k] - prev[k];
          d += t * t;
        }
        if (Math.sqrt(d) < 0.01) break;
      }
      prev.set(shape);

      // (the 3D shape of loc is in s3, or in the WebAssembly memory)
      if (inWasm) inWasm.jacobian(pdm, glob, rigid);
      else computeJacobianT(pdm, s3, glob, fr, JT, rigid);
      if (!unitWeights) {
        for (let p = 0; p < P; p++) {
          const po = p * rows;
          for (let r = 0; r < rows; r++) JwT[po + r] = fr(JT[po + r] * weights[r]);
        }
      }

      // positions in the response maps: offsets from the base shape in reference axes
      for (let i = 0; i < n; i++) {
        const ox = shape[i] - base[i], oy = shape[i + n] - base[i + n];
        dxs[i] = fr(fr(ox * A[0] + oy * A[1]) + half);
        dys[i] = fr(fr(ox * A[2] + oy * A[3]) + half);
      }
      if (this.wasm && kdeAt >= 0) this.wasm.meanShifts(kdeAt, window, dxs, dys, vis, ms);
      else meanShifts(table, this.responses, dxs, dys, vis, ms);
      // back to image axes (float 2x2 product, accumulated in double)
      for (let i = 0; i < n; i++) {
        const mx = ms[i], my = ms[i + n];
        ms[i] = fr(mx * B0 + my * B1);
        ms[i + n] = fr(mx * B2 + my * B3);
      }
      // landmarks the view cannot see do not take part
      for (let i = 0; i < n; i++) {
        if (vis[i]) continue;
        for (let p = 0; p < P; p++) {
          JT[p * rows + i] = 0;
          JT[p * rows + i + n] = 0;
        }
        ms[i] = 0;
        ms[i + n] = 0;
      }
      // (the rigid pass has P = 6: no modes, no regularisation)
      // cv::solve leaves a zero update when the Cholesky factorisation fails
      if (!regularisedStep(JwT, JT, ms, reg, loc, rows, P, H, g, this.wasm)) g.fill(0);
      updateModelParameters(g, loc, glob, rigid ? 0 : m, fr);
      clampParams(pdm, loc, glob, stage.limitPose);
    }
  }

  /**
   * Mean log-likelihood of the landmarks under their responses, at the
   * positions of the last NU-RLMS iteration (OpenFace returns it from the
   * non-rigid pass as model_likelihood; nothing downstream uses it).
   */
  private logLikelihood(stage: RlmsStage): number {
    const n = this.pdm.numPoints;
    const vis = this.scales[stage.scale].visibilities[stage.view];
    const { dxs, dys } = this.work;
    const window = stage.window;
    let loglhood = 0, count = 0;
    const sigma2 = stage.sigma * stage.sigma;
    for (let i = 0; i < n; i++) {
      if (!vis[i]) continue;
      count++;
      const resp = this.responses[i];
      const dx = dxs[i], dy = dys[i];
      let sum = 0;
      let p = 0;
      for (let ii = 0; ii < window; ii++) {
        const vx = fr(fr(dy - ii) * fr(dy - ii));
        for (let jj = 0; jj < window; jj++, p++) {
          const vy = fr(fr(dx - jj) * fr(dx - jj));
          sum = fr(sum + fr(resp[p] * pm.exp((-0.5 * fr(vx + vy)) / sigma2)));
        }
      }
      loglhood += pm.log(sum + 1e-8);
    }
    return count > 0 ? loglhood / count : 0;
  }
}

/** Buffers reused by every fit of one model (no allocation per iteration). */
interface Workspace {
  readonly shape: Float64Array;
  readonly prev: Float64Array;
  readonly s3: Float64Array;
  readonly dxs: Float64Array;
  readonly dys: Float64Array;
  readonly ms: Float64Array;
  /** the reference shape at a patch scale, and its global parameters [scaling, 0, 0, 0, 0, 0] */
  readonly reference: Float64Array;
  readonly referenceGlobal: Float64Array;
  readonly weights: Float64Array;
  readonly JT: Float64Array;
  readonly JwT: Float64Array;
  readonly g: Float64Array;
  readonly H: Float64Array;
}

interface RlmsStage {
  readonly window: number;
  readonly view: number;
  readonly scale: number;
  readonly regFactor: number;
  readonly sigma: number;
  readonly weightFactor: number;
  readonly numIterations: number;
  readonly limitPose: boolean;
}

/** Inverse of a 2x2 matrix (row-major), as cv::Matx22d::inv computes it. */
export function invert2x2(m: Float64Array, out: Float64Array): void {
  const det = m[0] * m[3] - m[1] * m[2];
  const d = det !== 0 ? 1 / det : 0;
  const a = m[0], b = m[1], c = m[2], e = m[3];
  out[0] = e * d;
  out[1] = -b * d;
  out[2] = -c * d;
  out[3] = a * d;
}
