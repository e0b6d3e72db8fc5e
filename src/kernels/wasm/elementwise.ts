// WebAssembly SIMD twins of src/kernels/ref/elementwise.ts: bit-identical (a lane mask clears
// exactly what the reference zeroes). For now each call copies into the wasm memory and back.

import { f32View, withBlocks } from './loader.js';

export function relu_fwd__wasm_simd(x: Float32Array, out: Float32Array): boolean {
  const n = x.length;
  return withBlocks([n * 4, n * 4], (k, [xp, op]) => {
    f32View(xp!, n).set(x);
    if (!k.relu_fwd(xp!, op!, n)) return false;
    out.set(f32View(op!, n));
    return true;
  });
}

export function relu_bwd__wasm_simd(out: Float32Array, gradOut: Float32Array, gradIn: Float32Array): boolean {
  const n = out.length;
  return withBlocks([n * 4, n * 4, n * 4], (k, [op, gp, ip]) => {
    f32View(op!, n).set(out);
    f32View(gp!, n).set(gradOut);
    if (!k.relu_bwd(op!, gp!, ip!, n)) return false;
    gradIn.set(f32View(ip!, n));
    return true;
  });
}
