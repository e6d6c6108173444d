import { describe, expect, it } from 'vitest';
import { auIntensitySeries, summarizeAus } from '../../../src/core/analysis/auSummary.ts';
import { NO_OUTPUTS_3D, type FrameResult } from '../../../src/core/result.ts';

function row(frame: number, faceId: number, success: boolean, intensity: number[], presence: number[]): FrameResult {
  return {
    frame, faceId, timestamp: frame / 10, confidence: success ? 0.9 : 0, success,
    pose: null, landmarks: null, paramsGlobal: null, paramsLocal: null, ...NO_OUTPUTS_3D,
    auIntensity: Float64Array.from(intensity), auPresence: Float64Array.from(presence),
  };
}

const aus = { intensityNames: ['AU01', 'AU12'], presenceNames: ['AU01', 'AU28'] };

describe('summarizeAus', () => {
  const rows = [
    row(1, 0, true, [1, 2], [1, 0]),
    row(2, 0, true, [3, 0], [0, 1]),
    row(3, 0, false, [9, 9], [1, 1]), // not tracked: ignored
    row(1, 1, true, [5, 5], [1, 1]), // another face: ignored
  ];

  it('averages face 0 over tracked frames and counts presence', () => {
    expect(summarizeAus(rows, aus)).toEqual([
      { name: 'AU01', meanIntensity: 2, presentShare: 0.5 },
      { name: 'AU12', meanIntensity: 1, presentShare: null },
      { name: 'AU28', meanIntensity: null, presentShare: 0.5 },
    ]);
  });

  it('gives nulls when no frame was tracked', () => {
    expect(summarizeAus([row(1, 0, false, [1, 1], [1, 1])], aus).every((s) => s.meanIntensity === null && s.presentShare === null)).toBe(true);
  });
});

describe('auIntensitySeries', () => {
  it('follows face 0 with NaN gaps where it was not tracked', () => {
    const series = auIntensitySeries([row(1, 0, true, [1, 2], [0, 0]), row(2, 1, true, [7, 7], [0, 0]), row(2, 0, false, [3, 4], [0, 0])], aus);
    expect(Array.from(series.timestamps)).toEqual([0.1, 0.2]);
    expect(series.intensities[0][0]).toBe(1);
    expect(series.intensities[1][0]).toBe(2);
    expect(Number.isNaN(series.intensities[0][1])).toBe(true);
  });
});
