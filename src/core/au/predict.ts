import { ModelFormatError } from '../errors.ts';
import type { AuModel, AuModelKind } from './auModels.ts';

/**
 * The linear AU predictors, evaluated as OpenFace does
 * (SVR_*_lin_regressors::Predict, SVM_*_lin::Predict):
 *
 *   score = (x - means - median) . w + bias
 *
 * with x = [HOG, geometry] (or HOG alone when a model's means are HOG-sized),
 * median = [HOG median, geometry median] for dynamic models and 0 for static
 * ones. SVRs output the score (the AU intensity before postprocessing); SVMs
 * output their positive class value when score > 0, else the negative one.
 *
 * OpenFace reads the feature means only from the first file of each model
 * kind and uses them for every model of that kind (later files' means are
 * merely compared, with a console warning). This bank does the same.
 *
 * Since the score is linear, it is split as
 *
 *   score = x.w - means.w - median.w + bias
 *
 * `project` computes x.w per frame (one pass over 4702 features per model),
 * means.w is computed once, and median.w once per median update (every
 * second frame). The postprocessing re-predicts early frames with the final
 * median from their stored projections, so no HOG has to be kept. The
 * rounding differs from OpenCV's only around 1e-13, far below what OpenFace
 * writes (10 significant digits in the reference).
 */
export class AuPredictorBank {
  readonly models: readonly AuModel[];
  private readonly lengths: Int32Array;
  private readonly weightStart: Int32Array;
  private readonly weights: Float64Array;
  private readonly constant: Float64Array;
  private readonly medianTerm: Float64Array;
  private readonly dynamic: Uint8Array;
  private readonly classifier: Uint8Array;
  private readonly positive: Float64Array;
  private readonly negative: Float64Array;
  /** copies of features given in another array type (the dot products then see one element type) */
  private readonly hogScratch: Float64Array;
  private readonly geomScratch: Float64Array;

  /**
   * `hogLength` and `geomLength` are the sizes of the two feature parts
   * (4464 and 238 for OpenFace's 112x112 face and 68-point PDM).
   */
  constructor(
    models: readonly AuModel[],
    readonly hogLength: number,
    readonly geomLength: number,
  ) {
    const count = models.length;
    this.models = models;
    this.lengths = new Int32Array(count);
    this.weightStart = new Int32Array(count);
    this.constant = new Float64Array(count);
    this.medianTerm = new Float64Array(count);
    this.dynamic = new Uint8Array(count);
    this.classifier = new Uint8Array(count);
    this.positive = new Float64Array(count);
    this.negative = new Float64Array(count);
    this.hogScratch = new Float64Array(hogLength);
    this.geomScratch = new Float64Array(geomLength);

    const groupMeans = new Map<AuModelKind, Float64Array>();
    let total = 0;
    models.forEach((model, k) => {
      const length = model.weights.length;
      if (length !== hogLength && length !== hogLength + geomLength) {
        throw new ModelFormatError(
          `${model.source}: ${length} features; expected ${hogLength} (HOG) or ${hogLength + geomLength} (HOG + geometry)`,
        );
      }
      const means = groupMeans.get(model.kind) ?? model.means;
      groupMeans.set(model.kind, means);
      if (means.length !== length) {
        throw new ModelFormatError(
          `${model.source}: ${length} features, but the first ${model.kind} model's means (which OpenFace uses for all of them) have ${means.length}`,
        );
      }
      this.lengths[k] = length;
      this.weightStart[k] = total;
      total += length;
      this.dynamic[k] = model.kind === 'svr-dynamic' || model.kind === 'svm-dynamic' ? 1 : 0;
      this.classifier[k] = model.kind === 'svm-static' || model.kind === 'svm-dynamic' ? 1 : 0;
      this.positive[k] = model.positiveClass ?? 0;
      this.negative[k] = model.negativeClass ?? 0;
    });

    this.weights = new Float64Array(total);
    models.forEach((model, k) => {
      this.weights.set(model.weights, this.weightStart[k]);
      const means = groupMeans.get(model.kind) as Float64Array;
      let meansDotW = 0;
      for (let i = 0; i < this.lengths[k]; i++) meansDotW += means[i] * model.weights[i];
      // bias - means.w: the part of the score that never changes
      this.constant[k] = model.bias - meansDotW;
    });
  }

  get size(): number {
    return this.models.length;
  }

  /** out[k] = x . w_k for one frame's features (HOG then geometry). */
  project(hog: ArrayLike<number>, geom: ArrayLike<number>, out: Float64Array): void {
    this.dotAll(asFloat64(hog, this.hogScratch), asFloat64(geom, this.geomScratch), out);
  }

  /** Sets the person's medians that the dynamic models subtract (call after every median update). */
  setMedians(hogMedian: ArrayLike<number>, geomMedian: ArrayLike<number>): void {
    this.checkLengths(hogMedian, geomMedian);
    const hog = asFloat64(hogMedian, this.hogScratch), geom = asFloat64(geomMedian, this.geomScratch);
    for (let k = 0; k < this.models.length; k++) {
      this.medianTerm[k] = this.dynamic[k] ? this.dot(k, hog, geom) : 0;
    }
  }

  /** The raw score (SVR intensity, or SVM decision value) of model k from a frame's projection. */
  score(projection: Float64Array, k: number): number {
    return projection[k] - this.medianTerm[k] + this.constant[k];
  }

  /** out[k] = model k's prediction: the SVR score, or the SVM's class value. */
  evaluate(projection: Float64Array, out: Float64Array): void {
    for (let k = 0; k < this.models.length; k++) {
      const s = this.score(projection, k);
      out[k] = this.classifier[k] ? (s > 0 ? this.positive[k] : this.negative[k]) : s;
    }
  }

  private checkLengths(hog: ArrayLike<number>, geom: ArrayLike<number>): void {
    if (hog.length !== this.hogLength) throw new RangeError(`AU features: ${hog.length} HOG values, the models expect ${this.hogLength}`);
    if (geom.length !== this.geomLength) throw new RangeError(`AU features: ${geom.length} geometry values, the models expect ${this.geomLength}`);
  }

  private dotAll(hog: Float64Array, geom: Float64Array, out: Float64Array): void {
    this.checkLengths(hog, geom);
    for (let k = 0; k < this.models.length; k++) out[k] = this.dot(k, hog, geom);
  }

  /** x . w_k, x = [hog, geom] cut to model k's length. */
  private dot(k: number, hog: Float64Array, geom: Float64Array): number {
    const { hogLength, weights } = this;
    const start = this.weightStart[k];
    // Four partial sums: independent chains the CPU can overlap.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < hogLength; i += 4) {
      const w = start + i;
      s0 += hog[i] * weights[w];
      s1 += hog[i + 1] * weights[w + 1];
      s2 += hog[i + 2] * weights[w + 2];
      s3 += hog[i + 3] * weights[w + 3];
    }
    for (; i < hogLength; i++) s0 += hog[i] * weights[start + i];
    const extra = this.lengths[k] - hogLength;
    const geomStart = start + hogLength;
    for (let g = 0; g < extra; g++) s1 += geom[g] * weights[geomStart + g];
    return s0 + s1 + (s2 + s3);
  }
}

/** `values` itself when it is a Float64Array, else copied into `scratch`. */
function asFloat64(values: ArrayLike<number>, scratch: Float64Array): Float64Array {
  if (values instanceof Float64Array) return values;
  if (values.length !== scratch.length) throw new RangeError(`AU features: ${values.length} values, expected ${scratch.length}`);
  for (let i = 0; i < values.length; i++) scratch[i] = values[i];
  return scratch;
}
