// Fast matrix products: the WebAssembly SIMD twins of src/kernels/ref/gemm.ts (same signatures,
// plus a boolean: false when they decline — no WebAssembly SIMD, or memory they cannot get).
// They sum in another order than the reference (blocked, 4 lanes), so results agree to rounding,
// not bit for bit; and unlike the reference they do not skip zeros of A (0 · ∞ gives NaN).
//
// Arrays in the kernels' shared memory are passed by address; others are copied (withArgs).

import { runTasks } from '../../threads/pool.js';
import { kernels, withArgs } from './loader.js';
import { rangeTasks } from './split.js';

const TRANS: Record<Product, [number, number]> = { sgemm_nn: [0, 0], sgemm_nt: [0, 1], sgemm_tn: [1, 0] };

/** Below this many multiply-adds a product stays on the calling thread. */
const SPLIT_MIN_MACS = 1 << 17;

type Product = 'sgemm_nn' | 'sgemm_nt' | 'sgemm_tn';

/**
 * C += op(A) · op(B), C's rows cut across the worker pool when the product is big enough: each
 * task computes whole rows (every element sums over k in the same order), each with its own
 * packing buffer, so the bits do not depend on the number of threads.
 */
function run(kind: Product, a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number,
  aOff: number, bOff: number, cOff: number): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  const [transA, transB] = TRANS[kind];
  const lda = transA ? m : k, ldb = transB ? k : n;
  const work = kx.gemm_work_bytes();
  const tasks = rangeTasks(m, m * n * k < SPLIT_MIN_MACS ? 0 : 1 << 20, (i0, rows) => ({ fn: 'sgemm_ld', args: [i0, rows] }));
  return withArgs([{ in: a.subarray(aOff, aOff + m * k) }, { in: b.subarray(bOff, bOff + k * n) }, { inout: c.subarray(cOff, cOff + m * n) }, work * tasks.length],
    (_, [ap, bp, cp, wp]) => runTasks(tasks.map(({ args: [i0, rows] }, t) => ({
      fn: 'sgemm_ld',
      // Row i of op(A) starts at A + i·lda (A as stored) or at column i of A (transposed).
      args: [ap! + i0! * (transA ? 1 : lda) * 4, bp!, cp! + i0! * n * 4, rows!, n, k, lda, ldb, n, transA, transB, wp! + t * work],
    }))));
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
