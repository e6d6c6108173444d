import { describe, expect, it } from 'vitest';
import * as pm from '../../../src/core/math/portableMath.ts';
import { rng } from '../../helpers/rng.ts';

/** distance in units in the last place */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const buf = new DataView(new ArrayBuffer(16));
  buf.setFloat64(0, a);
  buf.setFloat64(8, b);
  return Math.abs(Number(buf.getBigInt64(0) - buf.getBigInt64(8)));
}

describe('portable elementary functions', () => {
  const random = rng(7);
  const cases: [string, (x: number) => number, (x: number) => number, () => number][] = [
    ['sin', pm.sin, Math.sin, () => (random() - 0.5) * 20],
    ['cos', pm.cos, Math.cos, () => (random() - 0.5) * 20],
    ['asin', pm.asin, Math.asin, () => random() * 2 - 1],
    ['acos', pm.acos, Math.acos, () => random() * 2 - 1],
    ['log', pm.log, Math.log, () => random() * 1e3 + 1e-6],
    ['exp', pm.exp, Math.exp, () => (random() - 0.5) * 80],
    ['tanh', pm.tanh, Math.tanh, () => (random() - 0.5) * 10],
    ['atan2', (y) => pm.atan2(y, 0.37), (y) => Math.atan2(y, 0.37), () => (random() - 0.5) * 10],
  ];
  for (const [name, portable, engine, draw] of cases) {
    it(`${name} is within 2 ulp of the engine's on 2000 inputs`, () => {
      let worst = 0;
      for (let i = 0; i < 2000; i++) {
        const x = draw();
        worst = Math.max(worst, ulps(portable(x), engine(x)));
      }
      expect(worst).toBeLessThanOrEqual(2);
    });
  }

  it('gives fixed bits (fdlibm), whatever the engine', () => {
    // Values computed once with these functions; they are the fdlibm results, and would change
    // if an engine's own Math crept back in on an engine that rounds differently.
    expect(pm.sin(1e-3)).toBe(9.999998333333417e-4);
    expect(pm.cos(2)).toBe(-0.4161468365471424);
    expect(pm.atan2(1, 2)).toBe(0.4636476090008061);
    expect(pm.log(10)).toBe(2.302585092994046);
  });

  it('hypot is the plain square root of the sum of squares', () => {
    expect(pm.hypot(3, 4)).toBe(5);
    expect(pm.hypot(1, 2, 2)).toBe(3);
  });
});
