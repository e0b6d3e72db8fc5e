// Lp pooling kernels for the op: the fused reference loops (src/kernels/ref/lp.ts).

import type { PoolGeometry } from '../pool/geometry.js';
import { lp_pool_bwd__ref, lp_pool_fwd__ref, type LpOptions } from './ref/lp.js';

export type { LpOptions } from './ref/lp.js';

export function lp_pool_fwd(x: Float32Array, g: PoolGeometry, lp: LpOptions, out: Float32Array): void {
  lp_pool_fwd__ref(x, g, lp, out);
}

/** Overwrites every element of gradIn. */
export function lp_pool_bwd(x: Float32Array, gradOut: Float32Array, g: PoolGeometry, lp: LpOptions, gradIn: Float32Array): void {
  lp_pool_bwd__ref(x, gradOut, g, lp, gradIn);
}
