import { describe, expect, it } from 'vitest';
import { auSummaryRows, defaultChartAus, formatIntensity, normaliseAuName, trackedLine } from '../../src/app/batch/auSummary.ts';

describe('per-AU summary', () => {
  it('merges intensity and presence per AU, in AU order, with FACS names', () => {
    const rows = auSummaryRows([
      { name: 'AU12', meanIntensity: 1.234, presentShare: null },
      { name: 'AU01', meanIntensity: 0.5, presentShare: 0.25 },
      { name: 'AU12', meanIntensity: null, presentShare: 0.4 },
      { name: 'AU28', meanIntensity: null, presentShare: 0.004 },
    ]);
    expect(rows).toEqual([
      { au: 'AU01', label: 'Inner brow raiser', intensity: '0.50', present: '25%', mean: 0.5, share: 0.25 },
      { au: 'AU12', label: 'Lip corner puller', intensity: '1.23', present: '40%', mean: 1.234, share: 0.4 },
      { au: 'AU28', label: 'Lip suck', intensity: '—', present: '0.4%', mean: null, share: 0.004 },
    ]);
  });

  it('normalises AU names as OpenFace spells them in columns', () => {
    expect(normaliseAuName('AU1_r')).toBe('AU01');
    expect(normaliseAuName('au45')).toBe('AU45');
    expect(normaliseAuName('gaze')).toBe('gaze');
  });

  it('formats the numbers', () => {
    expect(formatIntensity(null)).toBe('—');
    expect(formatIntensity(Number.NaN)).toBe('—');
    expect(formatIntensity(0)).toBe('0.00');
    expect(trackedLine(812, 840)).toBe('812 of 840 frames tracked (97%)');
    expect(trackedLine(0, 0)).toBe('0 of 0 frames tracked (—)');
    expect(trackedLine(1, 1)).toBe('1 of 1 frame tracked (100%)');
  });

  it('draws the most active AUs first, in column order', () => {
    const summary = [
      { name: 'AU01', meanIntensity: 0.1, presentShare: 0 },
      { name: 'AU06', meanIntensity: 1.5, presentShare: 0 },
      { name: 'AU12', meanIntensity: 2.0, presentShare: 0 },
      { name: 'AU45', meanIntensity: 0.9, presentShare: 0 },
    ];
    expect(defaultChartAus(summary, ['AU01', 'AU06', 'AU12', 'AU45'], 2)).toEqual(['AU06', 'AU12']);
    expect(defaultChartAus([], ['AU01', 'AU02'], 4)).toEqual(['AU01', 'AU02']);
  });
});
