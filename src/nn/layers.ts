import { check, show } from '../errors.js';
import { dropout, leakyRelu, sigmoid, tanh } from '../ops/activation.js';
import { conv2d, type Conv2dOptions } from '../ops/conv.js';
import { relu } from '../ops/elementwise.js';
import { linear } from '../ops/linear.js';
import { flatten } from '../ops/reshape.js';
import type { IntOrTuple } from '../pool/geometry.js';
import { expandInts } from '../pool/geometry.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultInit } from './init.js';
import { Module } from './module.js';

function positiveInt(layer: string, arg: string, v: number): void {
  check(Number.isSafeInteger(v) && v > 0, layer, arg, () => `${arg} must be a positive integer, but got ${show(v)}`, v);
}

export interface LinearOptions {
  bias?: boolean;
  /** Draws the initial weights (default: the seeded default generator). */
  generator?: Generator;
}

/** `y = x·Wᵀ + b`. `new Linear(400, 120)` has `weight` [120, 400] and `bias` [120]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    positiveInt('Linear', 'in_features', inFeatures);
    positiveInt('Linear', 'out_features', outFeatures);
    const [w, b] = defaultInit([outFeatures, inFeatures], inFeatures, opts.bias ?? true, opts.generator);
    this.weight = this.registerParameter('weight', w);
    this.bias = b && this.registerParameter('bias', b);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, `${this.path || 'Linear'} (${this})`);
  }
  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export interface Conv2dModuleOptions extends Conv2dOptions {
  bias?: boolean;
  generator?: Generator;
}

/** 2-D convolution layer. `new Conv2d(1, 6, 5, { padding: 2 })` */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntOrTuple, readonly options: Conv2dModuleOptions = {}) {
    super();
    positiveInt('Conv2d', 'in_channels', inChannels);
    positiveInt('Conv2d', 'out_channels', outChannels);
    this.kernelSize = expandInts('Conv2d', 'kernelSize', kernelSize, 2) as [number, number];
    this.kernelSize.forEach((k) => positiveInt('Conv2d', 'kernel_size', k));
    const groups = options.groups ?? 1;
    check(Number.isSafeInteger(groups) && groups > 0 && inChannels % groups === 0 && outChannels % groups === 0, 'Conv2d', 'groups',
      () => `in_channels (${inChannels}) and out_channels (${outChannels}) must be divisible by groups (${show(groups)})`, groups);
    const fanIn = (inChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
    const [w, b] = defaultInit([outChannels, inChannels / groups, ...this.kernelSize], fanIn, options.bias ?? true, options.generator);
    this.weight = this.registerParameter('weight', w);
    this.bias = b && this.registerParameter('bias', b);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
  protected override extraRepr(): string {
    const o = this.options;
    const k = this.kernelSize;
    const pair = (v: IntOrTuple | undefined, d: number) => (v === undefined ? `(${d}, ${d})` : typeof v === 'number' ? `(${v}, ${v})` : `(${v.join(', ')})`);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${k.join(', ')}), stride=${pair(o.stride, 1)}`;
    if (o.padding !== undefined && o.padding !== 0) s += `, padding=${typeof o.padding === 'string' ? o.padding : pair(o.padding, 0)}`;
    if (o.dilation !== undefined && o.dilation !== 1) s += `, dilation=${pair(o.dilation, 1)}`;
    if ((o.groups ?? 1) !== 1) s += `, groups=${o.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Merges dimensions `startDim..endDim` (default: all but the batch). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  protected override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Dropout while training, the identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    check(p >= 0 && p <= 1, 'Dropout', 'p', () => `dropout probability has to be between 0 and 1, but got ${show(p)}`, p);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
  protected override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

/** Runs its modules in order; they are named `0`, `1`, … as in PyTorch. */
export class Sequential extends Module {
  readonly layers: readonly Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y) as Tensor;
    return y;
  }
}
