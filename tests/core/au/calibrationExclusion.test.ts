/**
 * Leaving frames out of the person calibration after the fact must give what
 * a run that never let them in gives: the running median after `remove`
 * equals one that never added those descriptors, and an AuAnalyser that
 * excludes frames ends with the AUs of a run where those frames never
 * entered the medians or the offsets (compared away from the excluded
 * frames, whose own values, and their smoothing neighbours, differ by design).
 */
import { describe, expect, it } from 'vitest';
import { HistogramRunningMedian } from '../../../src/core/au/runningMedian.ts';
import { AuAnalyser, type AuFrameInput } from '../../../src/core/au/auAnalyser.ts';
import type { AuModel, AuModelSet } from '../../../src/core/au/auModels.ts';
import { ONE_POINT_PDM } from '../../helpers/tinyPdm.ts';
import { rng } from '../pdm/syntheticPdm.ts';

describe('HistogramRunningMedian.remove', () => {
  it('leaves the median a run without those descriptors has, now and after later updates', () => {
    const random = rng(11);
    const dims = 40;
    const descriptors = Array.from({ length: 60 }, () => Float64Array.from({ length: dims }, () => random() * 1.2 - 0.1));
    const removed = new Set([2, 3, 7, 10]);
    const withRemoval = new HistogramRunningMedian(dims, 1000, -0.005, 1);
    const never = new HistogramRunningMedian(dims, 1000, -0.005, 1);
    const bins = descriptors.map(() => new Uint16Array(dims));
    for (let i = 0; i < 20; i++) {
      withRemoval.update(descriptors[i], true, bins[i]);
      never.update(descriptors[i], !removed.has(i));
    }
    withRemoval.remove([...removed].map((i) => bins[i]));
    expect(withRemoval.count).toBe(never.count);
    expect(withRemoval.median).toEqual(never.median);
    for (let i = 20; i < 60; i++) {
      withRemoval.update(descriptors[i], i % 3 !== 0);
      never.update(descriptors[i], i % 3 !== 0);
      expect(withRemoval.median).toEqual(never.median);
    }
  });

  it('refuses to remove what was never added', () => {
    const median = new HistogramRunningMedian(2, 10, 0, 1);
    const bins = new Uint16Array(2);
    median.update([0.05, 0.05], true, bins);
    expect(() => median.remove([Uint16Array.of(5, 5)])).toThrow(/nothing in bin/);
  });
});

// features: HOG values, then the one-point PDM's 4 geometry values
const pdm = ONE_POINT_PDM;
const HOG = 3;

function model(auName: string, kind: AuModel['kind'], weights: number[], cutoff: number | null = null): AuModel {
  return {
    auName, kind, source: `${auName}_${kind}.dat`, cutoff,
    means: new Float64Array(weights.length), weights: Float64Array.from(weights), bias: 0.1,
    positiveClass: kind.startsWith('svm') ? 1 : null, negativeClass: kind.startsWith('svm') ? 0 : null,
  };
}

const models: AuModelSet = {
  source: 'test list',
  models: [
    model('AU01', 'svr-dynamic', [1, 0.5, 0, 0, 0.02, 0, 0], 0.3),
    model('AU02', 'svr-static', [0, 1, 0, 0, 0, 0, 0.1]),
    model('AU04', 'svr-dynamic', [0, 0, 2, 0.01, 0, 0, 0], 0.5),
    model('AU01', 'svm-dynamic', [1, 0, -1, 0, 0, 0, 0]),
  ],
};

/** 80 frames: a wrong start (frames 0-11: other values), a lost frame now and then. */
function frames(): AuFrameInput[] {
  const random = rng(3);
  return Array.from({ length: 80 }, (_, f) => {
    const wrong = f < 12;
    const success = f % 17 !== 16;
    const hog = Float32Array.from({ length: HOG }, () => (wrong ? 0.6 + random() * 0.3 : random() * 0.4));
    return { hog: success ? hog : null, paramsLocal: success ? Float64Array.of(wrong ? 8 + random() : random() * 4 - 2) : null, success };
  });
}

describe('AuAnalyser.excludeFromCalibration', () => {
  {
    // (with fewer than all frames re-predicted at the end, OpenFace's "first 3000 tracked frames" would be other
    // frames in the reference run, so the two are compared where every frame is re-predicted)
    const maxInitFrames = 3000;
    it('ends with the AUs of a run whose calibration never held the frames', () => {
      const input = frames();
      const excluded = new AuAnalyser(models, pdm, { hogLength: HOG, maxInitFrames, calibrationWindow: 20 });
      // the reference run: the same frames, the wrong ones never in the medians nor the offsets (fed as not analysed)
      const never = new AuAnalyser(models, pdm, { hogLength: HOG, maxInitFrames });
      input.forEach((frame, f) => {
        // decided on frame 12, as the tracking verdict would, before the frame goes in
        if (f === 12) expect(excluded.excludeFromCalibration(Array.from({ length: 12 }, (_, i) => i))).toBe(12);
        excluded.addFrame(frame);
        never.addFrame(f < 12 ? { hog: null, paramsLocal: null, success: false } : frame);
      });
      const a = excluded.finish().frames;
      const b = never.finish().frames;
      // frames 0-11 differ by design (predicted vs. not analysed), and the 7-frame presence smoothing reaches 3 past them
      for (let f = 15; f < input.length; f++) {
        expect(a[f].intensity, `frame ${f}`).toEqual(b[f].intensity);
        expect(a[f].presence, `frame ${f}`).toEqual(b[f].presence);
      }
      // and leaving them out changed something: the plain run differs
      const plain = new AuAnalyser(models, pdm, { hogLength: HOG, maxInitFrames });
      input.forEach((frame) => plain.addFrame(frame));
      expect(plain.finish().frames.slice(15).map((p) => Array.from(p.intensity))).not.toEqual(a.slice(15).map((p) => Array.from(p.intensity)));
    });
  }

  it('changes nothing until asked, and refuses frames older than its window', () => {
    const input = frames();
    const withWindow = new AuAnalyser(models, pdm, { hogLength: HOG, calibrationWindow: 10 });
    const without = new AuAnalyser(models, pdm, { hogLength: HOG });
    for (const frame of input) {
      expect(withWindow.addFrame(frame)).toEqual(without.addFrame(frame));
    }
    expect(() => withWindow.excludeFromCalibration([5])).toThrow(/not among the last 10 frames/);
    expect(withWindow.finish()).toEqual(without.finish());
  });
});
