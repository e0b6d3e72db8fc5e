import { check, fmtShape, PoolkitError } from '../errors.js';
import { checkShape, numel } from './shape.js';
import { copyFloat32, emptyFloat32, freeStorage, inKernelMemory, isFreed, type Storage } from './storage.js';

export type { Storage } from './storage.js';
export type DType = 'float32' | 'int32';

/**
 * How a tensor was made, for the backward pass: the op's inputs and a function from the
 * gradient of the output to the gradients of the inputs (`null` where an input needs none).
 * Backward functions work on raw float32 arrays and never record a graph.
 */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(gradOutput: Float32Array): readonly (Float32Array | null)[];
}

/**
 * A dense, contiguous, row-major n-dimensional array with an optional gradient.
 *
 *     const x = tensor([1, 2, 3, 4], [1, 1, 2, 2], { requiresGrad: true });
 *     x.shape;  // [1, 1, 2, 2]
 */
export class Tensor<S extends Storage = Float32Array> {
  /** @internal The elements, unchecked: use `data`. (Public so that two copies of poolkit's types stay compatible.) */
  readonly _storage: Storage;
  /** @internal Whether _storage is a block of the kernels' memory, which a scope or dispose() may free. */
  readonly _freeable: boolean;
  readonly shape: readonly number[];
  /** The accumulated gradient of a leaf that requires it, after `backward()`. */
  grad: Tensor | null = null;
  /** Whether gradients flow to (or through) this tensor. */
  requiresGrad: boolean;
  /** The op that made this tensor, when it was made from tensors that require grad. */
  gradFn: GradFn | null = null;

  constructor(data: S, shape: readonly number[], opts: { requiresGrad?: boolean } = {}) {
    checkShape(shape, 'tensor');
    check(data.length === numel(shape), 'tensor', 'data',
      () => `shape ${fmtShape(shape)} is invalid for input of size ${data.length}`, data.length);
    const requiresGrad = opts.requiresGrad ?? false;
    check(!requiresGrad || data instanceof Float32Array, 'tensor', 'requiresGrad',
      () => 'only floating point tensors can require gradients', requiresGrad);
    this._storage = data;
    this._freeable = inKernelMemory(data);
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /** The elements in row-major order. Treat as read-only once the tensor is in a graph. */
  get data(): S {
    const d = this._storage;
    if (this._freeable && isFreed(d)) {
      throw new PoolkitError('tensor', 'self',
        `the tensor's storage was freed (by dispose(), or when the scope() that made it ended) and cannot be read; return the tensor from the scope to keep it`);
    }
    return d as S;
  }

  /** Whether this tensor's storage has been freed (by `dispose()` or the end of its `scope()`). */
  get isDisposed(): boolean {
    return this._freeable && isFreed(this._storage);
  }

  /**
   * Frees this tensor's storage now when it lives in the kernels' memory (made inside a
   * `scope()`); tensors sharing it (reshapes, detach) are freed with it. No-op otherwise.
   */
  dispose(): void {
    if (this._freeable) freeStorage(this._storage);
  }

  get dtype(): DType {
    return this._storage instanceof Int32Array ? 'int32' : 'float32';
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this._storage.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    check(this.data.length === 1, 'item', 'input',
      () => `a Tensor with ${this.data.length} elements cannot be converted to Scalar`);
    return this.data[0]!;
  }

  /** The elements as nested arrays, shaped like the tensor (a number for a scalar). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset]!;
      const out: NestedArray[] = [];
      const inner = numel(this.shape.slice(dim + 1));
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, offset + i * inner));
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor<S> {
    return new Tensor(this.data, this.shape);
  }

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires it and adds
   * it to the leaf's `.grad`. `gradient` defaults to 1 for a one-element tensor.
   */
  backward(gradient?: Tensor): void {
    check(this.requiresGrad, 'backward', 'self',
      () => 'element 0 of tensors does not require grad and does not have a grad_fn');
    let seed: Float32Array;
    if (gradient === undefined) {
      check(this.size === 1, 'backward', 'gradient',
        () => `grad can be implicitly created only for scalar outputs, but got shape ${fmtShape(this.shape)}`);
      seed = new Float32Array([1]);
    } else {
      check(gradient.size === this.size && gradient.data instanceof Float32Array, 'backward', 'gradient',
        () => `Mismatch in shape: grad_output[0] has a shape of ${fmtShape(gradient.shape)} and output[0] has a shape of ${fmtShape(this.shape)}`);
      seed = gradient.data;
    }
    runBackward(this as Tensor, seed);
  }

  toString(): string {
    return `tensor(${JSON.stringify(this.toArray())}, shape=${fmtShape(this.shape)}${this.dtype === 'int32' ? ', dtype=int32' : ''}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export type NestedArray = number | NestedArray[];

/** Reverse-mode sweep from `root`: each node's gradient is complete before its backward runs. */
function runBackward(root: Tensor, seed: Float32Array): void {
  // Topological order by iterative depth-first search (graphs can be deep).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const input of t.gradFn?.inputs ?? []) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }

  const grads = new Map<Tensor, Float32Array>([[root, seed]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    if (g === undefined) continue;
    grads.delete(t);
    if (t.gradFn === null) {
      // A leaf on the JS heap (a parameter) keeps its gradient there, beyond any scope; a leaf in
      // the kernels' memory gets it there, made in the current scope — adopting the array the
      // backward pass made rather than copying it, unless that is the caller's seed.
      const heap = !t._freeable;
      const prev = t.grad?.data as Float32Array | undefined;
      const data = prev !== undefined ? addArrays(prev, g, heap ? new Float32Array(g.length) : emptyFloat32(g.length))
        : heap ? g.slice() : g !== seed && inKernelMemory(g) ? g : copyFloat32(g);
      t.grad = new Tensor(data, t.shape);
      continue;
    }
    for (const input of t.gradFn.inputs) void input.data; // throws if a scope has freed what backward would read
    const inputGrads = t.gradFn.backward(g);
    t.gradFn.inputs.forEach((input, k) => {
      const gi = inputGrads[k];
      if (!input.requiresGrad || gi == null) return;
      const prev = grads.get(input);
      grads.set(input, prev === undefined ? gi : addArrays(prev, gi, emptyFloat32(gi.length)));
    });
  }
}

function addArrays(a: Float32Array, b: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** The float32 storage of `x`, or a `PoolkitError` naming the op when `x` is not a float tensor. */
export function floatData(op: string, x: unknown, arg = 'input'): Float32Array {
  check(x instanceof Tensor && x.data instanceof Float32Array, op, arg,
    () => `expected ${arg} to be a float32 Tensor, but got ${x instanceof Tensor ? `a ${x.dtype} Tensor` : describe(x)}`, x);
  return (x as Tensor).data;
}

/** The int32 storage of an index tensor, or a `PoolkitError`. */
export function indexData(op: string, x: unknown, arg = 'indices'): Int32Array {
  check(x instanceof Tensor && x.data instanceof Int32Array, op, arg,
    () => `expected ${arg} to be an int32 Tensor (poolkit's index dtype), but got ${x instanceof Tensor ? `a ${x.dtype} Tensor` : describe(x)}`, x);
  return (x as Tensor<Int32Array>).data;
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
