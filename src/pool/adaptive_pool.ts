import { result } from '../autograd/function.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import { adaptive_avg_pool_bwd_into, adaptive_avg_pool_fwd, adaptive_max_pool_bwd_into, adaptive_max_pool_fwd } from '../kernels/pool.js';
import { numel } from '../tensor/shape.js';
import { floatData, Tensor } from '../tensor/tensor.js';
import { adaptiveGeometry, type AdaptiveSize } from './geometry.js';
import type { PoolWithIndices } from './max_pool.js';
import { emptyFloat32, emptyInt32 } from '../tensor/storage.js';

/**
 * Adaptive average pooling (ATen AdaptiveAveragePooling.cpp): output bin `o` of `out` averages
 * input `[floor(o·in/out), ceil((o+1)·in/out))`, dividing the float32 sum by each extent in turn.
 */
function adaptiveAvgPoolNd(nd: 1 | 2 | 3, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = `adaptive_avg_pool${nd}d`;
  const xs = floatData(op, x);
  const g = adaptiveGeometry(op, nd, x.shape, outputSize);
  const out = emptyFloat32(numel(g.outputShape));
  adaptive_avg_pool_fwd(xs, g, out);
  return result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = emptyFloat32(xs.length);
    adaptive_avg_pool_bwd_into(gradOut, g, gradIn);
    return [gradIn];
  });
}

/** Adaptive max pooling: the max-pool rule over each adaptive bin. */
function adaptiveMaxPoolNd(nd: 1 | 2 | 3, x: Tensor, outputSize: AdaptiveSize, returnIndices: boolean): { output: Tensor; indices?: Tensor<Int32Array> } {
  const op = `adaptive_max_pool${nd}d`;
  const xs = floatData(op, x);
  const g = adaptiveGeometry(op, nd, x.shape, outputSize);
  const out = emptyFloat32(numel(g.outputShape));
  // Indices are made only when returned or when a backward may need them.
  const indices = returnIndices || (isGradEnabled() && x.requiresGrad) ? emptyInt32(out.length) : null;
  adaptive_max_pool_fwd(xs, g, out, indices);
  const output = result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = emptyFloat32(xs.length);
    adaptive_max_pool_bwd_into(gradOut, indices!, g, gradIn);
    return [gradIn];
  });
  return { output, indices: indices ? new Tensor(indices, g.outputShape) : undefined };
}

function adaptiveMaxWithIndices(nd: 1 | 2 | 3, x: Tensor, outputSize: AdaptiveSize): PoolWithIndices {
  const { output, indices } = adaptiveMaxPoolNd(nd, x, outputSize, true);
  return { output, indices: indices! };
}

/** `adaptiveAvgPool1d(x, 4)`: `(N, C, L)` → `(N, C, 4)` whatever L is. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd(1, x, outputSize);
}
/** `adaptiveAvgPool2d(x, [7, null])`: height 7, width kept. `adaptiveAvgPool2d(x, 1)` is global average pooling. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd(2, x, outputSize);
}
/** `adaptiveAvgPool3d(x, [1, 7, 7])` */
export function adaptiveAvgPool3d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd(3, x, outputSize);
}
/** `adaptiveMaxPool1d(x, 4)` */
export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveMaxPoolNd(1, x, outputSize, false).output;
}
/** `adaptiveMaxPool2d(x, 1)` is global max pooling. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveMaxPoolNd(2, x, outputSize, false).output;
}
/** `adaptiveMaxPool3d(x, [2, 2, 2])` */
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveMaxPoolNd(3, x, outputSize, false).output;
}
/** `adaptiveMaxPool1d` with the index of each maximum within its plane. */
export function adaptiveMaxPool1dWithIndices(x: Tensor, outputSize: AdaptiveSize): PoolWithIndices {
  return adaptiveMaxWithIndices(1, x, outputSize);
}
/** `adaptiveMaxPool2d` with the flat `h·W + w` index of each maximum. */
export function adaptiveMaxPool2dWithIndices(x: Tensor, outputSize: AdaptiveSize): PoolWithIndices {
  return adaptiveMaxWithIndices(2, x, outputSize);
}
/** `adaptiveMaxPool3d` with the flat `(d·H + h)·W + w` index of each maximum. */
export function adaptiveMaxPool3dWithIndices(x: Tensor, outputSize: AdaptiveSize): PoolWithIndices {
  return adaptiveMaxWithIndices(3, x, outputSize);
}
