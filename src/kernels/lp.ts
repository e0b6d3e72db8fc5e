// Lp pooling kernels for the op: the WebAssembly SIMD kernel when it takes the call (bit-identical
// to the reference, as test/parity/lp.test.ts proves), else the fused reference loop.

import type { PoolGeometry } from '../pool/geometry.js';
import { lp_pool_bwd__ref, lp_pool_fwd__ref, type LpOptions } from './ref/lp.js';
import { fastKernels } from './switch.js';
import { lp_pool_bwd__wasm_simd, lp_pool_fwd__wasm_simd } from './wasm/lp.js';

export type { LpOptions } from './ref/lp.js';

export function lp_pool_fwd(x: Float32Array, g: PoolGeometry, lp: LpOptions, out: Float32Array): void {
  if (!(fastKernels() && lp_pool_fwd__wasm_simd(x, g, lp, out))) lp_pool_fwd__ref(x, g, lp, out);
}

/** Overwrites every element of gradIn. */
export function lp_pool_bwd(x: Float32Array, gradOut: Float32Array, g: PoolGeometry, lp: LpOptions, gradIn: Float32Array): void {
  if (!(fastKernels() && lp_pool_bwd__wasm_simd(x, gradOut, g, lp, gradIn))) lp_pool_bwd__ref(x, gradOut, g, lp, gradIn);
}
