import { check, fmtShape, PoolkitError, show } from '../errors.js';
import { Tensor, type Storage } from '../tensor/tensor.js';

/** Per-parameter state: named float32 buffers (`momentum_buffer`, `exp_avg`, …) and a step count. */
export interface ParamState {
  step: number;
  buffers: Record<string, Float32Array>;
}

/**
 * Base of the optimizers: the parameters, their state, and a state dict that a checkpoint can
 * hold (`state.<index>.<buffer>` tensors plus the hyperparameters and steps as numbers).
 */
export abstract class Optimizer<H extends object> {
  readonly params: readonly Tensor[];
  readonly state: ParamState[];

  constructor(params: Iterable<Tensor>, public hyper: H, op: string) {
    this.params = [...params];
    check(this.params.length > 0, op, 'params', () => 'optimizer got an empty parameter list');
    this.state = this.params.map(() => ({ step: 0, buffers: {} }));
    for (const [k, v] of Object.entries(hyper)) {
      check(typeof v !== 'number' || (Number.isFinite(v) && v >= 0), op, k, () => `Invalid ${k} value: ${show(v)}`, v);
    }
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    this.params.forEach((p, i) => {
      if (p.grad !== null) this.update(p.data as Float32Array, p.grad.data as Float32Array, this.state[i]!);
    });
  }

  protected abstract update(param: Float32Array, grad: Float32Array, state: ParamState): void;

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Tensors `state.<i>.<buffer>` and numbers `hyper.<name>`, `state.<i>.step`. */
  stateDict(): { tensors: Record<string, Tensor>; numbers: Record<string, number> } {
    const tensors: Record<string, Tensor> = {};
    const numbers: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.hyper)) if (typeof v === 'number') numbers[`hyper.${k}`] = v;
    this.state.forEach((s, i) => {
      numbers[`state.${i}.step`] = s.step;
      for (const [name, buf] of Object.entries(s.buffers)) tensors[`state.${i}.${name}`] = new Tensor(buf.slice(), this.params[i]!.shape);
    });
    return { tensors, numbers };
  }

  loadStateDict(sd: { tensors: Readonly<Record<string, Tensor<Storage>>>; numbers: Readonly<Record<string, number>> }): void {
    const fail = (rule: string): never => {
      throw new PoolkitError('optimizer.load_state_dict', 'state', rule);
    };
    this.state.forEach((s, i) => {
      const step = sd.numbers[`state.${i}.step`];
      if (step === undefined || !Number.isSafeInteger(step) || step < 0) fail(`missing or invalid step for parameter ${i}`);
      s.step = step!;
      s.buffers = {};
    });
    for (const [key, t] of Object.entries(sd.tensors)) {
      const m = /^state\.(\d+)\.(\w+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.params.length) fail(`unexpected optimizer tensor "${key}"`);
      const p = this.params[i]!;
      if (t.dtype !== 'float32' || t.size !== p.size) fail(`optimizer tensor "${key}" has shape ${fmtShape(t.shape)}, but parameter ${i} has ${fmtShape(p.shape)}`);
      this.state[i]!.buffers[m![2]!] = (t.data as Float32Array).slice();
    }
    const hyper = { ...this.hyper } as Record<string, unknown>;
    for (const k of Object.keys(hyper)) {
      const v = sd.numbers[`hyper.${k}`];
      if (typeof hyper[k] === 'number' && v !== undefined) hyper[k] = v;
    }
    this.hyper = hyper as H;
  }
}
