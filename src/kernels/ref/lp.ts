// Reference Lp pooling kernels: PyTorch's composition (torch/nn/functional.py `lp_pool2d`)
//
//     y = pow(mul(mul(sign(a), relu(abs(a))), kernelVolume), 1/p),  a = avg_pool(pow(x, p))
//
// with countIncludePad, or with `trueNorm` y = pow(sum_pool(pow(abs(x), p)), 1/p), fused into one
// pass — every float32 step of the composed ops (src/ops/elementwise.ts, avg_pool_*__ref in
// ./pool.ts) in the same order, so values and gradients (zeros, −0, NaN, ±Infinity included) are
// the composed chain's bit for bit, as test/parity/lp.test.ts proves against the chain itself.
// Backward recomputes each window's `a` from the input instead of keeping it from the forward.

import type { PoolGeometry } from '../../pool/geometry.js';
import { windowTaps, type Taps } from './pool.js';

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

/**
 * float32 power with ATen's special cases — the `powf` of src/ops/elementwise.ts (which kernels
 * may not import); the caller rounds the result to float32.
 */
export function powf(v: number, e: number): number {
  switch (e) {
    case 2: return v * v;
    case 3: return f32(v * v) * v;
    case 0.5: return Math.sqrt(v);
    case -0.5: return 1 / f32(Math.sqrt(v));
    case -1: return 1 / v;
    case -2: return 1 / f32(v * v);
    default: return Math.pow(v, e);
  }
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
 * The pooled value `a` of output `o`: the float32 sum of `pow(x, p)` (or `pow(|x|, p)`) over the
 * taps inside the input, from 0, over the divisor — the padded tap count (countIncludePad), or 1
 * for the true norm (divisorOverride 1). A window with no tap inside the input gives 0.
 */
function pooled(x: Float32Array, base: number, g: PoolGeometry, t: [Taps, Taps, Taps], od: number, oh: number, ow: number, lp: LpOptions, e: number): number {
  const [tD, tH, tW] = t;
  if (tD.count[od]! * tH.count[oh]! * tW.count[ow]! === 0) return 0;
  let sum = 0;
  for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
    for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) {
      for (let k = 0, w = tW.first[ow]!; k < tW.count[ow]!; k++, w += g.dilW) {
        const v = x[base + (d * g.inH + h) * g.inW + w]!;
        sum = f32(sum + f32(powf(lp.trueNorm ? Math.abs(v) : v, e)));
      }
    }
  }
  return f32(sum / divisor(t, od, oh, ow, lp));
}

function divisor(t: [Taps, Taps, Taps], od: number, oh: number, ow: number, lp: LpOptions): number {
  return lp.trueNorm ? 1 : t[0].padded[od]! * t[1].padded[oh]! * t[2].padded[ow]!;
}

export function lp_pool_fwd__ref(x: Float32Array, g: PoolGeometry, lp: LpOptions, out: Float32Array): void {
  const t = taps3(g);
  const { e, ei } = exponents(lp);
  const kv = f32(g.kD * g.kH * g.kW);
  const inPlane = g.inD * g.inH * g.inW;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          const a = pooled(x, p * inPlane, g, t, od, oh, ow, lp, e);
          if (lp.trueNorm) {
            out[o] = powf(a, ei);
          } else {
            const m1 = f32(sgn(a) * relu(Math.abs(a)));
            out[o] = powf(f32(m1 * kv), ei);
          }
        }
      }
    }
  }
}

/** As `relu` (ATen clamp_min): negatives become 0, NaN and −0 pass. */
function relu(v: number): number {
  return v < 0 ? 0 : v;
}

/**
 * Lp pooling backward: each window's gradient `∂y/∂a` through the chain's steps, over the
 * divisor, accumulated into the taps in output order from 0 (as avg_pool_bwd__ref); then every
 * input element — reached by a window or not — times `pow(x, p)`'s derivative (and `abs`'s).
 */
export function lp_pool_bwd__ref(x: Float32Array, gradOut: Float32Array, g: PoolGeometry, lp: LpOptions, gradIn: Float32Array): void {
  const t = taps3(g);
  const [tD, tH, tW] = t;
  const { e, ei } = exponents(lp);
  const kv = f32(g.kD * g.kH * g.kW);
  const inPlane = g.inD * g.inH * g.inW;
  gradIn.fill(0, 0, g.planes * inPlane);
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const base = p * inPlane;
    for (let od = 0; od < g.outD; od++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          if (tD.count[od]! * tH.count[oh]! * tW.count[ow]! === 0) continue;
          const a = pooled(x, base, g, t, od, oh, ow, lp, e);
          let gradA: number;
          if (lp.trueNorm) {
            gradA = powGrad(gradOut[o]!, a, ei);
          } else {
            const s = sgn(a), r = relu(Math.abs(a));
            const m2 = f32(f32(s * r) * kv);
            const gradM1 = f32(powGrad(gradOut[o]!, m2, ei) * kv); // through pow, then mul by kv
            const gradR = f32(gradM1 * s); // mul(sign, relu): the relu side
            const gradAbs = r <= 0 ? 0 : gradR; // relu backward
            // abs backward, plus sign's zero gradient (which arrives first: 0 + g turns −0 into 0)
            gradA = f32(0 + f32(gradAbs * sgn(a)));
          }
          const delta = f32(gradA / divisor(t, od, oh, ow, lp));
          for (let i = 0, d = tD.first[od]!; i < tD.count[od]!; i++, d += g.dilD) {
            for (let j = 0, h = tH.first[oh]!; j < tH.count[oh]!; j++, h += g.dilH) {
              for (let k = 0, w = tW.first[ow]!; k < tW.count[ow]!; k++, w += g.dilW) {
                gradIn[base + (d * g.inH + h) * g.inW + w] += delta;
              }
            }
          }
        }
      }
    }
  }
  const n = g.planes * inPlane;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    gradIn[i] = lp.trueNorm ? f32(powGrad(gradIn[i]!, Math.abs(v), e) * sgn(v)) : powGrad(gradIn[i]!, v, e);
  }
}
