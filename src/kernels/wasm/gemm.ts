// Fast matrix products: the WebAssembly SIMD twins of src/kernels/ref/gemm.ts (same signatures,
// plus a boolean: false when they decline — no WebAssembly SIMD, or memory they cannot get).
// They sum in another order than the reference (blocked, 4 lanes), so results agree to rounding,
// not bit for bit; and unlike the reference they do not skip zeros of A (0 · ∞ gives NaN).
//
// Arrays in the kernels' shared memory are passed by address; others are copied (withArgs).

import { alloc, kernels, withArgs } from './loader.js';

let work = -1; // the packing buffer, allocated once and kept

type Product = 'sgemm_nn' | 'sgemm_nt' | 'sgemm_tn';

function run(kind: Product, a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number,
  aOff: number, bOff: number, cOff: number): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  try {
    if (work < 0) work = alloc(kx.gemm_work_bytes());
  } catch {
    return false;
  }
  return withArgs([{ in: a.subarray(aOff, aOff + m * k) }, { in: b.subarray(bOff, bOff + k * n) }, { inout: c.subarray(cOff, cOff + m * n) }],
    (wasm, [ap, bp, cp]) => wasm[kind](ap!, bp!, cp!, m, n, k, work) === 1);
}

/** C += A · B, A M×K, B K×N. */
export function gemm_nn__wasm_simd(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): boolean {
  return run('sgemm_nn', a, b, c, m, n, k, aOff, bOff, cOff);
}

/** C += A · Bᵀ, A M×K, B N×K. */
export function gemm_nt__wasm_simd(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): boolean {
  return run('sgemm_nt', a, b, c, m, n, k, aOff, bOff, cOff);
}

/** C += Aᵀ · B, A K×M, B K×N. */
export function gemm_tn__wasm_simd(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): boolean {
  return run('sgemm_tn', a, b, c, m, n, k, aOff, bOff, cOff);
}
