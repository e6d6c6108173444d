import { describe, expect, it } from 'vitest';
import { buildKdeTable, kdeRow, meanShifts } from '../../../src/core/clnf/meanShift.ts';

describe('regularised landmark mean-shift (precomputed Gaussian kernel)', () => {
  const win = 9;
  const a = -0.5 / (1.5 * 1.5);
  const table = buildKdeTable(win, a);

  it('tabulates exp(a((dy - ii)² + (dx - jj)²)) on a 0.1-pixel grid, window/0.1 steps per axis', () => {
    expect(table.steps).toBe(90);
    expect(table.values.length).toBe(90 * 90 * 81);
    // grid point dx = 2.3 (x index 23), dy = 4.0 (y index 40), response pixel (ii, jj) = (5, 1)
    const row = 23 * 90 + 40;
    expect(kdeRow(table, row)).toBe(row * 81);
    const v = table.values[row * 81 + 5 * 9 + 1];
    expect(v).toBeCloseTo(Math.exp(a * ((4.0 - 5) ** 2 + (2.3 - 1) ** 2)), 6);
  });

  it('moves a landmark exactly onto a single-pixel peak', () => {
    const resp = new Float32Array(81);
    resp[2 * 9 + 6] = 0.7; // peak at x = 6, y = 2
    const out = new Float64Array(2);
    meanShifts(table, [resp], Float64Array.of(4), Float64Array.of(4), Uint8Array.of(1), out);
    expect(out[0]).toBe(2);
    expect(out[1]).toBe(-2);
  });

  it('points towards the heavier side of a smooth peak, weighted by the kernel around the current position', () => {
    const resp = new Float32Array(81);
    for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) resp[y * 9 + x] = Math.exp(-((x - 6) ** 2 + (y - 3) ** 2) / 2);
    const out = new Float64Array(4);
    meanShifts(table, [resp, resp], Float64Array.of(4, 6), Float64Array.of(4, 3), Uint8Array.of(1, 1), out);
    // from (4, 4): right and slightly up, not all the way (the kernel holds it back)
    expect(out[0]).toBeGreaterThan(0.5);
    expect(out[0]).toBeLessThan(2);
    expect(out[2]).toBeLessThan(0);
    expect(out[2]).toBeGreaterThan(-1);
    // already on the peak: almost no shift (the window cuts the peak's right tail)
    expect(Math.abs(out[1])).toBeLessThan(0.01);
    expect(Math.abs(out[3])).toBeLessThan(0.01);
  });

  it('uses the nearest grid point after clamping into the window, and leaves invisible landmarks alone', () => {
    const resp = new Float32Array(81);
    resp[40] = 1; // (4, 4)
    const out = new Float64Array(4);
    meanShifts(table, [resp, resp], Float64Array.of(-3, 4), Float64Array.of(12, 4), Uint8Array.of(1, 0), out);
    // clamped to (0, 8.9): the shift is measured from the clamped position
    expect(out[0]).toBeCloseTo(4, 6);
    expect(out[2]).toBeCloseTo(4 - 8.9, 5);
    expect(out[1]).toBe(0);
    expect(out[3]).toBe(0);
  });
});
