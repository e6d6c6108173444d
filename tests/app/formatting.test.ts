import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatEta, formatFps, formatPercent } from '../../src/app/formatting.ts';

describe('formatting', () => {
  it('sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(formatDuration(28.4)).toBe('0:28');
    expect(formatDuration(125)).toBe('2:05');
  });

  it('time left', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(64.2)).toBe('1:05 left');
    expect(formatEta(3725)).toBe('1 h 02 min left');
  });

  it('speed and shares', () => {
    expect(formatFps(0)).toBe('');
    expect(formatFps(7.25)).toBe('7.3 fps');
    expect(formatFps(38.6)).toBe('39 fps');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0567)).toBe('5.7%');
    expect(formatPercent(0.5)).toBe('50%');
  });
});
