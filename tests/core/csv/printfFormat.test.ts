/**
 * printf's "%.nf" and "%.pg" as glibc writes them (the text of OpenFace
 * 2.2's CSV). Checked two ways: cases whose glibc text is known (ties to
 * even, signed zeros, exponent layout), and many random and tie-prone values
 * against a slow reference that expands each double exactly with BigInt and
 * rounds half to even by the book.
 */
import { describe, expect, it } from 'vitest';
import { formatFixed, formatGeneral } from '../../../src/core/csv/printfFormat.ts';
import { rng } from '../../helpers/rng.ts';

/** |x| = scaled × 10^-fractionDigits, exactly. */
function exactDecimal(abs: number): { scaled: bigint; fractionDigits: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const raw = view.getBigUint64(0);
  const biased = Number((raw >> 52n) & 0x7ffn);
  const fraction = raw & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = biased === 0 ? -1074 : biased - 1075;
  return e >= 0 ? { scaled: mantissa << BigInt(e), fractionDigits: 0 } : { scaled: mantissa * 5n ** BigInt(-e), fractionDigits: -e };
}

/** scaled / 10^drop rounded half to even */
function roundHalfEven(scaled: bigint, drop: number): bigint {
  if (drop <= 0) return scaled * 10n ** BigInt(-drop);
  const d = 10n ** BigInt(drop);
  const q = scaled / d, twice = 2n * (scaled % d);
  return twice > d || (twice === d && (q & 1n) === 1n) ? q + 1n : q;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function referenceFixed(x: number, decimals: number): string {
  const { scaled, fractionDigits } = exactDecimal(Math.abs(x));
  const digits = roundHalfEven(scaled, fractionDigits - decimals).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  return sign(x) + (decimals > 0 ? `${whole}.${digits.slice(whole.length)}` : whole);
}

function referenceGeneral(x: number, p: number): string {
  if (x === 0) return `${sign(x)}0`;
  const { scaled, fractionDigits } = exactDecimal(Math.abs(x));
  let exponent = scaled.toString().length - 1 - fractionDigits;
  let digits = roundHalfEven(scaled, scaled.toString().length - p).toString();
  if (digits.length > p) {
    digits = digits.slice(0, p);
    exponent++;
  }
  // whole digits and fraction digits, the fraction without trailing zeros (and no point when empty)
  const join = (whole: string, fraction: string): string => {
    const kept = fraction.replace(/0+$/, '');
    return kept ? `${whole}.${kept}` : whole;
  };
  let text: string;
  if (exponent < -4 || exponent >= p) {
    text = `${join(digits[0], digits.slice(1))}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent >= 0) {
    text = join(digits.slice(0, exponent + 1), digits.slice(exponent + 1));
  } else {
    text = join('0', '0'.repeat(-exponent - 1) + digits);
  }
  return sign(x) + text;
}

describe('formatFixed (printf %.nf)', () => {
  it('rounds exact ties to the even digit, as glibc does (JavaScript\'s toFixed rounds them up)', () => {
    expect(formatFixed(0.5, 0)).toBe('0');
    expect(formatFixed(1.5, 0)).toBe('2');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(0.25, 1)).toBe('0.2');
    expect(formatFixed(0.75, 1)).toBe('0.8');
    expect(formatFixed(324.25, 1)).toBe('324.2');
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(0.0625, 3)).toBe('0.062');
    expect(formatFixed(-2.5, 0)).toBe('-2');
  });

  it('rounds the exact binary value otherwise (1.005 is below the tie)', () => {
    expect(formatFixed(1.005, 2)).toBe('1.00');
    expect(formatFixed(0.1, 20)).toBe('0.10000000000000000555');
  });

  it('keeps the sign of negative zero and of negatives that round to zero', () => {
    expect(formatFixed(-0, 1)).toBe('-0.0');
    expect(formatFixed(-0.04, 1)).toBe('-0.0');
    expect(formatFixed(-0.0001, 3)).toBe('-0.000');
    expect(formatFixed(0, 2)).toBe('0.00');
  });

  it('writes huge values in full and non-finite values as glibc does', () => {
    expect(formatFixed(1e21, 1)).toBe('1000000000000000000000.0');
    expect(formatFixed(2 ** 80, 0)).toBe('1208925819614629174706176');
    expect(formatFixed(Infinity, 2)).toBe('inf');
    expect(formatFixed(-Infinity, 2)).toBe('-inf');
    expect(formatFixed(NaN, 2)).toBe('nan');
  });
});

describe('formatGeneral (printf %.pg)', () => {
  it('switches to the exponent style below 1e-4 and from 10^p, with two exponent digits', () => {
    expect(formatGeneral(1e-5, 10)).toBe('1e-05');
    expect(formatGeneral(0.0001, 10)).toBe('0.0001');
    expect(formatGeneral(1.5e-7, 10)).toBe('1.5e-07');
    expect(formatGeneral(12345678901, 10)).toBe('1.23456789e+10');
    expect(formatGeneral(1234567890, 10)).toBe('1234567890');
    expect(formatGeneral(1e100, 10)).toBe('1e+100');
  });

  it('drops trailing zeros and a bare point; zero is "0"', () => {
    expect(formatGeneral(0, 10)).toBe('0');
    expect(formatGeneral(-0, 10)).toBe('-0');
    expect(formatGeneral(2, 10)).toBe('2');
    expect(formatGeneral(0.5, 10)).toBe('0.5');
    expect(formatGeneral(Math.fround(0.9833333333), 10)).toBe('0.9833333492');
    expect(formatGeneral(19.233333333333334, 10)).toBe('19.23333333');
  });

  it('uses the exponent of the rounded value and rounds ties to even', () => {
    expect(formatGeneral(9.99999999999, 10)).toBe('10');
    expect(formatGeneral(0.000099999999999, 10)).toBe('0.0001');
    // 1 + 2^-10 · 5 = 1.0048828125 (11 digits, ends in 5): a tie at 10 digits
    expect(formatGeneral(1.0048828125, 10)).toBe('1.004882812');
    expect(formatGeneral(1.0048828125, 3)).toBe('1');
    expect(formatGeneral(0.125, 2)).toBe('0.12');
    expect(formatGeneral(2.5, 1)).toBe('2');
    expect(formatGeneral(35, 1)).toBe('4e+01');
    expect(formatGeneral(25, 1)).toBe('2e+01');
  });

  it('writes non-finite values as glibc does', () => {
    expect(formatGeneral(Infinity, 10)).toBe('inf');
    expect(formatGeneral(NaN, 10)).toBe('nan');
  });
});

describe('both, against an exact BigInt reference', () => {
  it('agree on random floats, doubles and tie-prone dyadic values', () => {
    const random = rng(2024);
    const values: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const k = i % 6;
      if (k === 0) values.push(Math.fround((random() - 0.5) * 1000));
      else if (k === 1) values.push(Math.fround((random() - 0.5) * 2e-3));
      else if (k === 2) values.push(Math.round((random() - 0.5) * 1e5) / 2 ** (1 + Math.floor(random() * 12)));
      else if (k === 3) values.push((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
      else if (k === 4) values.push(Math.round(random() * 2 ** 40) * 2 ** Math.floor(random() * 40 - 45));
      else values.push(Math.round(random() * 1e7) * 10 ** Math.floor(random() * 8 - 4) * (random() < 0.5 ? -1 : 1));
    }
    let mismatches = 0;
    for (const v of values) {
      for (const d of [0, 1, 2, 3, 6]) if (formatFixed(v, d) !== referenceFixed(v, d)) mismatches++;
      for (const p of [1, 3, 10, 17]) if (formatGeneral(v, p) !== referenceGeneral(v, p)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});
