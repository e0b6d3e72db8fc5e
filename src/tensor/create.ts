import { check } from '../errors.js';
import { Tensor, type NestedArray, type Storage } from './tensor.js';
import { checkShape, numel } from './shape.js';
import { emptyFloat32 } from './storage.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** `'float32'` (default) or `'int32'` for index tensors. */
  dtype?: 'float32' | 'int32';
}

/**
 * Makes a tensor from numbers. `data` may be flat (then `shape` says how to read it, default
 * 1-D) or nested arrays (the shape is read from the nesting). Typed arrays are used as they are
 * when their type matches the dtype, otherwise copied.
 *
 *     const x = tensor([[1, 2], [3, 4]]);                 // shape [2, 2]
 *     const y = tensor([1, 2, 3, 4], [1, 1, 2, 2], { requiresGrad: true });
 *     const i = tensor([0, 3], [2], { dtype: 'int32' });  // Int32Array storage
 */
export function tensor(data: NestedArray | ArrayLike<number>, shape: readonly number[] | undefined, opts: TensorOptions & { dtype: 'int32' }): Tensor<Int32Array>;
export function tensor(data: Int32Array, shape?: readonly number[], opts?: TensorOptions & { dtype?: 'int32' }): Tensor<Int32Array>;
export function tensor(data: NestedArray | ArrayLike<number>, shape?: readonly number[], opts?: TensorOptions): Tensor;
export function tensor(data: NestedArray | ArrayLike<number>, shape?: readonly number[], opts: TensorOptions = {}): Tensor<Storage> {
  const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (Array.isArray(data) && data.some((d) => Array.isArray(d))) {
    ({ flat, shape: inferred } = flatten(data as NestedArray[]));
  } else {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  }
  const finalShape = shape ?? inferred;
  let storage: Storage;
  if (dtype === 'int32') {
    if (flat instanceof Int32Array) storage = flat;
    else {
      storage = new Int32Array(flat.length);
      for (let i = 0; i < flat.length; i++) {
        const v = flat[i]!;
        check(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647, 'tensor', 'data',
          () => `int32 tensors hold integers in [-2^31, 2^31), but got ${v} at ${i}`, v);
        storage[i] = v;
      }
    }
  } else {
    storage = flat instanceof Float32Array ? flat : Float32Array.from(flat as ArrayLike<number>);
  }
  return new Tensor(storage, finalShape, { requiresGrad: opts.requiresGrad });
}

function flatten(rows: NestedArray[]): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: NestedArray = rows; Array.isArray(level); level = level[0]!) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      check(typeof v === 'number', 'tensor', 'data', () => 'nested arrays must be rectangular');
      flat.push(v as number);
      return;
    }
    check(Array.isArray(v) && v.length === shape[dim], 'tensor', 'data',
      () => `nested arrays must be rectangular: expected a sequence of length ${shape[dim]} at dim ${dim}`);
    for (const x of v as NestedArray[]) walk(x, dim + 1);
  };
  walk(rows, 0);
  return { flat, shape };
}

/**
 * A float tensor filled with `value`. Inside a `scope()` its storage is in the kernels' memory,
 * so `zeros(shape)` then `.data.set(values)` puts data where kernels read it without copying.
 */
export function full(shape: readonly number[], value: number, opts: { requiresGrad?: boolean } = {}): Tensor {
  checkShape(shape, 'full');
  return new Tensor(emptyFloat32(numel(shape)).fill(value), shape, opts);
}
export function zeros(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 0, opts);
}
export function ones(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 1, opts);
}
