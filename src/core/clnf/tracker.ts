/**
 * SplitFace's port of OpenFace 2.2's CLNF landmark detector/tracker
 * (LandmarkDetector: CLNF::DetectLandmarks, DetectLandmarksInVideo,
 * DetectLandmarksInImage), with the parameters FeatureExtraction runs
 * (`-mloc model/main_clnf_general.txt`).
 *
 * One landmark detection (`detectLandmarks`, CLNF::DetectLandmarks):
 * 1. fits the main 68-point model from the given parameters (CLNF::Fit: CCNF
 *    responses and NU-RLMS at each scale whose window is not 0);
 * 2. fits each hierarchical part's PDM to its landmarks of the result (the
 *    inner face, 51 points; each eye, 28 points of which the 6 eyelid
 *    corners are main landmarks) and, when the face is big enough for the
 *    part's first patch scale (main scale > 0.9 · part scale), fits the part
 *    model itself;
 * 3. if any part was fitted, writes every part's landmarks back in file order
 *    (inner, left eye, right eye: the eyes win the eye contours) and fits the
 *    main PDM to all 68 points (PDM::CalcParams), which gives the final
 *    parameters and landmarks;
 * 4. scores the result with the detection validator (success when its
 *    confidence is above 0.725).
 *
 * `track` is DetectLandmarksInVideo: the small search windows after a
 * successful frame, the large ones after a failure; a face detector
 * (supplied by the caller: 2.2 uses MTCNN) on the first frame and then, once
 * tracking fails, on every 2nd failed frame; a detection starts from 11 head
 * rotations (multi-hypothesis) and keeps the most likely fit.
 */

import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import type { Box } from '../pdm/shape.ts';
import { ClnfFitter, type FitParameters } from './clnfFitter.ts';
import type { ClnfModels } from './modelLoader.ts';
import { calcParamsF, paramsFromBoxF, shape2dF } from './pdmFloat.ts';
import { confidenceFromCertainty, validateLandmarks, type ValidatorModel } from './validator.ts';
import { FMA_KIND_LABELS, WasmKernels, type FmaKind } from './wasmKernels.ts';

/**
 * OpenFace 2.2's FaceModelParameters (LandmarkDetectorParameters.cpp) as
 * FeatureExtraction runs them with the CLNF model.
 */
export interface ClnfParameters extends Omit<FitParameters, 'windowSizes'> {
  /** windows per scale on a detection or after a failure (2.2: 11, 9, 7, 5) */
  readonly windowSizesInit: readonly number[];
  /** windows per scale while tracking (2.2: 0, 9, 7, 0: the coarsest scale skipped) */
  readonly windowSizesSmall: readonly number[];
  readonly validateDetections: boolean;
  /** a fit is a success when the validator's confidence is above this (2.2: 0.725) */
  readonly validationBoundary: number;
  readonly refineHierarchical: boolean;
  /** ask the face detector again every n-th failed frame (2.2: 2) */
  readonly reinitVideoEvery: number;
  /** run the hot loops in WebAssembly where available (same results, faster) */
  readonly useWasm: boolean;
  /**
   * which WebAssembly build: 'best' = fused FMA where the engine runs it
   * fused, else emulated; or only that one (tests). Same results.
   */
  readonly wasmFma: 'best' | FmaKind;
}

export const DEFAULT_CLNF_PARAMETERS: ClnfParameters = Object.freeze({
  windowSizesInit: [11, 9, 7, 5],
  windowSizesSmall: [0, 9, 7, 0],
  regFactor: 25,
  sigma: 1.5,
  weightFactor: 0,
  numIterations: 5,
  refineParameters: true,
  validateDetections: true,
  validationBoundary: 0.725,
  refineHierarchical: true,
  reinitVideoEvery: 2,
  useWasm: true,
  wasmFma: 'best',
});

/**
 * The head rotations (rx, ry, rz) a detection starts from
 * (DetectLandmarksInImage with multi_view): frontal, then yaw ±30°, ±55°,
 * roll ±30°, yaw ±90°, and two yaw-and-roll combinations.
 */
export const ROTATION_HYPOTHESES: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [0, -0.5236, 0],
  [0, 0.5236, 0],
  [0, -0.96, 0],
  [0, 0.96, 0],
  [0, 0, 0.5236],
  [0, 0, -0.5236],
  [0, -1.57, 0],
  [0, 1.57, 0],
  [0, -1.22, 0.698],
  [0, 1.22, -0.698],
];

/**
 * Fitting parameters 2.2 gives each named part model (CLNF::Read; no scale
 * refinement, no validation). A part's model likelihood is never read, so
 * it is not computed.
 */
function partFitParameters(name: string): FitParameters {
  const base = { numIterations: 5, refineParameters: false, weightFactor: 0, modelLikelihood: false };
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
      // a part without special settings keeps FaceModelParameters' defaults,
      // which for a part file are CE-CLM's (sigma · 1.5, reg_factor · 0.9)
      return { ...base, windowSizes: [11, 9, 7, 5], regFactor: 22.5, sigma: 2.25 };
  }
}

/** Where a fit starts. */
export type ClnfInit =
  /**
   * previous parameters (tracking; a previous ClnfResult will do); `wideSearch`
   * uses the large windows (first frame, or after a failure)
   */
  | { readonly paramsGlobal: ArrayLike<number>; readonly paramsLocal: ArrayLike<number>; readonly wideSearch?: boolean }
  /** a face box (cheek outline to cheek outline, eyebrows to chin): 2.2's multi-hypothesis detection from it */
  | { readonly box: Box }
  /** rough 68 landmarks (x_0..x_67, y_0..y_67): the PDM is fitted to them first, then a wide search */
  | { readonly landmarks: ArrayLike<number> };

/** A hierarchical part model's state after a frame (what 2.2's hierarchical_models hold). */
export interface ClnfPartState {
  /** 'inner', 'left_eye_28', 'right_eye_28' */
  readonly name: string;
  /** the part's 2D landmarks, x_0..x_n-1 then y_0..y_n-1 */
  readonly landmarks: Float64Array;
  readonly paramsGlobal: Float64Array;
  readonly paramsLocal: Float64Array;
}

export interface ClnfResult {
  /**
   * OpenFace's CSV `success`: the validator's verdict, except on an initial
   * detection (first face of a video, or after 100 failures), which counts
   * as a success even when the validator rejects it.
   */
  readonly success: boolean;
  /** the validator's verdict (confidence > 0.725): what 2.2's FaceAnalyser is given */
  readonly detectionSuccess: boolean;
  /** 136 values: x_0..x_67, y_0..y_67 */
  readonly landmarks: Float64Array;
  /** [scale, rx, ry, rz, tx, ty] */
  readonly paramsGlobal: Float64Array;
  readonly paramsLocal: Float64Array;
  /** OpenFace's CSV confidence: the validator's output (without a validator 1 on success, 0 on failure) */
  readonly confidence: number;
  /**
   * The same on the older signed scale, 1 - 2·confidence (-1 surest, 1 least
   * sure), for callers that compare fits by it.
   */
  readonly certainty: number;
  /** mean log-likelihood of the main model's last fit (it picks the detection hypothesis) */
  readonly modelLikelihood: number;
  /** the hierarchical parts in model-file order (eye landmarks, gaze) */
  readonly parts: readonly ClnfPartState[];
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

/** The main model's fit before the parts and the validator (see ClnfTracker.fitMain). */
interface MainFit {
  readonly fitSuccess: boolean;
  readonly likelihood: number;
  readonly glob: Float64Array;
  readonly loc: Float64Array;
  readonly landmarks: Float64Array;
  /** milliseconds it took */
  readonly ms: number;
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
  private last: ClnfResult;

  constructor(models: ClnfModels, parameters: Partial<ClnfParameters> = {}) {
    this.parameters = { ...DEFAULT_CLNF_PARAMETERS, ...parameters };
    const fma = this.parameters.wasmFma;
    this.wasm = this.parameters.useWasm ? WasmKernels.create(fma === 'best' ? undefined : fma) : null;
    this.main = new ClnfFitter(models.main.pdm, models.main.scales, this.wasm);
    this.parts = models.parts.map((p) => ({ name: p.name, fitter: new ClnfFitter(p.model.pdm, p.model.scales, this.wasm), mapping: p.mapping, params: partFitParameters(p.name) }));
    this.validator = models.validator;
    this.last = this.emptyResult();
  }

  /**
   * What computes the hot loops, for provenance and timings: 'WebAssembly,
   * fused FMA (relaxed SIMD)', 'WebAssembly, emulated FMA (SIMD)' or
   * 'TypeScript' (all give the same results).
   */
  get kernels(): string {
    return this.wasm ? `WebAssembly, ${FMA_KIND_LABELS[this.wasm.fma]}` : 'TypeScript';
  }

  /** The main model's PDM (float values, as 2.2 holds it). */
  get pdm(): Pdm {
    return this.main.pdm;
  }

  /** A part model's PDM by name ('left_eye_28', ...): 2.2 computes the eye landmarks' 3D shape and gaze from it. */
  partPdm(name: string): Pdm | undefined {
    return this.parts.find((p) => p.name === name)?.fitter.pdm;
  }

  /** The part model names, in file order. */
  get partNames(): readonly string[] {
    return this.parts.map((p) => p.name);
  }

  /** Global parameters that place the mean shape (rotated) in a face box (PDM::CalcParams, box form). */
  paramsFromBox(box: Box, rotation: readonly number[] = [0, 0, 0]): { paramsGlobal: Float64Array; paramsLocal: Float64Array } {
    return { paramsGlobal: paramsFromBoxF(this.main.pdm, box, rotation), paramsLocal: new Float64Array(this.main.pdm.numModes) };
  }

  /** Parameters fitted to 68 landmarks (PDM::CalcParams). */
  paramsFromLandmarks(landmarks: ArrayLike<number>): { paramsGlobal: Float64Array; paramsLocal: Float64Array } {
    const fit = calcParamsF(this.main.pdm, landmarks, [0, 0, 0], this.wasm);
    return { paramsGlobal: fit.paramsGlobal, paramsLocal: fit.paramsLocal };
  }

  /**
   * One landmark detection on an 8-bit grayscale image (OpenCV's
   * cvtColor(BGR2GRAY), see bgrToGray in ../image.ts). Stateless apart from
   * caches: from parameters it is CLNF::DetectLandmarks (small windows unless
   * `wideSearch`); from a box it is 2.2's multi-hypothesis detection.
   */
  detectLandmarks(gray: Uint8Array, width: number, height: number, init: ClnfInit): ClnfResult {
    const image: GrayImage = { data: gray, width, height };
    const p = this.parameters;
    if ('box' in init) return this.detectFromBox(image, init.box);
    if ('landmarks' in init) {
      const start = this.paramsFromLandmarks(init.landmarks);
      return this.detect(image, start.paramsGlobal, start.paramsLocal, p.windowSizesInit);
    }
    const glob = Float64Array.from(init.paramsGlobal, Math.fround), loc = Float64Array.from(init.paramsLocal, Math.fround);
    return this.detect(image, glob, loc, init.wideSearch ? p.windowSizesInit : p.windowSizesSmall);
  }

  /**
   * One frame of OpenFace 2.2's DetectLandmarksInVideo. `detectFace` is asked
   * for a face box (2.2: MTCNN's, already in CLNF's convention) when there is
   * no track yet (on the first frame, then every 12th) and, once tracking
   * fails, on every `reinitVideoEvery`-th failed frame from the first; return
   * null when there is no face.
   */
  track(gray: Uint8Array, width: number, height: number, detectFace?: () => Box | null): ClnfResult {
    const p = this.parameters;
    const image: GrayImage = { data: gray, width, height };
    const initialDetection = !this.trackingInitialised;
    if (this.trackingInitialised) {
      const windows = this.detectionSuccess ? p.windowSizesSmall : p.windowSizesInit;
      const r = this.detect(image, this.last.paramsGlobal, this.last.paramsLocal, windows);
      this.adopt(r);
      if (!r.detectionSuccess) this.failuresInARow++;
      else this.failuresInARow = -1;
    }
    const wantDetection =
      (!this.trackingInitialised && (this.failuresInARow + 1) % (p.reinitVideoEvery * 6) === 0) ||
      (this.trackingInitialised && !this.detectionSuccess && p.reinitVideoEvery > 0 && this.failuresInARow % p.reinitVideoEvery === 0);
    const box = wantDetection && detectFace ? detectFace() : null;
    if (box) {
      this.trackingInitialised = true;
      const previous = this.last;
      const r = this.detectFromBox(image, box);
      this.detectionSuccess = r.detectionSuccess;
      if (!initialDetection && !r.detectionSuccess) {
        // keep the previous fit (2.2 restores the main model's parameters and
        // landmarks, but not its confidence nor the parts, which keep the
        // rejected detection's state); the frame fails
        this.last = { ...previous, success: false, detectionSuccess: false, confidence: r.confidence, certainty: r.certainty, parts: r.parts, timings: r.timings };
        return this.last;
      }
      this.failuresInARow = -1;
      // an initial detection counts as a success whatever the validator says
      this.last = { ...r, success: true };
      return this.last;
    }
    if (!this.trackingInitialised) this.failuresInARow++;
    if (this.failuresInARow > 100) this.trackingInitialised = false;
    this.last = { ...this.last, success: this.detectionSuccess };
    return this.last;
  }

  /** Starts (or restarts) video tracking from known parameters or landmarks, without a detector: the next frame searches wide. */
  startTracking(init: ClnfInit): void {
    if ('box' in init) {
      const start = this.paramsFromBox(init.box);
      this.last = { ...this.emptyResult(), paramsGlobal: start.paramsGlobal, paramsLocal: start.paramsLocal };
    } else if ('landmarks' in init) {
      const start = this.paramsFromLandmarks(init.landmarks);
      this.last = { ...this.emptyResult(), paramsGlobal: start.paramsGlobal, paramsLocal: start.paramsLocal };
    } else {
      this.last = { ...this.emptyResult(), paramsGlobal: Float64Array.from(init.paramsGlobal, Math.fround), paramsLocal: Float64Array.from(init.paramsLocal, Math.fround) };
    }
    this.trackingInitialised = true;
    this.detectionSuccess = false;
    this.failuresInARow = -1;
  }

  /** CLNF::Reset: no track, nothing detected. */
  reset(): void {
    this.trackingInitialised = false;
    this.detectionSuccess = false;
    this.failuresInARow = -1;
    this.last = this.emptyResult();
  }

  private adopt(r: ClnfResult): void {
    this.detectionSuccess = r.detectionSuccess;
    this.last = r;
  }

  private emptyResult(): ClnfResult {
    const n = this.main.pdm.numPoints;
    return {
      success: false,
      detectionSuccess: false,
      landmarks: new Float64Array(2 * n),
      paramsGlobal: Float64Array.of(1, 0, 0, 0, 0, 0),
      paramsLocal: new Float64Array(this.main.pdm.numModes),
      confidence: 0,
      certainty: 1,
      modelLikelihood: -10,
      parts: this.parts.map((part) => ({
        name: part.name,
        landmarks: new Float64Array(2 * part.fitter.pdm.numPoints),
        paramsGlobal: Float64Array.of(1, 0, 0, 0, 0, 0),
        paramsLocal: new Float64Array(part.fitter.pdm.numModes),
      })),
      timings: { mainFit: 0, parts: 0, pdmFit: 0, validation: 0 },
    };
  }

  /**
   * DetectLandmarksInImageMultiHypBasic: a detection from each rotation
   * hypothesis (PDM::CalcParams from the box, the large windows); the one
   * with the highest model likelihood wins (the first on ties). The
   * likelihood is the main model's, known before the parts and the
   * validator run, and nothing of a losing hypothesis is kept: so only the
   * winner's fit is finished (parts, final PDM fit, validation), with the
   * same result as finishing all eleven.
   */
  private detectFromBox(image: GrayImage, box: Box): ClnfResult {
    let best: MainFit | null = null;
    let mainFit = 0;
    for (const rotation of ROTATION_HYPOTHESES) {
      const start = this.paramsFromBox(box, rotation);
      const fit = this.fitMain(image, start.paramsGlobal, start.paramsLocal, this.parameters.windowSizesInit);
      mainFit += fit.ms;
      if (best === null || best.likelihood < fit.likelihood) best = fit;
    }
    const r = this.finish(image, best!);
    return { ...r, timings: { ...r.timings, mainFit } };
  }

  /** CLNF::DetectLandmarks: the main model's fit, then `finish`. */
  private detect(image: GrayImage, glob0: ArrayLike<number>, loc0: ArrayLike<number>, windows: readonly number[]): ClnfResult {
    return this.finish(image, this.fitMain(image, glob0, loc0, windows));
  }

  /** The main model's fit (CLNF::Fit) from the given parameters. */
  private fitMain(image: GrayImage, glob0: ArrayLike<number>, loc0: ArrayLike<number>, windows: readonly number[]): MainFit {
    const p = this.parameters;
    const t0 = performance.now();
    const glob = Float64Array.from(glob0);
    const loc = Float64Array.from(loc0);
    const fitSuccess = this.main.fit(image, glob, loc, {
      windowSizes: windows,
      regFactor: p.regFactor,
      sigma: p.sigma,
      weightFactor: p.weightFactor,
      numIterations: p.numIterations,
      refineParameters: p.refineParameters,
    });
    const likelihood = this.main.modelLikelihood;
    const landmarks = shape2dF(this.main.pdm, loc, glob);
    return { fitSuccess, likelihood, glob, loc, landmarks, ms: performance.now() - t0 };
  }

  /**
   * The rest of CLNF::DetectLandmarks after the main fit: the hierarchical
   * parts, the final PDM fit to all landmarks, the validator.
   */
  private finish(image: GrayImage, main: MainFit): ClnfResult {
    const p = this.parameters;
    const pdm = this.main.pdm;
    const n = pdm.numPoints;
    const { fitSuccess, likelihood, landmarks } = main;
    let glob = main.glob, loc = main.loc;
    const t1 = performance.now();
    let t2 = t1;
    const parts: ClnfPartState[] = [];

    if (p.refineHierarchical && this.parts.length > 0) {
      let partsUsed = false;
      for (const part of this.parts) {
        const ppdm = part.fitter.pdm;
        const np = ppdm.numPoints;
        const partLocs = new Float64Array(2 * np);
        for (let k = 0; k < part.mapping.length; k += 2) {
          const a = part.mapping[k], b = part.mapping[k + 1];
          partLocs[b] = landmarks[a];
          partLocs[b + np] = landmarks[a + n];
        }
        const { paramsGlobal: pg, paramsLocal: pl } = calcParamsF(ppdm, partLocs, [0, 0, 0], this.wasm);
        // only when the face is big enough for the part's finest patch scale
        if (glob[0] > 0.9 * part.fitter.scales[0].scaling) {
          partsUsed = true;
          part.fitter.fit(image, pg, pl, part.params);
        }
        parts.push({ name: part.name, landmarks: shape2dF(ppdm, pl, pg), paramsGlobal: pg, paramsLocal: pl });
      }
      t2 = performance.now();
      if (partsUsed) {
        this.parts.forEach((part, k) => {
          const np = part.fitter.pdm.numPoints;
          const pl = parts[k].landmarks;
          for (let q = 0; q < part.mapping.length; q += 2) {
            const a = part.mapping[q], b = part.mapping[q + 1];
            landmarks[a] = pl[b];
            landmarks[a + n] = pl[b + np];
          }
        });
        const fit = calcParamsF(pdm, landmarks, [0, 0, 0], this.wasm);
        glob = fit.paramsGlobal;
        loc = fit.paramsLocal;
        shape2dF(pdm, loc, glob, landmarks);
      }
    } else {
      for (const part of this.parts) parts.push(this.last.parts.find((s) => s.name === part.name)!);
    }

    const t3 = performance.now();
    let detectionSuccess: boolean;
    let confidence: number;
    if (p.validateDetections && fitSuccess && this.validator) {
      const certainty = validateLandmarks(this.validator, image, landmarks, glob[1], glob[2], glob[3]);
      confidence = confidenceFromCertainty(certainty);
      detectionSuccess = confidence > Math.fround(p.validationBoundary);
    } else {
      detectionSuccess = fitSuccess;
      confidence = fitSuccess ? 1 : 0;
    }
    const t4 = performance.now();
    return {
      success: detectionSuccess,
      detectionSuccess,
      landmarks,
      paramsGlobal: glob,
      paramsLocal: loc,
      confidence,
      certainty: 1 - 2 * confidence,
      modelLikelihood: likelihood,
      parts,
      timings: { mainFit: main.ms, parts: t2 - t1, pdmFit: t3 - t2, validation: t4 - t3 },
    };
  }
}
