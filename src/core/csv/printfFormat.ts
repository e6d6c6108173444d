/**
 * Numbers written the way C++ iostreams write them on glibc (which formats
 * through printf): `std::fixed << setprecision(n)` is printf's "%.nf" and
 * `std::defaultfloat << setprecision(p)` is "%.pg". OpenFace 2.2's CSV is
 * written that way, so these reproduce its text to the character:
 *
 * - the decimal expansion of the double's exact binary value is rounded, and
 *   an exact tie goes to the even digit (glibc honours the rounding mode,
 *   round-to-nearest-even). JavaScript's toFixed / toExponential also round
 *   the exact value but send ties away from zero, so ties are detected
 *   exactly (from the double's bits) and corrected;
 * - the sign is kept on negative zero and on negatives that round to zero
 *   ("-0.0", "-0"), as printf does;
 * - "%.pg" picks the exponent style when the exponent X of the rounded value
 *   is below -4 or at least p, drops trailing zeros and a bare decimal point,
 *   and writes at least two exponent digits ("1e-05", "1.5e+12");
 * - infinities and NaN print as glibc prints them: "inf", "-inf", "nan".
 */

const bits = new DataView(new ArrayBuffer(8));

/** The double's exact value as integer mantissa × 2^exponent (finite, nonzero |x|). */
function decompose(abs: number): { mantHigh: number; mantLow: number; exponent: number } {
  bits.setFloat64(0, abs);
  const high = bits.getUint32(0), low = bits.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  const subnormal = biased === 0;
  return { mantHigh: (high & 0xfffff) | (subnormal ? 0 : 0x100000), mantLow: low, exponent: subnormal ? -1074 : biased - 1075 };
}

/** Number of trailing zero bits of a nonzero 32-bit value. */
function trailingZeros(v: number): number {
  return 31 - Math.clz32(v & -v);
}

/** The exponent of the lowest set bit of |x|: |x| = odd × 2^result (finite, nonzero). */
function lowestBitExponent(abs: number): number {
  const { mantHigh, mantLow, exponent } = decompose(abs);
  return mantLow !== 0 ? exponent + trailingZeros(mantLow) : exponent + 32 + trailingZeros(mantHigh);
}

/**
 * Whether |x| lies exactly halfway between two multiples of 10^-decimals
 * (decimals ≥ 0). |x| = odd × 2^e, so |x| · 10^d = odd · 5^d · 2^(e + d),
 * whose fractional part is one half exactly when e + d = -1.
 */
function isFixedTie(abs: number, decimals: number): boolean {
  return lowestBitExponent(abs) === -decimals - 1;
}

/** Lowers the last digit of a numeral by one (it is odd, so no borrow). */
function lowerLastDigit(text: string): string {
  const last = text.length - 1;
  return text.slice(0, last) + String.fromCharCode(text.charCodeAt(last) - 1);
}

function nonFinite(value: number): string {
  return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
}

/** printf("%.{decimals}f", value), glibc's text (decimals 0..100). */
export function formatFixed(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  let text: string;
  if (abs >= 1e21) {
    // toFixed falls back to the shortest representation here; write the integer exactly.
    text = exactInteger(abs) + (decimals > 0 ? '.' + '0'.repeat(decimals) : '');
  } else {
    text = abs.toFixed(decimals);
    // toFixed rounds an exact tie up; printf to the even neighbour.
    if ((text.charCodeAt(text.length - 1) & 1) === 1 && abs !== 0 && isFixedTie(abs, decimals)) text = lowerLastDigit(text);
  }
  return negative ? '-' + text : text;
}

/** The exact decimal integer of a double ≥ 2^53 (which is an integer). */
function exactInteger(abs: number): string {
  const { mantHigh, mantLow, exponent } = decompose(abs);
  const mantissa = (BigInt(mantHigh) << 32n) | BigInt(mantLow);
  return (mantissa << BigInt(exponent)).toString();
}

/** `digits` (p significant digits, no point) and decimal exponent X of the rounded value, in %g's layout. */
function layoutGeneral(digits: string, exponent: number, precision: number): string {
  if (exponent < -4 || exponent >= precision) {
    const fraction = digits.slice(1).replace(/0+$/, '');
    const mantissa = fraction ? `${digits[0]}.${fraction}` : digits[0];
    const magnitude = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  if (exponent >= 0) {
    const whole = digits.slice(0, exponent + 1);
    const fraction = digits.slice(exponent + 1).replace(/0+$/, '');
    return fraction ? `${whole}.${fraction}` : whole;
  }
  return `0.${'0'.repeat(-exponent - 1)}${digits}`.replace(/0+$/, '');
}

/**
 * The p significant digits and exponent of |x| rounded half-to-even, from
 * its exact decimal expansion (BigInt arithmetic: only for the rare values
 * where a tie is possible).
 */
function exactSignificant(abs: number, precision: number): { digits: string; exponent: number } {
  const { mantHigh, mantLow, exponent: e } = decompose(abs);
  const mantissa = (BigInt(mantHigh) << 32n) | BigInt(mantLow);
  // |x| = scaled × 10^-fractionDigits exactly
  const fractionDigits = e < 0 ? -e : 0;
  const scaled = e < 0 ? mantissa * 5n ** BigInt(-e) : mantissa << BigInt(e);
  const exact = scaled.toString();
  const leading = exact.length - 1 - fractionDigits;
  // keep digits down to 10^(leading - precision + 1)
  const drop = exact.length - precision;
  let kept: bigint;
  if (drop <= 0) {
    kept = scaled * 10n ** BigInt(-drop);
  } else {
    const divisor = 10n ** BigInt(drop);
    kept = scaled / divisor;
    const twiceRest = 2n * (scaled % divisor);
    if (twiceRest > divisor || (twiceRest === divisor && (kept & 1n) === 1n)) kept += 1n;
  }
  let digits = kept.toString();
  let exponent = leading;
  if (digits.length > precision) {
    // carried into a new leading digit (…999 rounded up): one more power of ten
    digits = digits.slice(0, precision);
    exponent += 1;
  }
  return { digits, exponent };
}

/** printf("%.{precision}g", value), glibc's text (precision 1..100). */
export function formatGeneral(value: number, precision: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  let text: string;
  if (abs === 0) {
    text = '0';
  } else {
    const [mantissa, exponentText] = abs.toExponential(precision - 1).split('e');
    let digits = mantissa.replace('.', '');
    let exponent = Number(exponentText);
    // A tie needs |x| = odd × 2^e with e = X0 - p, X0 = the exponent before
    // rounding (X or, after a carry, X - 1); only then is the exact path needed.
    const low = lowestBitExponent(abs);
    if (low === exponent - precision || low === exponent - 1 - precision) ({ digits, exponent } = exactSignificant(abs, precision));
    text = layoutGeneral(digits, exponent, precision);
  }
  return negative ? '-' + text : text;
}
