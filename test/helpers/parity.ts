// Shared by the parity suites (test/parity/kernels.test.ts, test/parity/conv_adaptive.test.ts):
// drawing random integers and input values from a seeded PRNG (test/helpers/gradcheck.ts's rng),
// and comparing float32 arrays bit for bit. Each helper draws from `rand` in a fixed order, so the
// suites' generated cases depend only on their seeds.

import assert from 'node:assert/strict';
import { alloc, f32View, free } from '../../src/kernels/wasm/loader.js';
import type { WindowOptions } from '../../src/pool/geometry.js';

/** A uniform integer in [lo, hi] (one draw). */
export const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

export type Fill = 'normal' | 'ties' | 'special' | 'neginf' | 'zeros' | 'sparse' | 'walls';

/**
 * Input values: continuous, few distinct (ties), sprinkled with NaN/±Infinity/−0, mostly
 * −Infinity, ±0 and −Infinity without NaN (ties whose bits differ, windows of nothing but
 * −Infinity), or continuous with a rare NaN or +Infinity (so some windows, rows and tiles hold one
 * and most do not) and some subnormal numbers (whose divisions by a power of two round), or
 * nearly all −Infinity without NaN ('walls': whole windows of −Infinity, padded ones included,
 * reach the SIMD paths — a NaN would send its rows tap by tap — and keep their first index).
 */
export function values(rand: () => number, n: number, fill: Fill): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (fill === 'normal') x[i] = r * 4 - 2;
    else if (fill === 'ties') x[i] = Math.floor(r * 3) - 1;
    else if (fill === 'neginf') x[i] = r < 0.85 ? -Infinity : r < 0.9 ? NaN : Math.floor(r * 20) - 10;
    else if (fill === 'zeros') x[i] = r < 0.3 ? -0 : r < 0.6 ? 0 : r < 0.9 ? -Infinity : r < 0.95 ? -1 : 1;
    else if (fill === 'walls') x[i] = r < 0.97 ? -Infinity : r < 0.985 ? -0 : 1;
    else if (fill === 'sparse') x[i] = r < 0.002 ? NaN : r < 0.003 ? Infinity : r < 0.05 ? (r - 0.025) * 1e-37 : r * 4 - 2;
    else {
      const v = rand();
      x[i] = v < 0.08 ? NaN : v < 0.14 ? Infinity : v < 0.2 ? -Infinity : v < 0.26 ? -0 : v < 0.5 ? Math.floor(r * 3) : r * 4 - 2;
    }
  }
  return x;
}

/**
 * The first element where two float32 arrays differ in their bits, or −1 — except that any NaN
 * equals any NaN: a NaN's sign and payload are no part of the contract (V8 canonicalises NaN when
 * the reference stores it, 0x7fc00000; wasm arithmetic gives x86's default NaN, 0xffc00000, as
 * PyTorch's own C++ does). Copied values (max pooling) keep their bits either way.
 */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return ua.length === ub.length ? -1 : ua.length;
}

/** Asserts equal lengths and equal bits (NaN = NaN, as firstBitDiff), naming the first difference. */
export function assertBitsEqual(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const i = firstBitDiff(actual, expected);
  assert.equal(i, -1, i < 0 ? '' : `${what}: element ${i} is ${actual[i]} (0x${(new Uint32Array(actual.buffer, actual.byteOffset)[i]! >>> 0).toString(16)}), reference ${expected[i]} (0x${(new Uint32Array(expected.buffer, expected.byteOffset)[i]! >>> 0).toString(16)})`);
}

/**
 * Random window options for `spatial` sizes, drawn in a fixed order from `rand`: kernels 1..maxKernel,
 * strides 1..3, some dilation, padding none (below `zeroPad`), symmetric, explicit asymmetric
 * pairs or 'same'/'same-lower', and ceil mode half the time, plus a shape of 1–2 × 1–3 planes.
 */
export function randomWindow(rand: () => number, spatial: number[], maxKernel: number, zeroPad: number): { shape: number[]; opts: WindowOptions } {
  const kernel = spatial.map(() => int(rand, 1, maxKernel));
  const stride = kernel.map(() => int(rand, 1, 3));
  const dilation = kernel.map(() => (rand() < 0.7 ? 1 : int(rand, 2, 3)));
  const effective = kernel.map((k, i) => (k - 1) * dilation[i]! + 1);
  const r = rand();
  const padding: WindowOptions['padding'] = r < zeroPad ? 0
    : r < 0.7 ? effective.map((e) => int(rand, 0, Math.floor(e / 2)))
    : r < 0.9 ? effective.map((e) => [int(rand, 0, e - 1), int(rand, 0, e - 1)] as [number, number])
    : rand() < 0.5 ? 'same' : 'same-lower';
  const shape = [int(rand, 1, 2), int(rand, 1, 3), ...spatial];
  return { shape, opts: { kernelSize: kernel, stride, dilation, padding, ceilMode: rand() < 0.5 } };
}

/**
 * `init`'s values in a block of the kernels' own memory: a kernel given `array` writes there in
 * place, so garbage it must overwrite is still there if it does not (an array on the JS heap
 * would be passed through a fresh, maybe zeroed, temporary). `release()` frees the block.
 */
export function inKernelMemory(init: Float32Array): { readonly array: Float32Array; release(): void } {
  const ptr = alloc(init.byteLength);
  f32View(ptr, init.length).set(init);
  return { get array() { return f32View(ptr, init.length); }, release: () => free(ptr) };
}
