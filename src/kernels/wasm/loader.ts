// Loads poolkit's WebAssembly SIMD kernels (asm/kernels.ts, embedded as base64 by
// scripts/embed_wasm.mjs) once, synchronously, and owns their linear memory: a small first-fit
// free-list allocator over it. Platform-neutral: WebAssembly is reached through globalThis, so
// Node and browsers share it.
//
// Two builds of the same kernels are embedded. Where SharedArrayBuffer exists (Node; browsers
// when crossOriginIsolated) the kernels import a *shared* memory: its buffer never detaches when
// it grows, so typed-array views into it stay valid for good — tensor storage can live there
// (src/tensor/storage.ts) and kernels take it by address without copying — and worker threads
// (src/threads/) instantiate the same module over the same memory. Elsewhere the kernels own an
// ordinary memory whose views detach on growth: storage stays on the JS heap and each kernel
// call copies its arguments in and out.
//
// Chrome refuses synchronous compilation of modules over 4 KB on a browser's main thread: call
// `initWasm()` (async) once there before the first kernel; Node and workers may skip it.

import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels_wasm.js';

/** The kernels' exports: byte pointers into `memory`; each returns 1 when it ran, 0 when it declined. */
export interface KernelExports {
  readonly memory: WasmMemory;
  heap_base(): number;
  max_pool2d_fwd(x: number, out: number, indices: number, planes: number,
    inH: number, inW: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, dilH: number, dilW: number): number;
  max_pool_bwd(gradOut: number, indices: number, planes: number, inPlane: number, outPlane: number, gradIn: number): number;
  avg_pool2d_fwd(x: number, out: number, planes: number,
    inH: number, inW: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, padEndH: number, padEndW: number,
    dilH: number, dilW: number, countIncludePad: number, divisorOverride: number): number;
  avg_pool2d_bwd_work_bytes(inW: number, kW: number, sW: number, dilW: number): number;
  avg_pool2d_bwd(gradOut: number, gradIn: number, work: number, planes: number,
    inH: number, inW: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, padEndH: number, padEndW: number,
    dilH: number, dilW: number, countIncludePad: number, divisorOverride: number): number;
  gemm_work_bytes(): number;
  sgemm_nn(a: number, b: number, c: number, m: number, n: number, k: number, work: number): number;
  sgemm_nt(a: number, b: number, c: number, m: number, n: number, k: number, work: number): number;
  sgemm_tn(a: number, b: number, c: number, m: number, n: number, k: number, work: number): number;
  adaptive_avg_pool_fwd(x: number, out: number, planes: number,
    inD: number, inH: number, inW: number, outD: number, outH: number, outW: number): number;
  adaptive_avg_pool_bwd(gradOut: number, gradIn: number, planes: number,
    inD: number, inH: number, inW: number, outD: number, outH: number, outW: number): number;
  adaptive_max_pool_fwd(x: number, out: number, indices: number, planes: number,
    inD: number, inH: number, inW: number, outD: number, outH: number, outW: number): number;
  im2col(x: number, col: number, cin: number, inH: number, inW: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, dilH: number, dilW: number): number;
  col2im(col: number, dx: number, cin: number, inH: number, inW: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, dilH: number, dilW: number): number;
  relu_fwd(x: number, out: number, n: number): number;
  relu_bwd(out: number, gradOut: number, gradIn: number, n: number): number;
  conv2d_fwd_images(x: number, w: number, b: number, y: number, col: number, work: number, cols: number, images: number,
    cin: number, inH: number, inW: number, cout: number, groups: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, dilH: number, dilW: number): number;
  conv2d_bwd_images(x: number, w: number, gy: number, gx: number, gw: number, col: number, work: number, cols: number, images: number,
    cin: number, inH: number, inW: number, cout: number, groups: number, outH: number, outW: number,
    kH: number, kW: number, sH: number, sW: number, padH: number, padW: number, dilH: number, dilW: number): number;
  add_parts(dst: number, src: number, parts: number, n: number): number;
}

// The slice of the WebAssembly JS API used here (src/ compiles without DOM or Node typings).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { readonly exports: object } }>;
}

const PAGE = 65536;
/** Every block is followed by this many spare bytes: SIMD loads may read up to 24 bytes past their last element (a k2s2 row tail). */
const SLACK = 32;
const ALIGN = 16;

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

// i32.const 0; i8x16.splat; i8x16.popcnt — valid only where 128-bit SIMD is (wasm-feature-detect's probe).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

let simdChecked: boolean | undefined;

/** True when WebAssembly with 128-bit SIMD is available (and the kernels module compiles). */
export function wasmSimdAvailable(): boolean {
  if (simdChecked === undefined) {
    const api = wasmApi();
    try {
      simdChecked = api !== undefined && typeof api.validate === 'function' && api.validate(SIMD_PROBE);
    } catch {
      simdChecked = false;
    }
  }
  return simdChecked && kernels() !== undefined;
}

function decodeBase64(s: string): Uint8Array {
  const codes = new Uint8Array(128);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) codes[alphabet.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === '=') len--;
  const out = new Uint8Array((len * 3) >> 2);
  let bits = 0, acc = 0, o = 0;
  for (let i = 0; i < len; i++) {
    acc = (acc << 6) | codes[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

let instance: KernelExports | undefined;
let failed = false;
/** The compiled shared-memory module and its memory, for worker threads; undefined in copying mode. */
let sharedModule: { module: object; memory: WasmMemory } | undefined;

/** Whether this realm can share memory with workers (SharedArrayBuffer, and cross-origin isolation in browsers). */
function canShare(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

const SHARED_INITIAL_PAGES = 16;
const MAX_PAGES = 65536; // 4 GiB, wasm32's limit

/** The module to compile and its imports: the shared build over a fresh shared memory where possible. */
function plan(api: WasmApi): { bytes: Uint8Array; imports: object; memory?: WasmMemory } {
  if (canShare()) {
    try {
      const memory = new api.Memory({ initial: SHARED_INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
      return { bytes: decodeBase64(KERNELS_SHARED_WASM_BASE64), imports: { env: { memory } }, memory };
    } catch {
      // no shared memory after all: the copying build below
    }
  }
  return { bytes: decodeBase64(KERNELS_WASM_BASE64), imports: {} };
}

function adopt(exports: object, module: object, memory: WasmMemory | undefined): KernelExports {
  instance = (memory === undefined ? exports : { ...exports, memory }) as KernelExports;
  if (memory !== undefined) sharedModule = { module, memory };
  top = Math.max(ALIGN, alignUp(instance.heap_base()));
  noteBuffer();
  return instance;
}

/**
 * The kernels' exports, instantiating the module on first use (synchronously); undefined where
 * WebAssembly SIMD is missing or the module fails to load — callers then use the reference kernels.
 */
export function kernels(): KernelExports | undefined {
  if (instance !== undefined || failed) return instance;
  const api = wasmApi();
  try {
    if (api === undefined || !api.validate(SIMD_PROBE)) throw new Error('no WebAssembly SIMD');
    const p = plan(api);
    const module = new api.Module(p.bytes);
    return adopt(new api.Instance(module, p.imports).exports, module, p.memory);
  } catch {
    failed = true;
    return undefined;
  }
}

/** Loads the kernels asynchronously (for a browser's main thread); resolves to whether they are available. */
export async function initWasm(): Promise<boolean> {
  // A failed synchronous attempt (e.g. Chrome's main-thread size limit) does not stop this one.
  if (instance !== undefined) return true;
  const api = wasmApi();
  try {
    if (api === undefined || !api.validate(SIMD_PROBE)) throw new Error('no WebAssembly SIMD');
    const p = plan(api);
    const { module, instance: inst } = await (api.instantiate(p.bytes, p.imports) as unknown as
      Promise<{ module: object; instance: { readonly exports: object } }>);
    if (instance === undefined) adopt(inst.exports, module, p.memory);
    failed = false;
  } catch {
    failed = true;
  }
  return instance !== undefined;
}

/** The shared-memory module and memory that worker threads instantiate; undefined in copying mode. */
export function sharedKernels(): { module: object; memory: WasmMemory } | undefined {
  kernels();
  return sharedModule;
}

/** True when the kernels run over shared memory: storage may live in it and views never detach. */
export function memoryIsShared(): boolean {
  return sharedKernels() !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Allocator: blocks are 16-byte aligned with SLACK spare bytes after each; freed blocks go to an
// address-ordered free list, merged with their neighbours, and the top block returns to the bump
// pointer. First fit; the list stays short because tensors of a training step recur in size.

let top = 0; // bump pointer: everything at or above it is free
const sizes = new Map<number, number>(); // live block → its size in bytes (with slack)
const freeList: { ptr: number; size: number }[] = []; // ordered by ptr, no two adjacent

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function ensureMemory(k: KernelExports, end: number): void {
  const have = k.memory.buffer.byteLength;
  if (end <= have) return;
  // Grow geometrically so that repeated growth stays amortised; if the engine refuses that much
  // (grow() throws a RangeError past its limit, at most 4 GiB), ask for just what is needed.
  const need = Math.ceil(end / PAGE);
  const want = Math.min(Math.max(need, Math.ceil((have / PAGE) * 1.25)), 65536);
  try {
    k.memory.grow(want - have / PAGE);
  } catch {
    k.memory.grow(need - have / PAGE);
  }
  noteBuffer();
}

/**
 * Allocates `bytes` in the kernels' memory and returns the block's byte address; throws a
 * RangeError when the memory cannot grow that far (or when the kernels are unavailable).
 */
export function alloc(bytes: number): number {
  const k = kernels();
  if (k === undefined) throw new RangeError('WebAssembly kernels are unavailable');
  const size = alignUp(Math.max(bytes, 0) + SLACK);
  for (let i = 0; i < freeList.length; i++) {
    const block = freeList[i]!;
    if (block.size < size) continue;
    const ptr = block.ptr;
    if (block.size === size) freeList.splice(i, 1);
    else {
      block.ptr += size;
      block.size -= size;
    }
    sizes.set(ptr, size);
    return ptr;
  }
  const ptr = top;
  if (ptr + size > MAX_PAGES * PAGE) throw new RangeError(`cannot allocate ${bytes} bytes in WebAssembly memory`);
  ensureMemory(k, ptr + size);
  top = ptr + size;
  sizes.set(ptr, size);
  return ptr;
}

/** Returns a block from alloc() to the free list (no-op for 0 or an unknown address). */
export function free(ptr: number): void {
  const size = sizes.get(ptr);
  if (size === undefined) return;
  sizes.delete(ptr);
  let lo = 0, hi = freeList.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (freeList[mid]!.ptr < ptr) lo = mid + 1;
    else hi = mid;
  }
  let block = { ptr, size };
  const prev = freeList[lo - 1];
  if (prev !== undefined && prev.ptr + prev.size === ptr) {
    prev.size += size;
    block = prev;
    lo--;
  } else {
    freeList.splice(lo, 0, block);
  }
  const next = freeList[lo + 1];
  if (next !== undefined && block.ptr + block.size === next.ptr) {
    block.size += next.size;
    freeList.splice(lo + 1, 1);
  }
  if (block.ptr + block.size === top) {
    top = block.ptr;
    freeList.splice(lo, 1);
  }
}

/** Runs `fn` with blocks of these byte sizes; false (and nothing run) if any cannot be allocated. */
export function withBlocks(bytes: readonly number[], fn: (k: KernelExports, ptrs: number[]) => boolean): boolean {
  const k = kernels();
  if (k === undefined) return false;
  const ptrs: number[] = [];
  try {
    for (const b of bytes) ptrs.push(alloc(b));
  } catch {
    for (const p of ptrs) free(p);
    return false;
  }
  try {
    return fn(k, ptrs);
  } finally {
    for (const p of ptrs) free(p);
  }
}

type Arr = Float32Array | Int32Array;

/**
 * One argument of a kernel call: an array the kernel reads (`in`), overwrites (`out`) or updates
 * (`inout`), or a number of scratch bytes.
 */
export type KernelArg = { in: Arr } | { out: Arr } | { inout: Arr } | number;

/**
 * Runs `fn` with the byte address of each argument. Arrays that live in the shared kernel memory
 * pass their own address — nothing is copied; others (JS-heap arrays, or every array in copying
 * mode) are copied into a temporary block first (`in`, `inout`) and back after a run that
 * returned true (`out`, `inout`). Returns false, having run nothing, when the kernels or the
 * memory for the temporaries are unavailable.
 */
export function withArgs(args: readonly KernelArg[], fn: (k: KernelExports, ptrs: number[]) => boolean): boolean {
  const k = kernels();
  if (k === undefined) return false;
  const ptrs: number[] = [];
  const temps: number[] = [];
  try {
    for (const arg of args) {
      const a = typeof arg === 'number' ? undefined : 'in' in arg ? arg.in : 'out' in arg ? arg.out : arg.inout;
      const at = a === undefined ? -1 : addressOf(a);
      if (at >= 0) {
        ptrs.push(at);
      } else {
        const p = alloc(a === undefined ? (arg as number) : a.byteLength);
        temps.push(p);
        ptrs.push(p);
      }
    }
  } catch {
    for (const p of temps) free(p);
    return false;
  }
  try {
    // Views over the temporaries are made only now: no allocation can detach them any more.
    args.forEach((arg, i) => {
      if (typeof arg === 'object' && !('out' in arg)) {
        const a = 'in' in arg ? arg.in : arg.inout;
        if (addressOf(a) < 0) view(a, ptrs[i]!).set(a);
      }
    });
    if (!fn(k, ptrs)) return false;
    args.forEach((arg, i) => {
      if (typeof arg === 'object' && !('in' in arg)) {
        const a = 'out' in arg ? arg.out : arg.inout;
        if (addressOf(a) < 0) a.set(view(a, ptrs[i]!));
      }
    });
    return true;
  } finally {
    for (const p of temps) free(p);
  }
}

function view(like: Arr, ptr: number): Arr {
  return like instanceof Float32Array ? f32View(ptr, like.length) : i32View(ptr, like.length);
}

/** Bytes currently handed out (with slack) and the memory's size, for tests and diagnostics. */
export function memoryStats(): { allocated: number; freeBlocks: number; top: number; memoryBytes: number } {
  let allocated = 0;
  for (const s of sizes.values()) allocated += s;
  return { allocated, freeBlocks: freeList.length, top, memoryBytes: instance?.memory.buffer.byteLength ?? 0 };
}

// Views. A shared memory hands out a new SharedArrayBuffer object (over the same bytes) after
// each growth, and views made from the old one stay valid; every such buffer is remembered, so
// that an array living in the memory is recognised by its buffer. An ordinary memory detaches its
// old buffer on growth: there, never keep a view across an alloc() or a kernel call.

const buffers = new WeakSet<ArrayBuffer>();

function noteBuffer(): void {
  if (sharedModule !== undefined) buffers.add(instance!.memory.buffer);
}

/** The byte address of an array that lives in the shared kernel memory, or -1. */
export function addressOf(a: Float32Array | Int32Array): number {
  return buffers.has(a.buffer as ArrayBuffer) ? a.byteOffset : -1;
}

/** A Float32Array over `length` floats at byte address `ptr`. */
export function f32View(ptr: number, length: number): Float32Array {
  return new Float32Array(kernels()!.memory.buffer, ptr, length);
}

/** An Int32Array over `length` ints at byte address `ptr`. */
export function i32View(ptr: number, length: number): Int32Array {
  return new Int32Array(kernels()!.memory.buffer, ptr, length);
}
