/**
 * Fitting one CLNF model as OpenFace 2.2 does (CLNF::Fit, CLNF::NU_RLMS,
 * Patch_experts::Response): at each patch-expert scale whose window is not
 * 0, the CCNF response maps around the current landmarks, then regularised
 * landmark mean-shift twice against those maps, first over the rigid
 * parameters, then over all of them.
 *
 * NU-RLMS iteration (Saragih 2011, Baltrušaitis 2013), at most
 * `numIterations` times, stopping when the shape moved less than 0.01 px:
 *   mean shifts v of the visible landmarks in their response maps (kernel σ),
 *   rotated/scaled back to image axes;
 *   Δp = (JᵀWJ + Λ)⁻¹ (JᵀW v - Λ p), Λ = reg_factor / eigenvalues on the
 *   modes (none on the rigid pass), W = weight_factor · patch confidence
 *   (the identity when weight_factor is 0);
 *   p ← p + Δp (rotations composed), modes clamped to ±3σ.
 * Everything is float32 as in 2.2 (pdmFloat.ts has the PDM side; the
 * Hessian is OpenBLAS's sgemm, the small products OpenCV's gemm).
 */
import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { choleskySolveF32, gemvDot } from '../pdm/linalg.ts';
import * as pm from '../math/portableMath.ts';
import { warpAreaOfInterest } from './areaOfInterest.ts';
import { CcnfExpertRuntime } from './ccnfResponse.ts';
import type { CcnfScale } from './ccnfModel.ts';
import { meanShifts, sharedKdeTable, type KdeTable } from './meanShift.ts';
import { clampF, floatPdm, hessianF, jacobianTF, normOfDifference, projectF, shape3dF, updateParamsF } from './pdmFloat.ts';
import { alignShapesWithScaleF, invert2x2F } from './similarityFloat.ts';
import type { WasmKernels } from './wasmKernels.ts';

const fr = Math.fround;

/** OpenFace's FaceModelParameters, the parts a fit uses. */
export interface FitParameters {
  /** response window per scale; 0 skips the scale */
  readonly windowSizes: readonly number[];
  readonly regFactor: number;
  readonly sigma: number;
  readonly weightFactor: number;
  readonly numIterations: number;
  /** scale-dependent reg_factor, sigma and weight_factor (OpenFace's refine_parameters) */
  readonly refineParameters: boolean;
  /**
   * whether to compute `modelLikelihood` after the last scale (default
   * true); the tracker reads only the main model's, so the parts skip it
   */
  readonly modelLikelihood?: boolean;
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

/** One NU-RLMS pass's settings. */
interface RlmsStage {
  readonly window: number;
  readonly view: number;
  readonly scale: number;
  readonly regFactor: number;
  readonly sigma: number;
  readonly weightFactor: number;
  readonly numIterations: number;
}

/** One CLNF model (PDM + CCNF patch experts at several scales) prepared for fitting. */
export class ClnfFitter {
  /** the PDM in float, as OpenFace reads it */
  readonly pdm: Pdm;
  readonly scales: readonly ScaleRuntime[];
  /**
   * OpenFace's model_likelihood: the mean log-likelihood of the landmarks in
   * their responses after the last scale's non-rigid pass. Like OpenFace's
   * member it keeps its value when a fit stops early (face too small).
   */
  modelLikelihood = -10;
  private readonly kdeTables = new Map<number, KdeTable>();
  private readonly responses: Float32Array[];
  private aoi = new Float64Array(0);
  private scratch = new Float64Array(0);
  private readonly work: Workspace;

  /**
   * `wasm`: the WebAssembly kernels (shared by a tracker's models) for the
   * responses and Hessians, or null for the TypeScript loops; same results.
   */
  constructor(pdm: Pdm, scales: readonly CcnfScale[], private readonly wasm: WasmKernels | null = null) {
    this.pdm = floatPdm(pdm);
    this.scales = scales.map((s) => ({
      scaling: s.scaling,
      centers: s.centers,
      visibilities: s.visibilities,
      sigmaComponents: s.sigmaComponents,
      model: s,
      experts: s.experts.map(() => []),
    }));
    const n = pdm.numPoints, rows = 2 * n, P = 6 + pdm.numModes;
    this.responses = Array.from({ length: n }, () => new Float32Array(0));
    this.work = {
      landmarks: new Float64Array(rows),
      reference: new Float64Array(rows),
      shape: new Float64Array(rows),
      prev: new Float64Array(rows),
      base: new Float64Array(rows),
      s3: new Float64Array(3 * n),
      s3Loc: new Float64Array(pdm.numModes),
      s3Fresh: false,
      dxs: new Float64Array(n),
      dys: new Float64Array(n),
      ms: new Float64Array(rows),
      weights: new Float64Array(rows),
      JT: new Float64Array(P * rows),
      JwT: new Float64Array(P * rows),
      g: new Float64Array(P),
      H: new Float64Array(P * P),
      simImgToRef: new Float64Array(4),
      simRefToImg: new Float64Array(4),
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

  /** Patch_experts::GetViewIdx: the view whose orientation is nearest (squared Euler distance in float). */
  viewIndex(glob: ArrayLike<number>, scale: number): number {
    const centers = this.scales[scale].centers;
    let best = 0, dbest = 0;
    for (let i = 0; i < centers.length; i++) {
      const v1 = fr(glob[1] - centers[i][0]), v2 = fr(glob[2] - centers[i][1]), v3 = fr(glob[3] - centers[i][2]);
      const d = fr(fr(fr(v1 * v1) + fr(v2 * v2)) + fr(v3 * v3));
      if (i === 0 || d < dbest) {
        dbest = d;
        best = i;
      }
    }
    return best;
  }

  /**
   * CLNF::Fit: updates `glob` and `loc` (float values) in place. Returns
   * false when the face ended up too small to track (scale < 0.25).
   */
  fit(image: GrayImage, glob: Float64Array, loc: Float64Array, params: FitParameters): boolean {
    const numScales = this.scales.length;
    const ws = this.work;
    for (let scale = 0; scale < numScales; scale++) {
      const window = params.windowSizes[scale] ?? 0;
      if (window === 0) continue;
      this.computeResponses(image, glob, loc, window, scale);

      let reg = params.regFactor, sigma = params.sigma, weight = params.weightFactor;
      if (params.refineParameters) {
        // scales beyond the third use the third's factors
        const l = pm.log(this.scales[Math.min(scale, 2)].scaling / 0.25) / pm.log(2);
        reg = fr(params.regFactor - 15 * l);
        if (reg <= 0) reg = fr(0.001);
        sigma = fr(params.sigma + 0.25 * l);
        weight = fr(params.weightFactor + 2 * params.weightFactor * l);
      }
      // the base shape is the landmarks the responses were centred on (same parameters)
      ws.base.set(ws.landmarks);
      const view = this.viewIndex(glob, scale);
      const stage: RlmsStage = { window, view, scale, regFactor: reg, sigma, weightFactor: weight, numIterations: params.numIterations };
      this.rlms(glob, loc, stage, true);
      const next = params.windowSizes[scale + 1] ?? 0;
      const last = scale === numScales - 1 || next === 0 || glob[0] < 0.3;
      this.rlms(glob, loc, stage, false);
      if (last && params.modelLikelihood !== false) this.modelLikelihood = this.logLikelihood(stage);
      if (glob[0] < 0.25) return false;
    }
    return true;
  }

  /**
   * Patch_experts::Response: the similarity between the landmarks and the
   * reference shape at this scale (work.simImgToRef / simRefToImg), and the
   * response map of every visible landmark.
   */
  private computeResponses(image: GrayImage, glob: Float64Array, loc: Float64Array, window: number, scale: number): void {
    const pdm = this.pdm;
    const n = pdm.numPoints;
    const sc = this.scales[scale];
    const view = this.viewIndex(glob, scale);
    const ws = this.work;
    // one 3D shape, projected with the parameters and with the reference scale
    this.shape3d(loc);
    projectF(ws.s3, glob, ws.landmarks);
    projectF(ws.s3, [fr(sc.scaling), 0, 0, 0, 0, 0], ws.reference);
    alignShapesWithScaleF(ws.landmarks, ws.reference, n, ws.simImgToRef);
    invert2x2F(ws.simImgToRef, ws.simRefToImg);
    const a1 = ws.simRefToImg[0], b1 = fr(-ws.simRefToImg[1]);
    const components = sc.sigmaComponents.get(window) ?? [];
    const experts = this.viewExperts(scale, view);
    const vis = sc.visibilities[view];
    for (let i = 0; i < n; i++) {
      const expert = experts[i];
      if (!vis[i] || !expert) continue;
      const aw = window + expert.width - 1, ah = window + expert.height - 1;
      if (this.responses[i].length !== window * window) this.responses[i] = new Float32Array(window * window);
      if (this.aoi.length < aw * ah) this.aoi = new Float64Array(aw * ah);
      const need = expert.scratchSize(window);
      if (this.scratch.length < need) this.scratch = new Float64Array(need);
      // OpenFace's float matrix [a1, -b1, tx; b1, a1, ty], the area centred on the landmark
      const half = fr(aw - 1);
      const ax = fr(fr(a1 * half) / 2), bx = fr(fr(b1 * half) / 2);
      const tx = fr(fr(ws.landmarks[i] - ax) + bx);
      const ty = fr(fr(ws.landmarks[i + n] - ax) - bx);
      const wasm = this.wasm;
      if (wasm && wasm.fitsResponse(aw, ah, expert.width, expert.height)) {
        wasm.warpArea(image, a1, -b1, tx, b1, a1, ty, aw, ah);
        expert.responseWasm(wasm, null, aw, ah, window, components, this.responses[i]);
      } else {
        warpAreaOfInterest(image.data, image.width, image.height, a1, -b1, tx, b1, a1, ty, this.aoi, aw, ah);
        expert.response(this.aoi, aw, ah, expert.sigma(window, components), this.responses[i], this.scratch);
      }
    }
  }

  /**
   * work.s3 = the 3D shape of `loc` (shape3dF), computed only when `loc`
   * differs from the parameters it was last computed from: the rigid pass
   * leaves them unchanged, and the responses are centred on the same shape.
   */
  private shape3d(loc: Float64Array): Float64Array {
    const ws = this.work;
    const m = loc.length;
    let same = ws.s3Fresh;
    for (let k = 0; same && k < m; k++) same = ws.s3Loc[k] === loc[k];
    if (!same) {
      if (this.wasm) this.wasm.shape3d(this.pdm, loc, ws.s3);
      else shape3dF(this.pdm, loc, ws.s3);
      ws.s3Loc.set(loc);
      ws.s3Fresh = true;
    }
    return ws.s3;
  }

  private kde(window: number, a: number): KdeTable {
    // OpenFace caches the table by window size only; each model uses one
    // sigma per window, so the first table made for a window is the one
    let t = this.kdeTables.get(window);
    if (!t) {
      t = sharedKdeTable(window, a);
      this.kdeTables.set(window, t);
    }
    return t;
  }

  /**
   * CLNF::NU_RLMS: updates glob and loc; leaves the last iteration's
   * response-map positions in work.dxs/dys.
   */
  private rlms(glob: Float64Array, loc: Float64Array, stage: RlmsStage, rigid: boolean): void {
    const pdm = this.pdm;
    const n = pdm.numPoints, m = pdm.numModes, rows = 2 * n;
    const P = rigid ? 6 : 6 + m;
    const sc = this.scales[stage.scale];
    const vis = sc.visibilities[stage.view];
    const experts = this.viewExperts(stage.scale, stage.view);
    const window = stage.window;
    const ws = this.work;
    const { shape, prev, base, s3, dxs, dys, ms, weights, simImgToRef: A, simRefToImg: B } = ws;

    const reg = new Float64Array(rigid ? 0 : m);
    for (let j = 0; j < reg.length; j++) reg[j] = fr(stage.regFactor / pdm.eigenValues[j]);
    const weighted = stage.weightFactor > 0;
    if (weighted) {
      for (let i = 0; i < n; i++) {
        const e = experts[i];
        const w = fr(stage.weightFactor * fr(e ? e.confidence : 0));
        weights[i] = w;
        weights[i + n] = w;
      }
    }
    const a = fr(-0.5 / fr(stage.sigma * stage.sigma));
    const table = this.kde(window, a);
    const half = (window - 1) >> 1;
    const JT = ws.JT.subarray(0, P * rows);
    const JwT = weighted ? ws.JwT.subarray(0, P * rows) : JT;
    const g = ws.g.subarray(0, P), H = ws.H.subarray(0, P * P);

    for (let iter = 0; iter < stage.numIterations; iter++) {
      projectF(this.shape3d(loc), glob, shape);
      if (iter > 0 && normOfDifference(shape, prev, rows) < 0.01) break;
      prev.set(shape);

      jacobianTF(pdm, s3, glob, JT, rigid);
      if (weighted) for (let p = 0; p < P; p++) for (let r = 0; r < rows; r++) JwT[p * rows + r] = fr(JT[p * rows + r] * weights[r]);

      // positions in the response maps: offsets from the base shape in reference axes
      for (let i = 0; i < n; i++) {
        const ox = fr(shape[i] - base[i]), oy = fr(shape[i + n] - base[i + n]);
        dxs[i] = fr(fr(ox * A[0] + oy * A[1]) + half);
        dys[i] = fr(fr(ox * A[2] + oy * A[3]) + half);
      }
      meanShifts(table, this.responses, dxs, dys, vis, ms);
      // back to image axes (OpenCV's float gemm: two products summed in double)
      for (let i = 0; i < n; i++) {
        const mx = ms[i], my = ms[i + n];
        ms[i] = fr(mx * B[0] + my * B[1]);
        ms[i + n] = fr(mx * B[2] + my * B[3]);
      }
      // landmarks the view cannot see do not take part
      for (let i = 0; i < n; i++) {
        if (vis[i]) continue;
        for (let p = 0; p < P; p++) {
          JT[p * rows + i] = 0;
          JT[p * rows + i + n] = 0;
          JwT[p * rows + i] = 0;
          JwT[p * rows + i + n] = 0;
        }
        ms[i] = 0;
        ms[i + n] = 0;
      }
      for (let p = 0; p < P; p++) g[p] = fr(gemvDot(JwT, p * rows, ms, 0, rows));
      for (let j = 0; j < reg.length; j++) g[6 + j] = fr(g[6 + j] - reg[j] * loc[j]);
      hessianF(JT, JwT, rows, P, rigid ? null : reg, H, this.wasm);
      // cv::solve leaves a zero update when the Cholesky factorisation fails
      if (!(this.wasm ? this.wasm.choleskySolve(H, g, P) : choleskySolveF32(H, g, P))) g.fill(0);
      updateParamsF(g, loc, glob, rigid ? 0 : m);
      clampF(pdm, loc);
    }
  }

  /**
   * The mean log-likelihood of the visible landmarks under their responses at
   * the last iteration's positions (OpenFace's model_likelihood), in
   * OpenFace's float/double mix.
   */
  private logLikelihood(stage: RlmsStage): number {
    const n = this.pdm.numPoints;
    const vis = this.scales[stage.scale].visibilities[stage.view];
    const { dxs, dys } = this.work;
    const window = stage.window;
    const sigma2 = fr(stage.sigma * stage.sigma);
    let loglhood = 0, count = 0;
    for (let i = 0; i < n; i++) {
      if (!vis[i]) continue;
      count++;
      const resp = this.responses[i];
      const dx = dxs[i], dy = dys[i];
      let sum = 0;
      let p = 0;
      for (let ii = 0; ii < window; ii++) {
        const ty = fr(dy - ii);
        const vx = fr(ty * ty);
        for (let jj = 0; jj < window; jj++, p++) {
          const tx = fr(dx - jj);
          const vy = fr(tx * tx);
          sum = fr(sum + fr(resp[p] * pm.exp((-0.5 * fr(vx + vy)) / sigma2)));
        }
      }
      loglhood = fr(loglhood + pm.log(sum + 1e-8));
    }
    return fr(loglhood / count);
  }
}

/** Buffers reused by every fit of one model (no allocation per iteration). */
interface Workspace {
  readonly landmarks: Float64Array;
  readonly reference: Float64Array;
  readonly shape: Float64Array;
  readonly prev: Float64Array;
  readonly base: Float64Array;
  readonly s3: Float64Array;
  /** the local parameters s3 is the shape of, once s3Fresh */
  readonly s3Loc: Float64Array;
  s3Fresh: boolean;
  readonly dxs: Float64Array;
  readonly dys: Float64Array;
  readonly ms: Float64Array;
  readonly weights: Float64Array;
  readonly JT: Float64Array;
  readonly JwT: Float64Array;
  readonly g: Float64Array;
  readonly H: Float64Array;
  readonly simImgToRef: Float64Array;
  readonly simRefToImg: Float64Array;
}
