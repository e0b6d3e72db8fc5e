import { check, show } from '../errors.js';
import { abs, mul, pow, relu, sign } from '../ops/elementwise.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
import { avgPoolGeometry } from './avg_pool.js';
import { poolGeometry, type WindowOptions } from './geometry.js';

export interface LpPoolOptions extends WindowOptions {
  /**
   * false (default): PyTorch's definition, `(Σ x^p)^(1/p)` computed as average pooling of `x^p`
   * times the kernel volume — no absolute value, and in ceil mode the overhang shrinks the
   * divisor but not the factor. true: the true Lp norm `(Σ |x|^p)^(1/p)` over the taps inside
   * the input, as ONNX LpPool defines it.
   */
  trueNorm?: boolean;
}

/**
 * Power-average pooling, composed from differentiable ops exactly as PyTorch composes it
 * (torch/nn/functional.py `lp_pool2d`), so gradients — including at zero — route the same.
 * `padding` and `dilation` are poolkit extensions (ONNX LpPool has them).
 */
function lpPoolNd(nd: 1 | 2 | 3, x: Tensor, normType: number, opts: LpPoolOptions): Tensor {
  const op = `lp_pool${nd}d`;
  floatData(op, x);
  check(typeof normType === 'number' && Number.isFinite(normType) && normType > 0, op, 'normType',
    () => `norm_type must be a positive finite number, but got ${show(normType)}`, normType);
  const g = poolGeometry(op, nd, x.shape, opts);
  const trueNorm = opts.trueNorm ?? false;
  check(typeof trueNorm === 'boolean', op, 'trueNorm', () => `trueNorm must be a boolean, but got ${show(trueNorm)}`, trueNorm);
  if (trueNorm) {
    const sums = avgPoolGeometry(pow(abs(x), normType), g, { countIncludePad: true, divisorOverride: 1 });
    return pow(sums, 1 / normType);
  }
  const avg = avgPoolGeometry(pow(x, normType), g, { countIncludePad: true, divisorOverride: undefined });
  const kernelVolume = g.kD * g.kH * g.kW;
  return pow(mul(mul(sign(avg), relu(abs(avg))), kernelVolume), 1 / normType);
}

/** 1-D power-average pooling. `lpPool1d(x, 2, { kernelSize: 3, stride: 2 })` */
export function lpPool1d(x: Tensor, normType: number, opts: LpPoolOptions): Tensor {
  return lpPoolNd(1, x, normType, opts);
}
/** 2-D power-average pooling. `lpPool2d(x, 2, { kernelSize: 2 })`; `{ trueNorm: true }` for ONNX's Lp norm. */
export function lpPool2d(x: Tensor, normType: number, opts: LpPoolOptions): Tensor {
  return lpPoolNd(2, x, normType, opts);
}
/** 3-D power-average pooling. `lpPool3d(x, 3, { kernelSize: 2 })` */
export function lpPool3d(x: Tensor, normType: number, opts: LpPoolOptions): Tensor {
  return lpPoolNd(3, x, normType, opts);
}
