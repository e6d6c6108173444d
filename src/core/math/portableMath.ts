/**
 * Elementary functions that give the same bits in every JavaScript engine.
 * `Math.sin`, `Math.exp`, `Math.atan2`... are not specified to the last bit,
 * and they do differ: Node 20's V8 and Chromium 156's disagree on most
 * inputs. One ulp at frame 14 becomes 0.4 px by the end of a tracked video,
 * so the browser and the CLI would write different CSVs. These are fdlibm's
 * algorithms in plain arithmetic (stdlib's ports; exp is the CCNF kernel's),
 * which IEEE 754 makes exact everywhere; sqrt is exact by the standard, so
 * Math.sqrt stays.
 */
import stdlibSin from '@stdlib/math-base-special-sin';
import stdlibCos from '@stdlib/math-base-special-cos';
import stdlibAtan2 from '@stdlib/math-base-special-atan2';
import stdlibAsin from '@stdlib/math-base-special-asin';
import stdlibAcos from '@stdlib/math-base-special-acos';
import stdlibLn from '@stdlib/math-base-special-ln';
import stdlibTanh from '@stdlib/math-base-special-tanh';
import { ccnfExp } from '../clnf/ccnfExp.ts';

export const sin: (x: number) => number = stdlibSin;
export const cos: (x: number) => number = stdlibCos;
export const atan2: (y: number, x: number) => number = stdlibAtan2;
export const asin: (x: number) => number = stdlibAsin;
export const acos: (x: number) => number = stdlibAcos;
export const log: (x: number) => number = stdlibLn;
export const tanh: (x: number) => number = stdlibTanh;
/** e^x for |x| ≤ 700 (clamped beyond, where no caller can tell the difference) */
export const exp: (x: number) => number = ccnfExp;

/** √(a² + b² [+ c²]) without the engine's own hypot (whose scaling and rounding are its own) */
export function hypot(a: number, b: number, c = 0): number {
  return Math.sqrt(a * a + b * b + c * c);
}
