import { result } from '../autograd/function.js';
import { check, fmtShape } from '../errors.js';
import { max_pool_bwd } from '../kernels/pool.js';
import { fractional_max_pool_fwd__ref } from '../kernels/ref/pool.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { numel } from '../tensor/shape.js';
import { floatData, Tensor } from '../tensor/tensor.js';
import { fractionalGeometry, type FractionalSizeOptions } from './geometry.js';
import type { PoolWithIndices } from './max_pool.js';
import { emptyInt32, zerosFloat32 } from '../tensor/storage.js';

export interface FractionalMaxPoolOptions extends FractionalSizeOptions {
  /**
   * One sample in [0, 1) per plane and dimension, laid out as PyTorch's `_random_samples`:
   * shape `(N, C, 2)` for 2-D (width sample first, then height, as ATen reads them) or
   * `(N, C, 3)` for 3-D (time, height, width); N is 1 for input without a batch dimension.
   * Pass PyTorch's tensor to reproduce its result exactly.
   */
  randomSamples?: Tensor | null;
  /** Where samples come from when `randomSamples` is not given (default: the seeded default generator). */
  generator?: Generator;
}

/**
 * Fractional max pooling (Graham, 2014; ATen FractionalMaxPool2d/3d.cpp): pseudo-random window
 * starts so the output can shrink by a non-integer factor; the max rule of max pooling inside.
 */
function fractionalMaxPoolNd(nd: 2 | 3, x: Tensor, opts: FractionalMaxPoolOptions): PoolWithIndices {
  const op = `fractional_max_pool${nd}d`;
  const xs = floatData(op, x);
  const g = fractionalGeometry(op, nd, x.shape, opts);
  const n = g.batched ? x.shape[0]! : 1;
  const c = x.shape[g.batched ? 1 : 0]!;
  let samples: Float32Array;
  if (opts.randomSamples != null) {
    samples = floatData(op, opts.randomSamples, 'randomSamples');
    const shape = opts.randomSamples.shape;
    // ATen reads samples[n][c]: extra rows beyond the batch are allowed and unused.
    check(shape.length === 3 && shape[0]! >= n && shape[1] === c && shape[2] === nd, op, 'randomSamples',
      () => `random samples must have shape ${fmtShape([n, c, nd])} (batch, channels, ${nd}), but got ${fmtShape(shape)}`, shape);
    samples = samples.subarray(0, n * c * nd);
    const bad = samples.findIndex((u) => !(u >= 0 && u < 1));
    check(bad < 0, op, 'randomSamples', () => `random samples must lie in [0, 1), but got ${samples[bad]} at flat index ${bad}`, samples[bad]);
  } else {
    const generator = opts.generator ?? defaultGenerator;
    samples = new Float32Array(n * c * nd);
    for (let i = 0; i < samples.length; i++) samples[i] = generator.uniform();
  }
  const out = zerosFloat32(numel(g.outputShape));
  const indices = emptyInt32(out.length);
  fractional_max_pool_fwd__ref(xs, g, samples, out, indices);
  const output = result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = zerosFloat32(xs.length);
    max_pool_bwd(gradOut, indices, g.planes, g.inD * g.inH * g.inW, g.outD * g.outH * g.outW, gradIn);
    return [gradIn];
  });
  return { output, indices: new Tensor(indices, g.outputShape) };
}

/**
 * 2-D fractional max pooling.
 *
 *     fractionalMaxPool2d(x, { kernelSize: 2, outputRatio: 0.7 });
 *     fractionalMaxPool2d(x, { kernelSize: 3, outputSize: [13, 12], randomSamples: samplesFromPyTorch });
 */
export function fractionalMaxPool2d(x: Tensor, opts: FractionalMaxPoolOptions): Tensor {
  return fractionalMaxPoolNd(2, x, opts).output;
}
/** 3-D fractional max pooling. `fractionalMaxPool3d(x, { kernelSize: 2, outputSize: 5 })` */
export function fractionalMaxPool3d(x: Tensor, opts: FractionalMaxPoolOptions): Tensor {
  return fractionalMaxPoolNd(3, x, opts).output;
}
/** `fractionalMaxPool2d` with the index of each maximum within its plane. */
export function fractionalMaxPool2dWithIndices(x: Tensor, opts: FractionalMaxPoolOptions): PoolWithIndices {
  return fractionalMaxPoolNd(2, x, opts);
}
/** `fractionalMaxPool3d` with the index of each maximum within its plane. */
export function fractionalMaxPool3dWithIndices(x: Tensor, opts: FractionalMaxPoolOptions): PoolWithIndices {
  return fractionalMaxPoolNd(3, x, opts);
}
