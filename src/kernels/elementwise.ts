// Elementwise kernels for the ops: the WebAssembly SIMD kernel when it takes the call
// (bit-identical, test/parity/elementwise.test.ts), else the reference loop.

import { relu_bwd__ref, relu_fwd__ref } from './ref/elementwise.js';
import { fastKernels } from './switch.js';
import { relu_bwd__wasm_simd, relu_fwd__wasm_simd } from './wasm/elementwise.js';

export function relu_fwd(x: Float32Array, out: Float32Array): void {
  if (!(fastKernels() && relu_fwd__wasm_simd(x, out))) relu_fwd__ref(x, out);
}

export function relu_bwd(out: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
  if (!(fastKernels() && relu_bwd__wasm_simd(out, gradOut, gradIn))) relu_bwd__ref(out, gradOut, gradIn);
}
