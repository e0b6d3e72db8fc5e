import { check, fmtShape, PoolkitError, show } from '../errors.js';

/** One number for every spatial dimension, or one number per dimension. */
export type IntOrTuple = number | readonly number[];

/**
 * Padding of a pooling window:
 * - a number or one number per dimension: the same on both sides, as in PyTorch (which also
 *   requires it to be at most half the effective kernel);
 * - `[[begin, end], …]`, one pair per dimension: explicit, possibly asymmetric padding as in ONNX
 *   `pads` or `tf.pad` (each side below the effective kernel, so every window touches the input);
 * - `'valid'`: none; `'same'`: output size `ceil(in / stride)`, the odd pixel at the end
 *   (TensorFlow `SAME`, ONNX `SAME_UPPER`); `'same-lower'`: the odd pixel at the beginning
 *   (ONNX `SAME_LOWER`).
 */
export type Padding = IntOrTuple | readonly (readonly [number, number])[] | 'same' | 'same-lower' | 'valid';

export interface WindowOptions {
  kernelSize: IntOrTuple;
  /** Default: `kernelSize`. */
  stride?: IntOrTuple | null;
  padding?: Padding;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}

/**
 * Everything a pooling kernel needs, computed and checked once. 1-D and 2-D pooling use the
 * 3-D record with size-1 leading dimensions, so one kernel serves every dimensionality.
 * Padding is `pad*` before and `padEnd*` after each dimension.
 */
export interface PoolGeometry {
  readonly op: string;
  readonly nd: 1 | 2 | 3;
  /** Input had a batch dimension. */
  readonly batched: boolean;
  /** Number of (n, c) planes: batch × channels. */
  readonly planes: number;
  readonly kD: number; readonly kH: number; readonly kW: number;
  readonly sD: number; readonly sH: number; readonly sW: number;
  readonly padD: number; readonly padH: number; readonly padW: number;
  readonly padEndD: number; readonly padEndH: number; readonly padEndW: number;
  readonly dilD: number; readonly dilH: number; readonly dilW: number;
  readonly inD: number; readonly inH: number; readonly inW: number;
  readonly outD: number; readonly outH: number; readonly outW: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

const DIM_NAMES = { 1: ['W'], 2: ['H', 'W'], 3: ['T', 'H', 'W'] } as const;

/** Reads an int-or-tuple option into one positive-or-zero integer per dimension. */
export function expandInts(op: string, arg: string, value: unknown, nd: number): number[] {
  const values = typeof value === 'number' ? new Array<number>(nd).fill(value)
    : Array.isArray(value) && value.length === 1 ? new Array<number>(nd).fill(value[0])
    : value;
  check(Array.isArray(values) && values.length === nd, op, arg,
    () => `${arg} must be an int or a tuple of ${nd} ints, but got ${show(value)}`, value);
  for (const v of values as unknown[]) {
    check(typeof v === 'number' && Number.isSafeInteger(v), op, arg,
      () => `${arg} must be ${nd === 1 ? 'an integer' : `an int or a tuple of ${nd} integers`}, but got ${show(value)}`, value);
  }
  return values as number[];
}

/**
 * Checks the input's rank: `nd + 1` dimensions (no batch) or `nd + 2` (batch first), every
 * non-batch dimension non-empty. Returns whether the input is batched.
 */
export function checkPoolInput(op: string, nd: number, shape: readonly number[]): boolean {
  const batched = shape.length === nd + 2;
  const ok = (shape.length === nd + 1 || batched) && shape.every((d, i) => d > 0 || (batched && i === 0));
  check(ok, op, 'input',
    () => `Expected ${nd + 1}D or ${nd + 2}D (batch mode) tensor with optional 0 dim batch size for input, but got: ${fmtShape(shape)}`,
    shape);
  return batched;
}

/** ATen Pool.h `pooling_output_shape_pad_lr`: floor or ceil, and in ceil mode the last window must start inside the input or the left padding. */
export function pooledSize(inSize: number, kernel: number, padBegin: number, padEnd: number, stride: number, dilation: number, ceilMode: boolean): number {
  const span = inSize + padBegin + padEnd - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

/**
 * Normalises and checks the options of a sliding-window pooling op and computes its output
 * size — the only place where this happens.
 */
export function poolGeometry(op: string, nd: 1 | 2 | 3, inputShape: readonly number[], opts: WindowOptions): PoolGeometry {
  check(opts !== null && typeof opts === 'object', op, 'options', () => `options must be an object with kernelSize, but got ${show(opts)}`);
  const batched = checkPoolInput(op, nd, inputShape);
  const names = DIM_NAMES[nd];
  const spatial = inputShape.slice(inputShape.length - nd);

  const kernel = expandInts(op, 'kernelSize', opts.kernelSize, nd);
  check(kernel.every((k) => k > 0), op, 'kernelSize',
    () => `kernel size should be greater than zero, but got ${names.map((n, i) => `k${n}: ${kernel[i]}`).join(' ')}`, opts.kernelSize);
  const stride = opts.stride == null ? kernel : expandInts(op, 'stride', opts.stride, nd);
  check(stride.every((s) => s > 0), op, 'stride',
    () => `stride should be greater than zero, but got ${names.map((n, i) => `d${n}: ${stride[i]}`).join(' ')}`, opts.stride);
  const dilation = expandInts(op, 'dilation', opts.dilation ?? 1, nd);
  check(dilation.every((d) => d > 0), op, 'dilation',
    () => `dilation should be greater than zero, but got ${names.map((n, i) => `dilation${n}: ${dilation[i]}`).join(' ')}`, opts.dilation);
  check(opts.ceilMode === undefined || typeof opts.ceilMode === 'boolean', op, 'ceilMode',
    () => `ceilMode must be a boolean, but got ${show(opts.ceilMode)}`, opts.ceilMode);
  const ceilMode = opts.ceilMode ?? false;
  const effective = kernel.map((k, i) => (k - 1) * dilation[i]! + 1);

  const [padBegin, padEnd] = resolvePadding(op, nd, opts.padding ?? 0, spatial, kernel, stride, dilation, effective);
  const out = spatial.map((s, i) => pooledSize(s, kernel[i]!, padBegin[i]!, padEnd[i]!, stride[i]!, dilation[i]!, ceilMode));
  if (out.some((o) => o < 1)) {
    const lead = inputShape.slice(batched ? 1 : 0, inputShape.length - nd);
    throw new PoolkitError(op, 'input',
      `Given input size: (${[...lead, ...spatial].join('x')}). Calculated output size: (${[...lead, ...out].join('x')}). Output size is too small`,
      inputShape);
  }

  const lead3 = <T>(xs: T[], fill: T): T[] => [...new Array<T>(3 - nd).fill(fill), ...xs];
  const [kD, kH, kW] = lead3(kernel, 1);
  const [sD, sH, sW] = lead3(stride, 1);
  const [dilD, dilH, dilW] = lead3(dilation, 1);
  const [padD, padH, padW] = lead3(padBegin, 0);
  const [padEndD, padEndH, padEndW] = lead3(padEnd, 0);
  const [inD, inH, inW] = lead3(spatial, 1);
  const [outD, outH, outW] = lead3(out, 1);
  const lead = inputShape.slice(0, inputShape.length - nd);
  return Object.freeze({
    op, nd, batched, planes: lead.reduce((a, b) => a * b, 1),
    kD: kD!, kH: kH!, kW: kW!, sD: sD!, sH: sH!, sW: sW!, padD: padD!, padH: padH!, padW: padW!,
    padEndD: padEndD!, padEndH: padEndH!, padEndW: padEndW!, dilD: dilD!, dilH: dilH!, dilW: dilW!,
    inD: inD!, inH: inH!, inW: inW!, outD: outD!, outH: outH!, outW: outW!,
    inputShape: Object.freeze([...inputShape]), outputShape: Object.freeze([...lead, ...out]),
  });
}

function resolvePadding(
  op: string, nd: number, padding: Padding, spatial: number[],
  kernel: number[], stride: number[], dilation: number[], effective: number[],
): [number[], number[]] {
  if (padding === 'valid') return [new Array(nd).fill(0), new Array(nd).fill(0)];
  if (padding === 'same' || padding === 'same-lower') {
    // ONNX auto_pad / TensorFlow SAME: output ceil(in / stride), total padding split evenly.
    const total = spatial.map((s, i) => Math.max(0, (Math.ceil(s / stride[i]!) - 1) * stride[i]! + effective[i]! - s));
    const begin = total.map((t) => (padding === 'same' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    return [begin, total.map((t, i) => t - begin[i]!)];
  }
  if (typeof padding === 'string') {
    throw new PoolkitError(op, 'padding', `padding must be a number, a tuple, [[begin, end], …], 'same', 'same-lower' or 'valid', but got ${show(padding)}`, padding);
  }
  if (Array.isArray(padding) && padding.some((p) => Array.isArray(p))) {
    // Explicit [begin, end] pairs (ONNX pads): any size below the effective kernel.
    check(padding.length === nd && padding.every((p) => Array.isArray(p) && p.length === 2), op, 'padding',
      () => `explicit padding must be ${nd} [begin, end] pairs, but got ${show(padding)}`, padding);
    const pairs = padding as readonly (readonly [number, number])[];
    for (const [i, pair] of pairs.entries()) {
      for (const p of pair) {
        check(typeof p === 'number' && Number.isSafeInteger(p) && p >= 0, op, 'padding',
          () => `pad must be non-negative integers, but got ${show(padding)}`, padding);
        check(p < effective[i]!, op, 'padding',
          () => `explicit pad must be smaller than the effective kernel size, but got pad=${p}, kernel_size=${kernel[i]} and dilation=${dilation[i]}`, padding);
      }
    }
    return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
  }
  const pad = expandInts(op, 'padding', padding, nd);
  check(pad.every((p) => p >= 0), op, 'padding',
    () => `pad must be non-negative, but got pad: ${pad.join(', ')}`, padding);
  // PyTorch ≥ 2.0 (MaxPooling.cpp, Pool.h): pad ≤ half the effective kernel; 1.13 used the plain kernel,
  // which agrees whenever dilation is 1.
  for (let i = 0; i < nd; i++) {
    check(pad[i]! <= effective[i]! / 2, op, 'padding',
      () => `pad should be at most half of effective kernel size, but got pad=${pad[i]}, kernel_size=${kernel[i]} and dilation=${dilation[i]}`, padding);
  }
  return [pad, pad];
}

/** Adaptive pooling: input and output sizes on the 3-D record; kernels derive each bin. */
export interface AdaptiveGeometry {
  readonly op: string;
  readonly nd: 1 | 2 | 3;
  readonly batched: boolean;
  readonly planes: number;
  readonly inD: number; readonly inH: number; readonly inW: number;
  readonly outD: number; readonly outH: number; readonly outW: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

/** Size of an adaptive pool's output: a number, or one entry per dimension where `null` keeps the input size. */
export type AdaptiveSize = number | readonly (number | null)[];

export function adaptiveGeometry(op: string, nd: 1 | 2 | 3, inputShape: readonly number[], outputSize: AdaptiveSize): AdaptiveGeometry {
  const batched = checkPoolInput(op, nd, inputShape);
  const spatial = inputShape.slice(inputShape.length - nd);
  const given = typeof outputSize === 'number' ? new Array<number>(nd).fill(outputSize) : outputSize;
  check(Array.isArray(given) && given.length === nd, op, 'outputSize',
    () => `output_size must be ${nd === 1 ? 'an int' : `an int or a tuple of ${nd} ints (or null)`}, but got ${show(outputSize)}`, outputSize);
  const out = (given as readonly (number | null)[]).map((o, i) => (o === null ? spatial[i]! : o));
  check(out.every((o) => typeof o === 'number' && Number.isSafeInteger(o)), op, 'outputSize',
    () => `output_size must be integers, but got ${show(outputSize)}`, outputSize);
  check(out.every((o) => o >= 1), op, 'outputSize',
    () => `elements of output_size must be greater than or equal to 1 but received ${show(outputSize)}`, outputSize);
  return Object.freeze({ op, nd, batched, ...planesAndSizes(inputShape, nd, out) });
}

function planesAndSizes(inputShape: readonly number[], nd: number, out: readonly number[]) {
  const lead = inputShape.slice(0, inputShape.length - nd);
  const spatial = inputShape.slice(inputShape.length - nd);
  const pad3 = (xs: readonly number[]): number[] => [...new Array<number>(3 - nd).fill(1), ...xs];
  const [inD, inH, inW] = pad3(spatial);
  const [outD, outH, outW] = pad3(out);
  return {
    planes: lead.reduce((a, b) => a * b, 1),
    inD: inD!, inH: inH!, inW: inW!, outD: outD!, outH: outH!, outW: outW!,
    inputShape: Object.freeze([...inputShape]), outputShape: Object.freeze([...lead, ...out]),
  };
}

/** Fractional max pooling: kernel and sizes on the 3-D record. */
export interface FractionalGeometry extends AdaptiveGeometry {
  readonly nd: 2 | 3;
  readonly kD: number; readonly kH: number; readonly kW: number;
}

export interface FractionalSizeOptions {
  kernelSize: IntOrTuple;
  outputSize?: IntOrTuple;
  /** Output size as a fraction of the input size, each in (0, 1): `floor(in · ratio)`. */
  outputRatio?: number | readonly number[];
}

const FRACTIONAL_NAMES = { 2: ['height', 'width'], 3: ['time', 'height', 'width'] } as const;

export function fractionalGeometry(op: string, nd: 2 | 3, inputShape: readonly number[], opts: FractionalSizeOptions): FractionalGeometry {
  check(opts !== null && typeof opts === 'object', op, 'options', () => `options must be an object with kernelSize, but got ${show(opts)}`);
  const batched = checkPoolInput(op, nd, inputShape);
  const spatial = inputShape.slice(inputShape.length - nd);
  const kernel = expandInts(op, 'kernelSize', opts.kernelSize, nd);
  check(kernel.every((k) => k > 0), op, 'kernelSize',
    () => `kernel_size must be greater than zero, but got ${show(opts.kernelSize)}`, opts.kernelSize);
  const hasSize = opts.outputSize != null;
  const hasRatio = opts.outputRatio != null;
  check(hasSize !== hasRatio, op, hasSize ? 'outputRatio' : 'outputSize',
    () => `${op} requires specifying either an output_size or an output_ratio${hasSize ? ', not both' : ''}`);
  let out: number[];
  if (hasSize) {
    out = expandInts(op, 'outputSize', opts.outputSize, nd);
  } else {
    const ratios = typeof opts.outputRatio === 'number' ? new Array<number>(nd).fill(opts.outputRatio) : opts.outputRatio;
    check(Array.isArray(ratios) && ratios.length === nd && ratios.every((r) => typeof r === 'number' && r > 0 && r < 1), op, 'outputRatio',
      () => `output_ratio must be between 0 and 1 (got ${show(opts.outputRatio)})`, opts.outputRatio);
    out = spatial.map((s, i) => Math.floor(s * (ratios as number[])[i]!));
  }
  check(out.every((o) => o >= 1), op, hasSize ? 'outputSize' : 'outputRatio',
    () => `output size must be at least 1, but got output_size=${show(out)} for input size ${show(spatial)}`, out);
  // ATen: FractionalMaxPool2d.cpp checks `out + k - 1 <= in`, FractionalMaxPool3d.cpp `out + k - 1 < in`.
  for (let i = 0; i < nd; i++) {
    const name = FRACTIONAL_NAMES[nd][i];
    const fits = nd === 2 ? out[i]! + kernel[i]! - 1 <= spatial[i]! : out[i]! + kernel[i]! - 1 < spatial[i]!;
    check(fits, op, 'kernelSize',
      () => `pool ${name} ${kernel[i]} too large relative to input ${name} ${spatial[i]} (output ${name} ${out[i]} + pool ${name} - 1 must be ${nd === 2 ? 'at most' : 'less than'} the input ${name})`, opts.kernelSize);
  }
  const [kD, kH, kW] = [...new Array<number>(3 - nd).fill(1), ...kernel];
  return Object.freeze({ op, nd, batched, kD: kD!, kH: kH!, kW: kW!, ...planesAndSizes(inputShape, nd, out) });
}

/** Max unpooling: planes, and the sizes of one input and one output plane. */
export interface UnpoolGeometry {
  readonly op: string;
  readonly nd: 1 | 2 | 3;
  readonly planes: number;
  readonly inPlane: number;
  readonly outPlane: number;
  readonly outputShape: readonly number[];
}

export interface UnpoolOptions {
  kernelSize: IntOrTuple;
  /** Default: `kernelSize`. */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  /** Spatial output size (or the full shape): each within `stride` of the default size. */
  outputSize?: readonly number[] | null;
}

export function unpoolGeometry(op: string, nd: 1 | 2 | 3, inputShape: readonly number[], indicesShape: readonly number[], opts: UnpoolOptions): UnpoolGeometry {
  check(opts !== null && typeof opts === 'object', op, 'options', () => `options must be an object with kernelSize, but got ${show(opts)}`);
  checkPoolInput(op, nd, inputShape);
  check(indicesShape.length === inputShape.length && indicesShape.every((d, i) => d === inputShape[i]), op, 'indices',
    () => `Expected shape of indices to be same as that of the input tensor (${fmtShape(inputShape)}) but got indices tensor with shape: ${fmtShape(indicesShape)}`,
    indicesShape);
  const kernel = expandInts(op, 'kernelSize', opts.kernelSize, nd);
  check(kernel.every((k) => k > 0), op, 'kernelSize', () => `kernel_size must be greater than zero, but got ${show(opts.kernelSize)}`, opts.kernelSize);
  const stride = opts.stride == null ? kernel : expandInts(op, 'stride', opts.stride, nd);
  check(stride.every((s) => s > 0), op, 'stride', () => `stride should be greater than zero, but got ${show(opts.stride)}`, opts.stride);
  const padding = expandInts(op, 'padding', opts.padding ?? 0, nd);
  check(padding.every((p) => p >= 0), op, 'padding', () => `pad must be non-negative, but got ${show(opts.padding)}`, opts.padding);

  const spatial = inputShape.slice(inputShape.length - nd);
  // torch.nn.functional._unpool_output_size
  const defaults = spatial.map((s, i) => (s - 1) * stride[i]! - 2 * padding[i]! + kernel[i]!);
  let out = defaults;
  if (opts.outputSize != null) {
    const given = opts.outputSize;
    check(Array.isArray(given) && given.every((o) => Number.isSafeInteger(o)), op, 'outputSize',
      () => `output_size must be a sequence of integers, but got ${show(given)}`, given);
    // torch.nn.functional._unpool_output_size: the spatial sizes, or N, C and the spatial sizes.
    check(given.length === nd || given.length === nd + 2, op, 'outputSize',
      () => `output_size should be a sequence containing ${nd} or ${nd + 2} elements, but it has a length of '${given.length}'`, given);
    const sizes = given.slice(given.length - nd);
    for (let i = 0; i < nd; i++) {
      const lo = defaults[i]! - stride[i]!, hi = defaults[i]! + stride[i]!;
      check(lo < sizes[i]! && sizes[i]! < hi, op, 'outputSize',
        () => `invalid output_size "${show(given)}" (dim ${i} must be between ${lo} and ${hi})`, given);
    }
    out = [...sizes];
  }
  check(out.every((o) => o >= 1), op, out === defaults ? 'padding' : 'outputSize',
    () => `output size must be at least 1, but the unpooled size is ${show(out)} ((in - 1) * stride - 2 * padding + kernel_size)`, out);
  const lead = inputShape.slice(0, inputShape.length - nd);
  return Object.freeze({
    op, nd,
    planes: lead.reduce((a, b) => a * b, 1),
    inPlane: spatial.reduce((a, b) => a * b, 1),
    outPlane: out.reduce((a, b) => a * b, 1),
    outputShape: Object.freeze([...lead, ...out]),
  });
}
