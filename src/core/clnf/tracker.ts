/**
 * SplitFace's port of OpenFace 1.x's CLNF landmark detector/tracker
 * (LandmarkDetector: CLNF::DetectLandmarks, DetectLandmarksInVideo), with the
 * parameters FeatureExtraction uses for video.
 *
 * One call of `detectLandmarks`:
 * 1. fits the main 68-point model from the given parameters (CLNF::Fit: CCNF
 *    responses and NU-RLMS at each patch scale whose window is not 0 and whose
 *    scale the face reaches);
 * 2. refines the inner face (51 points) and both eyes (28-point eye models,
 *    6 of whose points are the 68-point eye contours) with the hierarchical
 *    part models, each started by fitting its PDM to the main result — only
 *    when the face is big enough for the parts' patch scale (main scale >
 *    0.9 · part scale);
 * 3. writes the part landmarks back and fits the main PDM to all 68 points
 *    (PDM::CalcParams), which gives the final parameters and landmarks;
 * 4. scores the result with the detection validator (success when the
 *    certainty is below -0.45).
 *
 * `track` adds OpenFace's video logic on top: the small search windows after
 * a successful frame, the large ones after a failure, and re-initialisation
 * from a face detector (supplied by the caller) every 4th failed frame.
 */

import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { paramsFromBoundingBox, projectShape, type Box } from '../pdm/shape.ts';
import { ClnfFitter, type FitParameters } from './clnfFitter.ts';
import type { ClnfModels } from './modelLoader.ts';
import { calcParams } from './pdmOps.ts';
import { confidenceFromCertainty, validateLandmarks, type ValidatorModel } from './validator.ts';
import { WasmKernels } from './wasmKernels.ts';

/**
 * OpenFace's FaceModelParameters defaults (LandmarkDetectorParameters.cpp) as
 * FeatureExtraction runs them: the main model's FitParameters, with a window
 * list for each search width, and the tracker's own settings.
 */
export interface ClnfParameters extends Omit<FitParameters, 'windowSizes'> {
  /** windows per scale for a first detection or after a failure (OpenFace: 11, 9, 7, 5) */
  readonly windowSizesInit: readonly number[];
  /** windows per scale while tracking (OpenFace: 0, 9, 7, 5: the coarsest scale is skipped) */
  readonly windowSizesSmall: readonly number[];
  /** NU-RLMS patch confidence weighting; OpenFace leaves it off (0) for the main model in video */
  readonly weightFactor: number;
  readonly validateDetections: boolean;
  readonly validationBoundary: number;
  readonly refineHierarchical: boolean;
  /** run the 28-point eye models (FeatureExtraction always does: it tracks gaze) */
  readonly trackGaze: boolean;
  /**
   * Which result a landmark shared by two parts keeps (the eye contours are
   * in both the inner-face and the eye models). The code base that made the
   * reference writes the parts back in file order after all have run, so the
   * eye models win ('file-order': it reproduces the reference exactly).
   * Older OpenFace copies (CLM-framework, 2016) write each part back as its
   * parallel job finishes, so the slow inner-face model, finishing last, wins
   * ('inner-last': 0.2% of the inter-ocular distance away from the reference).
   */
  readonly partWriteOrder: 'inner-last' | 'file-order';
  /** re-detect every n-th failed frame (OpenFace: 4) */
  readonly reinitVideoEvery: number;
  /** run the hot loops (patch responses, mean shifts, Jacobians and solves, Sigma inverses) in WebAssembly SIMD where available (wasmKernels.ts): same results, faster */
  readonly useWasm: boolean;
}

export const DEFAULT_CLNF_PARAMETERS: ClnfParameters = Object.freeze({
  windowSizesInit: [11, 9, 7, 5],
  windowSizesSmall: [0, 9, 7, 5],
  regFactor: 25,
  sigma: 1.5,
  weightFactor: 0,
  numIterations: 5,
  limitPose: true,
  refineParameters: true,
  validateDetections: true,
  validationBoundary: -0.45,
  refineHierarchical: true,
  trackGaze: true,
  partWriteOrder: 'file-order',
  reinitVideoEvery: 4,
  useWasm: true,
});

/** Fitting parameters OpenFace gives each named part model (CLNF::Read). */
function partFitParameters(name: string): FitParameters {
  const base = { numIterations: 5, limitPose: true, refineParameters: false, weightFactor: 0 };
  switch (name) {
    case 'left_eye':
    case 'right_eye':
      return { ...base, windowSizes: [5, 3], regFactor: 0.1, sigma: 2 };
    case 'left_eye_28':
    case 'right_eye_28':
      return { ...base, windowSizes: [3, 5, 9], regFactor: 0.5, sigma: 1.0 };
    case 'mouth':
      return { ...base, windowSizes: [7, 7], regFactor: 1.0, sigma: 2.0 };
    case 'brow':
      return { ...base, windowSizes: [11, 9], regFactor: 10.0, sigma: 3.5 };
    case 'inner':
      return { ...base, windowSizes: [9], regFactor: 2.5, sigma: 1.75, weightFactor: 2.5 };
    default:
      return { ...base, windowSizes: [11, 9, 7, 5], regFactor: 25, sigma: 1.5 };
  }
}

/** Where a fit starts. */
export type ClnfInit =
  /**
   * previous parameters (tracking; a previous ClnfResult will do); `wideSearch`
   * uses the large windows (first frame, or after a failure)
   */
  | { readonly paramsGlobal: ArrayLike<number>; readonly paramsLocal: ArrayLike<number>; readonly wideSearch?: boolean }
  /** a face box from eyebrows to chin and cheek to cheek (OpenFace's convention); mean shape, no rotation */
  | { readonly box: Box }
  /** rough 68 landmarks (x_0..x_67, y_0..y_67): the PDM is fitted to them first */
  | { readonly landmarks: ArrayLike<number> };

export interface ClnfResult {
  readonly success: boolean;
  /** 136 values: x_0..x_67, y_0..y_67 */
  readonly landmarks: Float64Array;
  /** [scale, rx, ry, rz, tx, ty] */
  readonly paramsGlobal: Float64Array;
  readonly paramsLocal: Float64Array;
  /** OpenFace's CSV confidence, (1 - certainty) / 2 */
  readonly confidence: number;
  /** validator output, -1 (good) … 1 (bad); ±1 without a validator */
  readonly certainty: number;
  /** mean log-likelihood of the last main-model pass */
  readonly modelLikelihood: number;
  /** milliseconds spent in each stage of this call */
  readonly timings: ClnfTimings;
}

export interface ClnfTimings {
  /** main model: responses and NU-RLMS at every scale */
  readonly mainFit: number;
  /** hierarchical part models (their PDM fits included) */
  readonly parts: number;
  /** the final PDM fit to the 68 refined landmarks */
  readonly pdmFit: number;
  readonly validation: number;
}

interface PartRuntime {
  readonly name: string;
  readonly fitter: ClnfFitter;
  readonly mapping: Int32Array;
  readonly params: FitParameters;
}

export class ClnfTracker {
  readonly parameters: ClnfParameters;
  private readonly main: ClnfFitter;
  private readonly parts: readonly PartRuntime[];
  private readonly validator: ValidatorModel | null;
  private readonly wasm: WasmKernels | null;
  // video state (DetectLandmarksInVideo)
  private trackingInitialised = false;
  private detectionSuccess = false;
  private failuresInARow = -1;
  private glob: Float64Array = Float64Array.of(1, 0, 0, 0, 0, 0);
  private loc: Float64Array;
  private last: ClnfResult | null = null;

  constructor(models: ClnfModels, parameters: Partial<ClnfParameters> = {}) {
    this.parameters = { ...DEFAULT_CLNF_PARAMETERS, ...parameters };
    const wasm = this.parameters.useWasm ? WasmKernels.create() : null;
    this.wasm = wasm;
    this.main = new ClnfFitter(models.main.pdm, models.main.scales, wasm);
    this.parts = models.parts.map((p) => ({ name: p.name, fitter: new ClnfFitter(p.model.pdm, p.model.scales, wasm, false), mapping: p.mapping, params: partFitParameters(p.name) }));
    this.validator = models.validator;
    this.loc = new Float64Array(models.main.pdm.numModes);
  }

  get pdm(): Pdm {
    return this.main.pdm;
  }

  /** Global parameters that place the mean shape in a face box (PDM::CalcParams, bounding-box form). */
  paramsFromBox(box: Box): { paramsGlobal: Float64Array; paramsLocal: Float64Array } {
    const paramsLocal = new Float64Array(this.main.pdm.numModes);
    return { paramsGlobal: paramsFromBoundingBox(this.main.pdm, box, paramsLocal, [0, 0, 0]), paramsLocal };
  }

  /** Parameters fitted to 68 landmarks the way OpenFace's PDM::CalcParams does. */
  paramsFromLandmarks(landmarks: ArrayLike<number>): { paramsGlobal: Float64Array; paramsLocal: Float64Array } {
    const fit = calcParams(this.main.pdm, landmarks, this.wasm);
    return { paramsGlobal: fit.paramsGlobal, paramsLocal: fit.paramsLocal };
  }

  /**
   * One landmark detection (CLNF::DetectLandmarks) on an 8-bit grayscale
   * image (`cvtColor(BGR2GRAY)`, see bgrToGray in ../image.ts). Stateless apart from caches.
   */
  detectLandmarks(gray: Uint8Array, width: number, height: number, init: ClnfInit): ClnfResult {
    const start = this.startParams(init);
    // parameters (e.g. the previous frame's result) search the small windows unless asked
    const wide = 'paramsGlobal' in init ? (init.wideSearch ?? false) : true;
    const p = this.parameters;
    return this.detect({ data: gray, width, height }, start.paramsGlobal, start.paramsLocal, wide ? p.windowSizesInit : p.windowSizesSmall);
  }

  /**
   * One frame of OpenFace's DetectLandmarksInVideo. `detectFace` is asked for
   * a face box when there is no track yet and after every
   * `reinitVideoEvery`-th failure; return null when no face is found.
   */
  track(gray: Uint8Array, width: number, height: number, detectFace?: () => Box | null): ClnfResult {
    const p = this.parameters;
    const image: GrayImage = { data: gray, width, height };
    const initialDetection = !this.trackingInitialised;
    if (this.trackingInitialised) {
      const windows = this.detectionSuccess ? p.windowSizesSmall : p.windowSizesInit;
      const r = this.detect(image, this.glob, this.loc, windows);
      this.adopt(r);
      if (!r.success) this.failuresInARow++;
      else this.failuresInARow = -1;
    }
    const wantDetection =
      (!this.trackingInitialised && (this.failuresInARow + 1) % (p.reinitVideoEvery * 6) === 0) ||
      (this.trackingInitialised && !this.detectionSuccess && p.reinitVideoEvery > 0 && this.failuresInARow % p.reinitVideoEvery === 0);
    if (wantDetection && detectFace) {
      const box = detectFace();
      if (box) {
        this.trackingInitialised = true;
        const previous = this.last;
        const start = this.paramsFromBox(box);
        const r = this.detect(image, start.paramsGlobal, start.paramsLocal, p.windowSizesInit);
        if (!initialDetection && !r.success && previous) {
          // keep the previous estimate (OpenFace restores it), report failure
          return { ...previous, success: false };
        }
        this.adopt(r);
        this.failuresInARow = -1;
        return r;
      }
    }
    if (!this.trackingInitialised) this.failuresInARow++;
    if (this.failuresInARow > 100) this.trackingInitialised = false;
    return this.last ?? this.emptyResult();
  }

  /** Starts (or restarts) video tracking from known parameters, a box or landmarks, without a detector. */
  startTracking(init: ClnfInit): void {
    const start = this.startParams(init);
    this.glob = start.paramsGlobal;
    this.loc = start.paramsLocal;
    this.trackingInitialised = true;
    this.detectionSuccess = false; // the first frame searches with the large windows
    this.failuresInARow = -1;
    this.last = null;
  }

  /** Start parameters for an init; parameters win over landmarks (a previous ClnfResult carries both). */
  private startParams(init: ClnfInit): { paramsGlobal: Float64Array; paramsLocal: Float64Array } {
    if ('paramsGlobal' in init) return { paramsGlobal: Float64Array.from(init.paramsGlobal), paramsLocal: Float64Array.from(init.paramsLocal) };
    if ('box' in init) return this.paramsFromBox(init.box);
    return this.paramsFromLandmarks(init.landmarks);
  }

  reset(): void {
    this.trackingInitialised = false;
    this.detectionSuccess = false;
    this.failuresInARow = -1;
    this.glob = Float64Array.of(1, 0, 0, 0, 0, 0);
    this.loc = new Float64Array(this.main.pdm.numModes);
    this.last = null;
  }

  private adopt(r: ClnfResult): void {
    this.glob = Float64Array.from(r.paramsGlobal);
    this.loc = Float64Array.from(r.paramsLocal);
    this.detectionSuccess = r.success;
    this.last = r;
  }

  private emptyResult(): ClnfResult {
    const n = this.main.pdm.numPoints;
    return {
      success: false,
      landmarks: new Float64Array(2 * n),
      paramsGlobal: Float64Array.from(this.glob),
      paramsLocal: Float64Array.from(this.loc),
      confidence: 0,
      certainty: 1,
      modelLikelihood: -10,
      timings: { mainFit: 0, parts: 0, pdmFit: 0, validation: 0 },
    };
  }

  private detect(image: GrayImage, glob0: ArrayLike<number>, loc0: ArrayLike<number>, windows: readonly number[]): ClnfResult {
    const p = this.parameters;
    const pdm = this.main.pdm;
    const n = pdm.numPoints;
    const t0 = performance.now();
    let glob: Float64Array = Float64Array.from(glob0);
    let loc: Float64Array = Float64Array.from(loc0);
    const fitSuccess = this.main.fit(image, glob, loc, {
      windowSizes: windows,
      regFactor: p.regFactor,
      sigma: p.sigma,
      weightFactor: p.weightFactor,
      numIterations: p.numIterations,
      limitPose: p.limitPose,
      refineParameters: p.refineParameters,
    });
    const landmarks = new Float64Array(2 * n);
    projectShape(pdm, loc, glob, landmarks);
    const t1 = performance.now();
    let t2 = t1;

    if (p.refineHierarchical && this.parts.length > 0) {
      const results: { part: PartRuntime; landmarks: Float64Array }[] = [];
      for (const part of this.parts) {
        const isEye28 = part.name === 'left_eye_28' || part.name === 'right_eye_28';
        if (isEye28 && !p.trackGaze) continue;
        // only when the face is big enough for the part's finest patch scale
        // (OpenFace fits the part's PDM either way, but uses it only then)
        if (!(glob[0] > 0.9 * part.fitter.scales[0].scaling)) continue;
        const ppdm = part.fitter.pdm;
        const np = ppdm.numPoints;
        const partLocs = new Float64Array(2 * np);
        for (let k = 0; k < part.mapping.length; k += 2) {
          const a = part.mapping[k], b = part.mapping[k + 1];
          partLocs[b] = landmarks[a];
          partLocs[b + np] = landmarks[a + n];
        }
        const { paramsGlobal: pg, paramsLocal: pl } = calcParams(ppdm, partLocs, this.wasm);
        part.fitter.fit(image, pg, pl, part.params);
        const out = projectShape(ppdm, pl, pg);
        results.push({ part, landmarks: out });
      }
      t2 = performance.now();
      if (results.length > 0) {
        const ordered = p.partWriteOrder === 'inner-last' ? [...results.filter((r) => r.part.name !== 'inner'), ...results.filter((r) => r.part.name === 'inner')] : results;
        for (const { part, landmarks: pl } of ordered) {
          const np = part.fitter.pdm.numPoints;
          for (let k = 0; k < part.mapping.length; k += 2) {
            const a = part.mapping[k], b = part.mapping[k + 1];
            landmarks[a] = pl[b];
            landmarks[a + n] = pl[b + np];
          }
        }
        const fit = calcParams(pdm, landmarks, this.wasm);
        glob = fit.paramsGlobal;
        loc = fit.paramsLocal;
        projectShape(pdm, loc, glob, landmarks);
      }
    }

    const t3 = performance.now();
    let success: boolean;
    let certainty: number;
    if (p.validateDetections && fitSuccess && this.validator) {
      certainty = validateLandmarks(this.validator, image, landmarks, glob[1], glob[2], glob[3]);
      success = certainty < p.validationBoundary;
    } else {
      success = fitSuccess;
      certainty = fitSuccess ? -1 : 1;
    }
    const t4 = performance.now();
    return {
      success,
      landmarks,
      paramsGlobal: glob,
      paramsLocal: loc,
      confidence: confidenceFromCertainty(certainty),
      certainty,
      modelLikelihood: this.main.modelLikelihood,
      timings: { mainFit: t1 - t0, parts: t2 - t1, pdmFit: t3 - t2, validation: t4 - t3 },
    };
  }
}
