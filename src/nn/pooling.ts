import type { Tensor } from '../tensor/tensor.js';
import {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d,
  adaptiveMaxPool1dWithIndices, adaptiveMaxPool2dWithIndices, adaptiveMaxPool3dWithIndices,
} from '../pool/adaptive_pool.js';
import { avgPool1d, avgPool2d, avgPool3d, type AvgPoolOptions } from '../pool/avg_pool.js';
import {
  fractionalMaxPool2dWithIndices, fractionalMaxPool3dWithIndices, type FractionalMaxPoolOptions,
} from '../pool/fractional_pool.js';
import type { AdaptiveSize, IntOrTuple } from '../pool/geometry.js';
import { lpPool1d, lpPool2d, lpPool3d, type LpPoolOptions } from '../pool/lp_pool.js';
import {
  maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices, type MaxPoolOptions, type PoolWithIndices,
} from '../pool/max_pool.js';
import { maxUnpool1d, maxUnpool2d, maxUnpool3d, type MaxUnpoolOptions } from '../pool/unpool.js';
import { show } from '../errors.js';
import { Module } from './module.js';

// Pooling layers: each holds its options and calls the functional op. A number or tuple in
// place of the options object is the kernel size, as in `new MaxPool2d(2)`.

type Opts<T extends { kernelSize: IntOrTuple }> = T | IntOrTuple;
function options<T extends { kernelSize: IntOrTuple }>(o: Opts<T>): T {
  return (typeof o === 'number' || Array.isArray(o) ? { kernelSize: o } : o) as T;
}

function repr(fields: [string, unknown][]): string {
  return fields.map(([k, v]) => `${k}=${v === true ? 'True' : v === false ? 'False' : v == null ? 'None' : show(v)}`).join(', ');
}

export interface MaxPoolModuleOptions extends MaxPoolOptions {
  /** Make `forwardWithIndices` the natural call; `forward` always returns the output alone. */
  returnIndices?: boolean;
}

abstract class MaxPoolNd extends Module {
  readonly options: MaxPoolModuleOptions;
  constructor(opts: Opts<MaxPoolModuleOptions>) {
    super();
    this.options = options(opts);
  }
  protected abstract pool(x: Tensor, o: MaxPoolOptions): PoolWithIndices;
  forward(x: Tensor): Tensor {
    return this.pool(x, this.options).output;
  }
  /** The output and the argmax indices, for `MaxUnpool`. */
  forwardWithIndices(x: Tensor): PoolWithIndices {
    return this.pool(x, this.options);
  }
  protected override extraRepr(): string {
    const o = this.options;
    return repr([['kernel_size', o.kernelSize], ['stride', o.stride ?? o.kernelSize], ['padding', o.padding ?? 0],
      ['dilation', o.dilation ?? 1], ['ceil_mode', o.ceilMode ?? false]]);
  }
}
/** `new MaxPool2d({ kernelSize: 2 })`, then `.forward(x)`. */
export class MaxPool1d extends MaxPoolNd {
  protected pool = maxPool1dWithIndices;
}
export class MaxPool2d extends MaxPoolNd {
  protected pool = maxPool2dWithIndices;
}
export class MaxPool3d extends MaxPoolNd {
  protected pool = maxPool3dWithIndices;
}

abstract class AvgPoolNd extends Module {
  readonly options: AvgPoolOptions;
  constructor(opts: Opts<AvgPoolOptions>) {
    super();
    this.options = options(opts);
  }
  protected abstract pool(x: Tensor, o: AvgPoolOptions): Tensor;
  forward(x: Tensor): Tensor {
    return this.pool(x, this.options);
  }
  protected override extraRepr(): string {
    const o = this.options;
    return repr([['kernel_size', o.kernelSize], ['stride', o.stride ?? o.kernelSize], ['padding', o.padding ?? 0]]);
  }
}
/** `new AvgPool2d({ kernelSize: 2, countIncludePad: false })` */
export class AvgPool1d extends AvgPoolNd {
  protected pool = avgPool1d;
}
export class AvgPool2d extends AvgPoolNd {
  protected pool = avgPool2d;
}
export class AvgPool3d extends AvgPoolNd {
  protected pool = avgPool3d;
}

abstract class LPPoolNd extends Module {
  readonly options: LpPoolOptions;
  constructor(readonly normType: number, opts: Opts<LpPoolOptions>) {
    super();
    this.options = options(opts);
  }
  protected abstract pool(x: Tensor, p: number, o: LpPoolOptions): Tensor;
  forward(x: Tensor): Tensor {
    return this.pool(x, this.normType, this.options);
  }
  protected override extraRepr(): string {
    const o = this.options;
    return `norm_type=${this.normType}, ` + repr([['kernel_size', o.kernelSize], ['stride', o.stride ?? null], ['ceil_mode', o.ceilMode ?? false]]);
  }
}
/** `new LPPool2d(2, { kernelSize: 3, stride: 2 })` */
export class LPPool1d extends LPPoolNd {
  protected pool = lpPool1d;
}
export class LPPool2d extends LPPoolNd {
  protected pool = lpPool2d;
}
export class LPPool3d extends LPPoolNd {
  protected pool = lpPool3d;
}

abstract class AdaptivePoolNd extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  protected override extraRepr(): string {
    return `output_size=${show(this.outputSize)}`;
  }
}
/** `new AdaptiveAvgPool2d([7, 7])` */
export class AdaptiveAvgPool1d extends AdaptivePoolNd {
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}
export class AdaptiveAvgPool2d extends AdaptivePoolNd {
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
export class AdaptiveAvgPool3d extends AdaptivePoolNd {
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool3d(x, this.outputSize);
  }
}
abstract class AdaptiveMaxPoolNd extends AdaptivePoolNd {
  protected abstract pool(x: Tensor, size: AdaptiveSize): PoolWithIndices;
  forward(x: Tensor): Tensor {
    return this.pool(x, this.outputSize).output;
  }
  forwardWithIndices(x: Tensor): PoolWithIndices {
    return this.pool(x, this.outputSize);
  }
}
/** `new AdaptiveMaxPool2d(1)`: global max pooling. */
export class AdaptiveMaxPool1d extends AdaptiveMaxPoolNd {
  protected pool = adaptiveMaxPool1dWithIndices;
}
export class AdaptiveMaxPool2d extends AdaptiveMaxPoolNd {
  protected pool = adaptiveMaxPool2dWithIndices;
}
export class AdaptiveMaxPool3d extends AdaptiveMaxPoolNd {
  protected pool = adaptiveMaxPool3dWithIndices;
}

abstract class FractionalMaxPoolNd extends Module {
  readonly options: FractionalMaxPoolOptions;
  constructor(opts: FractionalMaxPoolOptions) {
    super();
    this.options = opts;
  }
  protected abstract pool(x: Tensor, o: FractionalMaxPoolOptions): PoolWithIndices;
  /** Fresh samples each call (from the options' generator), unless `randomSamples` is fixed. */
  forward(x: Tensor): Tensor {
    return this.pool(x, this.options).output;
  }
  forwardWithIndices(x: Tensor): PoolWithIndices {
    return this.pool(x, this.options);
  }
  protected override extraRepr(): string {
    const o = this.options;
    return repr([['kernel_size', o.kernelSize], ['output_size', o.outputSize ?? null], ['output_ratio', o.outputRatio ?? null]]);
  }
}
/** `new FractionalMaxPool2d({ kernelSize: 3, outputRatio: 0.5 })` */
export class FractionalMaxPool2d extends FractionalMaxPoolNd {
  protected pool = fractionalMaxPool2dWithIndices;
}
export class FractionalMaxPool3d extends FractionalMaxPoolNd {
  protected pool = fractionalMaxPool3dWithIndices;
}

abstract class MaxUnpoolNd extends Module {
  readonly options: MaxUnpoolOptions;
  constructor(opts: Opts<MaxUnpoolOptions>) {
    super();
    this.options = options(opts);
  }
  protected abstract unpool(x: Tensor, indices: Tensor<Int32Array>, o: MaxUnpoolOptions): Tensor;
  forward(x: Tensor, indices: Tensor<Int32Array>, outputSize?: readonly number[]): Tensor {
    return this.unpool(x, indices, outputSize === undefined ? this.options : { ...this.options, outputSize });
  }
  protected override extraRepr(): string {
    const o = this.options;
    return repr([['kernel_size', o.kernelSize], ['stride', o.stride ?? o.kernelSize], ['padding', o.padding ?? 0]]);
  }
}
/** `new MaxUnpool2d({ kernelSize: 2 }).forward(y, indices)` */
export class MaxUnpool1d extends MaxUnpoolNd {
  protected unpool = maxUnpool1d;
}
export class MaxUnpool2d extends MaxUnpoolNd {
  protected unpool = maxUnpool2d;
}
export class MaxUnpool3d extends MaxUnpoolNd {
  protected unpool = maxUnpool3d;
}
