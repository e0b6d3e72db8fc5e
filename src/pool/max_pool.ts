import { result } from '../autograd/function.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import { max_pool_bwd_into, max_pool_fwd } from '../kernels/pool.js';
import { numel } from '../tensor/shape.js';
import { floatData, Tensor } from '../tensor/tensor.js';
import { poolGeometry, type WindowOptions } from './geometry.js';
import { emptyFloat32, emptyInt32 } from '../tensor/storage.js';

/** Options of max pooling, as PyTorch's `max_pool{1,2,3}d` (padding also takes poolkit's extra forms). */
export type MaxPoolOptions = WindowOptions;

/** A pooled tensor and, for each output, the flat index of its maximum within its (n, c) plane. */
export interface PoolWithIndices {
  output: Tensor;
  indices: Tensor<Int32Array>;
}

/**
 * Max pooling over 1, 2 or 3 spatial dimensions. ATen DilatedMaxPool / MaxPoolKernel.cpp:
 * padded taps never win, the first maximum wins ties, NaN propagates; backward sends each
 * output's gradient to its recorded index.
 */
function maxPoolNd(nd: 1 | 2 | 3, x: Tensor, opts: MaxPoolOptions, returnIndices: boolean): { output: Tensor; indices?: Tensor<Int32Array> } {
  const op = `max_pool${nd}d`;
  const xs = floatData(op, x);
  const g = poolGeometry(op, nd, x.shape, opts);
  const out = emptyFloat32(numel(g.outputShape));
  // Indices are made only when returned or when a backward may need them.
  const indices = returnIndices || (isGradEnabled() && x.requiresGrad) ? emptyInt32(out.length) : null;
  max_pool_fwd(xs, g, out, indices);
  const output = result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = emptyFloat32(xs.length);
    max_pool_bwd_into(gradOut, indices!, g, gradIn);
    return [gradIn];
  });
  return { output, indices: indices ? new Tensor(indices, g.outputShape) : undefined };
}

function withIndices(nd: 1 | 2 | 3, x: Tensor, opts: MaxPoolOptions): PoolWithIndices {
  const { output, indices } = maxPoolNd(nd, x, opts, true);
  return { output, indices: indices! };
}

/**
 * 1-D max pooling of `(N, C, L)` or `(C, L)`.
 *
 *     maxPool1d(tensor([1, 3, 2, 5], [1, 1, 4]), { kernelSize: 2 });  // [[[3, 5]]]
 */
export function maxPool1d(x: Tensor, opts: MaxPoolOptions): Tensor {
  return maxPoolNd(1, x, opts, false).output;
}
/**
 * 2-D max pooling of `(N, C, H, W)` or `(C, H, W)`.
 *
 *     const y = maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
 */
export function maxPool2d(x: Tensor, opts: MaxPoolOptions): Tensor {
  return maxPoolNd(2, x, opts, false).output;
}
/** 3-D max pooling of `(N, C, D, H, W)` or `(C, D, H, W)`. `maxPool3d(x, { kernelSize: [1, 2, 2] })` */
export function maxPool3d(x: Tensor, opts: MaxPoolOptions): Tensor {
  return maxPoolNd(3, x, opts, false).output;
}
/**
 * `maxPool1d` that also returns the argmax indices (PyTorch `return_indices=True`), for
 * `maxUnpool1d`. `const { output, indices } = maxPool1dWithIndices(x, { kernelSize: 2 });`
 */
export function maxPool1dWithIndices(x: Tensor, opts: MaxPoolOptions): PoolWithIndices {
  return withIndices(1, x, opts);
}
/** `maxPool2d` with the flat `h·W + w` index of each maximum. `maxPool2dWithIndices(x, { kernelSize: 2 }).indices` */
export function maxPool2dWithIndices(x: Tensor, opts: MaxPoolOptions): PoolWithIndices {
  return withIndices(2, x, opts);
}
/** `maxPool3d` with the flat `(d·H + h)·W + w` index of each maximum. */
export function maxPool3dWithIndices(x: Tensor, opts: MaxPoolOptions): PoolWithIndices {
  return withIndices(3, x, opts);
}
