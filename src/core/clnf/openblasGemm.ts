/**
 * The summation order of OpenBLAS's single-precision GEMM as OpenFace 2.2
 * runs it (sgemm_ from PDM::CalcShape3D, the NU-RLMS and CalcParams
 * Hessians, and the CCNF patch responses): OpenBLAS 0.3.21 on an x86-64 core
 * of the Haswell/Zen family (kernel sgemm_kernel_8x4_haswell_2.c), which is
 * what produced the OpenFace 2.2 reference. Measured against that library
 * on random products of every shape the CLNF uses: the same bits.
 *
 * C = A·B (+ C) in column-major terms, A is M x K, B is K x N. Each entry
 * of C is accumulated over k with float fused multiply-adds starting from 0,
 * then added to the old C (beta = 1) or written (beta = 0) with one more
 * rounding. The kernel keeps a single accumulator per entry, except in two
 * of its block shapes, which split the first K - K mod 8 steps into an even-k
 * and an odd-k chain (the remaining steps go to the even chain) and add the
 * two at the end:
 * - 8 x 4 blocks: the rows of whole 8-row panels, in the column groups of
 *   four that OpenBLAS's driver hands the kernel;
 * - 8 x 6 blocks inside a 12-column group when M >= 16: rows 0-7 of its
 *   first six columns, and the last eight rows of whichever half the 16-row
 *   blocks (staggered by 8 between the halves) leave behind.
 * The driver passes the columns in groups of 12 while at least 12 remain,
 * then of 4 while more than 4 remain, then the rest (the first row block;
 * every M here is below OpenBLAS's row block size).
 */
import { fmaf } from './floatOps.ts';

const masks = new Map<number, Uint8Array>();

/**
 * Which entries of an M x N sgemm result the kernel sums in two chains:
 * mask[i + j * M] = 1 (column-major, like C). Cached per shape.
 */
export function openblasSplitMask(M: number, N: number): Uint8Array {
  const key = M * 65536 + N;
  let mask = masks.get(key);
  if (mask) return mask;
  mask = new Uint8Array(M * N);
  const mark = (r0: number, r1: number, c0: number, c1: number): void => {
    for (let j = c0; j < c1; j++) for (let i = r0; i < r1; i++) mask![i + j * M] = 1;
  };
  for (let j0 = 0; j0 < N; ) {
    let nn = N - j0;
    if (nn >= 12) nn = 12;
    else if (nn > 4) nn = 4;
    if (nn === 12 && M >= 16) {
      // H block (left half, rows 0-7), then 16-row blocks alternating right
      // and left, each advancing by 8 rows; the half that is 8 rows behind at
      // the end finishes with one more 8-row block
      mark(0, 8, j0, j0 + 6);
      let p = 0, rest = M;
      for (;;) {
        p += 8;
        rest -= 8;
        if (rest < 16) {
          mark(p, p + 8, j0, j0 + 6);
          break;
        }
        p += 8;
        rest -= 8;
        if (rest < 16) {
          mark(p, p + 8, j0 + 6, j0 + 12);
          break;
        }
      }
    } else if (nn === 4) {
      mark(0, M - (M % 8), j0, j0 + 4);
    }
    j0 += nn;
  }
  masks.set(key, mask);
  return mask;
}

/**
 * Σ_k a[ao + k·as] · b[bo + k·bs] for k < K, accumulated as the kernel does
 * for one entry: a single fused chain, or (split) the even/odd pair.
 */
export function openblasDot(a: ArrayLike<number>, ao: number, as: number, b: ArrayLike<number>, bo: number, bs: number, K: number, split: boolean): number {
  if (!split) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc = fmaf(a[ao + k * as], b[bo + k * bs], acc);
    return acc;
  }
  let even = 0, odd = 0, k = 0;
  const paired = K - (K % 8);
  for (; k < paired; k += 2) {
    even = fmaf(a[ao + k * as], b[bo + k * bs], even);
    odd = fmaf(a[ao + (k + 1) * as], b[bo + (k + 1) * bs], odd);
  }
  for (; k < K; k++) even = fmaf(a[ao + k * as], b[bo + k * bs], even);
  return Math.fround(even + odd);
}
