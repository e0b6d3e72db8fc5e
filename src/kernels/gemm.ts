// Matrix products for the ops: the WebAssembly SIMD kernel when it takes the call, else the
// reference loop. Both compute C += op(A) · op(B) (see ref/gemm.ts).

import { gemm_nn__ref, gemm_nt__ref, gemm_tn__ref } from './ref/gemm.js';
import { gemm_nn__wasm_simd, gemm_nt__wasm_simd, gemm_tn__wasm_simd } from './wasm/gemm.js';
import { fastKernels } from './switch.js';

export function gemm_nn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  if (!(fastKernels() && gemm_nn__wasm_simd(a, b, c, m, n, k, aOff, bOff, cOff))) gemm_nn__ref(a, b, c, m, n, k, aOff, bOff, cOff);
}

export function gemm_nt(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  if (!(fastKernels() && gemm_nt__wasm_simd(a, b, c, m, n, k, aOff, bOff, cOff))) gemm_nt__ref(a, b, c, m, n, k, aOff, bOff, cOff);
}

export function gemm_tn(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number, aOff = 0, bOff = 0, cOff = 0): void {
  if (!(fastKernels() && gemm_tn__wasm_simd(a, b, c, m, n, k, aOff, bOff, cOff))) gemm_tn__ref(a, b, c, m, n, k, aOff, bOff, cOff);
}
