// Reference 2-D convolution as im2col + GEMM. Pure functions over typed arrays and a geometry.

import type { Conv2dGeometry } from '../../ops/conv.js';
import { gemm_nn, gemm_nt, gemm_tn } from '../gemm.js';
import { col2im, im2col } from '../wasm/conv.js';

/** Unfolds one group of one image into columns: rows (c, kh, kw), columns (oh, ow); zero where padded. */
export function im2col__ref(x: Float32Array, xOff: number, g: Conv2dGeometry, col: Float32Array): void {
  let r = 0;
  for (let c = 0; c < g.cinPerGroup; c++) {
    const plane = xOff + c * g.inH * g.inW;
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++, r++) {
        const row = r * g.outH * g.outW;
        for (let oh = 0; oh < g.outH; oh++) {
          const h = oh * g.sH - g.padH + kh * g.dilH;
          for (let ow = 0; ow < g.outW; ow++) {
            const w = ow * g.sW - g.padW + kw * g.dilW;
            col[row + oh * g.outW + ow] = h >= 0 && h < g.inH && w >= 0 && w < g.inW ? x[plane + h * g.inW + w]! : 0;
          }
        }
      }
    }
  }
}

/** Folds columns back, adding overlapping taps: the adjoint of `im2col__ref`. */
export function col2im__ref(col: Float32Array, g: Conv2dGeometry, dx: Float32Array, dxOff: number): void {
  let r = 0;
  for (let c = 0; c < g.cinPerGroup; c++) {
    const plane = dxOff + c * g.inH * g.inW;
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++, r++) {
        const row = r * g.outH * g.outW;
        for (let oh = 0; oh < g.outH; oh++) {
          const h = oh * g.sH - g.padH + kh * g.dilH;
          if (h < 0 || h >= g.inH) continue;
          for (let ow = 0; ow < g.outW; ow++) {
            const w = ow * g.sW - g.padW + kw * g.dilW;
            if (w >= 0 && w < g.inW) dx[plane + h * g.inW + w] += col[row + oh * g.outW + ow]!;
          }
        }
      }
    }
  }
}

/** y[n, o] = Σ W[o] · col + b[o], per image and group. */
export function conv2d_fwd__ref(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Conv2dGeometry, y: Float32Array): void {
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const col = new Float32Array(K * L);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      im2col(x, (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW, g, col);
      const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
      if (b) for (let o = 0; o < g.coutPerGroup; o++) y.fill(b[grp * g.coutPerGroup + o]!, yOff + o * L, yOff + (o + 1) * L);
      gemm_nn(w, col, y, g.coutPerGroup, L, K, grp * g.coutPerGroup * K, 0, yOff);
    }
  }
}

/** Gradients of input, weight and bias (each optional) from the output gradient. */
export function conv2d_bwd__ref(
  x: Float32Array, w: Float32Array, gy: Float32Array, g: Conv2dGeometry,
  gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null,
): void {
  const L = g.outH * g.outW;
  const K = g.cinPerGroup * g.kH * g.kW;
  const col = new Float32Array(K * L);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const xOff = (n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW;
      const yOff = (n * g.cout + grp * g.coutPerGroup) * L;
      const wOff = grp * g.coutPerGroup * K;
      if (gw) {
        im2col(x, xOff, g, col);
        gemm_nt(gy, col, gw, g.coutPerGroup, K, L, yOff, 0, wOff);
      }
      if (gx) {
        col.fill(0);
        gemm_tn(w, gy, col, K, L, g.coutPerGroup, wOff, yOff, 0);
        col2im(col, g, gx, xOff);
      }
      if (gb) {
        for (let o = 0; o < g.coutPerGroup; o++) {
          let s = 0;
          for (let l = 0; l < L; l++) s += gy[yOff + o * L + l]!;
          gb[grp * g.coutPerGroup + o] += s;
        }
      }
    }
  }
}
