import { check, show } from '../errors.js';
import { relu } from '../ops/elementwise.js';
import { flatten } from '../ops/reshape.js';
import { Conv2d, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { AvgPool2d, LPPool2d, MaxPool2d } from '../nn/pooling.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The pooling kinds LeNet-5 can be built with. */
export const LENET_POOLS = ['max', 'avg', 'lp2', 'lp3'] as const;
export type LeNetPool = (typeof LENET_POOLS)[number];

function poolLayer(kind: LeNetPool): Module {
  switch (kind) {
    case 'max': return new MaxPool2d({ kernelSize: 2 });
    case 'avg': return new AvgPool2d({ kernelSize: 2 });
    case 'lp2': return new LPPool2d(2, { kernelSize: 2 });
    case 'lp3': return new LPPool2d(3, { kernelSize: 2 });
  }
}

/**
 * LeNet-5 for 28×28 input, as the usual PyTorch `LeNet5` class: conv(1→6, 5, pad 2) → ReLU →
 * pool 2 → conv(6→16, 5) → ReLU → pool 2 → flatten 400 → fc 120 → ReLU → fc 84 → ReLU → fc 10.
 * Layers are named `conv1`, `conv2`, `fc1`, `fc2`, `fc3`, so the state dict matches that class
 * key for key.
 */
export class LeNet5 extends Module {
  readonly conv1: Conv2d;
  readonly pool1: Module;
  readonly conv2: Conv2d;
  readonly pool2: Module;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;

  constructor(readonly pool: LeNetPool = 'max', generator?: Generator) {
    super();
    check((LENET_POOLS as readonly string[]).includes(pool), 'lenet5', 'pool',
      () => `pool must be one of ${LENET_POOLS.join(', ')}, but got ${show(pool)}`, pool);
    this.conv1 = this.registerModule('conv1', new Conv2d(1, 6, 5, { padding: 2, generator }));
    this.pool1 = this.registerModule('pool1', poolLayer(pool));
    this.conv2 = this.registerModule('conv2', new Conv2d(6, 16, 5, { generator }));
    this.pool2 = this.registerModule('pool2', poolLayer(pool));
    this.fc1 = this.registerModule('fc1', new Linear(16 * 5 * 5, 120, { generator }));
    this.fc2 = this.registerModule('fc2', new Linear(120, 84, { generator }));
    this.fc3 = this.registerModule('fc3', new Linear(84, 10, { generator }));
  }

  forward(x: Tensor): Tensor {
    let y = this.pool1.forward(relu(this.conv1.forward(x))) as Tensor;
    y = this.pool2.forward(relu(this.conv2.forward(y))) as Tensor;
    y = flatten(y);
    y = relu(this.fc1.forward(y));
    y = relu(this.fc2.forward(y));
    return this.fc3.forward(y);
  }
}

/** `lenet5({ pool: 'avg' })` — LeNet-5 with the given pooling (default max), weights from `generator`. */
export function lenet5(opts: { pool?: LeNetPool; generator?: Generator } = {}): LeNet5 {
  return new LeNet5(opts.pool ?? 'max', opts.generator);
}

