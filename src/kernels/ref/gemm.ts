// Reference matrix products over row-major float32 arrays: C (M×N) += op(A) · op(B), with
// op(A) M×K and op(B) K×N. Loop orders keep the innermost loop contiguous.

/** C += A · B, A M×K, B K×N. */
export function gemm_nn__ref(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * n;
    for (let p = 0; p < k; p++) {
      const av = a[aOff + i * k + p]!;
      if (av === 0) continue;
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
}

/** C += A · Bᵀ, A M×K, B N×K. */
export function gemm_nt__ref(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * k;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      c[cOff + i * n + j] += s;
    }
  }
}

/** C += Aᵀ · B, A K×M, B K×N. */
export function gemm_tn__ref(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  for (let p = 0; p < k; p++) {
    const bp = bOff + p * n;
    for (let i = 0; i < m; i++) {
      const av = a[aOff + p * m + i]!;
      if (av === 0) continue;
      const ci = cOff + i * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
}
