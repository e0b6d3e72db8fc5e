import { result } from '../autograd/function.js';
import { check, fmtShape, show } from '../errors.js';
import { floatData, indexData, type Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './activation.js';
import { zerosFloat32 } from '../tensor/storage.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface NllOptions {
  /** 'mean' (default) over the batch, 'sum', or 'none' (one loss per sample). */
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NllOptions {
  /** Mixes the target with the uniform distribution: `(1 − ε)·nll + ε·mean over classes of −log p`. Default 0. */
  labelSmoothing?: number;
}

function checkTargets(op: string, input: Tensor, target: Tensor<Int32Array>): [Int32Array, number, number] {
  check(input.ndim === 2, op, 'input', () => `Expected input of shape (N, C), but got ${fmtShape(input.shape)}`, input.shape);
  const [n, c] = input.shape as [number, number];
  const t = indexData(op, target, 'target');
  check(target.ndim === 1 && target.shape[0] === n, op, 'target',
    () => `Expected target of shape (${n}) to match the batch of input ${fmtShape(input.shape)}, but got ${fmtShape(target.shape)}`, target.shape);
  const bad = t.findIndex((k) => k < 0 || k >= c);
  check(bad < 0, op, 'target', () => `Target ${t[bad]} is out of bounds.`, t[bad]);
  return [t, n, c];
}

/**
 * Smoothed negative log-likelihood of log-probabilities `(N, C)` at class indices `(N)`:
 * per sample `−((1 − ε)·logp[t] + ε/C · Σ_c logp[c])`, reduced as asked.
 */
function smoothedNll(op: string, logp: Tensor, target: Tensor<Int32Array>, reduction: Reduction, eps: number): Tensor {
  const lp = floatData(op, logp);
  const [t, n, c] = checkTargets(op, logp, target);
  check(reduction === 'mean' || reduction === 'sum' || reduction === 'none', op, 'reduction',
    () => `${show(reduction)} is not a valid value for reduction`, reduction);
  const per = zerosFloat32(n);
  for (let i = 0; i < n; i++) {
    let loss = -(1 - eps) * lp[i * c + t[i]!]!;
    if (eps > 0) {
      let s = 0;
      for (let k = 0; k < c; k++) s += lp[i * c + k]!;
      loss -= (eps / c) * s;
    }
    per[i] = loss;
  }
  let out: Float32Array;
  if (reduction === 'none') out = per;
  else {
    let s = 0;
    for (let i = 0; i < n; i++) s += per[i]!;
    out = new Float32Array([reduction === 'mean' ? s / n : s]);
  }
  return result(out, reduction === 'none' ? [n] : [], op, [logp], (g) => {
    const gl = zerosFloat32(lp.length);
    for (let i = 0; i < n; i++) {
      const gi = reduction === 'none' ? g[i]! : reduction === 'mean' ? g[0]! / n : g[0]!;
      if (eps > 0) for (let k = 0; k < c; k++) gl[i * c + k] = (-eps / c) * gi;
      gl[i * c + t[i]!] += -(1 - eps) * gi;
    }
    return [gl];
  });
}

/**
 * Negative log-likelihood of log-probabilities `(N, C)` at the int32 class indices `(N)`.
 *
 *     nllLoss(logSoftmax(logits, 1), labels);
 */
export function nllLoss(logp: Tensor, target: Tensor<Int32Array>, opts: NllOptions = {}): Tensor {
  return smoothedNll('nll_loss', logp, target, opts.reduction ?? 'mean', 0);
}

/**
 * Cross-entropy of logits `(N, C)` against int32 class indices `(N)`: `logSoftmax` then the
 * (optionally label-smoothed) negative log-likelihood, as `torch.nn.functional.cross_entropy`.
 *
 *     const loss = crossEntropy(model.forward(x), labels);   // mean over the batch
 */
export function crossEntropy(logits: Tensor, target: Tensor<Int32Array>, opts: CrossEntropyOptions = {}): Tensor {
  const eps = opts.labelSmoothing ?? 0;
  check(typeof eps === 'number' && eps >= 0 && eps <= 1, 'cross_entropy', 'labelSmoothing',
    () => `label_smoothing must be between 0.0 and 1.0. Got: ${show(eps)}`, eps);
  floatData('cross_entropy', logits);
  checkTargets('cross_entropy', logits, target);
  return smoothedNll('cross_entropy', logSoftmax(logits, 1), target, opts.reduction ?? 'mean', eps);
}
