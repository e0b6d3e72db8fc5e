import { result } from '../autograd/function.js';
import { check, fmtShape } from '../errors.js';
import { sameShape } from '../tensor/shape.js';
import { relu_bwd, relu_fwd } from '../kernels/elementwise.js';
import { powf } from '../kernels/ref/elementwise.js';
import { floatData, Tensor } from '../tensor/tensor.js';
import { emptyFloat32, zerosFloat32 } from '../tensor/storage.js';

// Elementwise ops in float32, with PyTorch's derivative formulas (derivatives.yaml), so that
// ops composed from them (Lp pooling) route gradients — zeros, infinities and NaN — as PyTorch does.

const f32 = Math.fround;


/** An elementwise op with its derivative `df(gradOut, x, y)`: the building block of the ops here and in activation.ts. */
export function unary(op: string, x: Tensor, f: (v: number) => number, df: (g: number, v: number, out: number) => number): Tensor {
  const xs = floatData(op, x);
  const out = emptyFloat32(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i]!);
  return result(out, x.shape, op, [x], (g) => {
    const gx = emptyFloat32(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = df(g[i]!, xs[i]!, out[i]!);
    return [gx];
  });
}

type Operand = Tensor | number;

function binary(
  op: string, a: Tensor, b: Operand,
  f: (x: number, y: number) => number,
  da: (g: number, x: number, y: number) => number,
  db: (g: number, x: number, y: number) => number,
): Tensor {
  const as = floatData(op, a);
  if (typeof b === 'number') {
    const y = f32(b);
    return unary(op, a, (x) => f(x, y), (g, x) => da(g, x, y));
  }
  const bs = floatData(op, b, 'other');
  check(sameShape(a.shape, b.shape), op, 'other',
    () => `The size of tensor a ${fmtShape(a.shape)} must match the size of tensor b ${fmtShape(b.shape)}`);
  const out = emptyFloat32(as.length);
  for (let i = 0; i < as.length; i++) out[i] = f(as[i]!, bs[i]!);
  return result(out, a.shape, op, [a, b], (g) => {
    const ga = emptyFloat32(g.length);
    const gb = emptyFloat32(g.length);
    for (let i = 0; i < g.length; i++) {
      ga[i] = da(g[i]!, as[i]!, bs[i]!);
      gb[i] = db(g[i]!, as[i]!, bs[i]!);
    }
    return [ga, gb];
  });
}

/** `a + b`, elementwise (same shapes, or a number). */
export function add(a: Tensor, b: Operand): Tensor {
  return binary('add', a, b, (x, y) => x + y, (g) => g, (g) => g);
}
/** `a - b`, elementwise. */
export function sub(a: Tensor, b: Operand): Tensor {
  return binary('sub', a, b, (x, y) => x - y, (g) => g, (g) => -g);
}
/** `a * b`, elementwise. */
export function mul(a: Tensor, b: Operand): Tensor {
  return binary('mul', a, b, (x, y) => x * y, (g, _x, y) => g * y, (g, x) => g * x);
}
/** `a / b`, elementwise. */
export function div(a: Tensor, b: Operand): Tensor {
  return binary('div', a, b, (x, y) => x / y, (g, _x, y) => g / y, (g, x, y) => -g * f32(f32(x / y) / y));
}
export function neg(x: Tensor): Tensor {
  return unary('neg', x, (v) => -v, (g) => -g);
}
/** `|x|`; its gradient at 0 is 0, as PyTorch's `sgn`. */
export function abs(x: Tensor): Tensor {
  return unary('abs', x, Math.abs, (g, v) => g * sgn(v));
}
/** -1, 0 or 1 (0 for NaN, as `torch.sign`); gradient 0. */
export function sign(x: Tensor): Tensor {
  return unary('sign', x, sgn, () => 0);
}
/**
 * `max(x, 0)` as ATen's `clamp_min` (NaN and −0 pass through); the gradient is zeroed where the
 * output is ≤ 0 (a NaN output keeps it).
 */
export function relu(x: Tensor): Tensor {
  const xs = floatData('relu', x);
  const out = emptyFloat32(xs.length);
  relu_fwd(xs, out);
  return result(out, x.shape, 'relu', [x], (g) => {
    const gx = emptyFloat32(g.length);
    relu_bwd(out, g, gx);
    return [gx];
  });
}

/** PyTorch's sign: -1, 0 or 1, and 0 for NaN. */
function sgn(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/**
 * `x ** exponent` for a number exponent, computed in float32 as PyTorch's CPU kernel does
 * (2 and 3 as products, 0.5 as a square root, -1 as a reciprocal); gradient
 * `g · exponent · x^(exponent − 1)`, and 0 when the exponent is 0.
 */
export function pow(x: Tensor, exponent: number): Tensor {
  check(typeof exponent === 'number', 'pow', 'exponent', () => `exponent must be a number, but got ${typeof exponent}`);
  const e = f32(exponent);
  return unary('pow', x, (v) => powf(v, e), (g, v) => (e === 0 ? 0 : g * f32(e * f32(powf(v, f32(e - 1))))));
}

/** Sum of all elements, as a one-element tensor of shape `[]`. */
export function sum(x: Tensor): Tensor {
  const xs = floatData('sum', x);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return result(new Float32Array([s]), [], 'sum', [x], (g) => [zerosFloat32(xs.length).fill(g[0]!)]);
}

/** Mean of all elements, as a one-element tensor of shape `[]`. */
export function mean(x: Tensor): Tensor {
  const xs = floatData('mean', x);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return result(new Float32Array([s / xs.length]), [], 'mean', [x], (g) => [zerosFloat32(xs.length).fill(g[0]! / xs.length)]);
}
