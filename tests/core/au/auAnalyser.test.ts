import { describe, expect, it } from 'vitest';
import { AuAnalyser, type AuFramePrediction } from '../../../src/core/au/auAnalyser.ts';
import type { AuModel, AuModelSet } from '../../../src/core/au/auModels.ts';
import { ONE_POINT_PDM } from '../../helpers/tinyPdm.ts';

const pdm = ONE_POINT_PDM;
// Features: 2 HOG values + 4 geometry values.
const HOG = 2;
const f = (x: number[]): Float64Array => Float64Array.from(x);

function model(auName: string, kind: AuModel['kind'], weights: number[], extra: Partial<AuModel> = {}): AuModel {
  return {
    auName,
    kind,
    source: `${auName}_${kind}.dat`,
    cutoff: kind === 'svr-dynamic' ? 0.5 : null,
    means: new Float64Array(weights.length),
    weights: f(weights),
    bias: 0,
    positiveClass: kind.startsWith('svm') ? 1 : null,
    negativeClass: kind.startsWith('svm') ? 0 : null,
    ...extra,
  };
}

// AU01_r = hog0 - median(hog0); AU02_r = p (static); AU03_r = y-offset (2p) - its median; AU01_c = [hog0 > median]
const models: AuModelSet = {
  source: 'test list',
  models: [
    model('AU02', 'svr-static', [0, 0, 0, 0, 0, 1]),
    model('AU01', 'svr-dynamic', [1, 0, 0, 0, 0, 0]),
    model('AU03', 'svr-dynamic', [0, 0, 0, 1, 0, 0]),
    model('AU01', 'svm-dynamic', [1, 0, 0, 0, 0, 0]),
  ],
};
const centre = (bin: number): number => -0.005 + bin * 0.001005 + 0.0005025;

const frame = (hog0: number, p = 0, success = true) => ({
  hog: success ? Float32Array.from([hog0, 0]) : null,
  paramsLocal: success ? f([p]) : null,
  success,
});

describe('AuAnalyser', () => {
  it('names the columns sorted by AU', () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    expect(an.intensityNames).toEqual(['AU01', 'AU02', 'AU03']);
    expect(an.presenceNames).toEqual(['AU01']);
  });

  it('updates the medians on odd frames only, starting from the first frame itself', () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    const hog0 = [0.3, 0.9, 0.1, 0.5, 0.2, 0.05];
    const out = hog0.map((h) => an.addFrame(frame(Math.fround(h), 1)));
    const h = hog0.map((v) => Math.fround(v)); // HOG arrives as float32
    // frame 1: the median is frame 1's own descriptor
    expect(out[0].intensity[0]).toBe(0);
    // frame 2: no update, median still frame 1's value
    expect(out[1].intensity[0]).toBeCloseTo(h[1] - h[0], 12);
    // frame 3: two samples -> bin of 0.1 (104)
    expect(out[2].intensity[0]).toBeCloseTo(h[2] - centre(104), 12);
    expect(out[3].intensity[0]).toBeCloseTo(h[3] - centre(104), 12);
    // frame 5: three samples (0.3, 0.1, 0.2) -> bin of 0.2 (203)
    expect(out[4].intensity[0]).toBeCloseTo(h[4] - centre(203), 12);
    expect(out[5].intensity[0]).toBeCloseTo(h[5] - centre(203), 12);
    // static AU02 = p, untouched by medians
    expect(out.map((o) => o.intensity[1])).toEqual([1, 1, 1, 1, 1, 1]);
    // presence: hog0 - median > 0
    expect(out.map((o) => o.presence[0])).toEqual([0, 1, 0, 1, 1, 0]);
  });

  it('outputs zeros on failed frames and keeps them out of the histograms', () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    an.addFrame(frame(0.3));
    an.addFrame(frame(0.5));
    an.addFrame(frame(0.1));
    const failed = an.addFrame(frame(0, 0, false));
    expect(Array.from(failed.intensity)).toEqual([0, 0, 0]);
    expect(Array.from(failed.presence)).toEqual([0]);
    an.addFrame(frame(0.4, 0, false)); // odd frame, failed: recomputed, nothing added
    const next = an.addFrame(frame(0.6));
    expect(next.intensity[0]).toBeCloseTo(Math.fround(0.6) - centre(104), 12);
  });

  it("reproduces OpenFace's first-frame-failed median: bin 0's centre (HOG clamped to 0)", () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    an.addFrame(frame(0, 0, false));
    const second = an.addFrame(frame(0.4, 2));
    expect(second.intensity[0]).toBeCloseTo(Math.fround(0.4), 12); // HOG median -0.0044975 clamped to 0
    expect(second.intensity[2]).toBeCloseTo(4 - -59.994, 10); // geometry median: bin 0 centre of [-60, 60]
    const third = an.addFrame(frame(0.2, 1)); // first sample: median = this frame
    expect(third.intensity[0]).toBe(0);
    expect(third.intensity[2]).toBe(0);
  });

  it("reproduces OpenFace's one-sample median on a failed odd frame: the failed frame's zeros", () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    an.addFrame(frame(0.3, 1));
    an.addFrame(frame(0.3, 1));
    an.addFrame(frame(0.7, 1, false)); // count stays 1: median = black-face HOG, zero geometry
    const fourth = an.addFrame(frame(0.5, 1));
    expect(fourth.intensity[0]).toBeCloseTo(Math.fround(0.5), 12);
    expect(fourth.intensity[2]).toBe(2);
  });

  it('finish(): re-predicts early frames with the final median, shifts by the cutoff, clamps, smooths', () => {
    const hog0 = [0.3, 0.9, 0.1, 0.5, 0.2];
    const h = hog0.map((v) => Math.fround(v));
    const run = (maxInitFrames?: number): { online: AuFramePrediction[]; final: AuFramePrediction[] } => {
      const an = new AuAnalyser(models, pdm, { hogLength: HOG, maxInitFrames });
      const online = hog0.map((v) => an.addFrame(frame(v, 1)));
      return { online, final: an.finish().frames as AuFramePrediction[] };
    };
    const med = centre(203); // final median after frame 5
    // All frames re-predicted: h - med; cutoff 0.5 of 5 -> sorted index 2 = h[0] - med
    const shifted = h.map((v) => Math.min(5, Math.max(0, v - med - (h[0] - med))));
    const smoothed = [shifted[0], (shifted[0] + shifted[1] + shifted[2]) / 3, (shifted[1] + shifted[2] + shifted[3]) / 3, (shifted[2] + shifted[3] + shifted[4]) / 3, shifted[4]];
    const { final } = run();
    final.forEach((fr, i) => expect(fr.intensity[0]).toBeCloseTo(smoothed[i], 12));
    // static AU02 = p = 1: clamp and smoothing only
    expect(final.map((fr) => fr.intensity[1])).toEqual([1, 1, 1, 1, 1]);

    // Only the first 2 tracked frames re-predicted: frames 3..5 keep their online values.
    const limited = run(2);
    const raw = [h[0] - med, h[1] - med, limited.online[2].intensity[0], limited.online[3].intensity[0], limited.online[4].intensity[0]];
    expect(raw[2]).toBeCloseTo(h[2] - centre(104), 12);
    const offset = [...raw].sort((a, b) => a - b)[2];
    const s = raw.map((v) => Math.min(5, Math.max(0, v - offset)));
    const expected = [s[0], (s[0] + s[1] + s[2]) / 3, (s[1] + s[2] + s[3]) / 3, (s[2] + s[3] + s[4]) / 3, s[4]];
    limited.final.forEach((fr, i) => expect(fr.intensity[0]).toBeCloseTo(expected[i], 12));
  });

  it('finish() smooths presence over 7 frames and refuses frames afterwards', () => {
    const an = new AuAnalyser(models, pdm, { hogLength: HOG });
    // medians end at the bin of 0.5 (centre 0.5000125): 0.5 -> absent, 0.9 present, 0.1 absent
    const hog0 = [0.5, 0.5, 0.5, 0.9, 0.1, 0.9, 0.1, 0.1, 0.9];
    hog0.forEach((v) => an.addFrame(frame(v)));
    const result = an.finish();
    // re-predicted: 0 0 0 1 0 1 0 0 1; frames 3..5 take the 7-frame vote (2/7, 2/7, 3/7 -> 0);
    // the last three frames keep their own values
    expect(result.frames.map((fr) => fr.presence[0])).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(an.finish()).toBe(result);
    expect(() => an.addFrame(frame(0.1))).toThrow(/after finish/);
  });
});
