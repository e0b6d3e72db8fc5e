import { withStorageScope, type Storage } from './storage.js';
import { Tensor } from './tensor.js';

/**
 * Runs `fn` and frees, when it returns, every tensor made inside it except those it returns (a
 * tensor, or tensors inside returned arrays and plain objects). Inside a scope the storage of
 * new tensors lives in the kernels' WebAssembly memory, so kernels read and write it in place and
 * each training step reuses the last step's memory instead of allocating afresh:
 *
 *     for (const { x, y } of loader) {
 *       scope(() => {
 *         optimizer.zeroGrad();
 *         crossEntropy(model.forward(x), y).backward();
 *         optimizer.step();
 *       });
 *     }
 *
 * Reading a freed tensor throws a `PoolkitError`. Parameters, their `.grad` and optimizer state
 * live on the JS heap and are never freed by a scope. `fn` must be synchronous. Storage returned
 * from the outermost scope is freed once its tensor is garbage-collected: keep the tensor, not a
 * `subarray` of its data, while you read it.
 */
export function scope<T>(fn: () => T): T {
  return withStorageScope(fn, storageOf);
}

function* storageOf(value: unknown, seen = new Set<unknown>()): Generator<Storage> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) {
    if (!value.isDisposed) yield value.data;
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) yield* storageOf(v, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) yield* storageOf(v, seen);
  }
}
