// Reference Lp pooling kernels: PyTorch's composition (torch/nn/functional.py `lp_pool2d`)
//
//     y = pow(mul(mul(sign(a), relu(abs(a))), kernelVolume), 1/p),  a = avg_pool(pow(x, p))
//
// with countIncludePad, or with `trueNorm` y = pow(sum_pool(pow(abs(x), p)), 1/p), fused into
// passes over typed arrays — every float32 step of the composed ops (src/ops/elementwise.ts,
// avg_pool_*__ref in ./pool.ts) in the same order, so values and gradients (zeros, −0, NaN,
// ±Infinity included) are the composed chain's bit for bit, as test/parity/lp.test.ts proves
// against the chain itself. Backward recomputes each window's `a` from the input.

import type { PoolGeometry } from '../../pool/geometry.js';
import { windowTaps, type Taps } from './pool.js';
import { powf } from './elementwise.js';

const f32 = Math.fround;

/** Which Lp pooling: the norm `p` (a positive finite number) and PyTorch's definition or the true norm. */
export interface LpOptions {
  readonly normType: number;
  readonly trueNorm: boolean;
}

/** PyTorch's sign: -1, 0 or 1, and 0 for NaN (as `sign` in src/ops/elementwise.ts). */
function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** As `relu` (ATen clamp_min): negatives become 0, NaN and −0 pass. */
function relu(v: number): number {
  return v < 0 ? 0 : v;
}

/** `pow`'s backward (derivatives.yaml): `g · e · v^(e − 1)` in float32, and 0 when the exponent is 0. */
function powGrad(g: number, v: number, e: number): number {
  return e === 0 ? 0 : f32(g * f32(e * f32(powf(v, f32(e - 1)))));
}

/** The exponents as the composed ops see them: `pow(·, p)` and `pow(·, 1/p)` take float32 exponents. */
function exponents(lp: LpOptions): { e: number; ei: number } {
  return { e: f32(lp.normType), ei: f32(1 / lp.normType) };
}

function taps3(g: PoolGeometry): [Taps, Taps, Taps] {
  return [
    windowTaps(g.outD, g.sD, g.padD, g.padEndD, g.kD, g.dilD, g.inD),
    windowTaps(g.outH, g.sH, g.padH, g.padEndH, g.kH, g.dilH, g.inH),
    windowTaps(g.outW, g.sW, g.padW, g.padEndW, g.kW, g.dilW, g.inW),
  ];
}

/**
 * The start offsets of the input rows of the windows at (p, od, oh) — their (d, h) taps inside the
 * input, in row-major order — into `rows`; returns how many. A window's taps are then
 * `rows[r] + w` for its W taps w, as in the loops of ./pool.ts.
 */
function windowRows(g: PoolGeometry, tD: Taps, tH: Taps, p: number, od: number, oh: number, rows: Int32Array): number {
  const inPlane = g.inD * g.inH * g.inW;
  let nRows = 0;
  for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
    for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) rows[nRows++] = p * inPlane + (d * g.inH + h) * g.inW;
  }
  return nRows;
}

/**
 * The pooled value `a` of every output: the float32 sum of `pow(x, p)` (or `pow(|x|, p)`) over the
 * taps inside the input, from 0, over the divisor — the padded tap count (countIncludePad), or 1
 * for the true norm (divisorOverride 1); a window with no tap inside the input gives 0 (as
 * avg_pool_fwd__ref).
 */
function pooled(x: Float32Array, g: PoolGeometry, lp: LpOptions, a: Float32Array): void {
  const [tD, tH, tW] = taps3(g);
  const { e } = exponents(lp);
  const rows = new Int32Array(g.kD * g.kH);
  const dilW = g.dilW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        const nRows = windowRows(g, tD, tH, p, od, oh, rows);
        const paddedDH = tD.padded[od]! * tH.padded[oh]!;
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const first = tW.first[ow]!, count = tW.count[ow]!;
          if (nRows * count === 0) {
            a[o] = 0;
            continue;
          }
          let sum = 0;
          for (let r = 0; r < nRows; r++) {
            for (let k = 0, at = rows[r]! + first; k < count; k++, at += dilW) {
              const v = x[at]!;
              sum = f32(sum + f32(powf(lp.trueNorm ? Math.abs(v) : v, e)));
            }
          }
          a[o] = sum / (lp.trueNorm ? 1 : paddedDH * tW.padded[ow]!);
        }
      }
    }
  }
}

export function lp_pool_fwd__ref(x: Float32Array, g: PoolGeometry, lp: LpOptions, out: Float32Array): void {
  pooled(x, g, lp, out);
  const { ei } = exponents(lp);
  const kv = f32(g.kD * g.kH * g.kW);
  const m = g.planes * g.outD * g.outH * g.outW;
  for (let o = 0; o < m; o++) {
    const a = out[o]!;
    out[o] = lp.trueNorm ? powf(a, ei) : powf(f32(f32(sgn(a) * relu(Math.abs(a))) * kv), ei);
  }
}

/**
 * Lp pooling backward: each window's gradient `∂y/∂a` through the chain's steps, over the
 * divisor, accumulated into the taps in output order from 0 (as avg_pool_bwd__ref); then every
 * input element — reached by a window or not — times `pow(x, p)`'s derivative (and `abs`'s).
 */
export function lp_pool_bwd__ref(x: Float32Array, gradOut: Float32Array, g: PoolGeometry, lp: LpOptions, gradIn: Float32Array): void {
  const { e, ei } = exponents(lp);
  const kv = f32(g.kD * g.kH * g.kW);
  const a = new Float32Array(g.planes * g.outD * g.outH * g.outW);
  pooled(x, g, lp, a);
  const n = g.planes * g.inD * g.inH * g.inW;
  gradIn.fill(0, 0, n);
  const [tD, tH, tW] = taps3(g);
  const rows = new Int32Array(g.kD * g.kH);
  const dilW = g.dilW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        const nRows = windowRows(g, tD, tH, p, od, oh, rows);
        const paddedDH = tD.padded[od]! * tH.padded[oh]!;
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const first = tW.first[ow]!, count = tW.count[ow]!;
          if (nRows * count === 0) continue;
          let gradA: number;
          if (lp.trueNorm) {
            gradA = powGrad(gradOut[o]!, a[o]!, ei);
          } else {
            const s = sgn(a[o]!), r = relu(Math.abs(a[o]!));
            const gradM1 = f32(powGrad(gradOut[o]!, f32(f32(s * r) * kv), ei) * kv); // through pow, then mul by kv
            const gradR = f32(gradM1 * s); // mul(sign, relu): the relu side
            const gradAbs = r <= 0 ? 0 : gradR; // relu backward
            // abs backward, plus sign's zero gradient (which arrives first: 0 + g turns −0 into 0)
            gradA = f32(0 + f32(gradAbs * s));
          }
          const delta = f32(gradA / (lp.trueNorm ? 1 : paddedDH * tW.padded[ow]!));
          for (let r = 0; r < nRows; r++) {
            for (let k = 0, at = rows[r]! + first; k < count; k++, at += dilW) gradIn[at] += delta;
          }
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    gradIn[i] = lp.trueNorm ? f32(powGrad(gradIn[i]!, Math.abs(v), e) * sgn(v)) : powGrad(gradIn[i]!, v, e);
  }
}
