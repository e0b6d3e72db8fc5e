// 2-D convolution as im2col + GEMM. im2col / col2im take the WebAssembly kernel when it takes
// the call (bit-identical, as test/parity/conv_adaptive.test.ts proves), else the reference loop;
// the GEMMs dispatch the same way (gemm.ts). With the fast kernels on, conv2d_fwd / conv2d_bwd
// first try the fused WebAssembly loop (wasm/conv.ts: the batch copied in once, col kept in the
// wasm memory), bit-identical to the loop of pieces below (test/parity/conv_fused.test.ts).

import type { Conv2dGeometry } from '../ops/conv.js';
import { gemm_nn, gemm_nt, gemm_tn } from './gemm.js';
import { addBiasGrad, col2im__ref, gradChunks, im2col__ref } from './ref/conv.js';
import { fastKernels } from './switch.js';
import { col2im__wasm_simd, conv2d_bwd__wasm_simd, conv2d_fwd__wasm_simd, im2col__wasm_simd } from './wasm/conv.js';

export function im2col(x: Float32Array, xOff: number, g: Conv2dGeometry, col: Float32Array): void {
  if (!(fastKernels() && im2col__wasm_simd(x, xOff, g, col))) im2col__ref(x, xOff, g, col);
}

export function col2im(col: Float32Array, g: Conv2dGeometry, dx: Float32Array, dxOff: number): void {
  if (!(fastKernels() && col2im__wasm_simd(col, g, dx, dxOff))) col2im__ref(col, g, dx, dxOff);
}

/**
 * y[n, o] = Σ W[o] · col + b[o], per image and group. `cols` (batch · groups · K · L floats, or
 * null): keep every col there for the backward, which then need not unfold x again.
 */
export function conv2d_fwd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry, y: Float32Array,
  cols: Float32Array | null = null): void {
  if (!(fastKernels() && conv2d_fwd__wasm_simd(x, w, b, g, y, cols))) conv2d_fwd_pieces(x, w, b, g, y, cols);
}

/** Gradients of input, weight and bias (each optional, each added onto) from the output gradient; `cols` as conv2d_fwd kept them. */
export function conv2d_bwd(
  x: Float32Array, w: Float32Array, gy: Float32Array, g: Conv2dGeometry,
  gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null, cols: Float32Array | null = null,
): void {
  if (!(fastKernels() && conv2d_bwd__wasm_simd(x, w, gy, g, gx, gw, gb, cols))) conv2d_bwd_pieces(x, w, gy, g, gx, gw, gb, cols);
}

/** conv2d_fwd one piece at a time (each im2col / GEMM dispatched on its own): the fused path's reference. */
export function conv2d_fwd_pieces(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry, y: Float32Array,
  cols: Float32Array | null = null): void {
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  let col: Float32Array = new Float32Array(K * L);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      if (cols) col = cols.subarray((n * g.groups + grp) * K * L, (n * g.groups + grp + 1) * K * L);
      im2col(x, (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW, g, col);
      const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
      if (b) for (let o = 0; o < g.coutPerGroup; o++) y.fill(b[grp * g.coutPerGroup + o]!, yOff + o * L, yOff + (o + 1) * L);
      gemm_nn(w, col, y, g.coutPerGroup, L, K, grp * g.coutPerGroup * K, 0, yOff);
    }
  }
}

/**
 * conv2d_bwd one piece at a time: the fused path's reference. The weight gradient is summed per
 * chunk of images (gradChunks) into a zeroed partial, and the partials are added in chunk order.
 */
export function conv2d_bwd_pieces(
  x: Float32Array, w: Float32Array, gy: Float32Array, g: Conv2dGeometry,
  gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null, cols: Float32Array | null = null,
): void {
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const col = new Float32Array(K * L);
  const part = gw ? new Float32Array(g.cout * K) : null;
  for (const [first, end] of gradChunks(g.batch)) {
    part?.fill(0);
    for (let n = first; n < end; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const xOff = (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW;
        const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
        const wOff = grp * g.coutPerGroup * K;
        if (part && cols) {
          gemm_nt(gy, cols, part, g.coutPerGroup, K, L, yOff, (n * g.groups + grp) * K * L, wOff);
        } else if (part) {
          im2col(x, xOff, g, col);
          gemm_nt(gy, col, part, g.coutPerGroup, K, L, yOff, 0, wOff);
        }
        if (gx) {
          col.fill(0);
          gemm_tn(w, gy, col, K, L, g.coutPerGroup, wOff, yOff, 0);
          col2im(col, g, gx, xOff);
        }
      }
    }
    if (gw && part) for (let i = 0; i < part.length; i++) gw[i] += part[i]!;
  }
  if (gb) addBiasGrad(gy, g, gb);
}
