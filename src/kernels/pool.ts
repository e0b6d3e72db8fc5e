// Pooling kernels for the ops: the WebAssembly SIMD kernel when it takes the call (bit-identical
// to the reference, as test/parity proves), else the reference loop.

import type { AdaptiveGeometry, PoolGeometry } from '../pool/geometry.js';
import {
  adaptive_avg_pool_bwd__ref, adaptive_avg_pool_fwd__ref, adaptive_max_pool_fwd__ref,
  avg_pool_bwd__ref, avg_pool_fwd__ref, max_pool_bwd__ref, max_pool_fwd__ref, type AvgOptions,
} from './ref/pool.js';
import { fastKernels } from './switch.js';
import {
  adaptive_avg_pool_bwd_uniform__wasm_simd, adaptive_max_pool_bwd_k2__wasm_simd, adaptive_avg_pool_bwd__wasm_simd, adaptive_avg_pool_fwd__wasm_simd, adaptive_max_pool_fwd__wasm_simd,
  avg_pool_bwd__wasm_simd, avg_pool_bwd_k2s2__wasm_simd, avg_pool_fwd__wasm_simd, max_pool_bwd__wasm_simd, max_pool_bwd_k2s2__wasm_simd, max_pool_bwd_rows__wasm_simd,
  max_pool_fwd__wasm_simd,
} from './wasm/pool.js';

/** Max pooling forward; `indices` null when no backward will need them (values only, faster). */
export function max_pool_fwd(x: Float32Array, g: PoolGeometry, out: Float32Array, indices: Int32Array | null): void {
  if (!(fastKernels() && max_pool_fwd__wasm_simd(x, g, out, indices))) max_pool_fwd__ref(x, g, out, indices);
}

export function max_pool_bwd(gradOut: Float32Array, indices: Int32Array, planes: number, inPlane: number, outPlane: number, gradIn: Float32Array): void {
  if (!(fastKernels() && max_pool_bwd__wasm_simd(gradOut, indices, planes, inPlane, outPlane, gradIn))) {
    max_pool_bwd__ref(gradOut, indices, planes, inPlane, outPlane, gradIn);
  }
}

/**
 * Max pooling backward into `gradIn`, which need not be zeroed: where the windows tile the input
 * (k2s2, no padding) the fast kernel writes every element; other 1-D and 2-D windows zero each
 * output row's input rows just before its scatter; otherwise zeros, then the scatter.
 */
export function max_pool_bwd_into(gradOut: Float32Array, indices: Int32Array, g: PoolGeometry, gradIn: Float32Array): void {
  max_pool_bwd_fresh(gradOut, indices, g.planes, g.inD * g.inH * g.inW, g.outD * g.outH * g.outW, gradIn,
    () => max_pool_bwd_k2s2__wasm_simd(gradOut, indices, g, gradIn) || max_pool_bwd_rows__wasm_simd(gradOut, indices, g, gradIn));
}

/** The scatter onto a gradIn that need not be zeroed: a kernel that writes it all, else zeroing fused with the scatter, else zeros + the reference. */
function max_pool_bwd_fresh(gradOut: Float32Array, indices: Int32Array, planes: number, inPlane: number, outPlane: number, gradIn: Float32Array,
  writesAll: () => boolean): void {
  if (fastKernels() && (writesAll() || max_pool_bwd__wasm_simd(gradOut, indices, planes, inPlane, outPlane, gradIn, true))) return;
  gradIn.fill(0);
  max_pool_bwd__ref(gradOut, indices, planes, inPlane, outPlane, gradIn);
}

export function avg_pool_fwd(x: Float32Array, g: PoolGeometry, opts: AvgOptions, out: Float32Array): void {
  if (!(fastKernels() && avg_pool_fwd__wasm_simd(x, g, opts, out))) avg_pool_fwd__ref(x, g, opts, out);
}

/** Average pooling backward into `gradIn`, which need not be zeroed (whole k2s2 windows write it all). */
export function avg_pool_bwd_into(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): void {
  if (fastKernels() && avg_pool_bwd_k2s2__wasm_simd(gradOut, g, opts, gradIn)) return;
  gradIn.fill(0);
  avg_pool_bwd(gradOut, g, opts, gradIn);
}

export function avg_pool_bwd(gradOut: Float32Array, g: PoolGeometry, opts: AvgOptions, gradIn: Float32Array): void {
  if (!(fastKernels() && avg_pool_bwd__wasm_simd(gradOut, g, opts, gradIn))) avg_pool_bwd__ref(gradOut, g, opts, gradIn);
}

export function adaptive_avg_pool_fwd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array): void {
  if (!(fastKernels() && adaptive_avg_pool_fwd__wasm_simd(x, g, out))) adaptive_avg_pool_fwd__ref(x, g, out);
}

export function adaptive_avg_pool_bwd(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): void {
  if (!(fastKernels() && adaptive_avg_pool_bwd__wasm_simd(gradOut, g, gradIn))) adaptive_avg_pool_bwd__ref(gradOut, g, gradIn);
}

/** Adaptive average backward into `gradIn`, which need not be zeroed (uniform bins write it all). */
export function adaptive_avg_pool_bwd_into(gradOut: Float32Array, g: AdaptiveGeometry, gradIn: Float32Array): void {
  if (fastKernels() && adaptive_avg_pool_bwd_uniform__wasm_simd(gradOut, g, gradIn)) return;
  gradIn.fill(0);
  adaptive_avg_pool_bwd(gradOut, g, gradIn);
}

/** Adaptive max backward into `gradIn`, which need not be zeroed (uniform 2×2 bins write it all). */
export function adaptive_max_pool_bwd_into(gradOut: Float32Array, indices: Int32Array, g: AdaptiveGeometry, gradIn: Float32Array): void {
  max_pool_bwd_fresh(gradOut, indices, g.planes, g.inD * g.inH * g.inW, g.outD * g.outH * g.outW, gradIn,
    () => adaptive_max_pool_bwd_k2__wasm_simd(gradOut, indices, g, gradIn));
}

/** Adaptive max pooling forward; `indices` null when no backward will need them. */
export function adaptive_max_pool_fwd(x: Float32Array, g: AdaptiveGeometry, out: Float32Array, indices: Int32Array | null): void {
  if (!(fastKernels() && adaptive_max_pool_fwd__wasm_simd(x, g, out, indices))) adaptive_max_pool_fwd__ref(x, g, out, indices);
}
