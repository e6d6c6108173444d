/**
 * The 40x40 normal matrix JᵀJ of CalcParams (68 points, 34 modes) as
 * OpenBLAS's sgemm sums it (see calcParams.ts), in WebAssembly SIMD: two
 * entries per f64x2 vector. Each step is the
 * same arithmetic as the JavaScript path (two rows of H at a time, eight
 * entries of each per pass over J), a float fused multiply-add
 * emulated as a double product (exact for two floats), a double sum and a
 * rounding to float (f32x4.demote_f64x2_zero, then back), so both paths give
 * the same bits; this one is about four times faster. Null where WebAssembly
 * SIMD is missing.
 */

/** Parameters (6 global + 34 modes) the kernel is laid out for. */
export const KERNEL_PARAMS = 40;
/** Most Jacobian rows it holds (2 x 68 points). */
const MAX_ROWS = 136;

const J_BASE = 0;
const OUT_BASE = MAX_ROWS * KERNEL_PARAMS * 8;
const MASK_BASE = OUT_BASE + KERNEL_PARAMS * KERNEL_PARAMS * 8;

export interface HessianKernel {
  /**
   * Lower triangle (and diagonal) of JᵀJ for JT (40 rows of `rows` values,
   * the Jacobian transposed) into H (40x40, row-major; the upper triangle is
   * left as it was). `twoChain[a * 40 + b]` = 1 where entry (a, b) sums in two
   * chains (even and odd rows); it must be constant over each run of 8 b's
   * and the same for rows 2i and 2i + 1 (OpenBLAS's pattern is). The mask
   * is copied in when a different array is passed, so do not change one in place.
   */
  lowerTriangle(JT: Float64Array, rows: number, twoChain: Uint8Array, H: Float64Array): void;
}

let instance: HessianKernel | null | undefined;

/** The kernel, built on first use; null without WebAssembly SIMD. */
export function hessianKernel(): HessianKernel | null {
  if (instance !== undefined) return instance;
  instance = null;
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = kernelModule();
    if (!WebAssembly.validate(bytes)) return null;
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as {
      memory: WebAssembly.Memory;
      hessian(rows: number): void;
    };
    const f64 = new Float64Array(exports.memory.buffer);
    const u8 = new Uint8Array(exports.memory.buffer);
    const P = KERNEL_PARAMS;
    let maskLoaded: Uint8Array | null = null;
    instance = {
      lowerTriangle(JT, rows, twoChain, H) {
        if (rows > MAX_ROWS || rows % 2 !== 0) throw new RangeError(`hessianKernel: ${rows} rows (an even number up to ${MAX_ROWS})`);
        if (maskLoaded !== twoChain) {
          u8.set(twoChain, MASK_BASE);
          maskLoaded = twoChain;
        }
        // J row-major (row k holds the 40 parameters' derivatives), so two
        // neighbouring entries of a row of H load as one vector
        for (let a = 0; a < P; a++) {
          const src = a * rows;
          for (let k = 0, dst = J_BASE / 8 + a; k < rows; k++, dst += P) f64[dst] = JT[src + k];
        }
        exports.hessian(rows);
        const out = OUT_BASE / 8;
        for (let a = 0; a < P; a++) for (let b = 0; b <= a; b++) H[a * P + b] = f64[out + a * P + b];
      },
    };
  } catch {
    instance = null;
  }
  return instance;
}

function kernelModule(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number): number[] => {
    const b: number[] = [];
    do {
      let x = n & 0x7f;
      n >>>= 7;
      if (n !== 0) x |= 0x80;
      b.push(x);
    } while (n !== 0);
    return b;
  };
  const sleb = (n: number): number[] => {
    const b: number[] = [];
    for (;;) {
      const x = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (x & 0x40) === 0) || (n === -1 && (x & 0x40) !== 0)) {
        b.push(x);
        return b;
      }
      b.push(x | 0x80);
    }
  };
  const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
  const get = (l: number): number[] => [0x20, ...uleb(l)];
  const set = (l: number): number[] => [0x21, ...uleb(l)];
  const i32 = (v: number): number[] => [0x41, ...sleb(v)];
  const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_LT_S = 0x48, I32_LE_S = 0x4c, I32_EQZ = 0x45;
  const V128_LOAD = 0x00, V128_STORE = 0x0b, V128_CONST = 0x0c, F64X2_SPLAT = 0x14;
  const F32X4_DEMOTE = 0x5e, F64X2_PROMOTE = 0x5f, F64X2_ADD = 0xf0, F64X2_MUL = 0xf2;
  const zero = simd(V128_CONST, ...new Array<number>(16).fill(0));
  const P = KERNEL_PARAMS, ROW = P * 8;

  // Rows a and a + 1 of H go together (eight vectors of two entries: enough
  // independent chains to hide the float rounding's latency); the two share
  // their chain kind for every even a.
  // param 0: rows. i32 locals 1-6: a, b0, k, px (address of J[k][a]), py (of J[k][b0]), end.
  // v128 locals 7-22: accumulators, row a even k 7-10, row a + 1 even k 11-14,
  // row a odd k 15-18, row a + 1 odd k 19-22; 23-26: splats of J[k][a], J[k][a+1], J[k+1][a], J[k+1][a+1].
  const code: number[] = [];
  const emit = (...b: number[]): void => {
    code.push(...b);
  };
  /** acc = float(acc + x * load(py + offset)) */
  const step = (acc: number, x: number, offset: number): void => {
    emit(...get(x), ...get(5), ...simd(V128_LOAD, 4, ...uleb(offset)), ...simd(F64X2_MUL));
    emit(...get(acc), ...simd(F64X2_ADD), ...simd(F32X4_DEMOTE), ...simd(F64X2_PROMOTE), ...set(acc));
  };
  const splat = (x: number, offset: number): void => {
    emit(...get(4), 0x2b /* f64.load */, 3, ...uleb(offset), ...simd(F64X2_SPLAT), ...set(x));
  };
  const advance = (bytes: number): void => {
    for (const l of [4, 5, 3]) emit(...get(l), ...i32(bytes), I32_ADD, ...set(l));
  };
  emit(...get(0), ...i32(ROW), I32_MUL, ...set(6)); // end = rows * ROW (bytes of J)
  emit(...i32(0), ...set(1));
  emit(0x03, 0x40); // loop over a (step 2)
  emit(...i32(0), ...set(2));
  emit(0x03, 0x40); // loop over b0
  for (let v = 7; v <= 22; v++) emit(...zero, ...set(v));
  emit(...get(1), ...i32(8), I32_MUL, ...i32(J_BASE), I32_ADD, ...set(4)); // px = J + 8a
  emit(...get(2), ...i32(8), I32_MUL, ...i32(J_BASE), I32_ADD, ...set(5)); // py = J + 8 b0
  emit(...i32(0), ...set(3)); // k = 0 (in bytes of J rows)
  emit(...get(1), ...i32(P), I32_MUL, ...get(2), I32_ADD, 0x2d /* i32.load8_u */, 0, ...uleb(MASK_BASE));
  emit(I32_EQZ, 0x04, 0x40); // if one chain
  emit(0x03, 0x40); // loop over k
  splat(23, 0);
  splat(24, 8);
  for (let v = 0; v < 4; v++) step(7 + v, 23, 16 * v);
  for (let v = 0; v < 4; v++) step(11 + v, 24, 16 * v);
  advance(ROW);
  emit(...get(3), ...get(6), I32_LT_S, 0x0d, 0); // br_if loop k
  emit(0x0b); // end loop k
  emit(0x05); // else: even and odd rows of J in two chains
  emit(0x03, 0x40);
  splat(23, 0);
  splat(24, 8);
  splat(25, ROW);
  splat(26, ROW + 8);
  for (let v = 0; v < 4; v++) step(7 + v, 23, 16 * v);
  for (let v = 0; v < 4; v++) step(11 + v, 24, 16 * v);
  for (let v = 0; v < 4; v++) step(15 + v, 25, ROW + 16 * v);
  for (let v = 0; v < 4; v++) step(19 + v, 26, ROW + 16 * v);
  advance(2 * ROW);
  emit(...get(3), ...get(6), I32_LT_S, 0x0d, 0);
  emit(0x0b); // end loop k
  for (let v = 0; v < 8; v++) {
    emit(...get(7 + v), ...get(15 + v), ...simd(F64X2_ADD), ...simd(F32X4_DEMOTE), ...simd(F64X2_PROMOTE), ...set(7 + v));
  }
  emit(0x0b); // end if
  // store rows a and a + 1, columns b0 .. b0 + 7
  for (let r = 0; r < 2; r++) {
    for (let v = 0; v < 4; v++) {
      emit(...get(1), ...i32(P), I32_MUL, ...get(2), I32_ADD, ...i32(8), I32_MUL, ...get(7 + 4 * r + v), ...simd(V128_STORE, 4, ...uleb(OUT_BASE + r * ROW + 16 * v)));
    }
  }
  emit(...get(2), ...i32(8), I32_ADD, ...set(2));
  emit(...get(2), ...get(1), ...i32(1), I32_ADD, I32_LE_S, 0x0d, 0); // br_if loop b0 while b0 <= a + 1
  emit(0x0b); // end loop b0
  emit(...get(1), ...i32(2), I32_ADD, ...set(1));
  emit(...get(1), ...i32(P), I32_LT_S, 0x0d, 0); // br_if loop a
  emit(0x0b); // end loop a
  emit(0x0b); // end function

  const body = [0x02, 0x06, 0x7f, 0x14, 0x7b, ...code]; // locals: 6 x i32, 20 x v128
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x00]), // type: (i32) -> ()
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, 0x01]), // memory: 1 page
    ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('hessian'), 0x00, 0x00]),
    ...section(10, [0x01, ...uleb(body.length), ...body]),
  ]);
}
