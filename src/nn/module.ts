import { fmtShape, PoolkitError } from '../errors.js';
import { Tensor, type Storage } from '../tensor/tensor.js';

/**
 * Base of every layer, as `torch.nn.Module`: registered parameters and child modules with
 * PyTorch's dotted names (`conv1.weight`), `train()`/`eval()`, `stateDict()`/`loadStateDict()`
 * and a print like PyTorch's model print.
 */
export abstract class Module {
  training = true;
  /** Dotted name within the model it was registered in (`''` for the root), for messages. */
  path = '';
  readonly #params = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  abstract forward(...inputs: any[]): unknown;

  /** Adds a parameter (a tensor that requires grad) under `name`. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.#params.set(name, t);
    return t;
  }

  /** Adds a child module under `name`; its parameters appear as `name.…`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    m.setPath(this.path === '' ? name : `${this.path}.${name}`);
    return m;
  }

  private setPath(path: string): void {
    this.path = path;
    for (const [n, c] of this.#children) c.setPath(`${path}.${n}`);
  }

  children(): [string, Module][] {
    return [...this.#children];
  }

  /** Every parameter of this module and its children, with dotted PyTorch names. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const own = [...this.#params].map(([n, t]): [string, Tensor] => [prefix + n, t]);
    return own.concat(...this.children().map(([n, m]) => m.namedParameters(`${prefix}${n}.`)));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.#children) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** The parameters by name, as PyTorch's `state_dict()` (these modules have no buffers). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters().map(([n, t]) => [n, t.detach()]));
  }

  /**
   * Copies tensors into the parameters by name. With `strict` (default) the keys must match
   * exactly; shapes must always match.
   */
  loadStateDict(state: Readonly<Record<string, Tensor<Storage>>>, { strict = true } = {}): void {
    const own = new Map(this.namedParameters());
    const errors: string[] = [];
    if (strict) {
      const missing = [...own.keys()].filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !own.has(k));
      if (unexpected.length) errors.push(`Unexpected key(s) in state_dict: ${unexpected.map((k) => `"${k}"`).join(', ')}.`);
      if (missing.length) errors.push(`Missing key(s) in state_dict: ${missing.map((k) => `"${k}"`).join(', ')}.`);
    }
    for (const [name, param] of own) {
      const t = state[name];
      if (t === undefined) continue;
      if (!(t instanceof Tensor) || t.dtype !== 'float32') errors.push(`${name}: expected a float32 tensor.`);
      else if (t.shape.length !== param.shape.length || t.shape.some((d, i) => d !== param.shape[i])) {
        errors.push(`size mismatch for ${name}: copying a param with shape ${fmtShape(t.shape)} from checkpoint, the shape in current model is ${fmtShape(param.shape)}.`);
      }
    }
    if (errors.length) {
      throw new PoolkitError('load_state_dict', 'state', `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    for (const [name, param] of own) {
      const t = state[name];
      if (t !== undefined) param.data.set(t.data);
    }
  }

  /** What goes between the parentheses of the print, as PyTorch's `extra_repr`. */
  protected extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.children();
    if (kids.length === 0) return `${this.constructor.name}(${this.extraRepr()})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`).join('\n');
    return `${this.constructor.name}(\n${body}\n)`;
  }
}
