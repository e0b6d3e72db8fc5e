import { result } from '../autograd/function.js';
import { check, show } from '../errors.js';
import { lp_pool_bwd, lp_pool_fwd } from '../kernels/lp.js';
import { numel } from '../tensor/shape.js';
import { emptyFloat32 } from '../tensor/storage.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
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
 * Power-average pooling as PyTorch composes it (torch/nn/functional.py `lp_pool2d`):
 * `pow(sign(a)·relu(|a|)·kernelVolume, 1/p)` with `a = avg_pool(pow(x, p))`, or with `trueNorm`
 * `pow(sum_pool(pow(|x|, p)), 1/p)` — one op whose kernels (src/kernels/ref/lp.ts) run every float32
 * step of that chain of elementwise ops, so values and gradients — at zero, NaN and infinities
 * too — are the composed chain's bit for bit (test/parity/lp.test.ts). `padding` and `dilation`
 * are poolkit extensions (ONNX LpPool has them).
 */
function lpPoolNd(nd: 1 | 2 | 3, x: Tensor, normType: number, opts: LpPoolOptions): Tensor {
  const op = `lp_pool${nd}d`;
  const xs = floatData(op, x);
  check(typeof normType === 'number' && Number.isFinite(normType) && normType > 0, op, 'normType',
    () => `norm_type must be a positive finite number, but got ${show(normType)}`, normType);
  const g = poolGeometry(op, nd, x.shape, opts);
  const trueNorm = opts.trueNorm ?? false;
  check(typeof trueNorm === 'boolean', op, 'trueNorm', () => `trueNorm must be a boolean, but got ${show(trueNorm)}`, trueNorm);
  const lp = { normType, trueNorm };
  const out = emptyFloat32(numel(g.outputShape));
  lp_pool_fwd(xs, g, lp, out);
  return result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = emptyFloat32(xs.length);
    lp_pool_bwd(xs, gradOut, g, lp, gradIn);
    return [gradIn];
  });
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
