// Where tensor elements live. Outside a scope every array is an ordinary typed array on the JS
// heap, collected like any other object. Inside `scope(fn)` (where the kernels run over shared
// memory, see src/kernels/wasm/loader.ts) the arrays that ops make are views into the kernels'
// WebAssembly memory: kernels take them by address without copying, and when the scope ends
// every block made inside it — except those behind the tensors fn returns — goes back to the
// allocator, already paged in, for the next step to reuse.
//
// A freed block may be handed out again at once, so a tensor whose storage was freed must never
// be read: `Tensor.data` checks `isFreed` and throws instead (src/tensor/tensor.ts).

import { alloc, free, f32View, i32View, memoryIsShared } from '../kernels/wasm/loader.js';

/** Element storage: float tensors hold a `Float32Array`, index tensors an `Int32Array`. */
export type Storage = Float32Array | Int32Array;

/** Arrays smaller than this stay on the JS heap even in a scope: bookkeeping would cost more than copying them. */
const MIN_BYTES = 256;

/** Live storage in the kernels' memory → its block address. */
const blocks = new WeakMap<Storage, number>();
/** Storage whose block was returned: reading it would read someone else's numbers. */
const freed = new WeakSet<Storage>();
/** The open scopes, innermost last; each lists the storage made while it was innermost. */
const frames: Storage[][] = [];

// Storage that escapes every scope (returned from the outermost one) is freed when the last
// array over it is collected — a backstop; tensors made in a loop belong in a scope.
const escaped = new FinalizationRegistry<number>((ptr) => free(ptr));

function place<S extends Storage>(n: number, make: (ptr: number, n: number) => S): S | undefined {
  const frame = frames[frames.length - 1];
  if (frame === undefined || n * 4 < MIN_BYTES || !memoryIsShared()) return undefined;
  let ptr: number;
  try {
    ptr = alloc(n * 4);
  } catch {
    return undefined; // the memory cannot grow that far: the JS heap still can
  }
  const a = make(ptr, n);
  blocks.set(a, ptr);
  frame.push(a);
  return a;
}

/** `n` float32 elements, NOT initialised in a scope (zero on the JS heap): for outputs a kernel overwrites. */
export function emptyFloat32(n: number): Float32Array {
  return place(n, f32View) ?? new Float32Array(n);
}

/** `n` float32 zeros. */
export function zerosFloat32(n: number): Float32Array {
  const a = place(n, f32View);
  return a === undefined ? new Float32Array(n) : a.fill(0);
}

/** `n` int32 elements, NOT initialised in a scope. */
export function emptyInt32(n: number): Int32Array {
  return place(n, i32View) ?? new Int32Array(n);
}

/** A float32 copy of `src` (in the kernels' memory inside a scope). */
export function copyFloat32(src: ArrayLike<number>): Float32Array {
  const a = emptyFloat32(src.length);
  a.set(src);
  return a;
}

/** Whether `a`'s block has been returned to the allocator. */
export function isFreed(a: Storage): boolean {
  return freed.has(a);
}

/** Whether `a` is a block in the kernels' memory (made inside a scope and not yet freed). */
export function inKernelMemory(a: Storage): boolean {
  return blocks.has(a);
}

/** Returns `a`'s block to the allocator now (no-op for JS-heap storage or storage already freed). */
export function freeStorage(a: Storage): void {
  const ptr = blocks.get(a);
  if (ptr === undefined) return;
  blocks.delete(a);
  freed.add(a);
  escaped.unregister(a);
  free(ptr);
}

/**
 * Runs `fn` with storage made inside it placed in the kernels' memory, then frees all of that
 * storage except what backs `keep(result)` — the arrays of the tensors fn returns. Kept storage
 * passes to the enclosing scope, or outside all scopes to the garbage collector.
 * `fn` must be synchronous.
 */
export function withStorageScope<T>(fn: () => T, keep: (result: T) => Iterable<Storage>): T {
  const frame: Storage[] = [];
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    frames.pop();
    for (const a of frame) freeStorage(a);
    throw e;
  } finally {
    if (frames[frames.length - 1] === frame) frames.pop();
  }
  const kept = new Set<Storage>();
  for (const a of keep(result)) if (blocks.has(a)) kept.add(a);
  const parent = frames[frames.length - 1];
  for (const a of frame) {
    if (!kept.has(a)) freeStorage(a);
    else if (parent !== undefined) parent.push(a);
    else escaped.register(a, blocks.get(a)!, a);
  }
  return result;
}

/** Whether a scope is open (its storage is freed when the step ends, so ops may keep more for the backward). */
export function inScope(): boolean {
  return frames.length > 0;
}

/** Number of open scopes (for tests and diagnostics). */
export function scopeDepth(): number {
  return frames.length;
}
