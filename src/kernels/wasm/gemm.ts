// Fast matrix products: the WebAssembly SIMD twins of src/kernels/ref/gemm.ts (same signatures,
// plus a boolean: false when they decline — no WebAssembly SIMD, or memory they cannot get).
// They sum in another order than the reference (blocked, 4 lanes), so results agree to rounding,
// not bit for bit; and unlike the reference they do not skip zeros of A (0 · ∞ gives NaN).
//
// For now each call copies its inputs into the wasm memory and C back; the next step of issue 4
// keeps tensor storage in the wasm memory so that nothing is copied.

import { alloc, f32View, kernels, withBlocks } from './loader.js';

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
  return withBlocks([m * k * 4, k * n * 4, m * n * 4], (wasm, ptrs) => {
    const [ap, bp, cp] = ptrs as [number, number, number];
    f32View(ap, m * k).set(a.subarray(aOff, aOff + m * k));
    f32View(bp, k * n).set(b.subarray(bOff, bOff + k * n));
    f32View(cp, m * n).set(c.subarray(cOff, cOff + m * n));
    if (!wasm[kind](ap, bp, cp, m, n, k, work)) return false;
    c.set(f32View(cp, m * n), cOff);
    return true;
  });
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
