// Reference im2col / col2im for 2-D convolution. Pure functions over typed arrays and a geometry.

import type { Conv2dGeometry } from '../../ops/conv.js';

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

/**
 * The weight gradient sums over the batch. To give the same bits at any thread count, the batch
 * is cut into this many chunks (fewer for a smaller batch) whatever the number of threads; each
 * chunk sums its images into a zeroed partial, and the partials are added to gw in chunk order.
 */
export const CONV_GRAD_CHUNKS = 8;

/** The image ranges [first, end) of the weight-gradient chunks of a batch. */
export function gradChunks(batch: number): [number, number][] {
  const parts = Math.min(CONV_GRAD_CHUNKS, batch);
  return Array.from({ length: parts }, (_, c) => [Math.floor((batch * c) / parts), Math.floor((batch * (c + 1)) / parts)]);
}

/** gb += Σ gy over images and positions, in (n, o) order. */
export function addBiasGrad(gy: Float32Array, g: Conv2dGeometry, gb: Float32Array): void {
  const L = g.outH * g.outW;
  for (let n = 0; n < g.batch; n++) {
    for (let o = 0; o < g.cout; o++) {
      let s = 0;
      const row = (n * g.cout + o) * L;
      for (let l = 0; l < L; l++) s += gy[row + l]!;
      gb[o] += s;
    }
  }
}
