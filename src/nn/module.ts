import type { Tensor } from '../tensor/tensor.js';

/**
 * Base of every layer, as `torch.nn.Module`: `forward`, `train()`/`eval()`, the parameters of
 * the module and its children, and a readable print. Pooling modules have no parameters.
 */
export abstract class Module {
  training = true;

  abstract forward(...inputs: unknown[]): unknown;

  /** Own parameters (none here); layers with weights override this. */
  protected ownParameters(): [string, Tensor][] {
    return [];
  }

  /** Child modules by name; containers override this. */
  children(): [string, Module][] {
    return [];
  }

  /** Every parameter of this module and its children, with dotted PyTorch-style names. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const own = this.ownParameters().map(([n, t]): [string, Tensor] => [prefix + n, t]);
    return own.concat(...this.children().map(([n, m]) => m.namedParameters(`${prefix}${n}.`)));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.children()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
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
