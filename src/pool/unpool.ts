import { result } from '../autograd/function.js';
import { check } from '../errors.js';
import { max_unpool_bwd__ref, max_unpool_fwd__ref } from '../kernels/ref/pool.js';
import { floatData, indexData, type Tensor } from '../tensor/tensor.js';
import { unpoolGeometry, type UnpoolOptions } from './geometry.js';
import { zerosFloat32 } from '../tensor/storage.js';

export type MaxUnpoolOptions = UnpoolOptions;

/**
 * Partial inverse of max pooling (ATen MaxUnpooling.cpp): a zero tensor of the unpooled size with
 * each input value at its index — per-plane flat indices, as `maxPool*dWithIndices` returns.
 * Backward gathers the gradient at each index.
 */
function maxUnpoolNd(nd: 1 | 2 | 3, x: Tensor, indices: Tensor<Int32Array>, opts: MaxUnpoolOptions): Tensor {
  const op = `max_unpool${nd}d`;
  const xs = floatData(op, x);
  const idx = indexData(op, indices);
  const g = unpoolGeometry(op, nd, x.shape, indices.shape, opts);
  const bad = idx.findIndex((i) => i < 0 || i >= g.outPlane);
  check(bad < 0, op, 'indices',
    () => `Found an invalid max index: ${idx[bad]} (output volumes are of size ${g.outputShape.slice(-nd).join('x')})`, idx[bad]);
  const out = zerosFloat32(g.planes * g.outPlane);
  max_unpool_fwd__ref(xs, idx, g, out);
  return result(out, g.outputShape, op, [x], (gradOut) => {
    const gradIn = zerosFloat32(xs.length);
    max_unpool_bwd__ref(gradOut, idx, g, gradIn);
    return [gradIn];
  });
}

/**
 * 1-D max unpooling.
 *
 *     const { output, indices } = maxPool1dWithIndices(x, { kernelSize: 2 });
 *     maxUnpool1d(output, indices, { kernelSize: 2 });  // x's shape, zeros except at the maxima
 */
export function maxUnpool1d(x: Tensor, indices: Tensor<Int32Array>, opts: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd(1, x, indices, opts);
}
/** 2-D max unpooling. `maxUnpool2d(y, indices, { kernelSize: 2, outputSize: [5, 5] })` */
export function maxUnpool2d(x: Tensor, indices: Tensor<Int32Array>, opts: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd(2, x, indices, opts);
}
/** 3-D max unpooling. `maxUnpool3d(y, indices, { kernelSize: 2 })` */
export function maxUnpool3d(x: Tensor, indices: Tensor<Int32Array>, opts: MaxUnpoolOptions): Tensor {
  return maxUnpoolNd(3, x, indices, opts);
}
