// Finite-difference gradient checking for poolkit's float32 autograd, reusable by every op's tests.
//
// The loss is L(x) = Σ fn(x) · w with fixed pseudo-random weights w (seeded, so a failure
// reproduces). The analytic gradient comes from `fn(x).backward(w)` — the same thing as
// `sum(mul(fn(x), w)).backward()`, without involving `mul`/`sum` in the op under test. The numeric
// gradient is the central difference (L(x + ε·e_i) − L(x − ε·e_i)) / (x_i⁺ − x_i⁻), where the
// forward runs in float32 (it is poolkit's forward) but L is summed in float64, and the
// denominator is the difference of the float32-rounded perturbed values actually fed in.
//
// Use inputs with distinct values spaced well apart (see `distinctValues`), so that a
// perturbation of ±ε never changes which tap wins a max or which branch a kink takes.

import assert from 'node:assert/strict';

import { noGrad, Tensor } from '../../src/index.js';

export interface GradcheckOptions {
  /** Perturbation, in the input's units. Default 1e-2 (pick it well below the value spacing). */
  eps?: number;
  /** Relative tolerance against the larger of |analytic| and |numeric|. Default 2e-2 (float32). */
  rtol?: number;
  /** Absolute tolerance. Default 2e-3. */
  atol?: number;
  /** Seed of the loss weights. */
  seed?: number;
  /** Indices of the inputs to check (default: every float32 input). */
  wrt?: readonly number[];
  /** Prefix for assertion messages. */
  label?: string;
}

export interface GradcheckReport {
  /** Per checked input: analytic and numeric gradients (float64). */
  analytic: Float64Array[];
  numeric: Float64Array[];
  /** The largest |analytic − numeric| seen. */
  maxAbsError: number;
}

/** A small deterministic PRNG (mulberry32): uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` distinct values `offset + spacing · π(i)` for a seeded random permutation π of 0..n−1:
 * no ties, and every gap is at least `spacing`.
 */
export function distinctValues(n: number, opts: { seed?: number; offset?: number; spacing?: number } = {}): Float32Array {
  const { seed = 1, offset = 0, spacing = 1 } = opts;
  const next = rng(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return Float32Array.from(perm, (p) => offset + spacing * p);
}

/** A float32 leaf tensor of `shape` holding `distinctValues`. */
export function distinctTensor(shape: readonly number[], opts: { seed?: number; offset?: number; spacing?: number } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(distinctValues(n, opts), shape);
}

function weightsFor(n: number, seed: number): Float32Array {
  const next = rng(seed);
  // In [-1, -0.25] ∪ [0.25, 1]: no weight so small that an error in its term would hide.
  return Float32Array.from({ length: n }, () => {
    const u = next();
    return (u < 0.5 ? -1 : 1) * (0.25 + 0.75 * (2 * Math.abs(u - 0.5)));
  });
}

function lossOf(out: Tensor, w: Float32Array): number {
  let s = 0;
  const d = out.data;
  for (let i = 0; i < d.length; i++) s += d[i]! * w[i]!;
  return s;
}

/**
 * Checks the gradient of `fn` with respect to its inputs by central differences and throws an
 * `AssertionError` naming the worst element when they disagree. `fn` receives fresh tensors (the
 * same values, `requiresGrad` set for the analytic pass) and must return one float tensor.
 *
 *     gradcheck((x) => maxPool2d(x, { kernelSize: 2 }), distinctTensor([1, 1, 4, 4]));
 *     gradcheck((x, w) => conv2d(x, w), [x, w]);   // several inputs
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor | readonly Tensor[],
  opts: GradcheckOptions = {},
): GradcheckReport {
  const { eps = 1e-2, rtol = 2e-2, atol = 2e-3, seed = 12345, label = 'gradcheck' } = opts;
  const xs = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const wrt = opts.wrt ?? xs.map((_, i) => i).filter((i) => xs[i]!.data instanceof Float32Array);
  const base = xs.map((x) => x.data.slice());

  // Analytic pass.
  const leaves = xs.map((x, i) => new Tensor(base[i]!.slice(), x.shape, { requiresGrad: wrt.includes(i) }));
  const out = fn(...leaves);
  assert.ok(out instanceof Tensor && out.data instanceof Float32Array, `${label}: fn must return a float32 Tensor`);
  const w = weightsFor(out.size, seed);
  out.backward(new Tensor(w, out.shape));

  const forward = (i: number, data: Float32Array): number => noGrad(() => {
    const args = xs.map((x, j) => new Tensor(j === i ? data : base[j]!.slice(), x.shape));
    const y = fn(...args);
    assert.deepEqual([...y.shape], [...out.shape], `${label}: output shape changed under perturbation`);
    return lossOf(y, w);
  });

  const report: GradcheckReport = { analytic: [], numeric: [], maxAbsError: 0 };
  for (const i of wrt) {
    const x = xs[i]!;
    const g = leaves[i]!.grad;
    assert.ok(g !== null, `${label}: input ${i} got no gradient`);
    assert.deepEqual([...g.shape], [...x.shape], `${label}: gradient of input ${i} has shape [${g.shape}], input has [${x.shape}]`);
    const analytic = Float64Array.from(g.data);
    const numeric = new Float64Array(x.size);
    const data = base[i]!.slice() as Float32Array;
    for (let k = 0; k < x.size; k++) {
      const v = data[k]!;
      data[k] = v + eps;
      const hi = data[k]!;
      const lp = forward(i, data.slice());
      data[k] = v - eps;
      const lo = data[k]!;
      const lm = forward(i, data.slice());
      data[k] = v;
      numeric[k] = (lp - lm) / (hi - lo);
    }
    let worst = -1;
    let worstExcess = 0;
    for (let k = 0; k < x.size; k++) {
      const a = analytic[k]!, n = numeric[k]!;
      const err = Math.abs(a - n);
      report.maxAbsError = Math.max(report.maxAbsError, Number.isNaN(err) ? Infinity : err);
      const allowed = atol + rtol * Math.max(Math.abs(a), Math.abs(n));
      const excess = Number.isFinite(err) ? err - allowed : Infinity;
      if (excess > worstExcess || (!Number.isFinite(a) && worst < 0)) {
        worst = k;
        worstExcess = excess;
      }
    }
    if (worst >= 0) {
      const bad = [];
      for (let k = 0; k < x.size && bad.length < 8; k++) {
        const a = analytic[k]!, n = numeric[k]!;
        if (!(Math.abs(a - n) <= atol + rtol * Math.max(Math.abs(a), Math.abs(n)))) bad.push(`[${k}] x=${base[i]![k]} analytic=${a} numeric=${n}`);
      }
      assert.fail(
        `${label}: gradient of input ${i} (shape [${x.shape}]) disagrees with central differences (eps=${eps}, rtol=${rtol}, atol=${atol}); ` +
        `worst at flat index ${worst}: analytic ${analytic[worst]} vs numeric ${numeric[worst]}. First mismatches:\n  ${bad.join('\n  ')}`,
      );
    }
    report.analytic.push(analytic);
    report.numeric.push(numeric);
  }
  return report;
}
