/**
 * The hot loops of the CLNF fit as small WebAssembly (SIMD) functions,
 * generated here byte by byte (no toolchain, no binary blob):
 *
 * Patch responses (one `landmark` call per landmark does all of them):
 * - `quad`: the area of interest (getQuadrangleSubPix), whose float32
 *   arithmetic is native here.
 * - `stats`: the area's double integral images and per-position window sums
 *   and norms (ccnfResponse.ts's matchTemplate statistics).
 * - `correlate8`: the CCNF neurons' correlation with the area of interest
 *   (`correlate7` in ccnfResponse.ts). The weights are interleaved 8 per
 *   template pixel (up to 8 neurons, zero-padded); four f64x2 accumulators per
 *   response position hold the 8 running sums, and two neighbouring positions
 *   share the weight loads. (The validator's CNN convolutions use it too.)
 * - `activate`: the CCNF neurons' normalisation and sigmoid for every response
 *   position, straight from `correlate8`'s output, with ccnfExp.ts's
 *   exponential, into matvec's input; two positions per f64x2.
 * - `matvec`: y = Sigma·x for the CCNF's Sigma matrices (stored as float32,
 *   which they are), each row's sum split into even and odd columns, four rows
 *   at a time.
 * - `finish`: the float response map, shifted to a zero minimum, into the
 *   landmark's slot, where `meanShift` finds it.
 * NU-RLMS and CalcParams iterations:
 * - `meanShift`: the KDE mean shifts (meanShift.ts), in native float32.
 * - `shape3d`, `jacobian`: the PDM's 3D shape and its float Jacobian
 *   (../pdm/shape.ts, ../pdm/fitPdm.ts) from the PDM's matrices in memory.
 * - `solve`: one regularised step, pdmOps.ts's `regularisedStep`: Jᵀv, the
 *   normal equations (`normal`: the lower triangle of H = A·Bᵀ, two rows by
 *   four columns at a time, each sum split into even and odd rows, the two
 *   f64x2 lanes, added at the end) and OpenCV's float Cholesky solve.
 * Set-up:
 * - `invert`: the double inverse of each CCNF SigmaInv (smallLinalg.ts), of
 *   which a tracker needs about a thousand, up to 121 x 121, when it starts.
 *
 * Large constant data (each patch expert's weights and Sigma matrices, the
 * KDE tables, the PDMs) stays in the module's memory once copied there
 * (`store`), the frame is copied once per frame (`useImage`), and the
 * Jacobians are built where the solve reads them, so a call only copies
 * small inputs and outputs.
 *
 * Every operation is the one the TypeScript version performs, in the same
 * order per result (WebAssembly has no fused multiply-add; float32 results
 * of single operations on float32 values are the same whether computed in
 * float or in double and rounded), so both give bit-identical results; the
 * tests check that (tests/core/clnf/wasmKernels.test.ts). Where a kernel
 * computes several results side by side it only changes which results are
 * computed together, never the order of any one sum. Where WebAssembly SIMD
 * is missing the TypeScript versions run instead.
 */

import type { GrayImage } from '../image.ts';
import type { Pdm } from '../pdm/pdm.ts';
import { euler2RotationMatrix } from '../pdm/rotation.ts';
import { EXP_COEFFS, EXP_LIMIT, INV_LN2, LN2_HI, LN2_LO } from './ccnfExp.ts';

// memory layout (f64 element offsets)
const MAX_TEMPLATE = 32 * 32;
const MAX_AOI = 64 * 64;
const MAX_POSITIONS = 64 * 64;
const MAX_P = 64;
const MAX_ROWS = 512;
const AOI_AT = 0;
const CORR_AT = AOI_AT + MAX_AOI;
const A_AT = CORR_AT + MAX_POSITIONS * 8;
const B_AT = A_AT + MAX_P * MAX_ROWS;
const H_AT = B_AT + MAX_P * MAX_ROWS;
const X_AT = H_AT + MAX_P * MAX_P;
const Y_AT = X_AT + MAX_POSITIONS;
const T_AT = Y_AT + MAX_POSITIONS;
const WN_AT = T_AT + MAX_POSITIONS;
const R_AT = WN_AT + MAX_POSITIONS;
// `solve`'s inputs, outputs and factor
const V_AT = R_AT + 8;
const G_AT = V_AT + MAX_ROWS;
const REG_AT = G_AT + MAX_P;
const LOC_AT = REG_AT + MAX_P;
const L_AT = LOC_AT + MAX_P;
// `stats`'s integral images ((64 + 1)² each) and `finish`'s float32 map
const SUM_AT = L_AT + MAX_P * MAX_P + 2;
const SQ_AT = SUM_AT + 65 * 65 + 1;
const OUT_AT = SQ_AT + 65 * 65 + 1;
// the response maps of one model's landmarks (float32 slots) and `meanShift`'s inputs and output
const MAX_LANDMARKS = 128;
const SLOT_FLOATS = 256;
const RESP_AT = OUT_AT + MAX_POSITIONS / 2;
const DXS_AT = RESP_AT + (MAX_LANDMARKS * SLOT_FLOATS) / 2;
const DYS_AT = DXS_AT + MAX_LANDMARKS;
const MS_AT = DYS_AT + MAX_LANDMARKS;
const VIS_AT = MS_AT + 2 * MAX_LANDMARKS;
// `shape3d`'s local parameters and 3D shape (up to MAX_ROWS / 2 points)
const PLOC_AT = VIS_AT + MAX_LANDMARKS / 8;
const S3_AT = PLOC_AT + MAX_P;
// f64x2 constants the kernels load from memory (see Body.konst)
const KONST_AT = S3_AT + (3 * MAX_ROWS) / 2 + 2;
const MAX_KONSTANTS = 64;
/** start of the resident data (weights, Sigma matrices), 16-byte aligned */
const RESIDENT_AT = KONST_AT + 2 * MAX_KONSTANTS;

/**
 * The values behind Body.konst, in table order; filled while the module is
 * generated and written to KONST_AT (each value twice) when it is instantiated.
 */
const konstants: number[] = [];
/** OpenCV's pivot threshold for float Cholesky (linalg.ts's FLT_EPSILON) */
const FLT_EPSILON_VALUE = 1.1920928955078125e-7;
const PAGE_DOUBLES = 65536 / 8;

// --- a minimal WebAssembly binary writer -----------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function wasmName(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const F64_LOAD = 0x2b, F64_STORE = 0x39, I32_CONST = 0x41;
const I32_GE_S = 0x4e, I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_SHL = 0x74;
const F64_ADD = 0xa0;
const V128_LOAD = 0x00, V128_STORE = 0x0b, V128_CONST = 0x0c, F64X2_EXTRACT_LANE = 0x21, F64X2_SPLAT = 0x14, F64X2_ADD = 0xf0, F64X2_MUL = 0xf2;
const F64X2_LT = 0x49, F64X2_GT = 0x4a, V128_BITSELECT = 0x52, F32X4_DEMOTE = 0x5e, F64X2_PROMOTE = 0x5f, F64X2_NEAREST = 0x94;
const F64X2_ABS = 0xec, F64X2_NEG = 0xed, F64X2_SUB = 0xf1, F64X2_DIV = 0xf3, F64X2_PMIN = 0xf6, F64X2_PMAX = 0xf7;
const I64X2_SHL = 0xcb;
const F32_DEMOTE_F64 = 0xb6, F64_PROMOTE_F32 = 0xbb;

/** Emits one function body: locals are numbered after the parameters. */
class Body {
  readonly code: number[] = [];
  emit(...b: number[]): void {
    this.code.push(...b);
  }
  get(l: number): void {
    this.emit(LOCAL_GET, ...uleb(l));
  }
  set(l: number): void {
    this.emit(LOCAL_SET, ...uleb(l));
  }
  i32(v: number): void {
    this.emit(I32_CONST, ...sleb(v));
  }
  simd(code: number, ...imm: number[]): void {
    this.emit(0xfd, ...uleb(code), ...imm);
  }
  /** local += value (i32) */
  addTo(l: number, value: number): void {
    this.get(l);
    this.i32(value);
    this.emit(I32_ADD);
    this.set(l);
  }
  /** byte address base + index_local * 8 on the stack */
  address(base: number, index: number): void {
    this.get(index);
    this.i32(3);
    this.emit(I32_SHL);
    this.i32(base * 8);
    this.emit(I32_ADD);
  }
  /** block { loop { if (a >= b) break; body; continue } } */
  whileLess(a: number, b: number, body: () => void): void {
    this.emit(BLOCK, VOID, LOOP, VOID);
    this.get(a);
    this.get(b);
    this.emit(I32_GE_S, BR_IF, 1);
    body();
    this.emit(BR, 0, END, END);
  }
  /** v128.const of (a, a) as f64x2 */
  f64x2(a: number): void {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setFloat64(0, a, true);
    dv.setFloat64(8, a, true);
    this.simd(V128_CONST, ...b);
  }
  /**
   * (a, a) as f64x2 loaded from the constant table: in a hot loop one load
   * is much cheaper than the instructions V8 needs to build a v128.const
   */
  konst(a: number): void {
    let i = konstants.findIndex((v) => Object.is(v, a));
    if (i < 0) {
      i = konstants.length;
      if (i >= MAX_KONSTANTS) throw new RangeError('WebAssembly kernels: constant table full');
      konstants.push(a);
    }
    this.i32(0);
    this.simd(V128_LOAD, ...memarg(4, KONST_AT * 8 + 16 * i));
  }
  zeroV128(l: number): void {
    this.simd(V128_CONST, ...new Array<number>(16).fill(0));
    this.set(l);
  }
  /** acc = acc + x * y (f64x2) */
  mulAdd(acc: number, x: number, y: number): void {
    this.get(acc);
    this.get(x);
    this.get(y);
    this.simd(F64X2_MUL);
    this.simd(F64X2_ADD);
    this.set(acc);
  }
}

const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

interface FunctionBody {
  /** parameter value types */
  readonly params: readonly number[];
  /** result value types (none when absent) */
  readonly results?: readonly number[];
  /** encoded local declarations */
  readonly locals: readonly number[];
  readonly code: readonly number[];
}

const F32 = 0x7d, F64 = 0x7c;

/**
 * correlate8(aw, rw, rh, tw, th, w): out[(i*rw + j)*8 + k] =
 * Σ_ky Σ_kx aoi[(i+ky)*aw + j+kx] · w[(ky*tw + kx)*8 + k], sums in template
 * row-major order.
 */
function correlateBody(): FunctionBody {
  const AW = 0, RW = 1, RH = 2, TW = 3, TH = 4, WB = 5; // WB: byte address of the weights
  const I = 6, J = 7, KY = 8, SRC = 9, ROW_END = 10, WQ = 11, OUTP = 12, J1 = 13;
  const A = 14, B = 18, V = 22, U = 23, W = 24; // v128
  const f = new Body();

  const positions = (two: boolean): void => {
    for (let k = 0; k < (two ? 8 : 4); k++) f.zeroV128(A + k);
    f.get(WB);
    f.set(WQ);
    // src = AOI + (i*aw + j) * 8
    f.get(I); f.get(AW); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.i32(AOI_AT * 8); f.emit(I32_ADD); f.set(SRC);
    f.i32(0);
    f.set(KY);
    f.whileLess(KY, TH, () => {
      f.get(SRC); f.get(TW); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.set(ROW_END);
      f.whileLess(SRC, ROW_END, () => {
        f.get(SRC); f.emit(F64_LOAD, ...memarg(3, 0)); f.simd(F64X2_SPLAT); f.set(V);
        if (two) {
          f.get(SRC); f.emit(F64_LOAD, ...memarg(3, 8)); f.simd(F64X2_SPLAT); f.set(U);
        }
        for (let k = 0; k < 4; k++) {
          f.get(WQ); f.simd(V128_LOAD, ...memarg(4, 16 * k)); f.set(W);
          f.mulAdd(A + k, V, W);
          if (two) f.mulAdd(B + k, U, W);
        }
        f.addTo(WQ, 64);
        f.addTo(SRC, 8);
      });
      // next template row: src += (aw - tw) * 8
      f.get(SRC); f.get(AW); f.get(TW); f.emit(I32_SUB); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.set(SRC);
      f.addTo(KY, 1);
    });
    // out position (i*rw + j) * 64 bytes
    f.get(I); f.get(RW); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(6); f.emit(I32_SHL); f.i32(CORR_AT * 8); f.emit(I32_ADD); f.set(OUTP);
    for (let k = 0; k < (two ? 8 : 4); k++) {
      f.get(OUTP); f.get(A + k); f.simd(V128_STORE, ...memarg(4, 16 * k));
    }
  };

  f.i32(0);
  f.set(I);
  f.whileLess(I, RH, () => {
    f.i32(0);
    f.set(J);
    // pairs of positions while j + 1 < rw
    f.emit(BLOCK, VOID, LOOP, VOID);
    f.get(J); f.i32(1); f.emit(I32_ADD); f.set(J1);
    f.get(J1); f.get(RW); f.emit(I32_GE_S, BR_IF, 1);
    positions(true);
    f.addTo(J, 2);
    f.emit(BR, 0, END, END);
    // a last single position when rw is odd
    f.emit(BLOCK, VOID);
    f.get(J); f.get(RW); f.emit(I32_GE_S, BR_IF, 0);
    positions(false);
    f.emit(END);
    f.addTo(I, 1);
  });
  return { params: [I32, I32, I32, I32, I32, I32], locals: [...uleb(2), ...uleb(8), I32, ...uleb(11), V128], code: f.code };
}

/**
 * normal(P, rows, a, b): for j ≤ i, H[i*P + j] = (Σ_{r even} A[i][r]·B[j][r]) +
 * (Σ_{r odd} A[i][r]·B[j][r]), rows even; A and B are P x rows, row-major,
 * at byte addresses a and b (they may be the same), H at H_AT. Rows i and
 * i + 1 are done together against four columns j at a time (8 accumulators:
 * each B load serves two rows), which also fills H[i][i + 1] of the upper
 * triangle with a value nobody reads (`solve` mirrors the lower triangle
 * over it).
 */
function normalBody(): FunctionBody {
  const P = 0, ROWS = 1, AA = 2, BB = 3;
  const I = 4, J = 5, R = 6, ROWB = 7, A0 = 8, A1 = 9, B0 = 10, JN = 14, HP = 15, SECOND = 16; // i32 (B0..B0+3)
  const S = 17, X0 = 25, X1 = 26, Y = 27; // v128: S..S+3 row i, S+4..S+7 row i+1
  const f = new Body();

  const lane = (acc: number, offset: number): void => {
    // (lane 0 + lane 1) stored at HP + offset
    f.get(HP);
    f.get(acc); f.simd(F64X2_EXTRACT_LANE, 0);
    f.get(acc); f.simd(F64X2_EXTRACT_LANE, 1);
    f.emit(F64_ADD);
    f.emit(F64_STORE, ...memarg(3, offset));
  };
  /** accumulates columns B0..B0+count-1 against rows A0, A1 over all rows r */
  const columns = (count: number): void => {
    for (let k = 0; k < count; k++) {
      f.zeroV128(S + k);
      f.zeroV128(S + 4 + k);
    }
    f.get(J); f.get(ROWB); f.emit(I32_MUL); f.get(BB); f.emit(I32_ADD); f.set(B0);
    for (let k = 1; k < count; k++) {
      f.get(B0 + k - 1); f.get(ROWB); f.emit(I32_ADD); f.set(B0 + k);
    }
    f.i32(0);
    f.set(R);
    // (unrolling this loop measured slower: TurboFan then hoists every
    // load and spills the accumulators)
    f.whileLess(R, ROWB, () => {
      f.get(A0); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(X0);
      f.get(A1); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(X1);
      for (let k = 0; k < count; k++) {
        f.get(B0 + k); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(Y);
        f.mulAdd(S + k, X0, Y);
        f.mulAdd(S + 4 + k, X1, Y);
      }
      f.addTo(R, 16);
    });
    // HP = H + (i*P + j) * 8; row i + 1 follows P entries on
    f.get(I); f.get(P); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.i32(H_AT * 8); f.emit(I32_ADD); f.set(HP);
    for (let k = 0; k < count; k++) lane(S + k, 8 * k);
    f.get(SECOND);
    f.emit(0x04 /* if */, VOID);
    f.get(HP); f.get(P); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.set(HP);
    for (let k = 0; k < count; k++) lane(S + 4 + k, 8 * k);
    f.emit(END);
  };

  f.get(ROWS); f.i32(3); f.emit(I32_SHL); f.set(ROWB);
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    // second = i + 1 < P; a1 = the next row, or row i again (computed, not stored)
    f.get(I); f.i32(1); f.emit(I32_ADD); f.get(P); f.emit(0x48 /* i32.lt_s */); f.set(SECOND);
    f.get(I); f.get(ROWB); f.emit(I32_MUL); f.get(AA); f.emit(I32_ADD); f.set(A0);
    f.get(A0); f.get(ROWB); f.emit(I32_ADD); f.get(A0); f.get(SECOND); f.emit(0x1b /* select */); f.set(A1);
    // columns j < i + 1 + second
    f.get(I); f.i32(1); f.emit(I32_ADD); f.get(SECOND); f.emit(I32_ADD); f.set(JN);
    f.i32(0);
    f.set(J);
    // four columns while j + 4 <= jn
    f.emit(BLOCK, VOID, LOOP, VOID);
    f.get(J); f.i32(4); f.emit(I32_ADD); f.get(JN); f.emit(0x4a /* i32.gt_s */, BR_IF, 1);
    columns(4);
    f.addTo(J, 4);
    f.emit(BR, 0, END, END);
    // the remaining columns one at a time
    f.whileLess(J, JN, () => {
      columns(1);
      f.addTo(J, 1);
    });
    f.addTo(I, 2);
  });
  return { params: [I32, I32, I32, I32], locals: [...uleb(2), ...uleb(13), I32, ...uleb(11), V128], code: f.code };
}

/**
 * solve(P, rows, modes, a, b) → 1, or 0 when the Cholesky factorisation
 * fails: one regularised Gauss-Newton / NU-RLMS step (pdmOps.ts's
 * `regularisedStep` with its TypeScript normal equations and
 * linalg.ts's `choleskySolve` in float), g at G_AT becomes Δp:
 *   g[p] = float(Σ_r A[p][r]·v[r]) (v at V_AT; four rows at a time, each
 *   summed in row order), g[6+j] = float(g[6+j] - float(reg[j]·loc[j]));
 *   H = `normal`(A, B), each lower entry rounded to float and mirrored,
 *   H[6+j][6+j] = float(H + reg[j]);
 *   OpenCV's CholImpl in float: L[i][j] = float((H[i][j] - Σ_k<j float(L[i][k]·L[j][k]))
 *   · L[j][j]), L[j][j] = float(1 / sqrt(H[j][j] - Σ_k<j L[j][k]²)) (fails
 *   unless ≥ FLT_EPSILON), then the two triangular solves.
 * Each factor entry is the same sum in the same order as OpenCV's row-by-row
 * loop, so the order in which entries are computed is free: here column by
 * column (L stored transposed at L_AT), two rows per f64x2, which keeps many
 * independent chains in flight. An odd row count lets the last pair's second
 * lane read and write one entry of the unused upper triangle.
 */
function solveBody(): FunctionBody {
  const P = 0, ROWS = 1, MODES = 2, AA = 3, BB = 4;
  const I = 5, K = 6, R = 7, ROWB = 8, P0 = 9, J = 13, N8 = 14, PY = 15, PJ = 16, T = 17, IP1 = 18; // i32 (P0..P0+3)
  const S0 = 19, X = 23, D = 24; // f64 (S0..S0+3)
  const ACC = 25, DD = 26, ACC2 = 27, LJ = 28; // v128
  const F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3, F64_SQRT = 0x9f, F64_GE = 0x66, I32_EQZ = 0x45, IF = 0x04, RETURN = 0x0f, CALL = 0x10;
  const V128_LOAD64_SPLAT = 0x0a;
  const f = new Body();
  const f32r = (): void => f.emit(F32_DEMOTE_F64, F64_PROMOTE_F32);
  const f32r2 = (): void => {
    f.simd(F32X4_DEMOTE);
    f.simd(F64X2_PROMOTE);
  };
  const load = (base: number): void => f.emit(F64_LOAD, ...memarg(3, base * 8));
  const f64 = (v: number): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    f.emit(0x44, ...b);
  };
  /** f64 local = 0 */
  const zero = (l: number): void => {
    f64(0);
    f.set(l);
  };

  f.get(ROWS); f.i32(3); f.emit(I32_SHL); f.set(ROWB);
  f.get(P); f.i32(3); f.emit(I32_SHL); f.set(N8);

  // g = A·v, four rows at a time
  f.i32(0);
  f.set(I);
  f.emit(BLOCK, VOID, LOOP, VOID);
  f.get(I); f.i32(4); f.emit(I32_ADD); f.get(P); f.emit(0x4a /* i32.gt_s */, BR_IF, 1);
  f.get(I); f.get(ROWB); f.emit(I32_MUL); f.get(AA); f.emit(I32_ADD); f.set(P0);
  for (let k = 1; k < 4; k++) {
    f.get(P0 + k - 1); f.get(ROWB); f.emit(I32_ADD); f.set(P0 + k);
  }
  for (let k = 0; k < 4; k++) zero(S0 + k);
  f.i32(0);
  f.set(R);
  f.whileLess(R, ROWB, () => {
    f.get(R); load(V_AT); f.set(X);
    for (let k = 0; k < 4; k++) {
      f.get(S0 + k);
      f.get(P0 + k); f.get(R); f.emit(I32_ADD); load(0);
      f.get(X);
      f.emit(F64_MUL, F64_ADD);
      f.set(S0 + k);
    }
    f.addTo(R, 8);
  });
  for (let k = 0; k < 4; k++) {
    f.get(I); f.i32(3); f.emit(I32_SHL);
    f.get(S0 + k); f32r();
    f.emit(F64_STORE, ...memarg(3, (G_AT + k) * 8));
  }
  f.addTo(I, 4);
  f.emit(BR, 0, END, END);
  f.whileLess(I, P, () => {
    f.get(I); f.get(ROWB); f.emit(I32_MUL); f.get(AA); f.emit(I32_ADD); f.set(P0);
    zero(S0);
    f.i32(0);
    f.set(R);
    f.whileLess(R, ROWB, () => {
      f.get(S0);
      f.get(P0); f.get(R); f.emit(I32_ADD); load(0);
      f.get(R); load(V_AT);
      f.emit(F64_MUL, F64_ADD);
      f.set(S0);
      f.addTo(R, 8);
    });
    f.get(I); f.i32(3); f.emit(I32_SHL);
    f.get(S0); f32r();
    f.emit(F64_STORE, ...memarg(3, G_AT * 8));
    f.addTo(I, 1);
  });
  // g[6+j] -= float(reg[j] * loc[j])
  f.i32(0);
  f.set(J);
  f.whileLess(J, MODES, () => {
    f.get(J); f.i32(3); f.emit(I32_SHL); f.set(T);
    f.get(T);
    f.get(T); load(G_AT + 6);
    f.get(T); load(REG_AT); f.get(T); load(LOC_AT); f.emit(F64_MUL); f32r();
    f.emit(F64_SUB); f32r();
    f.emit(F64_STORE, ...memarg(3, (G_AT + 6) * 8));
    f.addTo(J, 1);
  });
  // H = A·Bᵀ, rounded to float and mirrored; regularised diagonal
  f.get(P); f.get(ROWS); f.get(AA); f.get(BB); f.emit(CALL, 1);
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    f.get(I); f.i32(1); f.emit(I32_ADD); f.set(IP1);
    f.i32(0);
    f.set(J);
    f.whileLess(J, IP1, () => {
      // x = float(H[i][j]); H[i][j] = H[j][i] = x
      f.get(I); f.get(P); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(T);
      f.get(T); load(H_AT); f32r(); f.set(X);
      f.get(T); f.get(X); f.emit(F64_STORE, ...memarg(3, H_AT * 8));
      f.get(J); f.get(P); f.emit(I32_MUL); f.get(I); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL);
      f.get(X); f.emit(F64_STORE, ...memarg(3, H_AT * 8));
      f.addTo(J, 1);
    });
    f.addTo(I, 1);
  });
  f.i32(0);
  f.set(J);
  f.whileLess(J, MODES, () => {
    // t = ((6 + j) * (P + 1)) * 8
    f.get(J); f.i32(6); f.emit(I32_ADD); f.get(P); f.i32(1); f.emit(I32_ADD); f.emit(I32_MUL); f.i32(3); f.emit(I32_SHL); f.set(T);
    f.get(T);
    f.get(T); load(H_AT); f.get(J); f.i32(3); f.emit(I32_SHL); load(REG_AT); f.emit(F64_ADD); f32r();
    f.emit(F64_STORE, ...memarg(3, H_AT * 8));
    f.addTo(J, 1);
  });

  // Cholesky, column by column
  f.i32(0);
  f.set(J);
  f.whileLess(J, P, () => {
    // s = H[j][j] - Σ_k<j L[j][k]² (unrounded squares, as OpenCV)
    f.get(J); f.get(P); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(T);
    f.get(T); load(H_AT); f.set(S0);
    f.get(J); f.i32(3); f.emit(I32_SHL); f.set(PJ);
    f.i32(0);
    f.set(K);
    f.whileLess(K, J, () => {
      f.get(PJ); load(L_AT); f.set(X);
      f.get(S0); f.get(X); f.get(X); f.emit(F64_MUL, F64_SUB); f.set(S0);
      f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
      f.addTo(K, 1);
    });
    f.get(S0); f64(FLT_EPSILON_VALUE); f.emit(F64_GE, I32_EQZ, IF, VOID);
    f.i32(0);
    f.emit(RETURN, END);
    f64(1); f.get(S0); f.emit(F64_SQRT, F64_DIV); f32r(); f.set(D);
    f.get(T); f.get(D); f.emit(F64_STORE, ...memarg(3, L_AT * 8));
    f.get(D); f.simd(F64X2_SPLAT); f.set(DD);
    // rows i > j: four at a time while they exist (two independent chains
    // sharing the L[j][k] loads), then two at a time
    f.get(J); f.i32(1); f.emit(I32_ADD); f.set(I);
    f.emit(BLOCK, VOID, LOOP, VOID);
    f.get(I); f.i32(3); f.emit(I32_ADD); f.get(P); f.emit(I32_GE_S, BR_IF, 1);
    f.get(J); f.get(P); f.emit(I32_MUL); f.get(I); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(T);
    f.get(T); f.simd(V128_LOAD, ...memarg(3, H_AT * 8)); f.set(ACC);
    f.get(T); f.simd(V128_LOAD, ...memarg(3, H_AT * 8 + 16)); f.set(ACC2);
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(PY);
    f.get(J); f.i32(3); f.emit(I32_SHL); f.set(PJ);
    f.i32(0);
    f.set(K);
    f.whileLess(K, J, () => {
      f.get(PJ); f.simd(V128_LOAD64_SPLAT, ...memarg(3, L_AT * 8)); f.set(LJ);
      f.get(ACC);
      f.get(PY); f.simd(V128_LOAD, ...memarg(3, L_AT * 8));
      f.get(LJ);
      f.simd(F64X2_MUL); f32r2();
      f.simd(F64X2_SUB); f.set(ACC);
      f.get(ACC2);
      f.get(PY); f.simd(V128_LOAD, ...memarg(3, L_AT * 8 + 16));
      f.get(LJ);
      f.simd(F64X2_MUL); f32r2();
      f.simd(F64X2_SUB); f.set(ACC2);
      f.get(PY); f.get(N8); f.emit(I32_ADD); f.set(PY);
      f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
      f.addTo(K, 1);
    });
    f.get(T); f.get(ACC); f.get(DD); f.simd(F64X2_MUL); f32r2(); f.simd(V128_STORE, ...memarg(3, L_AT * 8));
    f.get(T); f.get(ACC2); f.get(DD); f.simd(F64X2_MUL); f32r2(); f.simd(V128_STORE, ...memarg(3, L_AT * 8 + 16));
    f.addTo(I, 4);
    f.emit(BR, 0, END, END);
    f.whileLess(I, P, () => {
      // acc = H[j][i..i+1] (= H[i..i+1][j], mirrored)
      f.get(J); f.get(P); f.emit(I32_MUL); f.get(I); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(T);
      f.get(T); f.simd(V128_LOAD, ...memarg(3, H_AT * 8)); f.set(ACC);
      f.get(I); f.i32(3); f.emit(I32_SHL); f.set(PY);
      f.get(J); f.i32(3); f.emit(I32_SHL); f.set(PJ);
      f.i32(0);
      f.set(K);
      f.whileLess(K, J, () => {
        // acc -= float(L[i..i+1][k] · L[j][k])
        f.get(ACC);
        f.get(PY); f.simd(V128_LOAD, ...memarg(3, L_AT * 8));
        f.get(PJ); f.simd(V128_LOAD64_SPLAT, ...memarg(3, L_AT * 8));
        f.simd(F64X2_MUL); f32r2();
        f.simd(F64X2_SUB); f.set(ACC);
        f.get(PY); f.get(N8); f.emit(I32_ADD); f.set(PY);
        f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
        f.addTo(K, 1);
      });
      f.get(T); f.get(ACC); f.get(DD); f.simd(F64X2_MUL); f32r2(); f.simd(V128_STORE, ...memarg(3, L_AT * 8));
      f.addTo(I, 2);
    });
    f.addTo(J, 1);
  });
  // L y = g
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(T);
    f.get(T); load(G_AT); f.set(S0);
    f.get(T); f.set(PY);
    f.i32(0);
    f.set(K);
    f.whileLess(K, I, () => {
      f.get(S0);
      f.get(PY); load(L_AT); f.get(K); f.i32(3); f.emit(I32_SHL); load(G_AT); f.emit(F64_MUL); f32r();
      f.emit(F64_SUB); f.set(S0);
      f.get(PY); f.get(N8); f.emit(I32_ADD); f.set(PY);
      f.addTo(K, 1);
    });
    // g[i] = float(s * L[i][i]); L[i][i] at (i*P + i) * 8 = PY here
    f.get(T); f.get(S0); f.get(PY); load(L_AT); f.emit(F64_MUL); f32r(); f.emit(F64_STORE, ...memarg(3, G_AT * 8));
    f.addTo(I, 1);
  });
  // Lᵀ x = y
  f.get(P); f.i32(1); f.emit(I32_SUB); f.set(I);
  f.emit(BLOCK, VOID, LOOP, VOID);
  f.get(I); f.i32(0); f.emit(0x48 /* i32.lt_s */, BR_IF, 1);
  f.get(I); f.i32(3); f.emit(I32_SHL); f.set(T);
  f.get(T); load(G_AT); f.set(S0);
  f.get(P); f.i32(1); f.emit(I32_SUB); f.set(K);
  // L[k][i] = Lt[i*P + k]
  f.get(I); f.get(P); f.emit(I32_MUL); f.get(K); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(PY);
  f.emit(BLOCK, VOID, LOOP, VOID);
  f.get(K); f.get(I); f.emit(0x4c /* i32.le_s */, BR_IF, 1);
  f.get(S0);
  f.get(PY); load(L_AT); f.get(K); f.i32(3); f.emit(I32_SHL); load(G_AT); f.emit(F64_MUL); f32r();
  f.emit(F64_SUB); f.set(S0);
  f.addTo(PY, -8);
  f.addTo(K, -1);
  f.emit(BR, 0, END, END);
  // PY is at (i*P + i) * 8 now
  f.get(T); f.get(S0); f.get(PY); load(L_AT); f.emit(F64_MUL); f32r(); f.emit(F64_STORE, ...memarg(3, G_AT * 8));
  f.addTo(I, -1);
  f.emit(BR, 0, END, END);
  f.i32(1);
  return { params: [I32, I32, I32, I32, I32], results: [I32], locals: [...uleb(3), ...uleb(14), I32, ...uleb(6), F64, ...uleb(4), V128], code: f.code };
}

/**
 * matvec(m, n): y[r] = (Σ_{c even} M[r][c]·x[c]) + (Σ_{c odd} M[r][c]·x[c]),
 * M (n x n, row-major, float32 — the CCNF Sigma matrices are float values,
 * so this is the same product with half the memory traffic) at byte address
 * m, x at X_AT, y at Y_AT; an odd last column joins the even sum. Four rows
 * at a time: their chains run side by side and share the x loads (each
 * row's sums keep their order).
 */
function matvecBody(): FunctionBody {
  const M = 0, N = 1;
  const R = 2, C = 3, ROW = 4, PAIRS = 5, YP = 6, N4 = 7, RN = 8; // i32 (ROW..ROW+3 as 4, 9, 10, 11); C: byte offset in M's row
  const S = 12, X = 16; // v128 (S..S+3)
  const E = 17; // f64
  const V128_LOAD64_ZERO = 0x5d, F32_LOAD = 0x2a;
  const f = new Body();
  const rowAt = (k: number): number => (k === 0 ? ROW : 8 + k);
  /** two float entries of M's row at byte offset C, as f64x2 */
  const pair = (row: number): void => {
    f.get(row); f.get(C); f.emit(I32_ADD); f.simd(V128_LOAD64_ZERO, ...memarg(3, 0)); f.simd(F64X2_PROMOTE);
  };
  /** y[r + k] = lane 0 of S+k (+ the odd last column) + lane 1 */
  const finishRow = (k: number): void => {
    f.get(S + k); f.simd(F64X2_EXTRACT_LANE, 0); f.set(E);
    f.get(N); f.i32(1); f.emit(0x71 /* i32.and */);
    f.emit(0x04 /* if */, VOID);
    f.get(E);
    // M[r][n-1] (float) at row + PAIRS, x[n-1] at 2 PAIRS
    f.get(rowAt(k)); f.get(PAIRS); f.emit(I32_ADD); f.emit(F32_LOAD, ...memarg(2, 0), F64_PROMOTE_F32);
    f.get(PAIRS); f.i32(1); f.emit(I32_SHL); f.emit(F64_LOAD, ...memarg(3, X_AT * 8));
    f.emit(0xa2 /* f64.mul */, F64_ADD);
    f.set(E);
    f.emit(END);
    f.get(R); f.i32(3); f.emit(I32_SHL); f.set(YP);
    f.get(YP);
    f.get(E);
    f.get(S + k); f.simd(F64X2_EXTRACT_LANE, 1);
    f.emit(F64_ADD);
    f.emit(F64_STORE, ...memarg(3, Y_AT * 8 + 8 * k));
  };
  // pairs = (n >> 1) << 3: bytes of M covered by whole pairs
  f.get(N); f.i32(1); f.emit(0x75 /* i32.shr_s */); f.i32(3); f.emit(I32_SHL); f.set(PAIRS);
  f.get(N); f.i32(2); f.emit(I32_SHL); f.set(N4);
  f.get(M); f.set(ROW);
  f.i32(0);
  f.set(R);
  // four rows while r + 4 <= n
  f.emit(BLOCK, VOID, LOOP, VOID);
  f.get(R); f.i32(4); f.emit(I32_ADD); f.set(RN);
  f.get(RN); f.get(N); f.emit(0x4a /* i32.gt_s */, BR_IF, 1);
  for (let k = 1; k < 4; k++) {
    f.get(rowAt(k - 1)); f.get(N4); f.emit(I32_ADD); f.set(rowAt(k));
  }
  for (let k = 0; k < 4; k++) f.zeroV128(S + k);
  f.i32(0);
  f.set(C);
  f.whileLess(C, PAIRS, () => {
    f.get(C); f.i32(1); f.emit(I32_SHL); f.simd(V128_LOAD, ...memarg(3, X_AT * 8)); f.set(X);
    for (let k = 0; k < 4; k++) {
      f.get(S + k);
      pair(rowAt(k));
      f.get(X);
      f.simd(F64X2_MUL);
      f.simd(F64X2_ADD);
      f.set(S + k);
    }
    f.addTo(C, 8);
  });
  for (let k = 0; k < 4; k++) finishRow(k);
  f.get(rowAt(3)); f.get(N4); f.emit(I32_ADD); f.set(ROW);
  f.get(RN);
  f.set(R);
  f.emit(BR, 0, END, END);
  // the remaining rows one at a time
  f.whileLess(R, N, () => {
    f.zeroV128(S);
    f.i32(0);
    f.set(C);
    f.whileLess(C, PAIRS, () => {
      f.get(S);
      pair(ROW);
      f.get(C); f.i32(1); f.emit(I32_SHL); f.simd(V128_LOAD, ...memarg(3, X_AT * 8));
      f.simd(F64X2_MUL);
      f.simd(F64X2_ADD);
      f.set(S);
      f.addTo(C, 8);
    });
    finishRow(0);
    f.get(ROW); f.get(N4); f.emit(I32_ADD); f.set(ROW);
    f.addTo(R, 1);
  });
  return { params: [I32, I32], locals: [...uleb(3), ...uleb(10), I32, ...uleb(5), V128, ...uleb(1), F64], code: f.code };
}

/**
 * activate(positions, count, c): for each response position p and neuron
 * k < count (correlate8's output at CORR_AT, [p * 8 + k]):
 *   num = float(corr) - t[p]·mean_k, den = wndNorm[p]·norm_k,
 *   ncc = |num| < den ? float(num / den) : |num| < 1.125·den ? sign(num) : 0
 *         (1 for a constant template), r_k = float(2α_k / (1 + exp(-(ncc·w_k + b_k)))),
 * and x[p] = the float sum of r_0..r_{count-1} in neuron order, at X_AT.
 * t at T_AT, wndNorm at WN_AT; c: byte address of the neuron constants, 6
 * rows of 8 doubles: mean, norm, w, b, 2α, constant-template flag (1/0).
 *
 * The lanes are neighbouring positions (no lane idles when count is odd,
 * and the neuron sum is vector work too); `CHAINS` such pairs can be
 * interleaved, but on x64 two chains measured slower than one (TurboFan
 * spills the extra registers; the loop is bound by its instruction count,
 * mostly the exact Horner polynomial). A position past an odd end is
 * computed into x[positions] and never read.
 */
function activateBody(): FunctionBody {
  const P = 0, N = 1, CONST = 2;
  const I = 3, K = 4, CK = 5, CP = 6, CO = 7; // i32
  const CHAINS = 1;
  const V0 = 8; // v128: per chain T, WN, NUM, DEN, AN, Q, NCC, X, KK, R, PP, TOTAL
  const PER = 12;
  const T = 0, WN = 1, NUM = 2, DEN = 3, AN = 4, Q = 5, NCC = 6, X = 7, KK = 8, R = 9, PP = 10, TOTAL = 11;
  const V128_LOAD64_SPLAT = 0x0a, V128_LOAD64_LANE = 0x57;
  const f = new Body();
  const v = (c: number, which: number): number => V0 + c * PER + which;
  const row = (r: number): void => {
    f.get(CK); f.simd(V128_LOAD64_SPLAT, ...memarg(3, r * 64));
  };
  const fround = (): void => {
    f.simd(F32X4_DEMOTE);
    f.simd(F64X2_PROMOTE);
  };
  /** emits each step for every chain before the next step */
  const steps = (...list: ((c: number) => void)[]): void => {
    for (const step of list) for (let c = 0; c < CHAINS; c++) step(c);
  };
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(CP); // p * 8 bytes; chain c: positions p + 2c, p + 2c + 1
    steps(
      (c) => { f.get(CP); f.simd(V128_LOAD, ...memarg(3, T_AT * 8 + 16 * c)); f.set(v(c, T)); },
      (c) => { f.get(CP); f.simd(V128_LOAD, ...memarg(3, WN_AT * 8 + 16 * c)); f.set(v(c, WN)); },
      (c) => f.zeroV128(v(c, TOTAL)),
    );
    f.get(CONST); f.set(CK);
    f.get(I); f.i32(6); f.emit(I32_SHL); f.i32(CORR_AT * 8); f.emit(I32_ADD); f.set(CO);
    f.i32(0);
    f.set(K);
    f.whileLess(K, N, () => {
      steps(
        // the correlations of neuron k at the chain's two positions; num = float(corr) - t * mean
        (c) => {
          f.get(CO);
          f.get(CO); f.simd(V128_LOAD64_SPLAT, ...memarg(3, 128 * c));
          f.simd(V128_LOAD64_LANE, ...memarg(3, 128 * c + 64), 1);
          fround();
          f.get(v(c, T)); row(0); f.simd(F64X2_MUL);
          f.simd(F64X2_SUB); f.set(v(c, NUM));
        },
        // den = wndNorm * norm
        (c) => { f.get(v(c, WN)); row(1); f.simd(F64X2_MUL); f.set(v(c, DEN)); },
        (c) => { f.get(v(c, NUM)); f.simd(F64X2_ABS); f.set(v(c, AN)); },
        (c) => { f.get(v(c, NUM)); f.get(v(c, DEN)); f.simd(F64X2_DIV); fround(); f.set(v(c, Q)); },
        // inner = |num| < 1.125 den ? sign(num) : 0
        (c) => {
          f.konst(1); f.konst(-1); f.get(v(c, NUM)); f.f64x2(0); f.simd(F64X2_GT); f.simd(V128_BITSELECT);
          f.f64x2(0);
          f.get(v(c, AN)); f.get(v(c, DEN)); f.konst(1.125); f.simd(F64X2_MUL); f.simd(F64X2_LT);
          f.simd(V128_BITSELECT);
          f.set(v(c, NCC));
        },
        // ncc = |num| < den ? q : inner; 1 for a constant template
        (c) => { f.get(v(c, Q)); f.get(v(c, NCC)); f.get(v(c, AN)); f.get(v(c, DEN)); f.simd(F64X2_LT); f.simd(V128_BITSELECT); f.set(v(c, NCC)); },
        (c) => { f.konst(1); f.get(v(c, NCC)); row(5); f.konst(0.5); f.simd(F64X2_GT); f.simd(V128_BITSELECT); f.set(v(c, NCC)); },
        // x = -(ncc * w + b), clamped to ±EXP_LIMIT (pmax/pmin: the same as
        // max/min here, NaN included, as the bounds are not zeros; one instruction each)
        (c) => {
          f.get(v(c, NCC)); row(2); f.simd(F64X2_MUL); row(3); f.simd(F64X2_ADD); f.simd(F64X2_NEG);
          f.konst(-EXP_LIMIT); f.simd(F64X2_PMAX); f.konst(EXP_LIMIT); f.simd(F64X2_PMIN); f.set(v(c, X));
        },
        // exp: k = nearest(x / ln2), r = (x - k ln2_hi) - k ln2_lo, Horner, times 2^k
        (c) => { f.get(v(c, X)); f.konst(INV_LN2); f.simd(F64X2_MUL); f.simd(F64X2_NEAREST); f.set(v(c, KK)); },
        (c) => {
          f.get(v(c, X)); f.get(v(c, KK)); f.konst(LN2_HI); f.simd(F64X2_MUL); f.simd(F64X2_SUB);
          f.get(v(c, KK)); f.konst(LN2_LO); f.simd(F64X2_MUL); f.simd(F64X2_SUB); f.set(v(c, R));
        },
        (c) => { f.konst(EXP_COEFFS[13]); f.set(v(c, PP)); },
      );
      for (let j = 12; j >= 0; j--) {
        steps((c) => { f.get(v(c, PP)); f.get(v(c, R)); f.simd(F64X2_MUL); f.konst(EXP_COEFFS[j]); f.simd(F64X2_ADD); f.set(v(c, PP)); });
      }
      steps(
        // 2^k: k + 1023 + 2^52 (exact, |k| ≤ 1010) holds k + 1023 in its low
        // mantissa bits; shifted left by 52 that is 2^k's bit pattern
        (c) => {
          f.get(v(c, PP));
          f.get(v(c, KK)); f.konst(4503599627370496 + 1023); f.simd(F64X2_ADD);
          f.i32(52); f.simd(I64X2_SHL);
          f.simd(F64X2_MUL);
          f.set(v(c, PP));
        },
        // r = float(2α / (1 + e)); total = float(total + r)
        (c) => {
          row(4); f.konst(1); f.get(v(c, PP)); f.simd(F64X2_ADD); f.simd(F64X2_DIV); fround();
          f.get(v(c, TOTAL)); f.simd(F64X2_ADD); fround(); f.set(v(c, TOTAL));
        },
      );
      f.addTo(CK, 8);
      f.addTo(CO, 8);
      f.addTo(K, 1);
    });
    steps((c) => { f.get(CP); f.get(v(c, TOTAL)); f.simd(V128_STORE, ...memarg(3, X_AT * 8 + 16 * c)); });
    f.addTo(I, 2 * CHAINS);
  });
  return { params: [I32, I32, I32], locals: [...uleb(2), ...uleb(5), I32, ...uleb(CHAINS * PER), V128], code: f.code };
}

/**
 * stats(aw, ah, tw, th, rw, rh): the window sums and norms of the area at
 * AOI_AT for every response position (ccnfResponse.ts's TypeScript loops,
 * operation by operation): OpenCV's double integral images of the area and
 * of its squares (at SUM_AT, SQ_AT), then t = ((S0 - S1) - S2) + S3 and
 * wndNorm = sqrt(max(Q - t·t/area, 0)) into T_AT and WN_AT.
 */
function statsBody(): FunctionBody {
  const AW = 0, AH = 1, TW = 2, TH = 3, RW = 4, RH = 5;
  const X = 6, Y = 7, IW8 = 8, SRC = 9, DST = 10, I = 11, J = 12, P0 = 13, P2 = 14, OUT = 15, TW8 = 16, ROWEND = 17; // i32
  const SR = 18, SQ = 19, V = 20, INV = 21, T = 22, W2 = 23; // f64
  const F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3, F64_SQRT = 0x9f, F64_MAX = 0xa5, F64_CONVERT_I32_S = 0xb7;
  const f = new Body();
  const f64 = (v: number): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    f.emit(0x44, ...b);
  };
  const ld = (addr: number, base: number): void => {
    f.get(addr); f.emit(F64_LOAD, ...memarg(3, base * 8));
  };
  // iw * 8 bytes per integral row
  f.get(AW); f.i32(1); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.set(IW8);
  // first row of zeros
  f.i32(0);
  f.set(X);
  f.whileLess(X, IW8, () => {
    f.get(X); f64(0); f.emit(F64_STORE, ...memarg(3, SUM_AT * 8));
    f.get(X); f64(0); f.emit(F64_STORE, ...memarg(3, SQ_AT * 8));
    f.addTo(X, 8);
  });
  f.i32(0);
  f.set(SRC); // area byte offset
  f.get(IW8);
  f.set(DST); // byte offset of integral row y + 1
  f.i32(0);
  f.set(Y);
  f.whileLess(Y, AH, () => {
    f64(0); f.set(SR);
    f64(0); f.set(SQ);
    f.get(DST); f64(0); f.emit(F64_STORE, ...memarg(3, SUM_AT * 8));
    f.get(DST); f64(0); f.emit(F64_STORE, ...memarg(3, SQ_AT * 8));
    f.get(SRC); f.get(AW); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.set(ROWEND);
    f.whileLess(SRC, ROWEND, () => {
      ld(SRC, AOI_AT); f.set(V);
      f.get(SR); f.get(V); f.emit(F64_ADD); f.set(SR);
      f.get(SQ); f.get(V); f.get(V); f.emit(F64_MUL, F64_ADD); f.set(SQ);
      // sum[row + x + 1] = sum[prev + x + 1] + sr (DST walks row + x)
      f.get(DST);
      f.get(DST); f.get(IW8); f.emit(I32_SUB); f.emit(F64_LOAD, ...memarg(3, SUM_AT * 8 + 8));
      f.get(SR); f.emit(F64_ADD);
      f.emit(F64_STORE, ...memarg(3, SUM_AT * 8 + 8));
      f.get(DST);
      f.get(DST); f.get(IW8); f.emit(I32_SUB); f.emit(F64_LOAD, ...memarg(3, SQ_AT * 8 + 8));
      f.get(SQ); f.emit(F64_ADD);
      f.emit(F64_STORE, ...memarg(3, SQ_AT * 8 + 8));
      f.addTo(DST, 8);
      f.addTo(SRC, 8);
    });
    // DST is at row + aw: on to the next row's start
    f.addTo(DST, 8);
    f.addTo(Y, 1);
  });
  // invArea = 1 / (tw * th)
  f64(1); f.get(TW); f.get(TH); f.emit(I32_MUL, F64_CONVERT_I32_S, F64_DIV); f.set(INV);
  f.get(TW); f.i32(3); f.emit(I32_SHL); f.set(TW8);
  f.i32(0);
  f.set(OUT);
  f.i32(0);
  f.set(I);
  f.whileLess(I, RH, () => {
    // p0 = (i * iw) * 8, p2 = ((i + th) * iw) * 8: the window's top and bottom rows
    f.get(I); f.get(IW8); f.emit(I32_MUL); f.set(P0);
    f.get(I); f.get(TH); f.emit(I32_ADD); f.get(IW8); f.emit(I32_MUL); f.set(P2);
    f.i32(0);
    f.set(J);
    f.whileLess(J, RW, () => {
      for (const [base, dst] of [[SUM_AT, T], [SQ_AT, W2]] as const) {
        ld(P0, base);
        f.get(P0); f.get(TW8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, base * 8));
        f.emit(F64_SUB);
        ld(P2, base);
        f.emit(F64_SUB);
        f.get(P2); f.get(TW8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, base * 8));
        f.emit(F64_ADD);
        f.set(dst);
      }
      f.get(OUT); f.get(T); f.emit(F64_STORE, ...memarg(3, T_AT * 8));
      f.get(OUT);
      f.get(W2); f.get(T); f.get(T); f.emit(F64_MUL); f.get(INV); f.emit(F64_MUL, F64_SUB);
      f64(0); f.emit(F64_MAX, F64_SQRT);
      f.emit(F64_STORE, ...memarg(3, WN_AT * 8));
      f.addTo(P0, 8);
      f.addTo(P2, 8);
      f.addTo(OUT, 8);
      f.addTo(J, 1);
    });
    f.addTo(I, 1);
  });
  return { params: [I32, I32, I32, I32, I32, I32], locals: [...uleb(2), ...uleb(12), I32, ...uleb(6), F64], code: f.code };
}

/**
 * finish(n, out): the response map as float32 at byte address out:
 * v = float(y[r]); then, when the smallest v is negative, v - min (in
 * float), as ccnfResponse.ts does (a NaN never becomes the minimum).
 */
function finishBody(): FunctionBody {
  const N = 0, OUTB = 1;
  const R = 2, END_ = 3; // i32
  const V = 4, MIN = 5; // f32
  const F32_LT = 0x5d, F32_SUB = 0x93, F32_LOAD = 0x2a, F32_STORE = 0x38, SELECT = 0x1b;
  const f = new Body();
  f.emit(0x43, 0x00, 0x00, 0x80, 0x7f); // f32 +inf
  f.set(MIN);
  f.get(N); f.i32(2); f.emit(I32_SHL); f.set(END_);
  f.i32(0);
  f.set(R);
  f.whileLess(R, END_, () => {
    // y[r] at Y_AT + 2r (doubles), out[r] at out + 4r bytes
    f.get(R); f.i32(1); f.emit(I32_SHL); f.emit(F64_LOAD, ...memarg(3, Y_AT * 8)); f.emit(F32_DEMOTE_F64); f.set(V);
    f.get(OUTB); f.get(R); f.emit(I32_ADD); f.get(V); f.emit(F32_STORE, ...memarg(2, 0));
    f.get(V); f.get(MIN); f.get(V); f.get(MIN); f.emit(F32_LT, SELECT); f.set(MIN);
    f.addTo(R, 4);
  });
  f.get(MIN); f.emit(0x43, 0, 0, 0, 0, F32_LT); // min < 0
  f.emit(0x04 /* if */, VOID);
  f.i32(0);
  f.set(R);
  f.whileLess(R, END_, () => {
    f.get(OUTB); f.get(R); f.emit(I32_ADD);
    f.get(OUTB); f.get(R); f.emit(I32_ADD); f.emit(F32_LOAD, ...memarg(2, 0)); f.get(MIN); f.emit(F32_SUB);
    f.emit(F32_STORE, ...memarg(2, 0));
    f.addTo(R, 4);
  });
  f.emit(END);
  return { params: [I32, I32], locals: [...uleb(2), ...uleb(2), I32, ...uleb(2), F32], code: f.code };
}

/**
 * landmark(sw, sh, img, a11, a12, a13, a21, a22, a23, aw, ah, tw, th,
 * weights, count, consts, sigma, out): one landmark's whole CCNF response — the
 * area of interest (`quad`), its window statistics (`stats`), the
 * correlations (`correlate8`), activations (`activate`) and Sigma product
 * (`matvec`) — into the float map at byte address out (`finish`). One call instead of
 * five, and the area never leaves the module.
 */
function landmarkBody(): FunctionBody {
  const SW = 0, SH = 1, IMG = 2, A11 = 3, A23 = 8, AW = 9, AH = 10, TW = 11, TH = 12, WEIGHTS = 13, COUNT = 14, CONSTS = 15, SIGMA = 16, OUTB = 17;
  const RW = 18, RH = 19, POS = 20; // i32
  const CALL = 0x10;
  const f = new Body();
  f.get(AW); f.get(TW); f.emit(I32_SUB); f.i32(1); f.emit(I32_ADD); f.set(RW);
  f.get(AH); f.get(TH); f.emit(I32_SUB); f.i32(1); f.emit(I32_ADD); f.set(RH);
  f.get(RW); f.get(RH); f.emit(I32_MUL); f.set(POS);
  // quad(sw, sh, dw, dh, img, a11..a23)
  f.get(SW); f.get(SH); f.get(AW); f.get(AH); f.get(IMG);
  for (let a = A11; a <= A23; a++) f.get(a);
  f.emit(CALL, 4);
  f.get(AW); f.get(AH); f.get(TW); f.get(TH); f.get(RW); f.get(RH); f.emit(CALL, 6);
  f.get(AW); f.get(RW); f.get(RH); f.get(TW); f.get(TH); f.get(WEIGHTS); f.emit(CALL, 0);
  f.get(POS); f.get(COUNT); f.get(CONSTS); f.emit(CALL, 3);
  f.get(SIGMA); f.get(POS); f.emit(CALL, 2);
  f.get(POS); f.get(OUTB); f.emit(CALL, 7);
  return { params: [I32, I32, I32, F64, F64, F64, F64, F64, F64, I32, I32, I32, I32, I32, I32, I32, I32, I32], locals: [...uleb(1), ...uleb(3), I32], code: f.code };
}

/**
 * quad(sw, sh, dw, dh, img, a11, a12, a13, a21, a22, a23): OpenCV's
 * getQuadrangleSubPix_8u32f (see areaOfInterest.ts) on the 8-bit image at
 * byte address img into AOI_AT (f64 holding the float32 values): the source
 * position walks each row in double, weights and sums are float32 — here
 * true f32 arithmetic. Every pixel takes OpenCV's border-path formulas, which
 * equal its fast path wherever the fast path applies.
 */
function quadBody(): FunctionBody {
  const SW = 0, SH = 1, DW = 2, DH = 3, IMG = 4;
  const A11 = 5, A12 = 6, A13 = 7, A21 = 8, A22 = 9, A23 = 10; // f64
  const Y = 11, X = 12, IXS = 13, IYS = 14, ROW0 = 15, ROW1 = 16, OUTP = 17; // i32
  const XS = 18, YS = 19; // f64
  const A = 20, B = 21, A1 = 22, B1 = 23; // f32
  const f = new Body();
  const F64_FLOOR = 0x9c, I32_TRUNC_F64_S = 0xaa, F64_CONVERT_I32_S = 0xb7, F32_CONVERT_I32_U = 0xb3;
  const F32_SUB = 0x93, F32_MUL = 0x94, F32_ADD = 0x92, F64_MUL = 0xa2, I32_LOAD8_U = 0x2d, I32_LT_U = 0x49, I32_LT_S = 0x48, SELECT = 0x1b;
  const IF = 0x04, ELSE = 0x05;
  const f32one = (): void => f.emit(0x43, 0x00, 0x00, 0x80, 0x3f);
  const pixel = (row: number, plus: number): void => {
    // f32(u8[img + row + ixs + plus])
    f.get(IMG); f.get(row); f.emit(I32_ADD); f.get(IXS); f.emit(I32_ADD);
    f.emit(I32_LOAD8_U, ...memarg(0, plus), F32_CONVERT_I32_U);
  };
  f.i32(AOI_AT * 8);
  f.set(OUTP);
  f.i32(0);
  f.set(Y);
  f.whileLess(Y, DH, () => {
    f.get(A12); f.get(Y); f.emit(F64_CONVERT_I32_S, F64_MUL); f.get(A13); f.emit(F64_ADD); f.set(XS);
    f.get(A22); f.get(Y); f.emit(F64_CONVERT_I32_S, F64_MUL); f.get(A23); f.emit(F64_ADD); f.set(YS);
    f.i32(0);
    f.set(X);
    f.whileLess(X, DW, () => {
      f.get(XS); f.emit(F64_FLOOR, I32_TRUNC_F64_S); f.set(IXS);
      f.get(YS); f.emit(F64_FLOOR, I32_TRUNC_F64_S); f.set(IYS);
      f.get(XS); f.get(IXS); f.emit(F64_CONVERT_I32_S, 0xa1 /* f64.sub */, F32_DEMOTE_F64); f.set(A);
      f.get(YS); f.get(IYS); f.emit(F64_CONVERT_I32_S, 0xa1, F32_DEMOTE_F64); f.set(B);
      f32one(); f.get(A); f.emit(F32_SUB); f.set(A1);
      f32one(); f.get(B); f.emit(F32_SUB); f.set(B1);
      f.get(XS); f.get(A11); f.emit(F64_ADD); f.set(XS);
      f.get(YS); f.get(A21); f.emit(F64_ADD); f.set(YS);
      // rows: clamped (replicated) outside 0..sh-2
      f.get(IYS); f.get(SH); f.i32(1); f.emit(I32_SUB, I32_LT_U);
      f.emit(IF, VOID);
      f.get(IYS); f.get(SW); f.emit(I32_MUL); f.set(ROW0);
      f.get(ROW0); f.get(SW); f.emit(I32_ADD); f.set(ROW1);
      f.emit(ELSE);
      f.i32(0); f.get(SH); f.i32(1); f.emit(I32_SUB); f.get(IYS); f.i32(0); f.emit(I32_LT_S, SELECT); f.get(SW); f.emit(I32_MUL); f.set(ROW0);
      f.get(ROW0); f.set(ROW1);
      f.emit(END);
      f.get(OUTP);
      f.get(IXS); f.get(SW); f.i32(1); f.emit(I32_SUB, I32_LT_U);
      f.emit(IF, F32);
      // ((p00 w00 + p01 w01) + p10 w10) + p11 w11, weights a1 b1, a b1, a1 b, a b
      pixel(ROW0, 0); f.get(A1); f.get(B1); f.emit(F32_MUL, F32_MUL);
      pixel(ROW0, 1); f.get(A); f.get(B1); f.emit(F32_MUL, F32_MUL, F32_ADD);
      pixel(ROW1, 0); f.get(A1); f.get(B); f.emit(F32_MUL, F32_MUL, F32_ADD);
      pixel(ROW1, 1); f.get(A); f.get(B); f.emit(F32_MUL, F32_MUL, F32_ADD);
      f.emit(ELSE);
      f.i32(0); f.get(SW); f.i32(1); f.emit(I32_SUB); f.get(IXS); f.i32(0); f.emit(I32_LT_S, SELECT); f.set(IXS);
      pixel(ROW0, 0); f.get(B1); f.emit(F32_MUL);
      pixel(ROW1, 0); f.get(B); f.emit(F32_MUL, F32_ADD);
      f.emit(END);
      f.emit(F64_PROMOTE_F32, F64_STORE, ...memarg(3, 0));
      f.addTo(OUTP, 8);
      f.addTo(X, 1);
    });
    f.addTo(Y, 1);
  });
  return { params: [I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64], locals: [...uleb(3), ...uleb(7), I32, ...uleb(2), F64, ...uleb(4), F32], code: f.code };
}

/**
 * shape3d(rows3, m, v, mean): the PDM's 3D shape S3[r] = Σ_k V[r][k]·p[k] +
 * mean[r] (V rows3 x m row-major at byte address v, mean at byte address
 * mean, p at PLOC_AT) into S3_AT, each sum in linalg.ts's `gemvDot` order:
 * four interleaved partial sums s0..s3 (here two f64x2), the leftover terms
 * on s0, then ((s0 + s1) + s2) + s3, then + mean.
 */
function shape3dBody(): FunctionBody {
  const R3 = 0, M = 1, V = 2, MEAN = 3;
  const R = 4, K = 5, ROWP = 6, M8 = 7; // i32
  const S0 = 8; // f64
  const A01 = 9, A23 = 10; // v128
  const F64_MUL = 0xa2;
  const f = new Body();
  f.get(M); f.i32(3); f.emit(I32_SHL); f.set(M8);
  f.get(V); f.set(ROWP);
  f.i32(0);
  f.set(R);
  f.whileLess(R, R3, () => {
    f.zeroV128(A01);
    f.zeroV128(A23);
    f.i32(0);
    f.set(K);
    // whole groups of four while k + 4 <= m
    f.emit(BLOCK, VOID, LOOP, VOID);
    f.get(K); f.i32(32); f.emit(I32_ADD); f.get(M8); f.emit(0x4a /* i32.gt_s */, BR_IF, 1);
    for (const [acc, off] of [[A01, 0], [A23, 16]] as const) {
      f.get(acc);
      f.get(ROWP); f.get(K); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, off));
      f.get(K); f.simd(V128_LOAD, ...memarg(3, PLOC_AT * 8 + off));
      f.simd(F64X2_MUL);
      f.simd(F64X2_ADD);
      f.set(acc);
    }
    f.addTo(K, 32);
    f.emit(BR, 0, END, END);
    f.get(A01); f.simd(F64X2_EXTRACT_LANE, 0); f.set(S0);
    f.whileLess(K, M8, () => {
      f.get(S0);
      f.get(ROWP); f.get(K); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0));
      f.get(K); f.emit(F64_LOAD, ...memarg(3, PLOC_AT * 8));
      f.emit(F64_MUL, F64_ADD);
      f.set(S0);
      f.addTo(K, 8);
    });
    f.get(R); f.i32(3); f.emit(I32_SHL);
    f.get(S0);
    f.get(A01); f.simd(F64X2_EXTRACT_LANE, 1); f.emit(F64_ADD);
    f.get(A23); f.simd(F64X2_EXTRACT_LANE, 0); f.emit(F64_ADD);
    f.get(A23); f.simd(F64X2_EXTRACT_LANE, 1); f.emit(F64_ADD);
    f.get(MEAN); f.get(R); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0));
    f.emit(F64_ADD);
    f.emit(F64_STORE, ...memarg(3, S3_AT * 8));
    f.get(ROWP); f.get(M8); f.emit(I32_ADD); f.set(ROWP);
    f.addTo(R, 1);
  });
  return { params: [I32, I32, I32, I32], locals: [...uleb(3), ...uleb(4), I32, ...uleb(1), F64, ...uleb(2), V128], code: f.code };
}

/**
 * jacobian(n, m, rigid, rows, vt, dest, s, r11, r12, r13, r21, r22, r23):
 * fitPdm.ts's `computeJacobianT` (float arithmetic, every rounding in place)
 * from the 3D shape at S3_AT into the P x rows matrix at byte address dest
 * (P = 6, or 6 + m unless `rigid`); vt: byte address of the modes
 * transposed (m x 3n), so that two neighbouring points make one f64x2. s
 * and r.. are the float scale and rotation entries. An odd last point is
 * done alone with the same operations in scalar form.
 */
function jacobianBody(): FunctionBody {
  const N = 0, M = 1, RIGID = 2, ROWS = 3, VT = 4, DEST = 5, S = 6, R11 = 7; // f64 S, R11..R23 = 7..12
  const I = 13, N8 = 14, ROWS8 = 15, SX = 16, D = 17, VTP = 18, DJ = 19, J = 20, STRIDE = 21, PAIRS = 22; // i32
  const X = 23, Y = 24, Z = 25; // f64 (scalar tail)
  const VS = 26, VR = 27, VNS = 33, VX = 34, VY = 35, VZ = 36; // v128: splats of s, r11..r23 (27..32), -s; point values
  const f = new Body();
  const F64_SUB = 0xa1, F64_MUL = 0xa2, F64_NEG = 0x9a, IF = 0x04;

  const body = (vec: boolean): void => {
    const mul = (): void => (vec ? f.simd(F64X2_MUL) : f.emit(F64_MUL));
    const add = (): void => (vec ? f.simd(F64X2_ADD) : f.emit(F64_ADD));
    const sub = (): void => (vec ? f.simd(F64X2_SUB) : f.emit(F64_SUB));
    const fr = (): void => {
      if (vec) {
        f.simd(F32X4_DEMOTE);
        f.simd(F64X2_PROMOTE);
      } else {
        f.emit(F32_DEMOTE_F64, F64_PROMOTE_F32);
      }
    };
    const load = (addr: () => void, off: number): void => {
      addr();
      if (vec) f.simd(V128_LOAD, ...memarg(3, off));
      else f.emit(F64_LOAD, ...memarg(3, off));
    };
    const store = (addr: () => void, value: () => void): void => {
      addr();
      value();
      if (vec) f.simd(V128_STORE, ...memarg(3, 0));
      else f.emit(F64_STORE, ...memarg(3, 0));
    };
    const x = vec ? VX : X, y = vec ? VY : Y, z = vec ? VZ : Z;
    /** r entry k (0..5: r11 r12 r13 r21 r22 r23) */
    const r = (k: number): void => f.get(vec ? VR + k : R11 + k);
    const sc = (): void => f.get(vec ? VS : S);
    const nsc = (): void => {
      if (vec) f.get(VNS);
      else {
        f.get(S);
        f.emit(F64_NEG);
      }
    };
    /** fr(a * rk) for a point value a */
    const pr = (a: number, k: number): void => {
      f.get(a); r(k); mul(); fr();
    };
    /** address of JT[c * rows + (yRow ? n : 0) + i] */
    const at = (c: number, yRow: boolean) => (): void => {
      f.get(D);
      if (c > 0) {
        f.get(ROWS8); f.i32(c); f.emit(I32_MUL); f.emit(I32_ADD);
      }
      if (yRow) {
        f.get(N8); f.emit(I32_ADD);
      }
    };
    // X, Y, Z = float(shape)
    load(() => f.get(SX), S3_AT * 8); fr(); f.set(x);
    load(() => { f.get(SX); f.get(N8); f.emit(I32_ADD); }, S3_AT * 8); fr(); f.set(y);
    load(() => { f.get(SX); f.get(N8); f.i32(1); f.emit(I32_SHL); f.emit(I32_ADD); }, S3_AT * 8); fr(); f.set(z);
    for (const [yRow, k0] of [[false, 0], [true, 3]] as const) {
      // scale: fr(fr(fr(X r1) + fr(Y r2)) + fr(Z r3))
      store(at(0, yRow), () => { pr(x, k0); pr(y, k0 + 1); add(); fr(); pr(z, k0 + 2); add(); fr(); });
      // rotations: fr(s · fr(fr(Y r3) - fr(Z r2))), fr(-s · fr(fr(X r3) - fr(Z r1))), fr(s · fr(fr(X r2) - fr(Y r1)))
      store(at(1, yRow), () => { sc(); pr(y, k0 + 2); pr(z, k0 + 1); sub(); fr(); mul(); fr(); });
      store(at(2, yRow), () => { nsc(); pr(x, k0 + 2); pr(z, k0); sub(); fr(); mul(); fr(); });
      store(at(3, yRow), () => { sc(); pr(x, k0 + 1); pr(y, k0); sub(); fr(); mul(); fr(); });
      // translation
      store(at(4, yRow), () => (vec ? f.f64x2(yRow ? 0 : 1) : f.emit(0x44, ...f64Bytes(yRow ? 0 : 1))));
      store(at(5, yRow), () => (vec ? f.f64x2(yRow ? 1 : 0) : f.emit(0x44, ...f64Bytes(yRow ? 1 : 0))));
    }
    // modes: fr(s · ((r1 vx + r2 vy) + r3 vz))
    f.get(RIGID);
    f.emit(0x45 /* i32.eqz */, IF, VOID);
    f.get(VT); f.get(SX); f.emit(I32_ADD); f.set(VTP);
    f.get(D); f.get(ROWS8); f.i32(6); f.emit(I32_MUL); f.emit(I32_ADD); f.set(DJ);
    f.i32(0);
    f.set(J);
    f.whileLess(J, M, () => {
      for (const [yRow, k0] of [[false, 0], [true, 3]] as const) {
        store(() => { f.get(DJ); if (yRow) { f.get(N8); f.emit(I32_ADD); } }, () => {
          sc();
          r(k0); load(() => f.get(VTP), 0); mul();
          r(k0 + 1); load(() => { f.get(VTP); f.get(N8); f.emit(I32_ADD); }, 0); mul();
          add();
          r(k0 + 2); load(() => { f.get(VTP); f.get(N8); f.i32(1); f.emit(I32_SHL); f.emit(I32_ADD); }, 0); mul();
          add();
          mul(); fr();
        });
      }
      f.get(VTP); f.get(STRIDE); f.emit(I32_ADD); f.set(VTP);
      f.get(DJ); f.get(ROWS8); f.emit(I32_ADD); f.set(DJ);
      f.addTo(J, 1);
    });
    f.emit(END);
  };

  f.get(N); f.i32(3); f.emit(I32_SHL); f.set(N8);
  f.get(ROWS); f.i32(3); f.emit(I32_SHL); f.set(ROWS8);
  f.get(N8); f.i32(3); f.emit(I32_MUL); f.set(STRIDE);
  f.get(S); f.simd(F64X2_SPLAT); f.set(VS);
  for (let k = 0; k < 6; k++) {
    f.get(R11 + k); f.simd(F64X2_SPLAT); f.set(VR + k);
  }
  f.get(S); f.emit(F64_NEG); f.simd(F64X2_SPLAT); f.set(VNS);
  // pairs of points while i + 2 <= n
  f.get(N); f.i32(1); f.emit(I32_SUB); f.set(PAIRS);
  f.i32(0);
  f.set(I);
  f.whileLess(I, PAIRS, () => {
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(SX);
    f.get(DEST); f.get(SX); f.emit(I32_ADD); f.set(D);
    body(true);
    f.addTo(I, 2);
  });
  f.get(I); f.get(N);
  f.emit(0x48 /* i32.lt_s */, IF, VOID);
  f.get(I); f.i32(3); f.emit(I32_SHL); f.set(SX);
  f.get(DEST); f.get(SX); f.emit(I32_ADD); f.set(D);
  body(false);
  f.emit(END);
  return {
    params: [I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64],
    locals: [...uleb(3), ...uleb(10), I32, ...uleb(3), F64, ...uleb(11), V128],
    code: f.code,
  };
}

/**
 * meanShift(n, win, rowLength, kde, maxPos, step): meanShift.ts's
 * `meanShifts` in native float32 (its arithmetic is float32 throughout) for
 * the n landmarks whose response maps are in their RESP_AT slots: positions
 * dx, dy at DXS_AT / DYS_AT (float values as doubles), visibility bytes at
 * VIS_AT, the KDE table (float32) at byte address kde; Δx, Δy into MS_AT
 * (x's then y's). A NaN position gives NaN, as the TypeScript does.
 */
function meanShiftBody(): FunctionBody {
  const N = 0, WIN = 1, ROWLEN = 2, KDE = 3, MAXPOS = 4, STEP = 5; // MAXPOS, STEP: f32
  const I = 6, II = 7, JJ = 8, KO = 9, RP = 10, W2 = 11, I8 = 12; // i32
  const DX = 13, DY = 14, V = 15, SUM = 16, MX = 17, MY = 18, FII = 19; // f32
  const F32_LOAD = 0x2a, F32_LT = 0x5d, F32_GT = 0x5e, F32_NE = 0x5c, F32_ADD = 0x92, F32_SUB = 0x93, F32_MUL = 0x94, F32_DIV = 0x95;
  const F32_CONVERT_I32_S = 0xb2, I32_TRUNC_F64_S = 0xaa, I32_OR = 0x72, I32_LOAD8_U = 0x2d, SELECT = 0x1b, IF = 0x04, ELSE = 0x05;
  const f = new Body();
  const f32const = (v: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    f.emit(0x43, ...b);
  };
  /** trunc(float(p / step) + 0.5) for the f32 local p */
  const gridIndex = (p: number): void => {
    f.get(p); f.get(STEP); f.emit(F32_DIV, F64_PROMOTE_F32);
    f.emit(0x44, ...f64Bytes(0.5), F64_ADD, I32_TRUNC_F64_S);
  };
  f.get(WIN); f.get(WIN); f.emit(I32_MUL); f.set(W2);
  f.i32(0);
  f.set(I);
  f.whileLess(I, N, () => {
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(I8);
    f.get(I); f.emit(I32_LOAD8_U, ...memarg(0, VIS_AT * 8));
    f.emit(IF, VOID);
    // clamp into [0, maxPos] (a NaN stays)
    for (const [local, at] of [[DX, DXS_AT], [DY, DYS_AT]] as const) {
      f.get(I8); f.emit(F64_LOAD, ...memarg(3, at * 8), F32_DEMOTE_F64); f.set(local);
      f32const(0); f.get(local); f.get(local); f32const(0); f.emit(F32_LT, SELECT); f.set(local);
      f.get(MAXPOS); f.get(local); f.get(local); f.get(MAXPOS); f.emit(F32_GT, SELECT); f.set(local);
    }
    f.get(DX); f.get(DX); f.emit(F32_NE);
    f.get(DY); f.get(DY); f.emit(F32_NE);
    f.emit(I32_OR, IF, VOID);
    // NaN in, NaN out
    f.get(I8); f.get(DX); f.get(DY); f.emit(F32_ADD, F64_PROMOTE_F32, F64_STORE, ...memarg(3, MS_AT * 8));
    f.get(I8); f.get(N); f.i32(3); f.emit(I32_SHL, I32_ADD); f.get(DX); f.get(DY); f.emit(F32_ADD, F64_PROMOTE_F32, F64_STORE, ...memarg(3, MS_AT * 8));
    f.emit(ELSE);
    // the KDE row: ((row * rowLength + col) * w²) floats into the table
    gridIndex(DX); f.get(ROWLEN); f.emit(I32_MUL);
    gridIndex(DY); f.emit(I32_ADD);
    f.get(W2); f.emit(I32_MUL); f.i32(2); f.emit(I32_SHL); f.get(KDE); f.emit(I32_ADD); f.set(KO);
    f.get(I); f.i32(2 + Math.log2(SLOT_FLOATS)); f.emit(I32_SHL); f.i32(RESP_AT * 8); f.emit(I32_ADD); f.set(RP);
    f32const(0); f.set(SUM);
    f32const(0); f.set(MX);
    f32const(0); f.set(MY);
    f.i32(0);
    f.set(II);
    f.whileLess(II, WIN, () => {
      f.get(II); f.emit(F32_CONVERT_I32_S); f.set(FII);
      f.i32(0);
      f.set(JJ);
      f.whileLess(JJ, WIN, () => {
        // v = resp · kde; sum += v; mx += v·jj; my += v·ii (each rounded to float)
        f.get(RP); f.emit(F32_LOAD, ...memarg(2, 0));
        f.get(KO); f.emit(F32_LOAD, ...memarg(2, 0));
        f.emit(F32_MUL); f.set(V);
        f.get(SUM); f.get(V); f.emit(F32_ADD); f.set(SUM);
        f.get(MX); f.get(V); f.get(JJ); f.emit(F32_CONVERT_I32_S, F32_MUL, F32_ADD); f.set(MX);
        f.get(MY); f.get(V); f.get(FII); f.emit(F32_MUL, F32_ADD); f.set(MY);
        f.addTo(RP, 4);
        f.addTo(KO, 4);
        f.addTo(JJ, 1);
      });
      f.addTo(II, 1);
    });
    f.get(I8); f.get(MX); f.get(SUM); f.emit(F32_DIV); f.get(DX); f.emit(F32_SUB, F64_PROMOTE_F32, F64_STORE, ...memarg(3, MS_AT * 8));
    f.get(I8); f.get(N); f.i32(3); f.emit(I32_SHL, I32_ADD); f.get(MY); f.get(SUM); f.emit(F32_DIV); f.get(DY); f.emit(F32_SUB, F64_PROMOTE_F32, F64_STORE, ...memarg(3, MS_AT * 8));
    f.emit(END);
    f.emit(ELSE);
    // not visible: 0
    f.get(I8); f.emit(0x44, ...f64Bytes(0), F64_STORE, ...memarg(3, MS_AT * 8));
    f.get(I8); f.get(N); f.i32(3); f.emit(I32_SHL, I32_ADD); f.emit(0x44, ...f64Bytes(0), F64_STORE, ...memarg(3, MS_AT * 8));
    f.emit(END);
    f.addTo(I, 1);
  });
  return { params: [I32, I32, I32, I32, F32, F32], locals: [...uleb(2), ...uleb(7), I32, ...uleb(7), F32], code: f.code };
}

/**
 * invert(n, a, l, u, out) → 1, or 0 when `a` is not positive definite:
 * smallLinalg.ts's `invertSpdDouble` (n x n, row-major doubles at byte
 * address a) into out, with l (column-major Cholesky factor) and u (L⁻¹,
 * row-major, which must be all zeros on entry: its upper triangle supplies
 * the zero terms below) as scratch, each n² doubles plus one. Every entry is
 * the TypeScript version's sum in its order; the two lanes of a vector are
 * two neighbouring entries (and two vectors run side by side). Where a lane
 * of L⁻¹ or of the product starts its sum later than its neighbour, its
 * extra leading terms multiply a zero of L⁻¹'s upper triangle and leave the
 * sum (still +0 then) unchanged.
 */
function invertBody(): FunctionBody {
  const N = 0, A = 1, L = 2, U = 3, OUT = 4;
  const J = 5, I = 6, K = 7, N8 = 8, PK = 9, PJ = 10, T = 11; // i32
  const S = 12, D = 13; // f64
  const ACC0 = 14, ACC1 = 15, DV = 16, X = 17; // v128
  const F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3, F64_SQRT = 0x9f, F64_GT = 0x64, I32_EQZ = 0x45, IF = 0x04, RETURN = 0x0f;
  const V128_LOAD64_SPLAT = 0x0a, V128_LOAD64_LANE = 0x57;
  const f = new Body();
  /** byte address (row * n + col) * 8 + base */
  const at = (base: number, row: () => void, col: () => void): void => {
    row(); f.get(N); f.emit(I32_MUL); col(); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.get(base); f.emit(I32_ADD);
  };
  const loc = (l: number) => (): void => f.get(l);
  const plus = (l: number, c: number) => (): void => {
    f.get(l); f.i32(c); f.emit(I32_ADD);
  };
  const f64 = (v: number): void => f.emit(0x44, ...f64Bytes(v));
  /** while (cond) body, cond leaving an i32 (non-zero: go on) */
  const loop = (cond: () => void, body: () => void): void => {
    f.emit(BLOCK, VOID, LOOP, VOID);
    cond(); f.emit(I32_EQZ, BR_IF, 1);
    body();
    f.emit(BR, 0, END, END);
  };
  const lt = (a: () => void, b: () => void) => (): void => {
    a(); b(); f.emit(0x48 /* i32.lt_s */);
  };
  /** acc -= x · y (f64x2), x and y pushed by the callbacks */
  const mulSub = (acc: number, x: () => void, y: () => void): void => {
    f.get(acc); x(); y(); f.simd(F64X2_MUL); f.simd(F64X2_SUB); f.set(acc);
  };
  const mulAddV = (acc: number, x: () => void, y: () => void): void => {
    f.get(acc); x(); y(); f.simd(F64X2_MUL); f.simd(F64X2_ADD); f.set(acc);
  };

  f.get(N); f.i32(3); f.emit(I32_SHL); f.set(N8);

  // --- Cholesky, column by column (Lc[k][i] = L[i][k])
  f.i32(0); f.set(J);
  loop(lt(loc(J), loc(N)), () => {
    // s = a[j][j] - Σ_k<j L[j][k]²
    at(A, loc(J), loc(J)); f.emit(F64_LOAD, ...memarg(3, 0)); f.set(S);
    at(L, () => f.i32(0), loc(J)); f.set(PJ);
    f.i32(0); f.set(K);
    loop(lt(loc(K), loc(J)), () => {
      f.get(S); f.get(PJ); f.emit(F64_LOAD, ...memarg(3, 0)); f.get(PJ); f.emit(F64_LOAD, ...memarg(3, 0)); f.emit(F64_MUL, F64_SUB); f.set(S);
      f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
      f.addTo(K, 1);
    });
    f.get(S); f64(0); f.emit(F64_GT, I32_EQZ, IF, VOID);
    f.i32(0);
    f.emit(RETURN, END);
    f.get(S); f.emit(F64_SQRT); f.set(D);
    at(L, loc(J), loc(J)); f.get(D); f.emit(F64_STORE, ...memarg(3, 0));
    f.get(D); f.simd(F64X2_SPLAT); f.set(DV);
    // rows i > j: (a[i][j] - Σ_k<j L[i][k]·L[j][k]) / L[j][j], two vectors of two rows
    f.get(J); f.i32(1); f.emit(I32_ADD); f.set(I);
    const rows = (vectors: number): void => {
      for (let v = 0; v < vectors; v++) {
        // (a[i+2v][j], a[i+2v+1][j]): one row apart, so two loads
        at(A, plus(I, 2 * v), loc(J)); f.set(T);
        f.get(T); f.get(N8); f.emit(I32_ADD);
        f.get(T); f.simd(V128_LOAD64_SPLAT, ...memarg(3, 0));
        f.simd(V128_LOAD64_LANE, ...memarg(3, 0), 1);
        f.set(v === 0 ? ACC0 : ACC1);
      }
      at(L, () => f.i32(0), loc(I)); f.set(PK);
      at(L, () => f.i32(0), loc(J)); f.set(PJ);
      f.i32(0); f.set(K);
      loop(lt(loc(K), loc(J)), () => {
        f.get(PJ); f.simd(V128_LOAD64_SPLAT, ...memarg(3, 0)); f.set(X);
        for (let v = 0; v < vectors; v++) mulSub(v === 0 ? ACC0 : ACC1, () => { f.get(PK); f.simd(V128_LOAD, ...memarg(3, 16 * v)); }, () => f.get(X));
        f.get(PK); f.get(N8); f.emit(I32_ADD); f.set(PK);
        f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
        f.addTo(K, 1);
      });
      at(L, loc(J), loc(I)); f.set(T);
      for (let v = 0; v < vectors; v++) {
        f.get(T); f.get(v === 0 ? ACC0 : ACC1); f.get(DV); f.simd(F64X2_DIV); f.simd(V128_STORE, ...memarg(3, 16 * v));
      }
    };
    loop(lt(plus(I, 3), loc(N)), () => {
      rows(2);
      f.addTo(I, 4);
    });
    // (an odd last row's second lane reads past a's rows and writes L[0][j+1], never read)
    loop(lt(loc(I), loc(N)), () => {
      rows(1);
      f.addTo(I, 2);
    });
    f.addTo(J, 1);
  });

  // --- L⁻¹ row by row: U[i][j] = (Σ_{k=j}^{i-1} -L[i][k]·U[k][j]) / L[i][i]
  f.i32(0); f.set(I);
  loop(lt(loc(I), loc(N)), () => {
    at(L, loc(I), loc(I)); f.emit(F64_LOAD, ...memarg(3, 0)); f.set(D);
    f.get(D); f.simd(F64X2_SPLAT); f.set(DV);
    at(U, loc(I), loc(I)); f64(1); f.get(D); f.emit(F64_DIV, F64_STORE, ...memarg(3, 0));
    f.i32(0); f.set(J);
    /** columns j.. (2 per vector), all < i */
    const cols = (vectors: number): void => {
      f.zeroV128(ACC0);
      f.zeroV128(ACC1);
      at(L, loc(J), loc(I)); f.set(PJ); // L[i][k] = Lc[k][i], from k = j
      at(U, loc(J), loc(J)); f.set(PK); // U[k][j..], from k = j
      f.get(J); f.set(K);
      loop(lt(loc(K), loc(I)), () => {
        f.get(PJ); f.simd(V128_LOAD64_SPLAT, ...memarg(3, 0)); f.set(X);
        for (let v = 0; v < vectors; v++) mulSub(v === 0 ? ACC0 : ACC1, () => f.get(X), () => { f.get(PK); f.simd(V128_LOAD, ...memarg(3, 16 * v)); });
        f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
        f.get(PK); f.get(N8); f.emit(I32_ADD); f.set(PK);
        f.addTo(K, 1);
      });
      at(U, loc(I), loc(J)); f.set(T);
      for (let v = 0; v < vectors; v++) {
        f.get(T); f.get(v === 0 ? ACC0 : ACC1); f.get(DV); f.simd(F64X2_DIV); f.simd(V128_STORE, ...memarg(3, 16 * v));
      }
    };
    loop(lt(plus(J, 3), loc(I)), () => {
      cols(2);
      f.addTo(J, 4);
    });
    loop(lt(plus(J, 1), loc(I)), () => {
      cols(1);
      f.addTo(J, 2);
    });
    // an odd last column alone
    f.get(J); f.get(I); f.emit(0x48 /* i32.lt_s */, IF, VOID);
    f64(0); f.set(S);
    at(L, loc(J), loc(I)); f.set(PJ);
    at(U, loc(J), loc(J)); f.set(PK);
    f.get(J); f.set(K);
    loop(lt(loc(K), loc(I)), () => {
      f.get(S); f.get(PJ); f.emit(F64_LOAD, ...memarg(3, 0)); f.get(PK); f.emit(F64_LOAD, ...memarg(3, 0)); f.emit(F64_MUL, F64_SUB); f.set(S);
      f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
      f.get(PK); f.get(N8); f.emit(I32_ADD); f.set(PK);
      f.addTo(K, 1);
    });
    at(U, loc(I), loc(J)); f.get(S); f.get(D); f.emit(F64_DIV, F64_STORE, ...memarg(3, 0));
    f.emit(END);
    f.addTo(I, 1);
  });

  // --- out[i][j] = out[j][i] = Σ_{k=i}^{n-1} U[k][i]·U[k][j], j ≤ i
  f.i32(0); f.set(I);
  loop(lt(loc(I), loc(N)), () => {
    f.i32(0); f.set(J);
    const cols = (vectors: number): void => {
      f.zeroV128(ACC0);
      f.zeroV128(ACC1);
      at(U, loc(I), loc(I)); f.set(PJ); // U[k][i], from k = i
      at(U, loc(I), loc(J)); f.set(PK); // U[k][j..]
      f.get(I); f.set(K);
      loop(lt(loc(K), loc(N)), () => {
        f.get(PJ); f.simd(V128_LOAD64_SPLAT, ...memarg(3, 0)); f.set(X);
        for (let v = 0; v < vectors; v++) mulAddV(v === 0 ? ACC0 : ACC1, () => f.get(X), () => { f.get(PK); f.simd(V128_LOAD, ...memarg(3, 16 * v)); });
        f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
        f.get(PK); f.get(N8); f.emit(I32_ADD); f.set(PK);
        f.addTo(K, 1);
      });
      at(OUT, loc(I), loc(J)); f.set(T);
      for (let v = 0; v < vectors; v++) {
        const acc = v === 0 ? ACC0 : ACC1;
        f.get(T); f.get(acc); f.simd(V128_STORE, ...memarg(3, 16 * v));
        for (let lane = 0; lane < 2; lane++) {
          at(OUT, plus(J, 2 * v + lane), loc(I)); f.get(acc); f.simd(F64X2_EXTRACT_LANE, lane); f.emit(F64_STORE, ...memarg(3, 0));
        }
      }
    };
    loop(lt(plus(J, 3), plus(I, 1)), () => {
      cols(2);
      f.addTo(J, 4);
    });
    loop(lt(plus(J, 1), plus(I, 1)), () => {
      cols(1);
      f.addTo(J, 2);
    });
    f.get(J); f.get(I); f.emit(0x4c /* i32.le_s */, IF, VOID);
    f64(0); f.set(S);
    at(U, loc(I), loc(I)); f.set(PJ);
    at(U, loc(I), loc(J)); f.set(PK);
    f.get(I); f.set(K);
    loop(lt(loc(K), loc(N)), () => {
      f.get(S); f.get(PJ); f.emit(F64_LOAD, ...memarg(3, 0)); f.get(PK); f.emit(F64_LOAD, ...memarg(3, 0)); f.emit(F64_MUL, F64_ADD); f.set(S);
      f.get(PJ); f.get(N8); f.emit(I32_ADD); f.set(PJ);
      f.get(PK); f.get(N8); f.emit(I32_ADD); f.set(PK);
      f.addTo(K, 1);
    });
    at(OUT, loc(I), loc(J)); f.get(S); f.emit(F64_STORE, ...memarg(3, 0));
    at(OUT, loc(J), loc(I)); f.get(S); f.emit(F64_STORE, ...memarg(3, 0));
    f.emit(END);
    f.addTo(I, 1);
  });
  f.i32(1);
  return { params: [I32, I32, I32, I32, I32], results: [I32], locals: [...uleb(3), ...uleb(7), I32, ...uleb(2), F64, ...uleb(4), V128], code: f.code };
}

function f64Bytes(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}

function buildModule(): Uint8Array<ArrayBuffer> {
  // the order is the function index: `solve` and `landmark` call others by it
  const fns = [correlateBody(), normalBody(), matvecBody(), activateBody(), quadBody(), solveBody(), statsBody(), finishBody(), landmarkBody(), shape3dBody(), jacobianBody(), meanShiftBody(), invertBody()];
  const types: number[] = [...uleb(fns.length)];
  for (const fn of fns) {
    const results = fn.results ?? [];
    types.push(0x60, ...uleb(fn.params.length), ...fn.params, ...uleb(results.length), ...results);
  }
  const code: number[] = [...uleb(fns.length)];
  for (const fn of fns) {
    const body = [...fn.locals, ...fn.code, END];
    code.push(...uleb(body.length), ...body);
  }
  const pages = Math.ceil(RESIDENT_AT / PAGE_DOUBLES) + 16;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, [...uleb(fns.length), ...fns.map((_, i) => i)]),
    ...section(5, [...uleb(1), 0x00, ...uleb(pages)]),
    ...section(7, [
      ...uleb(12),
      ...wasmName('correlate8'), 0x00, 0,
      ...wasmName('normal'), 0x00, 1,
      ...wasmName('matvec'), 0x00, 2,
      ...wasmName('activate'), 0x00, 3,
      ...wasmName('quad'), 0x00, 4,
      ...wasmName('solve'), 0x00, 5,
      ...wasmName('landmark'), 0x00, 8,
      ...wasmName('shape3d'), 0x00, 9,
      ...wasmName('jacobian'), 0x00, 10,
      ...wasmName('meanShift'), 0x00, 11,
      ...wasmName('invert'), 0x00, 12,
      ...wasmName('memory'), 0x02, 0,
    ]),
    ...section(10, code),
  ]);
}

interface KernelExports {
  correlate8(aw: number, rw: number, rh: number, tw: number, th: number, weights: number): void;
  normal(p: number, rows: number, a: number, b: number): void;
  solve(p: number, rows: number, modes: number, a: number, b: number): number;
  shape3d(rows3: number, m: number, v: number, mean: number): void;
  jacobian(n: number, m: number, rigid: number, rows: number, vt: number, dest: number, s: number, r11: number, r12: number, r13: number, r21: number, r22: number, r23: number): void;
  landmark(sw: number, sh: number, img: number, a11: number, a12: number, a13: number, a21: number, a22: number, a23: number, aw: number, ah: number, tw: number, th: number, weights: number, count: number, consts: number, sigma: number, out: number): void;
  meanShift(n: number, win: number, rowLength: number, kde: number, maxPos: number, step: number): void;
  invert(n: number, a: number, l: number, u: number, out: number): number;
  matvec(m: number, n: number): void;
  activate(positions: number, count: number, consts: number): void;
  quad(sw: number, sh: number, dw: number, dh: number, img: number, a11: number, a12: number, a13: number, a21: number, a22: number, a23: number): void;
  memory: WebAssembly.Memory;
}

/** A compiled instance of the kernels with its own memory (one per tracker: not thread-shared). */
export class WasmKernels {
  private readonly k: KernelExports;
  private mem: Float64Array;
  private top = RESIDENT_AT;
  /** the frame in memory: which image object, where, and how many bytes are reserved there */
  private image: object | null = null;
  private imageAt = -1;
  private imageBytes = 0;

  /** `invertSpd`'s scratch (4 matrices) */
  private invertAt = 0;
  private invertCapacity = 0;
  /** where each PDM's matrices are (`preparePdm`) */
  private readonly pdms = new WeakMap<Pdm, { mean: number; v: number; vt: number }>();
  private readonly rotation = new Float64Array(9);
  /** float32 and byte views of the same memory */
  private mem32: Float32Array;
  private mem8: Uint8Array;
  /** `shape3d`'s result view per PDM */
  private readonly shapeViews = new WeakMap<Pdm, Float64Array>();

  private constructor(instance: WebAssembly.Instance) {
    this.k = instance.exports as unknown as KernelExports;
    this.mem = new Float64Array(this.k.memory.buffer);
    this.mem32 = new Float32Array(this.k.memory.buffer);
    this.mem8 = new Uint8Array(this.k.memory.buffer);
  }

  /** The kernels, or null where WebAssembly SIMD is unavailable. */
  static create(): WasmKernels | null {
    try {
      if (typeof WebAssembly !== 'object') return null;
      const bytes = buildModule();
      if (!WebAssembly.validate(bytes)) return null;
      const kernels = new WasmKernels(new WebAssembly.Instance(new WebAssembly.Module(bytes)));
      konstants.forEach((v, i) => kernels.mem.fill(v, KONST_AT + 2 * i, KONST_AT + 2 * i + 2));
      return kernels;
    } catch {
      return null;
    }
  }

  /**
   * Copies constant data into the module's memory for good and returns its
   * offset (in doubles, 16-byte aligned), for `correlate` and `matvec`.
   */
  store(data: ArrayLike<number>): number {
    const at = this.reserve(data.length);
    this.mem.set(data, at);
    return at;
  }

  /**
   * `store` for data that are float32 values (each becomes a float32 in
   * memory): returns the offset in doubles (byte address offset * 8).
   */
  store32(data: ArrayLike<number>): number {
    const at = this.reserve(Math.ceil(data.length / 2));
    this.mem32.set(data, at * 2);
    return at;
  }

  /** Reserves `doubles` of memory for good (16-byte aligned); returns the f64 offset. */
  private reserve(doubles: number): number {
    const at = this.top;
    const need = at + doubles + 2;
    if (need > this.mem.length) {
      this.k.memory.grow(Math.ceil((need - this.mem.length) / PAGE_DOUBLES) + 64);
      this.mem = new Float64Array(this.k.memory.buffer);
      this.mem32 = new Float32Array(this.k.memory.buffer);
      this.mem8 = new Uint8Array(this.k.memory.buffer);
    }
    this.top = (need + 1) & ~1;
    return at;
  }

  /**
   * Makes `image` the frame `quad` samples, copying its pixels in unless this
   * very object is already there (the tracker makes one object per frame).
   */
  useImage(image: GrayImage): void {
    if (this.image === image) return;
    const bytes = image.width * image.height;
    if (bytes > this.imageBytes) {
      this.imageAt = this.reserve(Math.ceil(bytes / 8));
      this.imageBytes = bytes;
    }
    this.mem8.set(image.data.subarray(0, bytes), this.imageAt * 8);
    this.image = image;
  }

  /**
   * getQuadrangleSubPix on the image of `useImage` (see areaOfInterest.ts for
   * the arguments) into `dst`; the area stays in memory for `ccnf`.
   */
  /**
   * The whole response map of one landmark (see `landmarkBody`) into `out`
   * (rw x rh floats, rw = dstWidth - tw + 1): the area of interest as `quad`
   * cuts it from the `useImage` frame, then what CcnfExpertRuntime.response
   * computes with the stored `weights`, `consts` and `sigma` (`store`
   * offsets) of an expert with `count` neurons. Needs `fitsArea`,
   * `fitsCorrelation` and `fitsMatvec`.
   */
  landmarkResponse(srcWidth: number, srcHeight: number, m00: number, m01: number, cx: number, m10: number, m11: number, cy: number, dstWidth: number, dstHeight: number, tw: number, th: number, weights: number, count: number, consts: number, sigma: number, out: Float32Array, slot = -1): void {
    const fr = Math.fround;
    const A11 = fr(m00), A12 = fr(m01), A21 = fr(m10), A22 = fr(m11);
    const dx = (dstWidth - 1) * 0.5, dy = (dstHeight - 1) * 0.5;
    const n = (dstWidth - tw + 1) * (dstHeight - th + 1);
    // the map stays in its slot for `meanShifts` when it fits there
    const at = slot >= 0 && slot < MAX_LANDMARKS && n <= SLOT_FLOATS ? RESP_AT * 2 + slot * SLOT_FLOATS : OUT_AT * 2;
    this.k.landmark(srcWidth, srcHeight, this.imageAt * 8, A11, A12, fr(cx) - (A11 * dx + A12 * dy), A21, A22, fr(cy) - (A21 * dx + A22 * dy), dstWidth, dstHeight, tw, th, weights * 8, count, consts * 8, sigma * 8, at * 4);
    // (a loop: a subarray view per landmark would be garbage)
    const mem32 = this.mem32;
    for (let r = 0; r < n; r++) out[r] = mem32[at + r];
  }

  /**
   * smallLinalg.ts's `invertSpdDouble` of the n x n matrix `a` (the same
   * bits), or null when `a` is not positive definite (the caller then takes
   * the TypeScript version's Gauss-Jordan path). Grows the memory when a
   * larger scratch is needed.
   */
  invertSpd(a: Float64Array, n: number): Float64Array | null {
    const size = (n * n + 3) & ~1; // (room for one entry past the end, 16-byte aligned)
    if (size * 4 > this.invertCapacity) {
      this.invertAt = this.reserve(size * 4);
      this.invertCapacity = size * 4;
    }
    const A = this.invertAt, L = A + size, U = L + size, OUT = U + size;
    const mem = this.mem;
    mem.set(a.subarray(0, n * n), A);
    mem.fill(0, U, U + size);
    if (this.k.invert(n, A * 8, L * 8, U * 8, OUT * 8) !== 1) return null;
    return mem.slice(OUT, OUT + n * n);
  }

  /** Whether `meanShifts` takes n landmarks (in response slots 0..n-1) with window x window maps. */
  fitsMeanShifts(n: number, window: number): boolean {
    return n <= MAX_LANDMARKS && window * window <= SLOT_FLOATS;
  }

  /**
   * meanShift.ts's `meanShifts` (the same float32 operations) on the maps
   * left in slots 0..n-1 by `landmarkResponse`, with the KDE table stored
   * at `kde` (`store32` of its values), into `out` (2n).
   */
  meanShifts(kde: number, window: number, dxs: Float64Array, dys: Float64Array, visible: Uint8Array, out: Float64Array): void {
    const n = dxs.length;
    const mem = this.mem;
    for (let i = 0; i < n; i++) {
      mem[DXS_AT + i] = dxs[i];
      mem[DYS_AT + i] = dys[i];
    }
    const bytes = this.mem8;
    for (let i = 0; i < n; i++) bytes[VIS_AT * 8 + i] = visible[i];
    const step = Math.fround(0.1);
    const maxPos = Math.fround(window - step);
    const rowLength = Math.trunc(Math.fround(window / step) + 0.5);
    this.k.meanShift(n, window, rowLength, kde * 8, maxPos, step);
    for (let k = 0; k < 2 * n; k++) out[k] = mem[MS_AT + k];
  }

  quad(srcWidth: number, srcHeight: number, m00: number, m01: number, cx: number, m10: number, m11: number, cy: number, dst: Float64Array, dstWidth: number, dstHeight: number): void {
    const fr = Math.fround;
    const A11 = fr(m00), A12 = fr(m01), A21 = fr(m10), A22 = fr(m11);
    const dx = (dstWidth - 1) * 0.5, dy = (dstHeight - 1) * 0.5;
    this.k.quad(srcWidth, srcHeight, dstWidth, dstHeight, this.imageAt * 8, A11, A12, fr(cx) - (A11 * dx + A12 * dy), A21, A22, fr(cy) - (A21 * dx + A22 * dy));
    const n = dstWidth * dstHeight;
    for (let i = 0; i < n; i++) dst[i] = this.mem[AOI_AT + i];
  }

  /** Whether `quad` handles a dstWidth x dstHeight area. */
  fitsArea(dstWidth: number, dstHeight: number): boolean {
    // (≤ 64 wide and high: `stats`'s integral images are 65 x 65)
    return dstWidth * dstHeight <= MAX_AOI && dstWidth <= 64 && dstHeight <= 64 && this.imageAt >= 0;
  }

  /** Whether `correlate` handles this geometry. */
  fitsCorrelation(aw: number, ah: number, tw: number, th: number, rw: number, rh: number): boolean {
    return aw * ah <= MAX_AOI && tw * th <= MAX_TEMPLATE && rw * rh <= MAX_POSITIONS;
  }

  /**
   * Correlates `aoi` (aw x ah) with up to 8 interleaved templates stored at
   * `weights` (see `store`; [pixel * 8 + neuron], unused entries 0) and
   * writes out[position * count + neuron].
   */
  correlate(aoi: Float64Array, aw: number, ah: number, rw: number, rh: number, tw: number, th: number, weights: number, count: number, out: Float64Array): void {
    const mem = this.mem;
    mem.set(aoi.subarray(0, aw * ah), AOI_AT);
    this.k.correlate8(aw, rw, rh, tw, th, weights * 8);
    const positions = rw * rh;
    for (let p = 0, o = CORR_AT, q = 0; p < positions; p++, o += 8) {
      for (let k = 0; k < count; k++) out[q++] = mem[o + k];
    }
  }

  /** Whether `normal` handles P parameters and `rows` rows. */
  fitsNormal(P: number, rows: number): boolean {
    return P <= MAX_P && rows <= MAX_ROWS && rows % 2 === 0;
  }

  /** Lower triangle of A·Bᵀ into H[i*P + j] (j ≤ i), unrounded; A and B are P x rows. */
  normal(A: Float64Array, B: Float64Array, P: number, rows: number, H: Float64Array): void {
    const mem = this.mem;
    mem.set(A.subarray(0, P * rows), A_AT);
    mem.set(B.subarray(0, P * rows), B_AT);
    this.k.normal(P, rows, A_AT * 8, B_AT * 8);
    for (let i = 0; i < P; i++) {
      const o = H_AT + i * P;
      for (let j = 0; j <= i; j++) H[i * P + j] = mem[o + j];
    }
  }

  /**
   * Stores `pdm`'s mean shape, modes and transposed modes in the module's
   * memory on first use (keyed by the object) and says whether `shape3d`
   * and `jacobian` take it. Call it before taking `matrix` or `shape3d`
   * views: storing grows the memory, which detaches them.
   */
  preparePdm(pdm: Pdm): boolean {
    const n = pdm.numPoints, m = pdm.numModes;
    if (2 * n > MAX_ROWS || m + 6 > MAX_P) return false;
    if (!this.pdms.has(pdm)) {
      const vt = new Float64Array(3 * n * m);
      for (let r = 0; r < 3 * n; r++) for (let j = 0; j < m; j++) vt[j * 3 * n + r] = pdm.princComp[r * m + j];
      this.pdms.set(pdm, { mean: this.store(pdm.meanShape), v: this.store(pdm.princComp), vt: this.store(vt) });
    }
    return true;
  }

  /**
   * CalcShape3D of `pdm` (see `preparePdm`) for local parameters `loc`: a
   * view of the module's memory (3n values), which `jacobian` then reads;
   * the same bits as shape.ts's `shape3d`.
   */
  shape3d(pdm: Pdm, loc: ArrayLike<number>): Float64Array {
    const at = this.pdmAt(pdm);
    const m = pdm.numModes, rows3 = 3 * pdm.numPoints;
    for (let j = 0; j < m; j++) this.mem[PLOC_AT + j] = loc[j];
    this.k.shape3d(rows3, m, at.v * 8, at.mean * 8);
    // one view per PDM, made again only when the memory has grown
    let view = this.shapeViews.get(pdm);
    if (!view || view.buffer !== this.mem.buffer) {
      view = this.mem.subarray(S3_AT, S3_AT + rows3);
      this.shapeViews.set(pdm, view);
    }
    return view;
  }

  /**
   * fitPdm.ts's computeJacobianT (float) of the last `shape3d` shape with
   * global parameters `glob` into the `matrix(1, …)` buffer (rows = 2n).
   */
  jacobian(pdm: Pdm, glob: ArrayLike<number>, rigid: boolean): void {
    const at = this.pdmAt(pdm);
    const fr = Math.fround;
    const R = euler2RotationMatrix(glob[1], glob[2], glob[3], this.rotation);
    const n = pdm.numPoints;
    this.k.jacobian(n, pdm.numModes, rigid ? 1 : 0, 2 * n, at.vt * 8, B_AT * 8, fr(glob[0]), fr(R[0]), fr(R[1]), fr(R[2]), fr(R[3]), fr(R[4]), fr(R[5]));
  }

  private pdmAt(pdm: Pdm): { mean: number; v: number; vt: number } {
    const at = this.pdms.get(pdm);
    if (!at) throw new Error('WasmKernels: preparePdm first');
    return at;
  }

  /**
   * A P x rows matrix buffer inside the module's memory (`which` 0 or 1),
   * for callers that build a Jacobian in place so that `solve` need not copy
   * it. Valid until the memory grows (`store`, `useImage`): take it afresh
   * for each fit.
   */
  matrix(which: 0 | 1, P: number, rows: number): Float64Array {
    const at = which === 0 ? A_AT : B_AT;
    return this.mem.subarray(at, at + P * rows);
  }

  /** The byte address of `m` when it is one of the `matrix` buffers, else -1. */
  private residentAddress(m: Float64Array): number {
    if (m.buffer !== this.mem.buffer) return -1;
    return m.byteOffset === A_AT * 8 || m.byteOffset === B_AT * 8 ? m.byteOffset : -1;
  }

  /**
   * pdmOps.ts's `regularisedStep` (see `solveBody`): Δp into g; false when
   * the Cholesky factorisation fails (g is then unspecified). JwT and JT
   * (P x rows) are copied in unless they are `matrix` buffers already; they
   * may be the same array. Needs `fitsNormal(P, rows)`.
   */
  solve(JwT: Float64Array, JT: Float64Array, v: Float64Array, reg: Float64Array, loc: Float64Array, rows: number, P: number, g: Float64Array): boolean {
    const mem = this.mem;
    const size = P * rows;
    let a = this.residentAddress(JwT);
    let b = JT === JwT ? a : this.residentAddress(JT);
    // copy what is not resident into a buffer the other does not occupy
    if (a < 0) {
      const at = b === A_AT * 8 ? B_AT : A_AT;
      mem.set(JwT.subarray(0, size), at);
      a = at * 8;
      if (JT === JwT) b = a;
    }
    if (b < 0) {
      const at = a === B_AT * 8 ? A_AT : B_AT;
      mem.set(JT.subarray(0, size), at);
      b = at * 8;
    }
    const modes = P - 6;
    mem.set(v.subarray(0, rows), V_AT);
    for (let j = 0; j < modes; j++) {
      mem[REG_AT + j] = reg[j];
      mem[LOC_AT + j] = loc[j];
    }
    const ok = this.k.solve(P, rows, modes, a, b) === 1;
    for (let p = 0; p < P; p++) g[p] = mem[G_AT + p];
    return ok;
  }

  /**
   * The whole CCNF response after the area of interest: correlations
   * (`correlate8`), neuron activations summed over neurons (`activate`) and
   * Sigma times that (`matvec`), into y (unrounded). `t` and `wndNorm` are
   * the per-position window sums and norms; `weights`, `consts` and `sigma`
   * are `store` offsets.
   */
  ccnf(aoi: Float64Array, aw: number, ah: number, rw: number, rh: number, tw: number, th: number, weights: number, count: number, consts: number, t: Float64Array, wndNorm: Float64Array, sigma: number, y: Float64Array): void {
    const mem = this.mem;
    const positions = rw * rh;
    mem.set(aoi.subarray(0, aw * ah), AOI_AT);
    mem.set(t.subarray(0, positions), T_AT);
    mem.set(wndNorm.subarray(0, positions), WN_AT);
    this.k.correlate8(aw, rw, rh, tw, th, weights * 8);
    this.k.activate(positions, count, consts * 8);
    this.k.matvec(sigma * 8, positions);
    for (let r = 0; r < positions; r++) y[r] = mem[Y_AT + r];
  }

  /** Whether `matvec` handles n x n. */
  fitsMatvec(n: number): boolean {
    // (`activate` computes up to 3 positions past the end)
    return n <= MAX_POSITIONS - 4;
  }
}
