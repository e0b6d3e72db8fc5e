import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** U(−bound, bound) in float32 from `generator`. */
export function uniform(shape: readonly number[], bound: number, generator: Generator = defaultGenerator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (generator.uniform() * 2 - 1) * bound;
  return new Tensor(data, shape);
}

/**
 * PyTorch's default for `Linear` and `Conv2d`: `kaiming_uniform_(w, a=√5)`, which is
 * U(±1/√fan_in), and the bias U(±1/√fan_in) (torch/nn/modules/linear.py `reset_parameters`).
 */
export function defaultInit(weightShape: readonly number[], fanIn: number, bias: boolean, generator?: Generator): [Tensor, Tensor | null] {
  const gain = Math.sqrt(2 / (1 + 5)); // leaky_relu gain with a = √5
  const bound = gain * Math.sqrt(3 / fanIn);
  const weight = uniform(weightShape, bound, generator);
  return [weight, bias ? uniform([weightShape[0]!], 1 / Math.sqrt(fanIn), generator) : null];
}
