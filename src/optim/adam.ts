import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, type ParamState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

const f32 = Math.fround;

/** `a + w·(b − a)`, ATen's `lerp` in float32 (the form it picks by `w`). */
function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? f32(a + f32(w * f32(b - a))) : f32(b - f32(f32(b - a) * f32(1 - w)));
}

/** The Adam step shared by Adam and AdamW (torch/optim/adam.py `_single_tensor_adam`). */
function adamStep(p: Float32Array, g: Float32Array, s: ParamState, h: Required<AdamOptions>, decoupled: boolean): void {
  const { lr, beta1, beta2, eps, weightDecay } = h;
  const m = (s.buffers.exp_avg ??= new Float32Array(p.length));
  const v = (s.buffers.exp_avg_sq ??= new Float32Array(p.length));
  s.step++;
  const bc1 = 1 - beta1 ** s.step;
  const bc2Sqrt = Math.sqrt(1 - beta2 ** s.step);
  const stepSize = lr / bc1;
  if (decoupled && weightDecay !== 0) for (let i = 0; i < p.length; i++) p[i] = f32(p[i]! * f32(1 - lr * weightDecay));
  for (let i = 0; i < p.length; i++) {
    const gi = !decoupled && weightDecay !== 0 ? f32(g[i]! + f32(weightDecay * p[i]!)) : g[i]!;
    m[i] = lerp(m[i]!, gi, 1 - beta1);
    v[i] = f32(f32(v[i]! * beta2) + f32(f32(gi * gi) * f32(1 - beta2)));
    const denom = f32(f32(f32(Math.sqrt(v[i]!)) / f32(bc2Sqrt)) + f32(eps));
    p[i] = f32(p[i]! + f32(f32(m[i]! / denom) * f32(-stepSize)));
  }
}

/**
 * Adam (Kingma & Ba), PyTorch's rule; `weightDecay` adds `λ·p` to the gradient.
 *
 *     const opt = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer<Required<AdamOptions>> {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...opts }, 'Adam');
  }
  protected update(p: Float32Array, g: Float32Array, s: ParamState): void {
    adamStep(p, g, s, this.hyper, false);
  }
}

/** AdamW (Loshchilov & Hutter): decoupled weight decay `p ← p·(1 − lr·λ)` before the Adam step. Default λ 0.01. */
export class AdamW extends Optimizer<Required<AdamOptions>> {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, ...opts }, 'AdamW');
  }
  protected update(p: Float32Array, g: Float32Array, s: ParamState): void {
    adamStep(p, g, s, this.hyper, true);
  }
}
