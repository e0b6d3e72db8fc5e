// The parity suite: every fast kernel (src/kernels/wasm/) against its reference (src/kernels/ref/)
// on random and edge geometries — sizes around the SIMD width, stride, padding (symmetric,
// asymmetric, 'same'), dilation, ceil mode — and on inputs with NaN, ±Infinity, −0, ties and
// windows of nothing but −Infinity.
// - Pooling must agree bit for bit (Float32Array bits — any NaN equals any NaN — and indices
//   exactly): the SIMD lanes run across output columns and each does the reference's own
//   sequence of float32 operations.
// - GEMM sums in another order: each element within 1e-5 of the size of what it sums
//   (|C₀| + Σ|a·b|), i.e. within rounding of a float32 dot product.
// - Where a fast kernel does not cover the geometry it must decline (return false) and leave its
//   outputs untouched.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { gemm_nn__ref, gemm_nt__ref, gemm_tn__ref } from '../../src/kernels/ref/gemm.js';
import { avg_pool_bwd__ref, avg_pool_fwd__ref, max_pool_bwd__ref, max_pool_fwd__ref, type AvgOptions } from '../../src/kernels/ref/pool.js';
import { gemm_nn__wasm_simd, gemm_nt__wasm_simd, gemm_tn__wasm_simd } from '../../src/kernels/wasm/gemm.js';
import { alloc, f32View, free, kernels, memoryStats, wasmSimdAvailable } from '../../src/kernels/wasm/loader.js';
import { avg_pool_bwd__wasm_simd, avg_pool_bwd_k2s2__wasm_simd, avg_pool_fwd__wasm_simd, max_pool_bwd__wasm_simd, max_pool_bwd_k2s2__wasm_simd, max_pool_bwd_rows__wasm_simd, max_pool_fwd__wasm_simd } from '../../src/kernels/wasm/pool.js';
import { poolGeometry, type PoolGeometry, type WindowOptions } from '../../src/pool/geometry.js';
import { rng as prng } from '../helpers/gradcheck.js'; // mulberry32, seeded, so failures reproduce
import { assertBitsEqual, inKernelMemory, int, values, type Fill, randomWindow } from '../helpers/parity.js';

function describeGeometry(g: PoolGeometry): string {
  return `in ${g.planes}×${g.inH}×${g.inW} out ${g.outH}×${g.outW} k ${g.kH}×${g.kW} s ${g.sH}×${g.sW} pad ${g.padH}/${g.padEndH}×${g.padW}/${g.padEndW} dil ${g.dilH}×${g.dilW}`;
}

interface Case {
  shape: number[];
  opts: WindowOptions;
  nd: 1 | 2;
}

/** Random 2-D (and some 1-D) geometries: sizes 3..9 around the SIMD width, some wider rows. */
function randomCases(seed: number, count: number): Case[] {
  const rand = prng(seed);
  const cases: Case[] = [];
  while (cases.length < count) {
    const nd: 1 | 2 = rand() < 0.15 ? 1 : 2;
    const spatial = Array.from({ length: nd }, () => (rand() < 0.8 ? int(rand, 3, 9) : int(rand, 10, 41)));
    const { shape, opts } = randomWindow(rand, spatial, 4, 0.35);
    try {
      poolGeometry(nd === 2 ? 'max_pool2d' : 'max_pool1d', nd, shape, opts);
    } catch {
      continue; // output too small for these options: not a geometry
    }
    cases.push({ shape, opts, nd });
  }
  return cases;
}

/** Hand-picked edges: the LeNet and benchmark shapes, SIMD-width rows, ceil-mode overhang, asymmetric pads. */
const EDGE_CASES: Case[] = [
  { nd: 2, shape: [2, 3, 8, 8], opts: { kernelSize: 2 } },
  { nd: 2, shape: [1, 6, 28, 28], opts: { kernelSize: 2, stride: 2 } },
  { nd: 2, shape: [1, 16, 10, 10], opts: { kernelSize: 2, stride: 2 } },
  { nd: 2, shape: [2, 3, 9, 21], opts: { kernelSize: 2, stride: 2, padding: 1 } }, // k2s2 windows cut by the padding at every edge
  { nd: 2, shape: [2, 3, 13, 29], opts: { kernelSize: 3, stride: 2, padding: 1 } }, // k3s2 interior groups, edges and NaN groups
  { nd: 2, shape: [1, 2, 9, 40], opts: { kernelSize: [2, 3], stride: 2, dilation: [2, 1] } },
  ...[2, 4, 6, 14, 15, 17].map((w) => ({ nd: 2 as const, shape: [2, 3, 5, w], opts: { kernelSize: 2, stride: 2 } })), // k2s2 rows ending in 1–3 windows
  { nd: 2, shape: [1, 2, 17, 17], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  // k3s2 with padding 0 or 1: many output rows, odd and even sizes, ceil mode, rows of
  // fewer than four SIMD columns, rows ending in eight, four and one-by-one columns.
  { nd: 2, shape: [2, 3, 40, 37], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { nd: 2, shape: [1, 2, 35, 36], opts: { kernelSize: 3, stride: 2 } },
  { nd: 2, shape: [1, 2, 36, 35], opts: { kernelSize: 3, stride: 2, ceilMode: true } },
  { nd: 2, shape: [1, 2, 38, 41], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { nd: 2, shape: [1, 1, 19, 9], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { nd: 2, shape: [1, 1, 7, 6], opts: { kernelSize: 3, stride: 2 } },
  { nd: 2, shape: [1, 1, 3, 3], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { nd: 2, shape: [1, 2, 9, 9], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { nd: 2, shape: [1, 2, 7, 7], opts: { kernelSize: 2, stride: 2, ceilMode: true } },
  { nd: 2, shape: [1, 1, 5, 5], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  // k3s2 eight columns at a time and four (4–7 fit): with and without a padded left column, padding
  // on one axis only, a pair overlapping the one before.
  { nd: 2, shape: [1, 2, 21, 13], opts: { kernelSize: 3, stride: 2 } },
  { nd: 2, shape: [1, 2, 22, 26], opts: { kernelSize: 3, stride: 2, padding: [0, 1] } },
  { nd: 2, shape: [1, 2, 23, 27], opts: { kernelSize: 3, stride: 2, padding: [1, 0], ceilMode: true } },
  { nd: 2, shape: [1, 2, 18, 14], opts: { kernelSize: 3, stride: 2, padding: [1, 0] } },
  // k3s2 takes planes two at a time: odd plane counts leave the last one alone.
  { nd: 2, shape: [1, 3, 21, 22], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { nd: 2, shape: [5, 1, 15, 40], opts: { kernelSize: 3, stride: 2, ceilMode: true } },
  { nd: 2, shape: [1, 2, 6, 13], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { nd: 2, shape: [1, 2, 6, 13], opts: { kernelSize: [2, 3], stride: 1, dilation: [1, 2] } },
  { nd: 2, shape: [1, 2, 12, 12], opts: { kernelSize: 3, stride: 3, dilation: 2, padding: 2 } },
  { nd: 2, shape: [1, 1, 4, 4], opts: { kernelSize: 4, stride: 1, padding: [[3, 0], [0, 3]] } },
  { nd: 2, shape: [1, 1, 8, 11], opts: { kernelSize: 3, stride: [1, 4], padding: [[2, 1], [1, 2]], ceilMode: true } },
  { nd: 2, shape: [2, 1, 3, 3], opts: { kernelSize: 3, padding: 'same', stride: 1 } },
  { nd: 2, shape: [1, 1, 5, 9], opts: { kernelSize: 2, stride: 2, padding: 'same-lower' } },
  { nd: 2, shape: [1, 3, 1, 40], opts: { kernelSize: [1, 5], stride: [1, 1], dilation: [1, 3], padding: [0, 6] } },
  { nd: 1, shape: [3, 4, 33], opts: { kernelSize: 2, stride: 2 } },
  { nd: 1, shape: [1, 2, 9], opts: { kernelSize: 4, stride: 1, padding: 2, ceilMode: true } },
  // Windows entirely in the padding along W (a dilated tap pair straddles the input).
  { nd: 2, shape: [1, 1, 3, 3], opts: { kernelSize: [1, 2], stride: 1, dilation: [1, 3], padding: [[0, 0], [2, 2]] } },
];

const FILLS: Fill[] = ['normal', 'ties', 'special', 'neginf', 'zeros', 'sparse', 'walls'];
const CASES = [...EDGE_CASES, ...randomCases(20261127, 260)];

function geometryOf(c: Case, op: string): PoolGeometry {
  return poolGeometry(c.nd === 2 ? `${op}2d` : `${op}1d`, c.nd, c.shape, c.opts);
}

test('WebAssembly SIMD is available on this Node (the fast kernels run, not decline)', () => {
  assert.equal(wasmSimdAvailable(), true);
  assert.ok(kernels() !== undefined);
});

describe('max pooling: wasm SIMD = reference, bit for bit', () => {
  test('forward values and indices (first maximum wins ties, last NaN wins, −inf windows keep their first index), and values alone', () => {
    const rand = prng(1);
    for (const [ci, c] of CASES.entries()) {
      const g = geometryOf(c, 'max_pool');
      const n = g.planes * g.inH * g.inW, m = g.planes * g.outH * g.outW;
      for (const fill of FILLS) {
        const x = values(rand, n, fill);
        const refOut = new Float32Array(m), refIdx = new Int32Array(m);
        max_pool_fwd__ref(x, g, refOut, refIdx);
        const out = new Float32Array(m).fill(7), idx = new Int32Array(m).fill(-7);
        assert.equal(max_pool_fwd__wasm_simd(x, g, out, idx), true, `declined case ${ci}: ${describeGeometry(g)}`);
        assertBitsEqual(out, refOut, `case ${ci} (${fill}) ${describeGeometry(g)}`);
        assert.deepEqual(idx, refIdx, `indices, case ${ci} (${fill}) ${describeGeometry(g)}`);
        // Values only (no backward to come): the same values, from both kernels.
        const valuesOnly = new Float32Array(m).fill(7), refValuesOnly = new Float32Array(m).fill(7);
        assert.equal(max_pool_fwd__wasm_simd(x, g, valuesOnly, null), true);
        max_pool_fwd__ref(x, g, refValuesOnly, null);
        assertBitsEqual(valuesOnly, refOut, `values only, case ${ci} (${fill}) ${describeGeometry(g)}`);
        assertBitsEqual(refValuesOnly, refOut, `reference values only, case ${ci} (${fill})`);
      }
    }
  });

  test('3-D forward through the 2-D kernel and the depth step: values and indices as the reference\'s (d, h, w) scan', () => {
    const rand = prng(4);
    const cases: [number[], WindowOptions][] = [
      [[2, 3, 4, 5, 6], { kernelSize: 2 }],
      [[1, 2, 3, 5, 6], { kernelSize: [1, 2, 2] }],
      [[1, 2, 7, 9, 11], { kernelSize: 3, stride: 2, padding: 1 }],
      [[2, 1, 6, 8, 8], { kernelSize: [3, 2, 2], stride: [1, 2, 2], dilation: [2, 1, 1] }],
      [[1, 3, 5, 7, 9], { kernelSize: 2, stride: 2, ceilMode: true }],
      [[3, 5, 6, 7], { kernelSize: [2, 3, 3], stride: 1, padding: [1, 1, 0] }], // unbatched
    ];
    for (const [shape, opts] of cases) {
      const g = poolGeometry('max_pool3d', 3, shape, opts);
      const n = g.planes * g.inD * g.inH * g.inW, m = g.planes * g.outD * g.outH * g.outW;
      for (const fill of FILLS) {
        const x = values(rand, n, fill);
        const refOut = new Float32Array(m), refIdx = new Int32Array(m);
        max_pool_fwd__ref(x, g, refOut, refIdx);
        const out = new Float32Array(m).fill(7), idx = new Int32Array(m).fill(-7), valuesOnly = new Float32Array(m).fill(7);
        assert.equal(max_pool_fwd__wasm_simd(x, g, out, idx), true, describeGeometry(g));
        assert.equal(max_pool_fwd__wasm_simd(x, g, valuesOnly, null), true);
        assertBitsEqual(out, refOut, `${fill} ${describeGeometry(g)}`);
        assert.deepEqual(idx, refIdx, `indices, ${fill} ${describeGeometry(g)}`);
        assertBitsEqual(valuesOnly, refOut, `values only, ${fill} ${describeGeometry(g)}`);
      }
    }
  });

  test('backward scatters each gradient to its index, accumulating over overlaps in output order', () => {
    const rand = prng(2);
    for (const [ci, c] of CASES.entries()) {
      const g = geometryOf(c, 'max_pool');
      const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
      const n = g.planes * inPlane, m = g.planes * outPlane;
      const idx = new Int32Array(m);
      max_pool_fwd__ref(values(rand, n, 'ties'), g, new Float32Array(m), idx);
      // Some indices outside the plane (as an all-padding window may record): both skip them.
      if (ci % 5 === 0) for (let i = 0; i < m; i += 7) idx[i] = i % 2 === 0 ? -1 : inPlane;
      const gradOut = values(rand, m, ci % 3 === 0 ? 'special' : 'normal');
      const start = values(rand, n, 'normal');
      const ref = start.slice(), fast = start.slice();
      max_pool_bwd__ref(gradOut, idx, g.planes, inPlane, outPlane, ref);
      assert.equal(max_pool_bwd__wasm_simd(gradOut, idx, g.planes, inPlane, outPlane, fast), true);
      assertBitsEqual(fast, ref, `case ${ci} ${describeGeometry(g)}`);
      // Onto garbage, each plane zeroed just before its scatter: zeros + the reference.
      const fromZeros = new Float32Array(n), fused = inKernelMemory(values(rand, n, 'normal'));
      max_pool_bwd__ref(gradOut, idx, g.planes, inPlane, outPlane, fromZeros);
      assert.equal(max_pool_bwd__wasm_simd(gradOut, idx, g.planes, inPlane, outPlane, fused.array, true), true);
      assertBitsEqual(fused.array, fromZeros, `zeroed first, case ${ci} ${describeGeometry(g)}`);
      fused.release();
      // Onto garbage, each output row's input rows zeroed just before its scatter — also where an
      // index points past them (no forward's, but a place in the plane).
      const rowsIdx = idx.slice();
      if (ci % 4 === 1) for (let i = 0; i < m; i += 5) rowsIdx[i] = Math.floor(rand() * inPlane);
      // …and exactly at the first element past them (the edge of the kernel's check).
      if (ci % 4 === 3) {
        for (let i = 0; i < m; i += 3) {
          const oh = Math.floor((i % outPlane) / g.outW);
          const past = (Math.min(oh * g.sH - g.padH + (g.kH - 1) * g.dilH, g.inH - 1) + 1) * g.inW;
          if (past < inPlane) rowsIdx[i] = past;
        }
      }
      const rowsRef = new Float32Array(n), rows = inKernelMemory(values(rand, n, 'normal'));
      max_pool_bwd__ref(gradOut, rowsIdx, g.planes, inPlane, outPlane, rowsRef);
      assert.equal(max_pool_bwd_rows__wasm_simd(gradOut, rowsIdx, g, rows.array), true);
      assertBitsEqual(rows.array, rowsRef, `zeroed by rows, case ${ci} ${describeGeometry(g)}`);
      rows.release();
    }
  });

  test('k2s2 backward that writes every input element = zeros + the scatter, −0 and NaN gradients included', () => {
    const rand = prng(3);
    const shapes = [[2, 3, 8, 8], [1, 4, 9, 11], [3, 2, 2, 2], [1, 1, 3, 17], [2, 5, 28, 28], [1, 2, 10, 10]];
    let covered = 0;
    for (const shape of shapes) {
      for (const ceilMode of [false, true]) {
        const g = poolGeometry('max_pool2d', 2, shape, { kernelSize: 2, stride: 2, ceilMode });
        const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
        const n = g.planes * inPlane, m = g.planes * outPlane;
        for (const fill of ['ties', 'special'] as const) {
          const idx = new Int32Array(m);
          max_pool_fwd__ref(values(rand, n, fill), g, new Float32Array(m), idx);
          const gradOut = values(rand, m, 'special');
          const ref = new Float32Array(n);
          max_pool_bwd__ref(gradOut, idx, g.planes, inPlane, outPlane, ref);
          const fast = inKernelMemory(values(rand, n, 'normal')); // garbage it must overwrite
          const ran = max_pool_bwd_k2s2__wasm_simd(gradOut, idx, g, fast.array);
          if (ran) assertBitsEqual(fast.array, ref, `${fill} ${describeGeometry(g)}`);
          fast.release();
          if (!ran) {
            assert.ok(g.inH < 2 * g.outH || g.inW < 2 * g.outW, `declined ${describeGeometry(g)}`);
            continue;
          }
          covered++;
        }
      }
    }
    assert.ok(covered >= 12);
  });
});

const AVG_OPTIONS: AvgOptions[] = [
  { countIncludePad: true, divisorOverride: undefined },
  { countIncludePad: false, divisorOverride: undefined },
  { countIncludePad: true, divisorOverride: 3 },
  { countIncludePad: false, divisorOverride: -2 },
];

describe('average pooling: wasm SIMD = reference, bit for bit', () => {
  test('forward: float32 sums in row-major window order over every divisor rule', () => {
    const rand = prng(3);
    for (const [ci, c] of CASES.entries()) {
      const g = geometryOf(c, 'avg_pool');
      const n = g.planes * g.inH * g.inW, m = g.planes * g.outH * g.outW;
      for (const [oi, opts] of AVG_OPTIONS.entries()) {
        const fill = FILLS[(ci + oi) % FILLS.length]!;
        const x = values(rand, n, fill);
        const ref = new Float32Array(m);
        avg_pool_fwd__ref(x, g, opts, ref);
        const fast = new Float32Array(m).fill(7);
        assert.equal(avg_pool_fwd__wasm_simd(x, g, opts, fast), true, `declined case ${ci}`);
        assertBitsEqual(fast, ref, `case ${ci} (${fill}, ${JSON.stringify(opts)}) ${describeGeometry(g)}`);
      }
    }
  });

  test('backward: each tap gets gradOut / divisor, overlaps accumulated in the reference order', () => {
    const rand = prng(4);
    for (const [ci, c] of CASES.entries()) {
      const g = geometryOf(c, 'avg_pool');
      const n = g.planes * g.inH * g.inW, m = g.planes * g.outH * g.outW;
      for (const [oi, opts] of AVG_OPTIONS.entries()) {
        const gradOut = values(rand, m, (ci + oi) % 4 === 0 ? 'special' : 'normal');
        const start = oi % 2 === 0 ? values(rand, n, 'normal') : new Float32Array(n);
        const ref = start.slice(), fast = start.slice();
        avg_pool_bwd__ref(gradOut, g, opts, ref);
        assert.equal(avg_pool_bwd__wasm_simd(gradOut, g, opts, fast), true, `declined case ${ci}`);
        assertBitsEqual(fast, ref, `case ${ci} (${JSON.stringify(opts)}) ${describeGeometry(g)}`);
      }
    }
  });
});

describe('average pooling backward over whole k2s2 windows', () => {
  test('writes every input element: zeros + the reference, every divisor option, −0 and NaN gradients', () => {
    const rand = prng(8);
    const shapes = [[2, 3, 8, 8], [1, 4, 9, 11], [3, 2, 2, 2], [1, 1, 3, 17], [2, 5, 28, 28], [1, 2, 10, 10], [1, 2, 6, 14]];
    let covered = 0;
    for (const shape of shapes) {
      for (const opts of [...AVG_OPTIONS, { countIncludePad: true, divisorOverride: -3 }]) {
        const g = poolGeometry('avg_pool2d', 2, shape, { kernelSize: 2, stride: 2 });
        const inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
        const n = g.planes * inPlane, m = g.planes * outPlane;
        const gradOut = values(rand, m, 'special');
        const ref = new Float32Array(n);
        avg_pool_bwd__ref(gradOut, g, opts, ref);
        const fast = inKernelMemory(values(rand, n, 'normal')); // garbage it must overwrite
        const ran = avg_pool_bwd_k2s2__wasm_simd(gradOut, g, opts, fast.array);
        if (ran) assertBitsEqual(fast.array, ref, `${JSON.stringify(opts)} ${describeGeometry(g)}`);
        fast.release();
        if (!ran) {
          assert.ok(opts.divisorOverride !== undefined && !Number.isInteger(opts.divisorOverride), `declined ${describeGeometry(g)}`);
          continue;
        }
        covered++;
      }
    }
    assert.ok(covered >= 28, `${covered} covered`);
  });
});

describe('the fast pooling kernels decline what they do not cover', () => {
  const g3 = poolGeometry('max_pool3d', 3, [1, 1, 4, 5, 6], { kernelSize: 2 });
  const g3flat = poolGeometry('max_pool3d', 3, [1, 1, 3, 5, 6], { kernelSize: [1, 2, 2] });

  test('3-D average forward and backward (direct kernels) = reference, bit for bit', () => {
    const rand = prng(6);
    const cases: [number[], WindowOptions][] = [
      [[1, 1, 4, 5, 6], { kernelSize: 2 }],
      [[1, 1, 3, 5, 6], { kernelSize: [1, 2, 2] }],
      [[2, 2, 7, 9, 13], { kernelSize: 3, stride: 2, padding: 1 }],
      [[1, 2, 6, 8, 11], { kernelSize: [3, 2, 3], stride: [1, 2, 1], dilation: [2, 1, 2] }],
      [[1, 3, 5, 7, 9], { kernelSize: 2, stride: 2, ceilMode: true }],
      [[3, 5, 6, 7], { kernelSize: [2, 3, 3], stride: 1, padding: [1, 1, 0] }],
    ];
    for (const [shape, winOpts] of cases) {
      const g = poolGeometry('avg_pool3d', 3, shape, winOpts);
      const n = g.planes * g.inD * g.inH * g.inW, m = g.planes * g.outD * g.outH * g.outW;
      for (const opts of AVG_OPTIONS) {
        for (const fill of FILLS) {
          const x = values(rand, n, fill);
          const ref = new Float32Array(m), fast = new Float32Array(m).fill(7);
          avg_pool_fwd__ref(x, g, opts, ref);
          assert.equal(avg_pool_fwd__wasm_simd(x, g, opts, fast), true, describeGeometry(g));
          assertBitsEqual(fast, ref, `forward ${fill} ${JSON.stringify(opts)} ${describeGeometry(g)}`);
          const gradOut = values(rand, m, fill), start = values(rand, n, 'normal');
          const refIn = start.slice(), fastIn = start.slice();
          avg_pool_bwd__ref(gradOut, g, opts, refIn);
          assert.equal(avg_pool_bwd__wasm_simd(gradOut, g, opts, fastIn), true);
          assertBitsEqual(fastIn, refIn, `backward ${fill} ${JSON.stringify(opts)} ${describeGeometry(g)}`);
        }
      }
    }
  });

  test('a divisorOverride that float32 cannot hold exactly (or 0, or a fraction) declines', () => {
    const g = poolGeometry('avg_pool2d', 2, [1, 1, 6, 6], { kernelSize: 2 });
    for (const divisorOverride of [2 ** 24 + 1, -(2 ** 25), 0, 1.5]) {
      const out = new Float32Array(9).fill(7);
      assert.equal(avg_pool_fwd__wasm_simd(new Float32Array(36), g, { countIncludePad: true, divisorOverride }, out), false);
      assert.ok(out.every((v) => v === 7));
      const gradIn = new Float32Array(36).fill(7);
      assert.equal(avg_pool_bwd__wasm_simd(new Float32Array(9), g, { countIncludePad: true, divisorOverride }, gradIn), false);
      assert.ok(gradIn.every((v) => v === 7));
    }
  });

  test('the raw kernels decline nonsense arguments instead of reading out of bounds', () => {
    const k = kernels()!;
    assert.equal(k.max_pool2d_fwd(0, 0, 0, 1, 4, 4, 2, 2, 2, 2, 0, 2, 0, 0, 1, 1), 0); // stride 0
    assert.equal(k.avg_pool2d_fwd(0, 0, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 1, 1, 0), 0); // dilation 0
    assert.equal(k.sgemm_nn(0, 0, 0, -1, 2, 2, 0), 0);
  });
});

/** |fast − ref| ≤ 1e-5 · (|C₀| + Σₚ|a·b|) per element: float32 rounding of a reordered sum. */
function assertGemmClose(kind: 'nn' | 'nt' | 'tn', fast: Float32Array, ref: Float32Array, c0: Float32Array, a: Float32Array, b: Float32Array,
  m: number, n: number, k: number, aOff: number, bOff: number, cOff: number): void {
  const A = (i: number, p: number): number => (kind === 'tn' ? a[aOff + p * m + i]! : a[aOff + i * k + p]!);
  const B = (p: number, j: number): number => (kind === 'nt' ? b[bOff + j * k + p]! : b[bOff + p * n + j]!);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const e = cOff + i * n + j;
      let scale = Math.abs(c0[e]!);
      for (let p = 0; p < k; p++) scale += Math.abs(A(i, p) * B(p, j));
      const diff = Math.abs(fast[e]! - ref[e]!);
      if (!(diff <= 1e-5 * scale + 1e-30)) {
        assert.fail(`gemm_${kind} ${m}×${n}×${k}: C[${i}][${j}] = ${fast[e]}, reference ${ref[e]} (scale ${scale})`);
      }
    }
  }
  // Elements outside the product's block are untouched.
  for (let e = 0; e < fast.length; e++) {
    if (e < cOff || e >= cOff + m * n) assert.equal(fast[e], c0[e]);
  }
}

describe('GEMM: wasm SIMD within float32 rounding of the reference', () => {
  const kinds = [
    ['nn', gemm_nn__ref, gemm_nn__wasm_simd],
    ['nt', gemm_nt__ref, gemm_nt__wasm_simd],
    ['tn', gemm_tn__ref, gemm_tn__wasm_simd],
  ] as const;
  // Edges of the 4×8 register tile, the 256-deep K block, the 128-row M block and the 512-column N
  // block; rows of B up to 1024 floats are read in place, longer ones packed.
  const sizes: [number, number, number][] = [
    [1, 1, 1], [3, 5, 7], [4, 8, 1], [5, 9, 3], [8, 16, 16], [7, 15, 33], [13, 3, 300],
    [6, 25, 576], [16, 150, 100], [129, 17, 9], [9, 520, 5], [33, 65, 257], [5, 1030, 7], [3, 1100, 260],
  ];
  for (const [kind, ref, fast] of kinds) {
    test(`gemm_${kind}: C += op(A)·op(B) on tile, block and offset edges`, () => {
      const rand = prng(6);
      for (const [si, [m, n, k]] of sizes.entries()) {
        const aOff = si % 3, bOff = (si * 5) % 4, cOff = si % 2 ? 3 : 0;
        const a = values(rand, aOff + m * k + 2, 'normal');
        const b = values(rand, bOff + k * n + 1, 'normal');
        // Zeros in A: the reference skips them, the fast kernel multiplies — same result for finite B.
        for (let i = 0; i < a.length; i += 11) a[i] = 0;
        const c0 = values(rand, cOff + m * n + 3, 'normal');
        const r = c0.slice(), f = c0.slice();
        ref(a, b, r, m, n, k, aOff, bOff, cOff);
        assert.equal(fast(a, b, f, m, n, k, aOff, bOff, cOff), true);
        assertGemmClose(kind, f, r, c0, a, b, m, n, k, aOff, bOff, cOff);
      }
    });
  }

  test('an empty product leaves C unchanged', () => {
    const c = new Float32Array([1, 2, 3]);
    assert.equal(gemm_nn__wasm_simd(new Float32Array(0), new Float32Array(0), c, 1, 3, 0), true);
    assert.deepEqual(c, new Float32Array([1, 2, 3]));
  });
});

describe('wasm memory', () => {
  test('freed blocks are reused, neighbours merge, and views survive growth when re-made', () => {
    const before = memoryStats();
    const a = alloc(1000), b = alloc(1000), c = alloc(1000);
    assert.ok(a % 16 === 0 && b % 16 === 0 && c % 16 === 0);
    assert.ok(b >= a + 1000 + 16 && c >= b + 1000 + 16, 'blocks keep 16 spare bytes');
    free(a);
    free(b);
    const d = alloc(2000); // fits in the merged a+b
    assert.equal(d, a);
    f32View(d, 500).fill(1.5);
    const big = alloc(before.memoryBytes + 4 * 65536); // forces growth
    assert.equal(f32View(d, 500)[499], 1.5, 'contents survive growth');
    assert.ok(memoryStats().memoryBytes > before.memoryBytes);
    for (const p of [c, d, big]) free(p);
    assert.equal(memoryStats().allocated, before.allocated);
    assert.equal(memoryStats().top, before.top, 'the top returns to the bump pointer');
  });
});
