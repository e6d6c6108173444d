import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/core/errors.ts';
import { parseAuModel, parseAuModelList, parseAuModelSet, type AuModel } from '../../../src/core/au/auModels.ts';
import { AuPredictorBank } from '../../../src/core/au/predict.ts';

/**
 * Builds OpenFace `.dat` AU model bytes: int32 marker, [float64 cutoff], means
 * matrix, support vector matrix (each int32 rows, int32 cols, int32 type, raw
 * data), float64 bias, [float64 positive class, float64 negative class].
 */
interface DatSpec {
  marker: number;
  cutoff?: number;
  means: number[];
  weights: number[];
  bias: number;
  classes?: [number, number];
  /** OpenCV type of both matrices: 6 (CV_64F, default) or 5 (CV_32F) */
  type?: number;
  meansShape?: [number, number];
  weightsShape?: [number, number];
  trailingBytes?: number;
}

function buildDat(spec: DatSpec): Uint8Array {
  const type = spec.type ?? 6;
  const chunks: Uint8Array[] = [];
  const int32 = (n: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    chunks.push(b);
  };
  const float64 = (n: number): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, n, true);
    chunks.push(b);
  };
  const float32 = (n: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, n, true);
    chunks.push(b);
  };
  const matrix = (data: number[], shape: [number, number]): void => {
    int32(shape[0]);
    int32(shape[1]);
    int32(type);
    for (const x of data) (type === 6 ? float64 : float32)(x);
  };
  int32(spec.marker);
  if (spec.cutoff !== undefined) float64(spec.cutoff);
  matrix(spec.means, spec.meansShape ?? [1, spec.means.length]);
  matrix(spec.weights, spec.weightsShape ?? [spec.weights.length, 1]);
  float64(spec.bias);
  if (spec.classes) {
    float64(spec.classes[0]);
    float64(spec.classes[1]);
  }
  chunks.push(new Uint8Array(spec.trailingBytes ?? 0));
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function expectModelError(fn: () => unknown, ...fragments: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFormatError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe('parseAuModel', () => {
  it('reads a dynamic SVR: marker 1, cutoff, means, weights, bias', () => {
    const bytes = buildDat({ marker: 1, cutoff: 0.35, means: [0.5, -1, 2], weights: [1.5, 0.25, -3], bias: -0.125 });
    const model = parseAuModel(bytes, 'AU26', 'svr_combined/AU_26_dynamic_intensity_comb.dat');
    expect(model.kind).toBe('svr-dynamic');
    expect(model.auName).toBe('AU26');
    expect(model.cutoff).toBe(0.35);
    expect(Array.from(model.means)).toEqual([0.5, -1, 2]);
    expect(Array.from(model.weights)).toEqual([1.5, 0.25, -3]);
    expect(model.bias).toBe(-0.125);
    expect(model.positiveClass).toBeNull();
    expect(model.negativeClass).toBeNull();
  });

  it('reads a static SVR without a cutoff (marker 0)', () => {
    const model = parseAuModel(buildDat({ marker: 0, means: [1, 2], weights: [3, 4], bias: 0.5 }), 'AU04', 'AU_4_static.dat');
    expect(model.kind).toBe('svr-static');
    expect(model.cutoff).toBeNull();
    expect(Array.from(model.weights)).toEqual([3, 4]);
    expect(model.bias).toBe(0.5);
  });

  it('reads static and dynamic SVMs (markers 4, 5): no cutoff, class values after the bias', () => {
    const stat = parseAuModel(buildDat({ marker: 4, means: [1], weights: [2], bias: 3, classes: [1, 0] }), 'AU12', 'AU_12_static.dat');
    expect(stat.kind).toBe('svm-static');
    expect([stat.positiveClass, stat.negativeClass]).toEqual([1, 0]);
    // A dynamic SVM begins with its means right after the marker (unlike the dynamic SVR).
    const dyn = parseAuModel(buildDat({ marker: 5, means: [7, 8], weights: [9, 10], bias: -1, classes: [0, 1] }), 'AU01', 'AU_1_dynamic.dat');
    expect(dyn.kind).toBe('svm-dynamic');
    expect(dyn.cutoff).toBeNull();
    expect(Array.from(dyn.means)).toEqual([7, 8]);
    expect([dyn.positiveClass, dyn.negativeClass]).toEqual([0, 1]);
  });

  it('reads CV_32F matrices too', () => {
    const model = parseAuModel(buildDat({ marker: 0, means: [0.5, 0.25], weights: [2, -4], bias: 1, type: 5 }), 'AU06', 'f32.dat');
    expect(Array.from(model.means)).toEqual([0.5, 0.25]);
    expect(Array.from(model.weights)).toEqual([2, -4]);
  });

  it('throws ModelFormatError naming the file and the problem', () => {
    const good = buildDat({ marker: 1, cutoff: 0.5, means: [1, 2, 3], weights: [4, 5, 6], bias: 7 });
    expectModelError(() => parseAuModel(good.subarray(0, good.length - 4), 'AU01', 'cut.dat'), 'cut.dat', 'the bias', 'ends early');
    expectModelError(() => parseAuModel(good.subarray(0, 2), 'AU01', 'tiny.dat'), 'tiny.dat', 'marker');
    expectModelError(() => parseAuModel(buildDat({ marker: 3, means: [1], weights: [1], bias: 0 }), 'AU01', 'seg.dat'), 'seg.dat', 'marker 3');
    expectModelError(() => parseAuModel(buildDat({ marker: 0, means: [1, 2], weights: [1, 2], bias: 0, meansShape: [2, 1] }), 'AU01', 'col.dat'), 'col.dat', 'one row');
    expectModelError(() => parseAuModel(buildDat({ marker: 0, means: [1, 2], weights: [1, 2, 3], bias: 0 }), 'AU01', 'len.dat'), 'len.dat', 'support vector is 3x1');
    expectModelError(() => parseAuModel(buildDat({ marker: 0, means: [1], weights: [1], bias: 0, trailingBytes: 3 }), 'AU01', 'tail.dat'), 'tail.dat', '3 unexpected bytes');
    expectModelError(() => parseAuModel(buildDat({ marker: 1, cutoff: 1.5, means: [1], weights: [1], bias: 0 }), 'AU01', 'cutoff.dat'), 'cutoff.dat', 'cutoff 1.5');
    expectModelError(() => parseAuModel(buildDat({ marker: 0, means: [1], weights: [1], bias: 0, type: 4 }), 'AU01', 'int.dat'), 'int.dat', 'OpenCV type 4');
    // A dynamic SVR file read without its cutoff would misalign: a static file marked dynamic fails.
    expectModelError(() => parseAuModel(buildDat({ marker: 1, means: [1, 2], weights: [3, 4], bias: 0 }), 'AU01', 'nocut.dat'), 'nocut.dat');
  });
});

describe('parseAuModelList / parseAuModelSet', () => {
  it('reads path and AU name per line, tolerating CRLF and blank lines', () => {
    const entries = parseAuModelList('svm_combined/AU_1_dynamic.dat AU01\r\n\r\nsvr_combined/AU_4_static_intensity_comb.dat AU04\r\n');
    expect(entries).toEqual([
      { path: 'svm_combined/AU_1_dynamic.dat', auNames: ['AU01'] },
      { path: 'svr_combined/AU_4_static_intensity_comb.dat', auNames: ['AU04'] },
    ]);
  });

  it('loads each listed file through the callback, in list order', () => {
    const files = new Map<string, Uint8Array>([
      ['a.dat', buildDat({ marker: 0, means: [0], weights: [1], bias: 0 })],
      ['b.dat', buildDat({ marker: 4, means: [0], weights: [1], bias: 0, classes: [1, 0] })],
    ]);
    const set = parseAuModelSet('b.dat AU02\na.dat AU01\n', (p) => files.get(p), 'list.txt');
    expect(set.models.map((m) => [m.auName, m.kind, m.source])).toEqual([
      ['AU02', 'svm-static', 'b.dat'],
      ['AU01', 'svr-static', 'a.dat'],
    ]);
  });

  it('rejects missing files, AU-less lines and multi-AU models', () => {
    expectModelError(() => parseAuModelSet('gone.dat AU01\n', () => undefined, 'list.txt'), 'list.txt', 'gone.dat');
    expectModelError(() => parseAuModelList('only_a_path.dat\n', 'list.txt'), 'list.txt', 'line 1', 'no AU');
    expectModelError(() => parseAuModelSet('x.dat AU01,AU02\n', () => new Uint8Array(0), 'list.txt'), 'x.dat', '2 AUs');
    expectModelError(() => parseAuModelList('\n\n', 'empty.txt'), 'empty.txt');
  });

  it('quotes at most 60 characters of a damaged line (a binary file is not printed whole)', () => {
    const junk = 'x'.repeat(5000);
    let message = '';
    try {
      parseAuModelList(`${junk}\n`, 'list.txt');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`list.txt, line 1: '${'x'.repeat(60)}…' names a model file but no AU`);
  });
});

function model(partial: Partial<AuModel> & Pick<AuModel, 'kind' | 'means' | 'weights' | 'bias'>): AuModel {
  return { auName: 'AU01', source: 'test.dat', cutoff: null, positiveClass: null, negativeClass: null, ...partial };
}

describe('AuPredictorBank', () => {
  // 3 HOG values + 2 geometry values
  const hog = Float64Array.from([0.5, 0.25, 1]);
  const geom = Float64Array.from([2, -1]);
  const f = (x: number[]): Float64Array => Float64Array.from(x);

  it('scores (x - means - median) . w + bias; medians only for dynamic models', () => {
    const stat = model({ kind: 'svr-static', means: f([0.1, 0.2, 0.3, 0.4, 0.5]), weights: f([1, 2, 3, 4, 5]), bias: 0.5 });
    const dyn = model({ kind: 'svr-dynamic', cutoff: 0.5, means: f([0, 0, 0, 1, 1]), weights: f([2, 0, -1, 1, 0.5]), bias: -1 });
    const bank = new AuPredictorBank([stat, dyn], 3, 2);
    bank.setMedians(f([0.25, 0, 0.5]), f([1, -2]));
    const projection = new Float64Array(2);
    const out = new Float64Array(2);
    bank.project(hog, geom, projection);
    bank.evaluate(projection, out);
    // static: (0.4, 0.05, 0.7, 1.6, -1.5) . (1, 2, 3, 4, 5) + 0.5 = 0.4 + 0.1 + 2.1 + 6.4 - 7.5 + 0.5
    expect(out[0]).toBeCloseTo(2.0, 12);
    // dynamic: x - means - median = (0.25, 0.25, 0.5, 0, -0) ; . (2, 0, -1, 1, 0.5) = 0.5 - 0.5 = 0 ; + bias -1
    expect(out[1]).toBeCloseTo(-1, 12);
  });

  it('uses HOG only when a model has HOG-sized means', () => {
    const hogOnly = model({ kind: 'svr-static', means: f([0, 0, 0]), weights: f([1, 1, 1]), bias: 0 });
    const bank = new AuPredictorBank([hogOnly], 3, 2);
    const projection = new Float64Array(1);
    const out = new Float64Array(1);
    bank.project(hog, geom, projection);
    bank.evaluate(projection, out);
    expect(out[0]).toBeCloseTo(1.75, 12);
  });

  it('maps SVM scores to the class values: > 0 positive, <= 0 negative', () => {
    const svm = (bias: number): AuModel => model({ kind: 'svm-static', means: f([0, 0, 0, 0, 0]), weights: f([1, 0, 0, 0, 0]), bias, positiveClass: 1, negativeClass: 0 });
    const bank = new AuPredictorBank([svm(-0.5), svm(-0.4), svm(-0.6)], 3, 2);
    const projection = new Float64Array(3);
    const out = new Float64Array(3);
    bank.project(hog, geom, projection);
    bank.evaluate(projection, out);
    expect(Array.from(out)).toEqual([0, 1, 0]); // score exactly 0 -> negative class
  });

  it("uses the first model's means for every model of that kind, as OpenFace does", () => {
    const first = model({ kind: 'svr-static', means: f([1, 1, 1, 1, 1]), weights: f([0, 0, 0, 0, 0]), bias: 0 });
    const second = model({ kind: 'svr-static', means: f([0, 0, 0, 0, 0]), weights: f([1, 0, 0, 0, 0]), bias: 0 });
    const bank = new AuPredictorBank([first, second], 3, 2);
    const projection = new Float64Array(2);
    const out = new Float64Array(2);
    bank.project(hog, geom, projection);
    bank.evaluate(projection, out);
    expect(out[1]).toBeCloseTo(0.5 - 1, 12);
  });

  it('rejects models whose length fits neither HOG nor HOG + geometry', () => {
    expect(() => new AuPredictorBank([model({ kind: 'svr-static', means: f([0, 0]), weights: f([1, 1]), bias: 0 })], 3, 2)).toThrow(ModelFormatError);
  });
});
