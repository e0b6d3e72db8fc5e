// Lp pooling's parity suite. The op (src/pool/lp_pool.ts) is one fused node whose kernels must
// give exactly what PyTorch's composition of elementwise ops gives — the oracle below, built from
// poolkit's own differentiable ops as torch/nn/functional.py `lp_pool2d` builds it:
// - the fused reference kernels = the composed chain, values and gradients, bit for bit (any NaN
//   equals any NaN), on 1-D, 2-D and 3-D geometries, p ∈ {1, 2, 3, 1.5, 0.5}, both definitions,
//   inputs with NaN, ±Infinity, −0 and ties, and gradients with them too;
// - the WebAssembly SIMD kernels = the fused reference, bit for bit, where they take the call
//   (2-D and 1-D, p ∈ {0.5, 1, 2}), declining the rest with their outputs untouched;
// - the op with the fast kernels on = the composed chain; and the same bits at 1 and 2 threads.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import '../../src/node.js'; // registers worker_threads, for the thread-count test at the end
import { lp_pool_bwd__ref, lp_pool_fwd__ref, type LpOptions } from '../../src/kernels/ref/lp.js';
import { setFastKernels } from '../../src/kernels/switch.js';
import { lp_pool_bwd__wasm_simd, lp_pool_fwd__wasm_simd } from '../../src/kernels/wasm/lp.js';
import { kernels, memoryIsShared, wasmSimdAvailable } from '../../src/kernels/wasm/loader.js';
import { abs, mul, pow, relu, sign } from '../../src/ops/elementwise.js';
import { avgPoolGeometry } from '../../src/pool/avg_pool.js';
import { poolGeometry, type PoolGeometry, type WindowOptions } from '../../src/pool/geometry.js';
import { lpPool1d, lpPool2d, lpPool3d, type LpPoolOptions } from '../../src/pool/lp_pool.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { scope } from '../../src/tensor/scope.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { activeThreads, setNumThreads } from '../../src/threads/pool.js';
import { rng as prng } from '../helpers/gradcheck.js';
import { assertBitsEqual, int, values, type Fill, randomWindow } from '../helpers/parity.js';

type Nd = 1 | 2 | 3;

/** The oracle: Lp pooling composed from differentiable ops, exactly as PyTorch composes it. */
function lpComposed(nd: Nd, x: Tensor, p: number, opts: LpPoolOptions): Tensor {
  const g = poolGeometry(`lp_pool${nd}d`, nd, x.shape, opts);
  if (opts.trueNorm) {
    const sums = avgPoolGeometry(pow(abs(x), p), g, { countIncludePad: true, divisorOverride: 1 });
    return pow(sums, 1 / p);
  }
  const avg = avgPoolGeometry(pow(x, p), g, { countIncludePad: true, divisorOverride: undefined });
  return pow(mul(mul(sign(avg), relu(abs(avg))), g.kD * g.kH * g.kW), 1 / p);
}

const LP_POOL = { 1: lpPool1d, 2: lpPool2d, 3: lpPool3d } as const;

interface Case {
  nd: Nd;
  shape: number[];
  opts: WindowOptions;
}

function describeCase(c: Case): string {
  return `${c.nd}-D ${JSON.stringify(c.shape)} ${JSON.stringify(c.opts)}`;
}

/** Random geometries, mostly 2-D (sizes around the SIMD width, some wider rows), some 1-D and 3-D. */
function randomCases(seed: number, count: number, dims: readonly Nd[]): Case[] {
  const rand = prng(seed);
  const cases: Case[] = [];
  while (cases.length < count) {
    const r0 = rand();
    const nd = dims[Math.min(dims.length - 1, Math.floor(r0 * dims.length))]!;
    const spatial = Array.from({ length: nd }, () => (nd === 3 ? int(rand, 2, 6) : rand() < 0.8 ? int(rand, 3, 11) : int(rand, 12, 41)));
    const { shape, opts } = randomWindow(rand, spatial, nd === 3 ? 3 : 4, 0.4);
    try {
      poolGeometry(`lp_pool${nd}d`, nd, shape, opts);
    } catch {
      continue; // output too small for these options
    }
    cases.push({ nd, shape, opts });
  }
  return cases;
}

/** Hand-picked edges: the benchmark's k2s2, SIMD-width rows, ceil-mode overhang, pads, dilation, windows with no tap inside. */
const EDGE_CASES: Case[] = [
  { nd: 2, shape: [2, 3, 8, 8], opts: { kernelSize: 2, stride: 2 } },
  { nd: 2, shape: [1, 2, 16, 20], opts: { kernelSize: 2, stride: 2 } },
  { nd: 2, shape: [1, 2, 9, 11], opts: { kernelSize: 2, stride: 2, ceilMode: true } },
  { nd: 2, shape: [1, 2, 7, 7], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
  { nd: 2, shape: [1, 2, 17, 17], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { nd: 2, shape: [1, 2, 6, 13], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  { nd: 2, shape: [1, 2, 6, 13], opts: { kernelSize: [2, 3], stride: 1, dilation: [1, 2] } },
  { nd: 2, shape: [1, 2, 12, 12], opts: { kernelSize: 3, stride: 3, dilation: 2, padding: 2 } },
  { nd: 2, shape: [1, 1, 13, 14], opts: { kernelSize: 2, stride: 3 } }, // gaps between windows
  { nd: 2, shape: [1, 1, 4, 4], opts: { kernelSize: 4, stride: 1, padding: [[3, 0], [0, 3]] } },
  { nd: 2, shape: [1, 1, 8, 11], opts: { kernelSize: 3, stride: [1, 4], padding: [[2, 1], [1, 2]], ceilMode: true } },
  { nd: 2, shape: [1, 1, 5, 9], opts: { kernelSize: 2, stride: 2, padding: 'same-lower' } },
  { nd: 2, shape: [1, 3, 1, 40], opts: { kernelSize: [1, 5], stride: [1, 1], dilation: [1, 3], padding: [0, 6] } },
  { nd: 2, shape: [1, 1, 3, 3], opts: { kernelSize: [1, 2], stride: 1, dilation: [1, 3], padding: [[0, 0], [2, 2]] } },
  { nd: 2, shape: [1, 1, 3, 3], opts: { kernelSize: [2, 1], stride: 1, dilation: [3, 1], padding: [[2, 2], [0, 0]] } },
  { nd: 1, shape: [3, 4, 33], opts: { kernelSize: 2, stride: 2 } },
  { nd: 1, shape: [1, 2, 9], opts: { kernelSize: 4, stride: 1, padding: 2, ceilMode: true } },
  { nd: 3, shape: [1, 2, 4, 5, 6], opts: { kernelSize: 2 } },
  { nd: 3, shape: [1, 1, 5, 5, 5], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } },
];

const NORMS = [1, 2, 3, 1.5, 0.5];
const WASM_NORMS = [1, 2, 0.5];

/**
 * Input values: those of the pooling suites, positive ones (fractional p gives NaN below zero),
 * and tiny ones — subnormals of either sign, whose powers and averages underflow to ±0.
 */
type LpFill = Fill | 'positive' | 'tiny';
const FILLS: LpFill[] = ['normal', 'ties', 'special', 'positive', 'tiny'];

function inputValues(rand: () => number, n: number, fill: LpFill): Float32Array {
  if (fill === 'positive') {
    const x = values(rand, n, 'normal').map(Math.abs);
    for (let i = 0; i < n; i += 5) x[i] = 0;
    return x;
  }
  if (fill === 'tiny') return values(rand, n, 'normal').map((v, i) => (i % 7 === 0 ? -0 : v * 2 ** -(126 + (i % 24))));
  return values(rand, n, fill);
}

function geometryOf(c: Case): PoolGeometry {
  return poolGeometry(`lp_pool${c.nd}d`, c.nd, c.shape, c.opts);
}

function outSize(c: Case): number {
  return geometryOf(c).outputShape.reduce((a, b) => a * b, 1);
}

/** y and x.grad for y.backward(gradOut), on the JS heap, through `pool`. */
function run(pool: (x: Tensor) => Tensor, shape: number[], xs: Float32Array, gradOut: (n: number) => Float32Array): [Float32Array, Float32Array] {
  const x = tensor(xs.slice(), shape, { requiresGrad: true });
  const y = pool(x);
  y.backward(new Tensor(gradOut(y.size), y.shape));
  return [(y.data as Float32Array).slice(), x.grad!.data.slice()];
}

const CASES = [...EDGE_CASES, ...randomCases(20260401, 120, [1, 2, 2, 2, 3])];

describe('the fused reference = the composed chain of ops, bit for bit', () => {
  let prev: boolean;
  before(() => {
    prev = setFastKernels(false);
  });
  after(() => setFastKernels(prev));

  for (const trueNorm of [false, true]) {
    test(`values and gradients, every geometry, p ∈ {${NORMS.join(', ')}}${trueNorm ? ', trueNorm' : ''}`, () => {
      const rand = prng(trueNorm ? 11 : 10);
      for (const [ci, c] of CASES.entries()) {
        const n = c.shape.reduce((a, b) => a * b, 1);
        for (const p of NORMS) {
          const fill = FILLS[(ci + NORMS.indexOf(p)) % FILLS.length]!;
          const xs = inputValues(rand, n, fill);
          const gradOut = values(rand, outSize(c), ci % 3 === 0 ? 'special' : 'normal');
          const opts = { ...c.opts, trueNorm };
          const [yc, gc] = run((x) => lpComposed(c.nd, x, p, opts), c.shape, xs, () => gradOut);
          const [yf, gf] = run((x) => LP_POOL[c.nd](x, p, opts), c.shape, xs, () => gradOut);
          const what = `case ${ci} p=${p} ${fill} ${describeCase(c)}`;
          assertBitsEqual(yf, yc, `forward, ${what}`);
          assertBitsEqual(gf, gc, `gradient, ${what}`);
        }
      }
    });
  }

  test('the rule at the awkward points: zeros, −0, negatives, NaN and ±Infinity through p = 2 and p = 1', () => {
    // Windows of [v, w]: (−0, −0) and (0, 0) give 0 and a NaN gradient (0 · ∞ at the square root);
    // a negative sum (p = 1) gives sign(a)·|a| = a and routes through relu's mask.
    const specials = [-0, 0, -3, 2, NaN, 1, Infinity, -Infinity, -2, 5, -1, -1, 0, 4, -1e-45, 0, 1e-45, -0];
    for (const p of [2, 1, 3]) {
      for (const trueNorm of [false, true]) {
        const xs = Float32Array.from(specials);
        const g = () => Float32Array.from([1, -0, 2, NaN, -1, 0, 3, 1e-45, -2]);
        const opts = { kernelSize: 2, trueNorm };
        const [yc, gc] = run((x) => lpComposed(1, x, p, opts), [1, 18], xs, g);
        const [yf, gf] = run((x) => lpPool1d(x, p, opts), [1, 18], xs, g);
        assertBitsEqual(yf, yc, `forward p=${p} trueNorm=${trueNorm}`);
        assertBitsEqual(gf, gc, `gradient p=${p} trueNorm=${trueNorm}`);
      }
    }
  });
});

describe('Lp pooling: wasm SIMD = fused reference, bit for bit', { skip: !wasmSimdAvailable() && 'no WebAssembly SIMD here' }, () => {
  const cases2d = [...EDGE_CASES.filter((c) => c.nd !== 3), ...randomCases(20260402, 260, [1, 2, 2, 2, 2])];

  for (const trueNorm of [false, true]) {
    test(`forward and backward, 1-D and 2-D, p ∈ {${WASM_NORMS.join(', ')}}${trueNorm ? ', trueNorm' : ''}`, () => {
      const rand = prng(trueNorm ? 21 : 20);
      for (const [ci, c] of cases2d.entries()) {
        const g = geometryOf(c);
        const n = g.planes * g.inH * g.inW, m = g.planes * g.outH * g.outW;
        for (const p of WASM_NORMS) {
          const lp: LpOptions = { normType: p, trueNorm };
          for (const fill of FILLS) {
            const what = `case ${ci} p=${p} ${fill} ${describeCase(c)}`;
            const x = inputValues(rand, n, fill);
            const ref = new Float32Array(m);
            lp_pool_fwd__ref(x, g, lp, ref);
            const fast = new Float32Array(m).fill(7);
            assert.equal(lp_pool_fwd__wasm_simd(x, g, lp, fast), true, `forward declined ${what}`);
            assertBitsEqual(fast, ref, `forward, ${what}`);

            const gradOut = values(rand, m, (ci + fill.length) % 3 === 0 ? 'special' : 'normal');
            const gRef = new Float32Array(n).fill(7);
            lp_pool_bwd__ref(x, gradOut, g, lp, gRef);
            const gFast = new Float32Array(n).fill(7); // every element must be written
            assert.equal(lp_pool_bwd__wasm_simd(x, gradOut, g, lp, gFast), true, `backward declined ${what}`);
            assertBitsEqual(gFast, gRef, `gradient, ${what}`);
          }
        }
      }
    });
  }

  test('exponents float32 cannot tell from 0.5, 1 and 2 take the fast path too', () => {
    const c = EDGE_CASES[0]!, g = geometryOf(c);
    const n = g.planes * g.inH * g.inW, m = g.planes * g.outH * g.outW;
    const x = inputValues(prng(22), n, 'normal');
    for (const p of [2 + 1e-12, 1 - 1e-12]) {
      const lp = { normType: p, trueNorm: false };
      const ref = new Float32Array(m), fast = new Float32Array(m);
      lp_pool_fwd__ref(x, g, lp, ref);
      assert.equal(lp_pool_fwd__wasm_simd(x, g, lp, fast), true);
      assertBitsEqual(fast, ref, `p=${p}`);
    }
  });

  test('other exponents and 3-D windows decline, outputs untouched', () => {
    const g2 = geometryOf(EDGE_CASES[0]!);
    const g3 = poolGeometry('lp_pool3d', 3, [1, 1, 4, 5, 6], { kernelSize: 2 });
    const g3flat = poolGeometry('lp_pool3d', 3, [1, 1, 3, 5, 6], { kernelSize: [1, 2, 2] });
    const declined: [PoolGeometry, number][] = [[g2, 3], [g2, 1.5], [g2, 4], [g2, 0.25], [g2, 2.001], [g3, 2], [g3flat, 1]];
    for (const [g, p] of declined) {
      for (const trueNorm of [false, true]) {
        const lp = { normType: p, trueNorm };
        const n = g.planes * g.inD * g.inH * g.inW, m = g.planes * g.outD * g.outH * g.outW;
        const out = new Float32Array(m).fill(7);
        assert.equal(lp_pool_fwd__wasm_simd(new Float32Array(n), g, lp, out), false, `forward p=${p} ${g.op}`);
        assert.ok(out.every((v) => v === 7));
        const gradIn = new Float32Array(n).fill(7);
        assert.equal(lp_pool_bwd__wasm_simd(new Float32Array(n), new Float32Array(m), g, lp, gradIn), false, `backward p=${p} ${g.op}`);
        assert.ok(gradIn.every((v) => v === 7));
      }
    }
  });

  test('the raw kernels decline nonsense arguments instead of reading out of bounds', () => {
    const k = kernels() as unknown as Record<string, (...a: number[]) => number>;
    assert.equal(k.lp_pool2d_fwd!(0, 0, 1, 4, 4, 2, 2, 2, 2, 0, 2, 0, 0, 0, 0, 1, 1, 0, 4), 0); // stride 0
    assert.equal(k.lp_pool2d_fwd!(0, 0, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 3), 0); // p = 1.5
    assert.equal(k.lp_pool2d_bwd!(0, 0, 0, 0, 1, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 1, 0, 4), 0); // dilation 0
  });
});

describe('lpPool with the fast kernels on = the composed chain', () => {
  test('1-D, 2-D and 3-D ops, inside a scope (storage in the kernels\' memory) and outside', () => {
    const rand = prng(30);
    for (const [ci, c] of EDGE_CASES.entries()) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      for (const p of NORMS) {
        for (const trueNorm of [false, true]) {
          const xs = inputValues(rand, n, FILLS[ci % FILLS.length]!);
          const gradOut = values(rand, outSize(c), 'special');
          const opts = { ...c.opts, trueNorm };
          const prev = setFastKernels(false);
          const [yc, gc] = run((x) => lpComposed(c.nd, x, p, opts), c.shape, xs, () => gradOut);
          setFastKernels(prev);
          const what = `case ${ci} p=${p} trueNorm=${trueNorm} ${describeCase(c)}`;
          const [yf, gf] = run((x) => LP_POOL[c.nd](x, p, opts), c.shape, xs, () => gradOut);
          assertBitsEqual(yf, yc, `forward, ${what}`);
          assertBitsEqual(gf, gc, `gradient, ${what}`);
          const [ys, gs] = scope(() => {
            const x = zeros(c.shape, { requiresGrad: true });
            x.data.set(xs);
            const y = LP_POOL[c.nd](x, p, opts);
            y.backward(new Tensor(gradOut.slice(), y.shape));
            return [(y.data as Float32Array).slice(), x.grad!.data.slice()];
          });
          assertBitsEqual(ys, yc, `forward in a scope, ${what}`);
          assertBitsEqual(gs, gc, `gradient in a scope, ${what}`);
        }
      }
    }
  });
});

describe('the same bits at 1 and 2 threads', { skip: !memoryIsShared() && 'no shared WebAssembly memory here' }, () => {
  after(() => setNumThreads(1));

  test('forward and backward split by planes', async () => {
    const shape = [4, 16, 40, 40];
    const xs = inputValues(prng(40), 4 * 16 * 40 * 40, 'special');
    const gs = values(prng(41), 4 * 16 * 20 * 20, 'normal');
    const once = (p: number, trueNorm: boolean): Float32Array[] => scope(() => {
      const x = zeros(shape, { requiresGrad: true });
      x.data.set(xs);
      const y = lpPool2d(x, p, { kernelSize: 2, stride: 2, trueNorm });
      y.backward(new Tensor(gs.slice(0, y.size), y.shape));
      return [(y.data as Float32Array).slice(), x.grad!.data.slice()];
    });
    for (const [p, trueNorm] of [[2, false], [1, true], [3, false]] as const) {
      setNumThreads(1);
      const one = once(p, trueNorm);
      setNumThreads(2);
      once(p, trueNorm); // the first split spawns the worker
      for (let i = 0; i < 500 && activeThreads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(activeThreads(), 2, 'the worker did not start');
      const two = once(p, trueNorm);
      one.forEach((a, i) => assertBitsEqual(two[i]!, a, `p=${p} trueNorm=${trueNorm} output ${i}`));
    }
  });
});
