/**
 * Inverse of a symmetric positive definite n x n matrix (row-major) by
 * Cholesky factorisation in double, as cv::invert(..., DECOMP_CHOLESKY) does
 * (OpenFace inverts the CCNF SigmaInv this way, in float; the double inverse
 * rounded to float differs from it by an ulp at most in practice). Falls back
 * to Gauss-Jordan with partial pivoting when the matrix is not positive
 * definite, rather than failing on a model file.
 */
export function invertSpdDouble(a: Float64Array, n: number): Float64Array {
  // Every entry below is the same sum, in the same order, as in the plain
  // row-by-row algorithm (kept in the tests as the reference); only the
  // order in which entries are computed changes, so that four independent
  // sums run side by side and every inner loop reads memory contiguously
  // (one CCNF Sigma per patch expert and window: ~1000 inversions of up to
  // 121 x 121 when a tracker starts).
  //
  // Cholesky, column by column: L[j][j] = sqrt(a[j][j] - Σ_k<j L[j][k]²),
  // then L[i][j] = (a[i][j] - Σ_k<j L[i][k]·L[j][k]) / L[j][j] for i > j.
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= L[rj + k] * L[rj + k];
    // (the first diagonal that fails is the same in any order)
    if (!(s > 0)) return invertGaussJordan(a, n);
    const d = Math.sqrt(s);
    L[rj + j] = d;
    let i = j + 1;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let s0 = a[r0 + j], s1 = a[r1 + j], s2 = a[r2 + j], s3 = a[r3 + j];
      for (let k = 0; k < j; k++) {
        const l = L[rj + k];
        s0 -= L[r0 + k] * l;
        s1 -= L[r1 + k] * l;
        s2 -= L[r2 + k] * l;
        s3 -= L[r3 + k] * l;
      }
      L[r0 + j] = s0 / d;
      L[r1 + j] = s1 / d;
      L[r2 + j] = s2 / d;
      L[r3 + j] = s3 / d;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s0 = a[ri + j];
      for (let k = 0; k < j; k++) s0 -= L[ri + k] * L[rj + k];
      L[ri + j] = s0 / d;
    }
  }
  // L⁻¹, stored transposed (T[j][i] = L⁻¹[i][j]): row by row, L⁻¹[i][j] =
  // (Σ_{k=j}^{i-1} -L[i][k]·L⁻¹[k][j]) / L[i][i], four columns j at a time.
  const T = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const dii = L[ri + i];
    T[i * n + i] = 1 / dii;
    let j = 0;
    for (; j + 3 < i; j += 4) {
      const t0 = j * n, t1 = t0 + n, t2 = t1 + n, t3 = t2 + n;
      // the first terms of the earlier columns, then all four together
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      s0 -= L[ri + j] * T[t0 + j];
      s0 -= L[ri + j + 1] * T[t0 + j + 1];
      s1 -= L[ri + j + 1] * T[t1 + j + 1];
      s0 -= L[ri + j + 2] * T[t0 + j + 2];
      s1 -= L[ri + j + 2] * T[t1 + j + 2];
      s2 -= L[ri + j + 2] * T[t2 + j + 2];
      for (let k = j + 3; k < i; k++) {
        const l = L[ri + k];
        s0 -= l * T[t0 + k];
        s1 -= l * T[t1 + k];
        s2 -= l * T[t2 + k];
        s3 -= l * T[t3 + k];
      }
      T[t0 + i] = s0 / dii;
      T[t1 + i] = s1 / dii;
      T[t2 + i] = s2 / dii;
      T[t3 + i] = s3 / dii;
    }
    for (; j < i; j++) {
      const tj = j * n;
      let s0 = 0;
      for (let k = j; k < i; k++) s0 -= L[ri + k] * T[tj + k];
      T[tj + i] = s0 / dii;
    }
  }
  // A⁻¹ = L⁻ᵀ L⁻¹: out[i][j] = Σ_{k=i}^{n-1} L⁻¹[k][i]·L⁻¹[k][j] for j ≤ i
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ti = i * n;
    let j = 0;
    for (; j + 3 <= i; j += 4) {
      const t0 = j * n, t1 = t0 + n, t2 = t1 + n, t3 = t2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = i; k < n; k++) {
        const l = T[ti + k];
        s0 += l * T[t0 + k];
        s1 += l * T[t1 + k];
        s2 += l * T[t2 + k];
        s3 += l * T[t3 + k];
      }
      out[ti + j] = out[t0 + i] = s0;
      out[ti + j + 1] = out[t1 + i] = s1;
      out[ti + j + 2] = out[t2 + i] = s2;
      out[ti + j + 3] = out[t3 + i] = s3;
    }
    for (; j <= i; j++) {
      const tj = j * n;
      let s0 = 0;
      for (let k = i; k < n; k++) s0 += T[ti + k] * T[tj + k];
      out[ti + j] = s0;
      out[tj + i] = s0;
    }
  }
  return out;
}

function invertGaussJordan(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[piv * n + c])) piv = r;
    if (m[piv * n + c] === 0) throw new RangeError('invertSpdDouble: singular matrix');
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        let t = m[c * n + k]; m[c * n + k] = m[piv * n + k]; m[piv * n + k] = t;
        t = inv[c * n + k]; inv[c * n + k] = inv[piv * n + k]; inv[piv * n + k] = t;
      }
    }
    const d = 1 / m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] *= d;
      inv[c * n + k] *= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}
