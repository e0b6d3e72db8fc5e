import { result } from '../autograd/function.js';
import { check, show } from '../errors.js';
import { avg_pool_bwd_into, avg_pool_fwd } from '../kernels/pool.js';
import type { AvgOptions } from '../kernels/ref/pool.js';
import { numel } from '../tensor/shape.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
import { poolGeometry, type PoolGeometry, type WindowOptions } from './geometry.js';
import { emptyFloat32 } from '../tensor/storage.js';

export interface AvgPoolOptions extends WindowOptions {
  /** Count padded taps in the divisor (never the ceil-mode overhang). Default true, as PyTorch. */
  countIncludePad?: boolean;
  /** Divide every window by this instead. */
  divisorOverride?: number | null;
}

/** Checks the averaging options; the op name is the caller's (average or Lp pooling). */
export function avgOptions(op: string, opts: AvgPoolOptions): AvgOptions {
  const { countIncludePad = true, divisorOverride } = opts;
  check(typeof countIncludePad === 'boolean', op, 'countIncludePad',
    () => `countIncludePad must be a boolean, but got ${show(countIncludePad)}`, countIncludePad);
  if (divisorOverride != null) {
    check(Number.isSafeInteger(divisorOverride), op, 'divisorOverride',
      () => `divisor_override must be an integer, but got ${show(divisorOverride)}`, divisorOverride);
    check(divisorOverride !== 0, op, 'divisorOverride', () => 'divisor must be not zero', divisorOverride);
  }
  return { countIncludePad, divisorOverride: divisorOverride ?? undefined };
}

/** Average pooling on a checked geometry: the shared core of `avgPool*` and `lpPool*`. */
export function avgPoolGeometry(x: Tensor, g: PoolGeometry, avg: AvgOptions): Tensor {
  const xs = floatData(g.op, x);
  const out = emptyFloat32(numel(g.outputShape));
  avg_pool_fwd(xs, g, avg, out);
  return result(out, g.outputShape, g.op, [x], (gradOut) => {
    const gradIn = emptyFloat32(xs.length);
    avg_pool_bwd_into(gradOut, g, avg, gradIn);
    return [gradIn];
  });
}

/**
 * Average pooling (ATen AvgPoolKernel.cpp): the float32 sum of the taps inside the input over
 * `divisorOverride`, else the taps inside the padded input (`countIncludePad`), else the taps
 * inside the input. `dilation` is a poolkit extension (ONNX AveragePool has it).
 */
function avgPoolNd(nd: 1 | 2 | 3, x: Tensor, opts: AvgPoolOptions): Tensor {
  const op = `avg_pool${nd}d`;
  floatData(op, x);
  const g = poolGeometry(op, nd, x.shape, opts);
  return avgPoolGeometry(x, g, avgOptions(op, opts));
}

/** 1-D average pooling. `avgPool1d(tensor([1, 2, 3, 4], [1, 1, 4]), { kernelSize: 2 })  // [[[1.5, 3.5]]]` */
export function avgPool1d(x: Tensor, opts: AvgPoolOptions): Tensor {
  return avgPoolNd(1, x, opts);
}
/** 2-D average pooling. `avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false })` */
export function avgPool2d(x: Tensor, opts: AvgPoolOptions): Tensor {
  return avgPoolNd(2, x, opts);
}
/** 3-D average pooling. `avgPool3d(x, { kernelSize: 2, divisorOverride: 4 })` */
export function avgPool3d(x: Tensor, opts: AvgPoolOptions): Tensor {
  return avgPoolNd(3, x, opts);
}
