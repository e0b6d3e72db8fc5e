// WebAssembly SIMD twins of src/kernels/ref/elementwise.ts: bit-identical (a lane mask clears
// exactly what the reference zeroes). Big arrays are cut into ranges across the worker pool.

import { runTasks } from '../../threads/pool.js';
import { withArgs } from './loader.js';
import { rangeTasks } from './split.js';

export function relu_fwd__wasm_simd(x: Float32Array, out: Float32Array): boolean {
  return withArgs([{ in: x }, { out: out.subarray(0, x.length) }], (_, [xp, op]) =>
    runTasks(rangeTasks(x.length, 8, (i, n) => ({ fn: 'relu_fwd', args: [xp! + i * 4, op! + i * 4, n] }))));
}

export function relu_bwd__wasm_simd(out: Float32Array, gradOut: Float32Array, gradIn: Float32Array): boolean {
  const n = out.length;
  return withArgs([{ in: out }, { in: gradOut.subarray(0, n) }, { out: gradIn.subarray(0, n) }], (_, [op, gp, ip]) =>
    runTasks(rangeTasks(n, 12, (i, count) => ({ fn: 'relu_bwd', args: [op! + i * 4, gp! + i * 4, ip! + i * 4, count] }))));
}
