// The WebAssembly ReLU kernels against their references, bit for bit, on lengths around the SIMD
// width and on every special value (NaN, ±Infinity, −0, ties at 0).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { relu_bwd__ref, relu_fwd__ref } from '../../src/kernels/ref/elementwise.js';
import { relu_bwd__wasm_simd, relu_fwd__wasm_simd } from '../../src/kernels/wasm/elementwise.js';
import { wasmSimdAvailable } from '../../src/kernels/wasm/loader.js';
import { rng } from '../helpers/gradcheck.js';
import { values, type Fill } from '../helpers/parity.js';

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
const FILLS: Fill[] = ['normal', 'ties', 'special', 'neginf'];

describe('ReLU: WebAssembly SIMD against the reference', { skip: !wasmSimdAvailable() && 'no WebAssembly SIMD here' }, () => {
  test('forward and backward are bit-identical for every length 0..37 and every kind of value', () => {
    const rand = rng(7);
    for (let n = 0; n <= 37; n++) {
      for (const fill of FILLS) {
        const x = values(rand, n, fill);
        const g = values(rand, n, 'special');
        const want = new Float32Array(n), got = new Float32Array(n).fill(9);
        relu_fwd__ref(x, want);
        assert.ok(relu_fwd__wasm_simd(x, got));
        assert.deepEqual(bits(got), bits(want), `forward n=${n} ${fill}`);
        const gWant = new Float32Array(n), gGot = new Float32Array(n).fill(9);
        relu_bwd__ref(want, g, gWant);
        assert.ok(relu_bwd__wasm_simd(want, g, gGot));
        assert.deepEqual(bits(gGot), bits(gWant), `backward n=${n} ${fill}`);
      }
    }
  });

  test('the rule itself: −0 and NaN pass forward; a NaN output keeps its gradient, ≤ 0 drops it', () => {
    const x = Float32Array.of(-1, -0, 0, NaN, 2, -Infinity, Infinity, 0.5);
    const out = new Float32Array(8);
    assert.ok(relu_fwd__wasm_simd(x, out));
    assert.deepEqual([...out].map((v) => (Object.is(v, -0) ? '-0' : String(v))), ['0', '-0', '0', 'NaN', '2', '0', 'Infinity', '0.5']);
    const g = new Float32Array(8).fill(3);
    const gx = new Float32Array(8);
    assert.ok(relu_bwd__wasm_simd(out, g, gx));
    assert.deepEqual([...gx], [0, 0, 0, 3, 3, 0, 3, 3]);
  });
});
