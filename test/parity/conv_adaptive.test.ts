// Parity of the adaptive-pooling and im2col/col2im fast kernels (src/kernels/wasm/pool.ts,
// src/kernels/wasm/conv.ts) against their references (src/kernels/ref/pool.ts, ref/conv.ts), bit
// for bit: adaptive pooling keeps each output's float32 sequence (`sum / kD / kH / kW`, first
// maximum, last NaN); im2col only moves data; col2im adds in the reference's order. Inputs: random
// and edge geometries (bins that overlap, bins wider than the SIMD width, out > in, out = 1,
// padding beyond the kernel, stride and dilation) with NaN, ±Infinity, −0 and ties. Any NaN
// equals any NaN (see test/helpers/parity.ts); indices must match exactly.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { col2im__ref, im2col__ref } from '../../src/kernels/ref/conv.js';
import { adaptive_avg_pool_bwd__ref, adaptive_avg_pool_fwd__ref, adaptive_max_pool_fwd__ref, max_pool_bwd__ref } from '../../src/kernels/ref/pool.js';
import { col2im__wasm_simd, im2col__wasm_simd } from '../../src/kernels/wasm/conv.js';
import { kernels, memoryStats, wasmSimdAvailable } from '../../src/kernels/wasm/loader.js';
import {
  adaptive_avg_pool_bwd__wasm_simd, adaptive_avg_pool_bwd_uniform__wasm_simd, adaptive_avg_pool_fwd__wasm_simd,
  adaptive_max_pool_bwd_k2__wasm_simd, adaptive_max_pool_fwd__wasm_simd,
} from '../../src/kernels/wasm/pool.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../src/ops/conv.js';
import { adaptiveGeometry, type AdaptiveGeometry } from '../../src/pool/geometry.js';
import { rng as prng } from '../helpers/gradcheck.js';
import { assertBitsEqual, inKernelMemory, int, values, type Fill } from '../helpers/parity.js';

const FILLS: Fill[] = ['normal', 'ties', 'special', 'neginf', 'zeros', 'sparse', 'walls'];

// ---------------------------------------------------------------------------------------------
// Adaptive pooling

interface AdaptiveCase { nd: 1 | 2 | 3; shape: number[]; out: number[] }

const ADAPTIVE_EDGES: AdaptiveCase[] = [
  { nd: 2, shape: [2, 8, 14, 14], out: [7, 7] }, // the benchmark's 14 → 7
  { nd: 2, shape: [1, 3, 13, 11], out: [5, 3] }, // overlapping bins
  { nd: 2, shape: [1, 2, 5, 6], out: [13, 9] }, // out > in: bins repeat inputs
  { nd: 2, shape: [1, 2, 9, 37], out: [1, 1] }, // global pooling, rows wider than the SIMD width
  { nd: 2, shape: [1, 2, 7, 7], out: [7, 7] }, // identity
  { nd: 2, shape: [1, 1, 1, 1], out: [3, 2] },
  { nd: 2, shape: [3, 17, 23], out: [4, 6] }, // unbatched
  { nd: 1, shape: [2, 3, 33], out: [5] },
  { nd: 1, shape: [1, 2, 4], out: [9] },
  { nd: 3, shape: [1, 2, 5, 6, 9], out: [3, 2, 4] },
  { nd: 3, shape: [1, 1, 3, 4, 4], out: [5, 1, 7] },
  // uniform bins (in a multiple of out): the tiled kernels, and max through the sliding-window one
  { nd: 2, shape: [1, 3, 12, 18], out: [4, 6] },
  { nd: 2, shape: [2, 2, 8, 12], out: [4, 3] },
  { nd: 2, shape: [1, 2, 16, 16], out: [8, 8] },
  { nd: 2, shape: [1, 2, 6, 10], out: [3, 5] },
  { nd: 1, shape: [2, 3, 40], out: [10] },
];

function adaptiveCases(seed: number, count: number): AdaptiveCase[] {
  const rand = prng(seed);
  const cases: AdaptiveCase[] = [];
  while (cases.length < count) {
    const r = rand();
    const nd: 1 | 2 | 3 = r < 0.15 ? 1 : r < 0.85 ? 2 : 3;
    const spatial = Array.from({ length: nd }, () => (rand() < 0.8 ? int(rand, 1, 12) : int(rand, 13, 40)));
    const out = spatial.map((s) => (rand() < 0.7 ? int(rand, 1, s) : int(rand, 1, 2 * s + 3)));
    cases.push({ nd, shape: [int(rand, 1, 2), int(rand, 1, 3), ...spatial], out });
  }
  return cases;
}

const ADAPTIVE_CASES = [...ADAPTIVE_EDGES, ...adaptiveCases(20261201, 250)];

function adaptiveOf(c: AdaptiveCase, op: string): AdaptiveGeometry {
  return adaptiveGeometry(`${op}${c.nd}d`, c.nd, c.shape, c.out);
}

function describeAdaptive(g: AdaptiveGeometry): string {
  return `${g.planes}×${g.inD}×${g.inH}×${g.inW} → ${g.outD}×${g.outH}×${g.outW}`;
}

test('WebAssembly SIMD is available on this Node (the fast kernels run, not decline)', () => {
  assert.equal(wasmSimdAvailable(), true);
});

describe('adaptive pooling: wasm = reference, bit for bit', () => {
  test('average forward: the float32 sum over each bin, divided by each extent in turn', () => {
    const rand = prng(11);
    for (const c of ADAPTIVE_CASES) {
      const g = adaptiveOf(c, 'adaptive_avg_pool');
      const inN = g.planes * g.inD * g.inH * g.inW, outN = g.planes * g.outD * g.outH * g.outW;
      for (const fill of FILLS) {
        const x = values(rand, inN, fill);
        const ref = new Float32Array(outN), fast = new Float32Array(outN).fill(7);
        adaptive_avg_pool_fwd__ref(x, g, ref);
        assert.equal(adaptive_avg_pool_fwd__wasm_simd(x, g, fast), true, describeAdaptive(g));
        assertBitsEqual(fast, ref, `${describeAdaptive(g)} ${fill}`);
      }
    }
  });

  test('average backward: each bin gets gradOut / kD / kH / kW, overlapping bins accumulated in output order', () => {
    const rand = prng(12);
    for (const c of ADAPTIVE_CASES) {
      const g = adaptiveOf(c, 'adaptive_avg_pool');
      const inN = g.planes * g.inD * g.inH * g.inW, outN = g.planes * g.outD * g.outH * g.outW;
      for (const fill of FILLS) {
        const gradOut = values(rand, outN, fill);
        const start = values(rand, inN, 'normal'); // gradIn accumulates onto what is there
        const ref = start.slice(), fast = start.slice();
        adaptive_avg_pool_bwd__ref(gradOut, g, ref);
        assert.equal(adaptive_avg_pool_bwd__wasm_simd(gradOut, g, fast), true, describeAdaptive(g));
        assertBitsEqual(fast, ref, `${describeAdaptive(g)} ${fill}`);
      }
    }
  });

  test('max forward: values and indices (first maximum wins ties, last NaN wins, all −inf keeps the first tap), and values alone', () => {
    const rand = prng(13);
    for (const c of ADAPTIVE_CASES) {
      const g = adaptiveOf(c, 'adaptive_max_pool');
      const inN = g.planes * g.inD * g.inH * g.inW, outN = g.planes * g.outD * g.outH * g.outW;
      for (const fill of FILLS) {
        const x = values(rand, inN, fill);
        const ref = new Float32Array(outN), fast = new Float32Array(outN);
        const refI = new Int32Array(outN), fastI = new Int32Array(outN).fill(-5);
        adaptive_max_pool_fwd__ref(x, g, ref, refI);
        assert.equal(adaptive_max_pool_fwd__wasm_simd(x, g, fast, fastI), true, describeAdaptive(g));
        assertBitsEqual(fast, ref, `${describeAdaptive(g)} ${fill}`);
        assert.deepEqual(fastI, refI, `${describeAdaptive(g)} ${fill}: indices`);
        const valuesOnly = new Float32Array(outN).fill(7);
        assert.equal(adaptive_max_pool_fwd__wasm_simd(x, g, valuesOnly, null), true);
        assertBitsEqual(valuesOnly, ref, `${describeAdaptive(g)} ${fill}: values only`);
      }
    }
  });

  test('backward that writes all of gradIn (uniform bins) = zeros + the reference', () => {
    const rand = prng(77);
    let covered = 0;
    for (const c of ADAPTIVE_CASES) {
      const g = adaptiveOf(c, 'adaptive_avg_pool');
      const n = g.planes * g.inD * g.inH * g.inW, m = g.planes * g.outD * g.outH * g.outW;
      const gradOut = values(rand, m, 'special');
      const ref = new Float32Array(n);
      adaptive_avg_pool_bwd__ref(gradOut, g, ref);
      // Garbage it must overwrite, in the kernels' memory (a JS-heap array would go through a temporary).
      const fast = inKernelMemory(values(rand, n, 'normal'));
      const ran = adaptive_avg_pool_bwd_uniform__wasm_simd(gradOut, g, fast.array);
      if (ran) assertBitsEqual(fast.array, ref, `avg ${describeAdaptive(g)}`);
      fast.release();
      if (!ran) continue;
      covered++;
      if (g.inH === 2 * g.outH && g.inW === 2 * g.outW) {
        const idx = new Int32Array(m);
        adaptive_max_pool_fwd__ref(values(rand, n, 'ties'), g, new Float32Array(m), idx);
        const refMax = new Float32Array(n);
        max_pool_bwd__ref(gradOut, idx, g.planes, g.inH * g.inW, g.outH * g.outW, refMax);
        const fastMax = inKernelMemory(values(rand, n, 'normal'));
        assert.equal(adaptive_max_pool_bwd_k2__wasm_simd(gradOut, idx, g, fastMax.array), true);
        assertBitsEqual(fastMax.array, refMax, `max ${describeAdaptive(g)}`);
        fastMax.release();
      }
    }
    assert.ok(covered >= 8, `${covered} uniform cases`);
  });

  test('the raw kernels decline nonsense sizes (negative, or an empty output) without touching memory', () => {
    const k = kernels() as unknown as Record<string, (...a: number[]) => number>;
    assert.equal(k.adaptive_avg_pool_fwd!(0, 0, 1, 1, 4, 4, 1, 0, 2), 0);
    assert.equal(k.adaptive_avg_pool_bwd!(0, 0, -1, 1, 4, 4, 1, 2, 2), 0);
    assert.equal(k.adaptive_max_pool_fwd!(0, 0, 0, 1, 1, -4, 4, 1, 2, 2), 0);
  });
});

// ---------------------------------------------------------------------------------------------
// im2col / col2im

interface ConvCase { input: number[]; weight: number[]; opts: Conv2dOptions }

const CONV_EDGES: ConvCase[] = [
  { input: [2, 1, 28, 28], weight: [6, 1, 5, 5], opts: { padding: 2 } }, // LeNet conv1
  { input: [2, 6, 14, 14], weight: [16, 6, 5, 5], opts: {} }, // LeNet conv2
  { input: [1, 4, 9, 13], weight: [4, 2, 3, 3], opts: { padding: 1, groups: 2 } },
  { input: [1, 2, 7, 11], weight: [3, 2, 3, 2], opts: { stride: [2, 3], padding: [1, 2], dilation: [2, 1] } },
  { input: [1, 1, 3, 3], weight: [1, 1, 2, 2], opts: { padding: 4 } }, // padding beyond the kernel: rows of zeros
  { input: [1, 1, 5, 17], weight: [2, 1, 1, 1], opts: {} },
  { input: [1, 2, 6, 6], weight: [2, 2, 3, 3], opts: { padding: 'same', dilation: 2 } },
  { input: [3, 5, 4], weight: [2, 3, 2, 2], opts: { stride: 2 } }, // unbatched
];

function convCases(seed: number, count: number): ConvCase[] {
  const rand = prng(seed);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const groups = rand() < 0.75 ? 1 : int(rand, 2, 3);
    const cinPerGroup = int(rand, 1, 3);
    const inH = rand() < 0.8 ? int(rand, 1, 12) : int(rand, 13, 30);
    const inW = rand() < 0.8 ? int(rand, 1, 12) : int(rand, 13, 30);
    const kH = int(rand, 1, 5), kW = int(rand, 1, 5);
    const opts: Conv2dOptions = {
      stride: [int(rand, 1, 3), int(rand, 1, 3)],
      padding: [int(rand, 0, 4), int(rand, 0, 4)],
      dilation: [rand() < 0.7 ? 1 : int(rand, 2, 3), rand() < 0.7 ? 1 : int(rand, 2, 3)],
      groups,
    };
    const c: ConvCase = { input: [int(rand, 1, 2), cinPerGroup * groups, inH, inW], weight: [groups * int(rand, 1, 2), cinPerGroup, kH, kW], opts };
    try {
      const g = conv2dGeometry(c.input, c.weight, null, c.opts);
      if (g.outH < 1 || g.outW < 1) continue;
    } catch {
      continue; // kernel larger than the padded input: not a geometry
    }
    cases.push(c);
  }
  return cases;
}

const CONV_CASES = [...CONV_EDGES, ...convCases(20261202, 250)];

function describeConv(g: Conv2dGeometry): string {
  return `in ${g.batch}×${g.cin}×${g.inH}×${g.inW} k ${g.kH}×${g.kW} s ${g.sH}×${g.sW} pad ${g.padH}×${g.padW} dil ${g.dilH}×${g.dilW} groups ${g.groups}`;
}

/** The offset of each (image, group) block, as conv2d_fwd walks them. */
function blocks(g: Conv2dGeometry): number[] {
  const offs: number[] = [];
  for (let n = 0; n < g.batch; n++) for (let grp = 0; grp < g.groups; grp++) offs.push((n * g.cin + grp * g.cinPerGroup) * g.inH * g.inW);
  return offs;
}

describe('im2col / col2im: wasm = reference, bit for bit', () => {
  test('im2col copies every tap and writes +0 where padded, for every image and group', () => {
    const rand = prng(21);
    for (const c of CONV_CASES) {
      const g = conv2dGeometry(c.input, c.weight, null, c.opts);
      const colN = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
      for (const fill of FILLS) {
        const x = values(rand, g.batch * g.cin * g.inH * g.inW, fill);
        for (const off of blocks(g)) {
          // Every entry is written: garbage in the kernels' memory is overwritten in place.
          const ref = new Float32Array(colN).fill(NaN), fast = inKernelMemory(new Float32Array(colN).fill(-3));
          im2col__ref(x, off, g, ref);
          assert.equal(im2col__wasm_simd(x, off, g, fast.array), true, describeConv(g));
          assertBitsEqual(fast.array, ref, `${describeConv(g)} ${fill} block at ${off}`);
          fast.release();
        }
      }
    }
  });

  test('col2im adds overlapping taps in the reference order and touches nothing outside its block', () => {
    const rand = prng(22);
    for (const c of CONV_CASES) {
      const g = conv2dGeometry(c.input, c.weight, null, c.opts);
      const colN = g.cinPerGroup * g.kH * g.kW * g.outH * g.outW;
      for (const fill of FILLS) {
        const start = values(rand, g.batch * g.cin * g.inH * g.inW, 'normal');
        const ref = start.slice(), fast = start.slice();
        for (const off of blocks(g)) {
          const col = values(rand, colN, fill);
          col2im__ref(col, g, ref, off);
          assert.equal(col2im__wasm_simd(col, g, fast, off), true, describeConv(g));
        }
        assertBitsEqual(fast, ref, `${describeConv(g)} ${fill}`);
      }
    }
  });

  test('the raw kernels decline nonsense geometry (zero stride or dilation, negative sizes)', () => {
    const k = kernels() as unknown as Record<string, (...a: number[]) => number>;
    assert.equal(k.im2col!(0, 0, 1, 4, 4, 2, 2, 2, 2, 0, 1, 0, 0, 1, 1), 0);
    assert.equal(k.col2im!(0, 0, 1, 4, 4, 2, 2, 2, 2, 1, 1, 0, 0, 1, 0), 0);
    assert.equal(k.im2col!(0, 0, -1, 4, 4, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1), 0);
  });

  test('the wrappers give back every block they allocate', () => {
    const before = memoryStats().allocated;
    const g = conv2dGeometry([1, 2, 6, 6], [2, 2, 3, 3], null, { padding: 1 });
    const col = new Float32Array(2 * 9 * 36);
    im2col__wasm_simd(new Float32Array(72), 0, g, col);
    col2im__wasm_simd(col, g, new Float32Array(72), 0);
    assert.equal(memoryStats().allocated, before);
  });
});
