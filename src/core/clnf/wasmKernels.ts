/**
 * The hot loops of the CLNF fit as small WebAssembly (SIMD) functions,
 * generated here byte by byte (no toolchain, no binary blob):
 *
 * - `correlate8`: the CCNF neurons' correlation with the area of interest
 *   (`correlate7` in ccnfResponse.ts). The weights are interleaved 8 per
 *   template pixel (up to 8 neurons, zero-padded); four f64x2 accumulators per
 *   response position hold the 8 running sums, and two neighbouring positions
 *   share the weight loads.
 * - `normal`: the lower triangle of H = A·Bᵀ for the Gauss-Newton normal
 *   equations (`normalEquations` in pdmOps.ts), four columns at a time, each
 *   sum split into even and odd rows (the two f64x2 lanes) and added at the end.
 * - `matvec`: y = M·x for the CCNF's Sigma matrices, each row's sum split into
 *   even and odd columns the same way.
 * - `activate`: the CCNF neurons' normalisation and sigmoid for every response
 *   position, straight from `correlate8`'s output, with ccnfExp.ts's
 *   exponential, into matvec's input.
 * - `quad`: the area of interest (getQuadrangleSubPix), whose float32
 *   arithmetic is native here.
 *
 * Large constant data (each patch expert's weights and Sigma matrices) stays
 * in the module's memory once copied there (`store`), and the frame is copied
 * once per frame (`useImage`), so a call only copies small inputs and outputs.
 *
 * Every operation is the one the TypeScript version performs, in the same
 * order (WebAssembly has no fused multiply-add), so both give bit-identical
 * results; the tests check that. Where WebAssembly SIMD is missing the
 * TypeScript versions run instead.
 */

import type { GrayImage } from '../image.ts';
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
/** start of the resident data (weights, Sigma matrices), 16-byte aligned */
const RESIDENT_AT = R_AT + 8;
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
const F64X2_ABS = 0xec, F64X2_NEG = 0xed, F64X2_SUB = 0xf1, F64X2_DIV = 0xf3, F64X2_MIN = 0xf4, F64X2_MAX = 0xf5;
const I32X4_TRUNC_SAT_F64X2_S_ZERO = 0xfc, I64X2_EXTEND_LOW_I32X4_S = 0xc7, I64X2_SHL = 0xcb, I64X2_ADD = 0xce;
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
  /** v128.const of (a, a) as i64x2 */
  i64x2(a: number): void {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(a), true);
    dv.setBigInt64(8, BigInt(a), true);
    this.simd(V128_CONST, ...b);
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
 * normal(P, rows): for j ≤ i, H[i*P + j] = (Σ_{r even} A[i][r]·B[j][r]) +
 * (Σ_{r odd} A[i][r]·B[j][r]), rows even; A and B are P x rows, row-major.
 */
function normalBody(): FunctionBody {
  const P = 0, ROWS = 1;
  const I = 2, J = 3, R = 4, AI = 5, BJ = 6, HP = 7, J4 = 8, ROWB = 9, IP1 = 10;
  const S = 11, X = 15, Y = 16; // v128: S..S+3 accumulators
  const f = new Body();

  const lane = (acc: number): void => {
    // (lane 0 + lane 1) stored at HP
    f.get(HP);
    f.get(acc); f.simd(F64X2_EXTRACT_LANE, 0);
    f.get(acc); f.simd(F64X2_EXTRACT_LANE, 1);
    f.emit(F64_ADD);
    f.emit(F64_STORE, ...memarg(3, 0));
  };

  f.get(ROWS); f.i32(3); f.emit(I32_SHL); f.set(ROWB);
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    f.get(I); f.i32(1); f.emit(I32_ADD); f.set(IP1);
    // ai = A + i*rows*8
    f.get(I); f.get(ROWB); f.emit(I32_MUL); f.i32(A_AT * 8); f.emit(I32_ADD); f.set(AI);
    f.i32(0);
    f.set(J);
    // four columns while j + 4 <= i + 1
    f.emit(BLOCK, VOID, LOOP, VOID);
    f.get(J); f.i32(4); f.emit(I32_ADD); f.set(J4);
    f.get(J4); f.get(IP1); f.emit(0x4a /* i32.gt_s */, BR_IF, 1);
    for (let k = 0; k < 4; k++) f.zeroV128(S + k);
    f.get(J); f.get(ROWB); f.emit(I32_MUL); f.i32(B_AT * 8); f.emit(I32_ADD); f.set(BJ);
    f.i32(0);
    f.set(R);
    f.whileLess(R, ROWB, () => {
      f.get(AI); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(X);
      for (let k = 0; k < 4; k++) {
        f.get(BJ); f.get(R); f.emit(I32_ADD); f.get(ROWB); f.i32(k); f.emit(I32_MUL); f.emit(I32_ADD);
        f.simd(V128_LOAD, ...memarg(3, 0)); f.set(Y);
        f.mulAdd(S + k, X, Y);
      }
      f.addTo(R, 16);
    });
    for (let k = 0; k < 4; k++) {
      // HP = H + (i*P + j + k) * 8
      f.get(I); f.get(P); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(k); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.i32(H_AT * 8); f.emit(I32_ADD); f.set(HP);
      lane(S + k);
    }
    f.get(J4);
    f.set(J);
    f.emit(BR, 0, END, END);
    // remaining columns one at a time
    f.whileLess(J, IP1, () => {
      f.zeroV128(S);
      f.get(J); f.get(ROWB); f.emit(I32_MUL); f.i32(B_AT * 8); f.emit(I32_ADD); f.set(BJ);
      f.i32(0);
      f.set(R);
      f.whileLess(R, ROWB, () => {
        f.get(AI); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(X);
        f.get(BJ); f.get(R); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(Y);
        f.mulAdd(S, X, Y);
        f.addTo(R, 16);
      });
      f.get(I); f.get(P); f.emit(I32_MUL); f.get(J); f.emit(I32_ADD); f.i32(3); f.emit(I32_SHL); f.i32(H_AT * 8); f.emit(I32_ADD); f.set(HP);
      lane(S);
      f.addTo(J, 1);
    });
    f.addTo(I, 1);
  });
  return { params: [I32, I32], locals: [...uleb(2), ...uleb(9), I32, ...uleb(6), V128], code: f.code };
}

/**
 * matvec(m, n): y[r] = (Σ_{c even} M[r][c]·x[c]) + (Σ_{c odd} M[r][c]·x[c]),
 * M (n x n, row-major) at byte address m, x at X_AT, y at Y_AT; an odd last
 * column joins the even sum.
 */
function matvecBody(): FunctionBody {
  const M = 0, N = 1;
  const R = 2, C = 3, ROW = 4, PAIRS = 5, YP = 6;
  const S = 7, X = 8, Y = 9; // v128
  const E = 10; // f64
  const f = new Body();
  // pairs = (n >> 1) << 4: bytes covered by whole pairs
  f.get(N); f.i32(1); f.emit(0x75 /* i32.shr_s */); f.i32(4); f.emit(I32_SHL); f.set(PAIRS);
  f.get(M); f.set(ROW);
  f.i32(0);
  f.set(R);
  f.whileLess(R, N, () => {
    f.zeroV128(S);
    f.i32(0);
    f.set(C);
    f.whileLess(C, PAIRS, () => {
      f.get(ROW); f.get(C); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(X);
      f.get(C); f.i32(X_AT * 8); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, 0)); f.set(Y);
      f.mulAdd(S, X, Y);
      f.addTo(C, 16);
    });
    // e = lane 0 (+ the odd last column), y[r] = e + lane 1
    f.get(S); f.simd(F64X2_EXTRACT_LANE, 0); f.set(E);
    f.get(N); f.i32(1); f.emit(0x71 /* i32.and */);
    f.emit(0x04 /* if */, VOID);
    f.get(E);
    f.get(ROW); f.get(PAIRS); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0));
    f.get(PAIRS); f.i32(X_AT * 8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0));
    f.emit(0xa2 /* f64.mul */, F64_ADD);
    f.set(E);
    f.emit(END);
    f.get(R); f.i32(3); f.emit(I32_SHL); f.i32(Y_AT * 8); f.emit(I32_ADD); f.set(YP);
    f.get(YP);
    f.get(E);
    f.get(S); f.simd(F64X2_EXTRACT_LANE, 1);
    f.emit(F64_ADD);
    f.emit(F64_STORE, ...memarg(3, 0));
    // next row: row += n * 8
    f.get(ROW); f.get(N); f.i32(3); f.emit(I32_SHL); f.emit(I32_ADD); f.set(ROW);
    f.addTo(R, 1);
  });
  return { params: [I32, I32], locals: [...uleb(3), ...uleb(5), I32, ...uleb(3), V128, ...uleb(1), 0x7c], code: f.code };
}

/**
 * activate(positions, count, c): for each response position p and neuron
 * k < count (lanes of 8, from correlate8's output at CORR_AT, stride 8):
 *   num = float(corr) - t[p]·mean_k, den = wndNorm[p]·norm_k,
 *   ncc = |num| < den ? float(num / den) : |num| < 1.125·den ? sign(num) : 0
 *         (1 for a constant template), r_k = float(2α_k / (1 + exp(-(ncc·w_k + b_k)))),
 * and x[p] = the float sum of r_0..r_{count-1} in neuron order, at X_AT.
 * t at T_AT, wndNorm at WN_AT; c: byte address of the neuron constants, 6
 * rows of 8 doubles: mean, norm, w, b, 2α, constant-template flag (1/0).
 */
function activateBody(): FunctionBody {
  const P = 0, N = 1, CONST = 2;
  const I = 3, K = 4, CP = 5;
  const T = 6, WN = 7, NUM = 8, DEN = 9, AN = 10, Q = 11, NCC = 12, X = 13, KK = 14, R = 15, PP = 16; // v128
  const TOTAL = 17; // f64
  const f = new Body();
  const row = (r: number, pair: number): void => {
    f.get(CONST); f.simd(V128_LOAD, ...memarg(3, r * 64 + pair * 16));
  };
  const fround = (): void => {
    f.simd(F32X4_DEMOTE);
    f.simd(F64X2_PROMOTE);
  };
  f.i32(0);
  f.set(I);
  f.whileLess(I, P, () => {
    f.get(I); f.i32(3); f.emit(I32_SHL); f.set(CP); // p * 8 bytes
    f.get(CP); f.i32(T_AT * 8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0)); f.simd(F64X2_SPLAT); f.set(T);
    f.get(CP); f.i32(WN_AT * 8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0)); f.simd(F64X2_SPLAT); f.set(WN);
    for (let pair = 0; pair < 4; pair++) {
      // num = float(corr) - t * mean
      f.get(I); f.i32(6); f.emit(I32_SHL); f.i32(CORR_AT * 8); f.emit(I32_ADD); f.simd(V128_LOAD, ...memarg(3, pair * 16));
      fround();
      f.get(T); row(0, pair); f.simd(F64X2_MUL);
      f.simd(F64X2_SUB); f.set(NUM);
      // den = wndNorm * norm
      f.get(WN); row(1, pair); f.simd(F64X2_MUL); f.set(DEN);
      f.get(NUM); f.simd(F64X2_ABS); f.set(AN);
      f.get(NUM); f.get(DEN); f.simd(F64X2_DIV); fround(); f.set(Q);
      // inner = |num| < 1.125 den ? sign(num) : 0
      f.f64x2(1); f.f64x2(-1); f.get(NUM); f.f64x2(0); f.simd(F64X2_GT); f.simd(V128_BITSELECT);
      f.f64x2(0);
      f.get(AN); f.get(DEN); f.f64x2(1.125); f.simd(F64X2_MUL); f.simd(F64X2_LT);
      f.simd(V128_BITSELECT);
      f.set(NCC);
      // ncc = |num| < den ? q : inner; 1 for a constant template
      f.get(Q); f.get(NCC); f.get(AN); f.get(DEN); f.simd(F64X2_LT); f.simd(V128_BITSELECT); f.set(NCC);
      f.f64x2(1); f.get(NCC); row(5, pair); f.f64x2(0.5); f.simd(F64X2_GT); f.simd(V128_BITSELECT); f.set(NCC);
      // x = -(ncc * w + b), clamped to ±EXP_LIMIT
      f.get(NCC); row(2, pair); f.simd(F64X2_MUL); row(3, pair); f.simd(F64X2_ADD); f.simd(F64X2_NEG);
      f.f64x2(-EXP_LIMIT); f.simd(F64X2_MAX); f.f64x2(EXP_LIMIT); f.simd(F64X2_MIN); f.set(X);
      // exp: k = nearest(x / ln2), r = (x - k ln2_hi) - k ln2_lo, Horner, times 2^k
      f.get(X); f.f64x2(INV_LN2); f.simd(F64X2_MUL); f.simd(F64X2_NEAREST); f.set(KK);
      f.get(X); f.get(KK); f.f64x2(LN2_HI); f.simd(F64X2_MUL); f.simd(F64X2_SUB);
      f.get(KK); f.f64x2(LN2_LO); f.simd(F64X2_MUL); f.simd(F64X2_SUB); f.set(R);
      f.f64x2(EXP_COEFFS[13]);
      for (let j = 12; j >= 0; j--) {
        f.get(R); f.simd(F64X2_MUL); f.f64x2(EXP_COEFFS[j]); f.simd(F64X2_ADD);
      }
      f.set(PP);
      f.get(PP);
      f.get(KK); f.simd(I32X4_TRUNC_SAT_F64X2_S_ZERO); f.simd(I64X2_EXTEND_LOW_I32X4_S); f.i64x2(1023); f.simd(I64X2_ADD);
      f.i32(52); f.simd(I64X2_SHL);
      f.simd(F64X2_MUL);
      // r = float(2α / (1 + e))
      f.set(PP);
      row(4, pair); f.f64x2(1); f.get(PP); f.simd(F64X2_ADD); f.simd(F64X2_DIV); fround();
      f.set(PP);
      f.i32(R_AT * 8); f.get(PP); f.simd(V128_STORE, ...memarg(4, pair * 16));
    }
    // float sum over the neurons, in order
    f.emit(0x44 /* f64.const */, 0, 0, 0, 0, 0, 0, 0, 0);
    f.set(TOTAL);
    f.i32(0);
    f.set(K);
    f.whileLess(K, N, () => {
      f.get(TOTAL);
      f.get(K); f.i32(3); f.emit(I32_SHL); f.i32(R_AT * 8); f.emit(I32_ADD); f.emit(F64_LOAD, ...memarg(3, 0));
      f.emit(F64_ADD, F32_DEMOTE_F64, F64_PROMOTE_F32);
      f.set(TOTAL);
      f.addTo(K, 1);
    });
    f.get(CP); f.i32(X_AT * 8); f.emit(I32_ADD); f.get(TOTAL); f.emit(F64_STORE, ...memarg(3, 0));
    f.addTo(I, 1);
  });
  return { params: [I32, I32, I32], locals: [...uleb(3), ...uleb(3), I32, ...uleb(11), V128, ...uleb(1), 0x7c], code: f.code };
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

function buildModule(): Uint8Array<ArrayBuffer> {
  const fns = [correlateBody(), normalBody(), matvecBody(), activateBody(), quadBody()];
  const types: number[] = [...uleb(fns.length)];
  for (const fn of fns) types.push(0x60, ...uleb(fn.params.length), ...fn.params, ...uleb(0));
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
    ...section(7, [...uleb(6), ...wasmName('correlate8'), 0x00, 0, ...wasmName('normal'), 0x00, 1, ...wasmName('matvec'), 0x00, 2, ...wasmName('activate'), 0x00, 3, ...wasmName('quad'), 0x00, 4, ...wasmName('memory'), 0x02, 0]),
    ...section(10, code),
  ]);
}

interface KernelExports {
  correlate8(aw: number, rw: number, rh: number, tw: number, th: number, weights: number): void;
  normal(p: number, rows: number): void;
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

  private constructor(instance: WebAssembly.Instance) {
    this.k = instance.exports as unknown as KernelExports;
    this.mem = new Float64Array(this.k.memory.buffer);
  }

  /** The kernels, or null where WebAssembly SIMD is unavailable. */
  static create(): WasmKernels | null {
    try {
      if (typeof WebAssembly !== 'object') return null;
      const bytes = buildModule();
      if (!WebAssembly.validate(bytes)) return null;
      return new WasmKernels(new WebAssembly.Instance(new WebAssembly.Module(bytes)));
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

  /** Reserves `doubles` of memory for good (16-byte aligned); returns the f64 offset. */
  private reserve(doubles: number): number {
    const at = this.top;
    const need = at + doubles + 2;
    if (need > this.mem.length) {
      this.k.memory.grow(Math.ceil((need - this.mem.length) / PAGE_DOUBLES) + 64);
      this.mem = new Float64Array(this.k.memory.buffer);
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
    new Uint8Array(this.k.memory.buffer, this.imageAt * 8, bytes).set(image.data.subarray(0, bytes));
    this.image = image;
  }

  /**
   * getQuadrangleSubPix on the image of `useImage` (see areaOfInterest.ts for
   * the arguments) into `dst`; the area stays in memory for `ccnf`.
   */
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
    return dstWidth * dstHeight <= MAX_AOI && this.imageAt >= 0;
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
    this.k.normal(P, rows);
    for (let i = 0; i < P; i++) {
      const o = H_AT + i * P;
      for (let j = 0; j <= i; j++) H[i * P + j] = mem[o + j];
    }
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
    return n <= MAX_POSITIONS;
  }
}
