import { describe, expect, it } from 'vitest';
import { ProgressRate } from '../../src/app/batch/rate.ts';

describe('ProgressRate', () => {
  it('knows nothing until a first window has passed', () => {
    const r = new ProgressRate();
    r.update(1, 0);
    r.update(5, 200);
    expect(r.fps).toBe(0);
    expect(r.etaSeconds(5, 100)).toBeNull();
  });

  it('measures a steady rate and the time left from it', () => {
    const r = new ProgressRate();
    for (let ms = 0, f = 0; ms <= 10_000; ms += 25, f++) r.update(f, ms); // 40 fps
    expect(r.fps).toBeCloseTo(40, 6);
    expect(r.etaSeconds(400, 800)).toBeCloseTo(10, 6);
    expect(r.etaSeconds(900, 800)).toBe(0);
    expect(r.etaSeconds(400, null)).toBeNull();
  });

  it('smooths a sudden change instead of jumping to it', () => {
    const r = new ProgressRate(3000, 500);
    let f = 0;
    let ms = 0;
    for (; ms <= 10_000; ms += 100) r.update((f += 4), ms); // 40 fps
    const before = r.fps;
    ms += 500;
    r.update((f += 5), ms); // one half-second window at 10 fps
    expect(before).toBeCloseTo(40, 6);
    expect(r.fps).toBeLessThan(40);
    expect(r.fps).toBeGreaterThan(30); // 1 - exp(-0.5/3) of the way only
    for (let i = 0; i < 60; i++) r.update((f += 5), (ms += 500));
    expect(r.fps).toBeCloseTo(10, 1);
  });
});
