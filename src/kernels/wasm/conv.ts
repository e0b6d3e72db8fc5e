// Fast im2col / col2im for 2-D convolution: the WebAssembly twins of im2col__ref and col2im__ref
// in src/kernels/ref/conv.ts (same signatures plus a boolean: false when they decline — no
// WebAssembly SIMD, or memory they cannot get — and the caller runs the reference; the
// dispatchers are in src/kernels/conv.ts).
// im2col only moves data and col2im adds in the reference's order, so both are bit-identical to
// the reference (test/parity/conv_adaptive.test.ts).
//
// Each of those calls copies its inputs into the wasm memory and its output back (and the GEMM
// that follows copies col in again). conv2d_fwd__wasm_simd / conv2d_bwd__wasm_simd below fuse the
// whole per-image loop of src/kernels/conv.ts instead: the batch goes in once, col never leaves
// the wasm memory, and the outputs come back once — same kernels, same calls in the same order on
// the same float32 values, so bit-identical to that loop (test/parity/conv_fused.test.ts).

import type { Conv2dGeometry } from '../../ops/conv.js';
import { f32View, kernels, withBlocks } from './loader.js';

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

/**
 * y = conv2d(x, w) + b for the whole batch in the wasm memory: per image and group im2col, the
 * bias filled into y, then sgemm_nn — conv2d_fwd's loop. Declines (false, y untouched) without
 * the kernels or the memory for x, w, y, col and the GEMM's packing buffer.
 */
export function conv2d_fwd__wasm_simd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry, y: Float32Array): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const xLen = g.batch * g.cin * g.inH * g.inW, wLen = g.cout * K, yLen = g.batch * g.cout * L;
  return withBlocks([xLen * 4, wLen * 4, yLen * 4, K * L * 4, kx.gemm_work_bytes()], (k, ptrs) => {
    const [xp, wp, yp, cp, work] = ptrs as [number, number, number, number, number];
    f32View(xp, xLen).set(x.subarray(0, xLen));
    f32View(wp, wLen).set(w.subarray(0, wLen));
    // Without a bias the GEMM adds onto y as it stands, as conv2d_fwd's does.
    if (!b) f32View(yp, yLen).set(y.subarray(0, yLen));
    for (let n = 0; n < g.batch; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const xOff = (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW;
        const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
        if (!k.im2col(xp + xOff * 4, cp, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW,
          g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
        if (b) {
          const yv = f32View(yp, yLen);
          for (let o = 0; o < g.coutPerGroup; o++) yv.fill(b[grp * g.coutPerGroup + o]!, yOff + o * L, yOff + (o + 1) * L);
        }
        if (!k.sgemm_nn(wp + grp * g.coutPerGroup * K * 4, cp, yp + yOff * 4, g.coutPerGroup, L, K, work)) return false;
      }
    }
    y.set(f32View(yp, yLen));
    return true;
  });
}

/**
 * conv2d_bwd's loop for the whole batch in the wasm memory: gw += gy · colᵀ (im2col, sgemm_nt),
 * gx += col2im(wᵀ · gy) (sgemm_tn into a zeroed col), gb += Σ gy, each onto the values the arrays
 * hold. Declines (false, gx, gw and gb untouched) without the kernels or the memory.
 */
export function conv2d_bwd__wasm_simd(
  x: Float32Array, w: Float32Array, gy: Float32Array, g: Conv2dGeometry,
  gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null,
): boolean {
  const kx = kernels();
  if (kx === undefined) return false;
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const xLen = g.batch * g.cin * g.inH * g.inW, wLen = g.cout * K, yLen = g.batch * g.cout * L;
  const ok = gx === null && gw === null ? true : withBlocks(
    // x, w, gy, col, packing buffer, gx, gw: unused blocks shrink to nothing
    [gw ? xLen * 4 : 0, gx ? wLen * 4 : 0, yLen * 4, K * L * 4, kx.gemm_work_bytes(), gx ? xLen * 4 : 0, gw ? wLen * 4 : 0],
    (k, ptrs) => {
      const [xp, wp, gyp, cp, work, gxp, gwp] = ptrs as [number, number, number, number, number, number, number];
      if (gw) f32View(xp, xLen).set(x.subarray(0, xLen));
      if (gx) f32View(wp, wLen).set(w.subarray(0, wLen));
      f32View(gyp, yLen).set(gy.subarray(0, yLen));
      if (gx) f32View(gxp, xLen).set(gx.subarray(0, xLen));
      if (gw) f32View(gwp, wLen).set(gw.subarray(0, wLen));
      for (let n = 0; n < g.batch; n++) {
        for (let grp = 0; grp < g.groups; grp++) {
          const xOff = (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW;
          const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
          const wOff = grp * g.coutPerGroup * K;
          if (gw) {
            if (!k.im2col(xp + xOff * 4, cp, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW,
              g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
            if (!k.sgemm_nt(gyp + yOff * 4, cp, gwp + wOff * 4, g.coutPerGroup, K, L, work)) return false;
          }
          if (gx) {
            f32View(cp, K * L).fill(0);
            if (!k.sgemm_tn(wp + wOff * 4, gyp + yOff * 4, cp, K, L, g.coutPerGroup, work)) return false;
            if (!k.col2im(cp, gxp + xOff * 4, g.cinPerGroup, g.inH, g.inW, g.outH, g.outW,
              g.kH, g.kW, g.sH, g.sW, g.padH, g.padW, g.dilH, g.dilW)) return false;
          }
        }
      }
      if (gx) gx.set(f32View(gxp, xLen));
      if (gw) gw.set(f32View(gwp, wLen));
      return true;
    });
  if (!ok) return false;
  // gb only touches gb, so summing it after the GEMMs keeps conv2d_bwd's (n, grp, o) order.
  if (gb) {
    for (let n = 0; n < g.batch; n++) {
      for (let grp = 0; grp < g.groups; grp++) {
        const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
        for (let o = 0; o < g.coutPerGroup; o++) {
          let s = 0;
          for (let l = 0; l < L; l++) s += gy[yOff + o * L + l]!;
          gb[grp * g.coutPerGroup + o] += s;
        }
      }
    }
  }
  return true;
}
