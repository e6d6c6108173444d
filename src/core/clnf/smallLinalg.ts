/**
 * Inverse of a symmetric positive definite n x n matrix (row-major) by
 * Cholesky factorisation in double, as cv::invert(..., DECOMP_CHOLESKY) does
 * (OpenFace inverts the CCNF SigmaInv this way, in float; the double inverse
 * rounded to float differs from it by an ulp at most in practice). Falls back
 * to Gauss-Jordan with partial pivoting when the matrix is not positive
 * definite, rather than failing on a model file.
 */
export function invertSpdDouble(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  let spd = true;
  for (let i = 0; i < n && spd; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) {
          spd = false;
          break;
        }
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  }
  if (!spd) return invertGaussJordan(a, n);
  // inverse of L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    Li[i * n + i] = 1 / L[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = s / L[i * n + i];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      out[i * n + j] = s;
      out[j * n + i] = s;
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
