// Fast im2col / col2im for 2-D convolution: the WebAssembly twins of im2col__ref and col2im__ref
// in src/kernels/ref/conv.ts (same signatures plus a boolean: false when they decline — no
// WebAssembly SIMD, or memory they cannot get — and the caller runs the reference; the
// dispatchers are in src/kernels/conv.ts).
// im2col only moves data and col2im adds in the reference's order, so both are bit-identical to
// the reference (test/parity/conv_adaptive.test.ts).
//
// For now each call copies its inputs into the wasm memory and its output back (and the GEMM
// that follows copies col in again); the next step of issue 4 keeps col in the wasm memory
// between im2col and the GEMM.

import type { Conv2dGeometry } from '../../ops/conv.js';
import { f32View, withBlocks } from './loader.js';

/** Unfolds one group of one image into `col` (rows (c, kh, kw), columns (oh, ow)); +0 where padded. */
export function im2col__wasm_simd(x: Float32Array, xOff: number, g: Conv2dGeometry, col: Float32Array): boolean {
  const n = g.cinPerGroup * g.inH * g.inW;
  const m = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
  return withBlocks([n * 4, m * 4], (k, [xp, cp]) => {
    f32View(xp!, n).set(x.subarray(xOff, xOff + n));
    if (!k.im2col(xp!, cp!, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW,
      g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
    col.set(f32View(cp!, m));
    return true;
  });
}

/** Folds `col` back into one group of one image of `dx`, adding overlapping taps in the reference's order. */
export function col2im__wasm_simd(col: Float32Array, g: Conv2dGeometry, dx: Float32Array, dxOff: number): boolean {
  const n = g.cinPerGroup * g.inH * g.inW;
  const m = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
  return withBlocks([m * 4, n * 4], (k, [cp, dp]) => {
    f32View(cp!, m).set(col.subarray(0, m));
    f32View(dp!, n).set(dx.subarray(dxOff, dxOff + n));
    if (!k.col2im(cp!, dp!, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW,
      g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
    dx.set(f32View(dp!, n), dxOff);
    return true;
  });
}
