import { Tensor, type Storage } from '../tensor/tensor.js';
import { isGradEnabled } from './grad_mode.js';

/**
 * Wraps an op's result: when grad mode is on and an input requires grad, the result joins
 * the graph with `backward` as its rule. Every differentiable op ends with this call, so the
 * forward and backward of an op sit side by side in its file.
 */
export function result<S extends Storage>(
  data: S,
  shape: readonly number[],
  name: string,
  inputs: readonly Tensor[],
  backward: (gradOutput: Float32Array) => readonly (Float32Array | null)[],
): Tensor<S> {
  const out = new Tensor(data, shape);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad) && data instanceof Float32Array) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}
