import { result } from '../autograd/function.js';
import { check, show } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
import { unary } from './elementwise.js';
import { zerosFloat32 } from '../tensor/storage.js';

// Activations, softmax and dropout, with PyTorch's backward formulas (ATen derivatives.yaml).

const f32 = Math.fround;

/** `x` where positive, `negativeSlope · x` elsewhere. `leakyRelu(x, 0.2)` */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  check(Number.isFinite(negativeSlope), 'leaky_relu', 'negativeSlope', () => `negative_slope must be finite, but got ${show(negativeSlope)}`);
  const a = f32(negativeSlope);
  return unary('leaky_relu', x, (v) => (v > 0 ? v : v * a), (g, v) => (v > 0 ? g : g * a));
}

/** `1 / (1 + e^−x)`; gradient `g · (1 − y) · y`. */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, (v) => 1 / (1 + Math.exp(-v)), (g, _v, y) => f32(g * f32(1 - y)) * y);
}

/** Hyperbolic tangent; gradient `g · (1 − y²)`. */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, Math.tanh, (g, _v, y) => g * f32(1 - f32(y * y)));
}

/** Splits a shape around `dim` into (outer, size, inner) for reductions along it. */
function around(op: string, shape: readonly number[], dim: number): [number, number, number, number] {
  const nd = shape.length;
  check(Number.isInteger(dim) && dim >= -Math.max(nd, 1) && dim < Math.max(nd, 1), op, 'dim',
    () => `Dimension out of range (expected to be in range of [${-Math.max(nd, 1)}, ${Math.max(nd, 1) - 1}], but got ${dim})`, dim);
  const d = dim < 0 ? dim + Math.max(nd, 1) : dim;
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const size = nd === 0 ? 1 : shape[d]!;
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  return [d, outer, size, inner];
}

/** Calls `fn(base)` for every lane along the reduced dimension: elements `base + k·inner`, `k < size`. */
function forEachLane(outer: number, size: number, inner: number, fn: (base: number) => void): void {
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) fn(o * size * inner + i);
}

/** The stable normaliser of one lane: its max and `Σ e^(x − max)`. */
function partition(xs: Float32Array, base: number, size: number, inner: number): [number, number] {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, xs[base + k * inner]!);
  let s = 0;
  for (let k = 0; k < size; k++) s += Math.exp(xs[base + k * inner]! - max);
  return [max, s];
}

/** Log-softmax along `dim` (default the last), computed stably as `x − max − log Σ e^(x − max)`. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const xs = floatData('log_softmax', x);
  const [, outer, size, inner] = around('log_softmax', x.shape, dim);
  const out = zerosFloat32(xs.length);
  forEachLane(outer, size, inner, (base) => {
    const [max, s] = partition(xs, base, size, inner);
    const logZ = max + Math.log(s);
    for (let k = 0; k < size; k++) out[base + k * inner] = xs[base + k * inner]! - logZ;
  });
  // d/dx: g − softmax · Σ g
  return result(out, x.shape, 'log_softmax', [x], (g) => {
    const gx = zerosFloat32(g.length);
    forEachLane(outer, size, inner, (base) => {
      let gs = 0;
      for (let k = 0; k < size; k++) gs += g[base + k * inner]!;
      for (let k = 0; k < size; k++) gx[base + k * inner] = g[base + k * inner]! - Math.exp(out[base + k * inner]!) * gs;
    });
    return [gx];
  });
}

/** Softmax along `dim` (default the last). */
export function softmax(x: Tensor, dim = -1): Tensor {
  const xs = floatData('softmax', x);
  const [, outer, size, inner] = around('softmax', x.shape, dim);
  const out = zerosFloat32(xs.length);
  forEachLane(outer, size, inner, (base) => {
    const [max, s] = partition(xs, base, size, inner);
    for (let k = 0; k < size; k++) out[base + k * inner] = Math.exp(xs[base + k * inner]! - max) / s;
  });
  // d/dx: y · (g − Σ g·y)
  return result(out, x.shape, 'softmax', [x], (g) => {
    const gx = zerosFloat32(g.length);
    forEachLane(outer, size, inner, (base) => {
      let dot = 0;
      for (let k = 0; k < size; k++) dot += g[base + k * inner]! * out[base + k * inner]!;
      for (let k = 0; k < size; k++) gx[base + k * inner] = out[base + k * inner]! * (g[base + k * inner]! - dot);
    });
    return [gx];
  });
}

/**
 * Zeroes each element with probability `p` and scales the rest by `1 / (1 − p)` while
 * `training`; the identity otherwise. Draws from `generator` (default: the seeded default one).
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  check(typeof p === 'number' && p >= 0 && p <= 1, 'dropout', 'p', () => `dropout probability has to be between 0 and 1, but got ${show(p)}`, p);
  const xs = floatData('dropout', x);
  if (!training || p === 0) return unary('dropout', x, (v) => v, (g) => g);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = zerosFloat32(xs.length);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() < p ? 0 : scale;
  const out = zerosFloat32(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[i]! * mask[i]!;
  return result(out, x.shape, 'dropout', [x], (g) => {
    const gx = zerosFloat32(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i]! * mask[i]!;
    return [gx];
  });
}
