import { check } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

const f32 = Math.fround;

/**
 * Stochastic gradient descent with PyTorch's update rule (torch/optim/sgd.py): `d = g + λ·p`;
 * with momentum `b = d` at the first step, then `b = μ·b + (1 − τ)·d`; `d = d + μ·b` (Nesterov)
 * or `d = b`; `p = p − lr·d`.
 *
 *     const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    const hyper = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts };
    super(params, hyper, 'SGD');
    check(!hyper.nesterov || (hyper.momentum > 0 && hyper.dampening === 0), 'SGD', 'nesterov',
      () => 'Nesterov momentum requires a momentum and zero dampening');
  }

  protected update(p: Float32Array, g: Float32Array, s: ParamState): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.hyper;
    const first = s.buffers.momentum_buffer === undefined;
    const buf = momentum !== 0 ? (s.buffers.momentum_buffer ??= new Float32Array(p.length)) : null;
    for (let i = 0; i < p.length; i++) {
      let d = weightDecay !== 0 ? f32(g[i]! + f32(weightDecay * p[i]!)) : g[i]!;
      if (buf) {
        buf[i] = first ? d : f32(f32(momentum * buf[i]!) + f32((1 - dampening) * d));
        d = nesterov ? f32(d + f32(momentum * buf[i]!)) : buf[i]!;
      }
      p[i] = p[i]! - f32(lr * d);
    }
    s.step++;
  }
}
