// Golden fixtures from PyTorch for the training stack: every case of test/fixtures/nn/ops.json and
// optim.json replayed through poolkit, and the seeded PyTorch LeNet5 of lenet5.json loaded into
// `pk.lenet5()` by its state-dict names, run forward and backward.
//
// The fixtures are written by scripts/gen_fixtures.py (`npm run fixtures`; PyTorch CPU, float32 —
// each file records the torch version and seed); that script documents the schema. Shapes must
// always agree. Values and gradients must agree (|actual − expected| ≤ max(rtol·|expected|, floor)):
// - exactly (NaN equals NaN, -0 equals 0) for relu, flatten, reshape, neg and abs: they only move,
//   negate or zero values, so there is no rounding to differ in;
// - conv2d, linear, matmul: rtol 1e-5; floor 1e-6 × max|output| for the output, 1e-5 × max|gradient|
//   for each gradient. PyTorch sums the products in mkldnn's / its BLAS's blocked order, poolkit in
//   its reference loops' order, and a sum that cancels loses digits relative to the element, not to
//   the tensor. An output sums Cin·kH·kW ≤ 32 products here (seen: ≤ 1.5e-7 of max|output|); a
//   weight or bias gradient sums over the batch and every output position (up to 64 terms, whose
//   worst-case float32 rounding is n·2⁻²⁴ of Σ|terms|; seen: ≤ 5.8e-7 of max|gradient|);
// - every other op: rtol 1e-6, floor 1e-6 × the largest magnitude of what flows in or out — for an
//   output the expected output and the op's float inputs, for a gradient the expected gradient and
//   gradOutput. Elementwise ops differ by an ulp or two at most (PyTorch's exp, tanh and pow are
//   SLEEF's, within 1 ulp) and their outputs are held to 1e-6 of each element, no floor; reductions
//   cancel at their inputs' scale (a log-probability near 0 is x − max − log Σ e^(x − max), a sum at
//   its summands'), and backward formulas such as tanh's g·(1 − y²) or softmax's y·(g − Σ g·y)
//   cancel at gradOutput's scale, where a one-ulp difference in y exceeds 1e-6 of the element;
// - optimizer parameters after each step: rtol 1e-6, floor 1e-6 × max|parameter|. PyTorch 1.13
//   fuses `p + α·d` into one rounding (vec::fmadd on AVX2) with α rounded to float32 first, poolkit rounds
//   the product and the sum separately, so a step can differ by an ulp of the parameter, which a
//   parameter that steps near 0 keeps as absolute error (seen: ≤ 3e-6 of the element, ≤ 8.1e-8 of
//   max|parameter|);
// - LeNet-5 logits, loss and parameter gradients: rtol 1e-5, floor 1e-5 × the tensor's max
//   magnitude. Convolutions and linear layers as above, through five layers and back: conv1's
//   weight gradient sums 4·28·28 = 3136 products per weight, each carrying the rounding of the
//   layers above (seen: ≤ 8.2e-7 of max|gradient|, 1.1e-4 of the element).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as pk from '../../src/index.js';
import { assertTensor, decode, EXACT, type FixtureHeader, isJsonTensor, type JsonTensor, loadJson, maxAbs, type Tolerance } from '../helpers/fixtures.js';

// ---- The JSON schema (scripts/gen_fixtures.py) ----

interface OpCase {
  name: string;
  /** The poolkit export, called as `pk[fn](...args)`. */
  fn: string;
  /** poolkit's positional arguments: tensors, null (no bias), numbers, strings, arrays, option objects. */
  args: unknown[];
  output: JsonTensor;
  gradOutput: JsonTensor;
  /** The gradient of `args[i]` where that is a float tensor, null elsewhere. */
  grads: (JsonTensor | null)[];
}

interface OptimCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean>;
  params: JsonTensor[];
  steps: { grads: JsonTensor[]; params: JsonTensor[] }[];
}

interface LeNetFixture {
  stateDict: Record<string, JsonTensor>;
  input: JsonTensor;
  target: JsonTensor;
  logits: JsonTensor;
  loss: JsonTensor;
  grads: Record<string, JsonTensor>;
}

function load<T>(name: string): FixtureHeader & T {
  return loadJson<FixtureHeader & T>('test', 'fixtures', 'nn', `${name}.json`);
}

function toTensor(t: JsonTensor, requiresGrad = false): pk.Tensor {
  if (t.dtype === 'int32') return pk.tensor(decode(t.data), t.shape, { dtype: 'int32' }) as unknown as pk.Tensor;
  return pk.tensor(decode(t.data), t.shape, { requiresGrad });
}

// ---- ops.json ----

/** Only move, negate or zero values: no rounding. */
const EXACT_OPS = new Set(['relu', 'flatten', 'reshape', 'neg', 'abs']);
/** Sums of products in another order than PyTorch's BLAS / mkldnn. */
const GEMM_OPS = new Set(['conv2d', 'linear', 'matmul']);
/** Elementwise with at most an ulp or two of difference, element by element. */
const POINTWISE_OPS = new Set(['leakyRelu', 'sigmoid', 'tanh', 'add', 'sub', 'mul', 'div', 'pow']);
/** Reduce along a dimension or over everything: the inputs' scale sets the floor. */
const REDUCING_OPS = new Set(['softmax', 'logSoftmax', 'crossEntropy', 'nllLoss', 'sum', 'mean']);

const GEMM_RTOL = 1e-5;
const RTOL = 1e-6;
const FLOOR = 1e-6;

function outputTolerance(c: OpCase): Tolerance {
  if (EXACT_OPS.has(c.fn)) return EXACT;
  if (GEMM_OPS.has(c.fn)) return { exact: false, rtol: GEMM_RTOL, atol: FLOOR * maxAbs(c.output) };
  if (POINTWISE_OPS.has(c.fn)) return { exact: false, rtol: RTOL, atol: 0 };
  assert.ok(REDUCING_OPS.has(c.fn), `no tolerance chosen for ${c.fn}`);
  const inputScale = c.args.filter((a): a is JsonTensor => isJsonTensor(a) && a.dtype !== 'int32').reduce((m, t) => Math.max(m, maxAbs(t)), 0);
  return { exact: false, rtol: RTOL, atol: FLOOR * Math.max(maxAbs(c.output), inputScale) };
}

function gradTolerance(c: OpCase, expected: JsonTensor): Tolerance {
  if (EXACT_OPS.has(c.fn)) return EXACT;
  if (GEMM_OPS.has(c.fn)) return { exact: false, rtol: GEMM_RTOL, atol: GEMM_RTOL * maxAbs(expected) };
  return { exact: false, rtol: RTOL, atol: FLOOR * Math.max(maxAbs(expected), maxAbs(c.gradOutput)) };
}

function runOpCase(c: OpCase): void {
  const f = (pk as unknown as Record<string, unknown>)[c.fn];
  assert.equal(typeof f, 'function', `poolkit exports no function ${c.fn}`);
  const args = c.args.map((a) => (isJsonTensor(a) ? toTensor(a, a.dtype !== 'int32') : a));
  const output = (f as (...a: unknown[]) => pk.Tensor)(...args);
  assert.ok(output instanceof pk.Tensor, `${c.fn} should return a tensor`);
  assertTensor('output', output, c.output, outputTolerance(c));
  output.backward(toTensor(c.gradOutput));
  assert.equal(c.grads.length, args.length, 'one grads entry per argument');
  c.grads.forEach((want, i) => {
    if (want === null) return;
    const x = args[i] as pk.Tensor;
    assert.ok(x.grad !== null, `argument ${i} has no gradient after backward()`);
    assertTensor(`gradient of argument ${i}`, x.grad, want, gradTolerance(c, want));
  });
}

/** Adds the file's header test, or a failing test if the file does not load. */
function withFixture<T>(name: string, body: (fixture: FixtureHeader & T) => void): void {
  let fixture: FixtureHeader & T;
  try {
    fixture = load<T>(name);
  } catch (e) {
    test('the fixture file loads', () => {
      throw e;
    });
    return;
  }
  test('records the torch version and seed', () => {
    assert.match(fixture.torch, /^\d+\.\d+/);
    assert.ok(Number.isInteger(fixture.seed));
  });
  body(fixture);
}

describe('ops.json', () => {
  withFixture<{ cases: OpCase[] }>('ops', (fixture) => {
    for (const c of fixture.cases) test(`${c.fn}: ${c.name}`, () => runOpCase(c));

    test('every training op has golden cases', () => {
      const ops = [...EXACT_OPS, ...GEMM_OPS, ...POINTWISE_OPS, ...REDUCING_OPS];
      const covered = new Set(fixture.cases.map((c) => c.fn));
      assert.deepEqual(ops.filter((fn) => !covered.has(fn)), [], 'ops without a golden case');
      assert.deepEqual([...covered].filter((fn) => !ops.includes(fn)), [], 'cases of ops with no tolerance class');
    });
  });
});

// ---- optim.json ----

type OptimizerClass = new (params: pk.Tensor[], options: Record<string, number | boolean>) => pk.Optimizer<object>;

const OPTIMIZERS: Record<OptimCase['optimizer'], OptimizerClass> = {
  SGD: pk.SGD as unknown as OptimizerClass,
  Adam: pk.Adam as unknown as OptimizerClass,
  AdamW: pk.AdamW as unknown as OptimizerClass,
};

describe('optim.json', () => {
  withFixture<{ cases: OptimCase[] }>('optim', (fixture) => {
    for (const c of fixture.cases) {
      test(`${c.optimizer}: ${c.name}`, () => {
        const params = c.params.map((t) => toTensor(t, true));
        const opt = new OPTIMIZERS[c.optimizer](params, c.options);
        c.steps.forEach((s, k) => {
          params.forEach((p, i) => {
            p.grad = toTensor(s.grads[i]!);
          });
          opt.step();
          params.forEach((p, i) => {
            const want = s.params[i]!;
            assertTensor(`step ${k + 1}, parameter ${i}`, p, want, { exact: false, rtol: RTOL, atol: RTOL * maxAbs(want) });
          });
        });
      });
    }

    test('covers SGD (plain, momentum, dampening, Nesterov, weight decay), Adam and AdamW', () => {
      const has = (opt: string, pred: (o: Record<string, number | boolean>) => boolean) => fixture.cases.some((c) => c.optimizer === opt && pred(c.options));
      assert.ok(has('SGD', (o) => !o.momentum && !o.weightDecay), 'plain SGD');
      assert.ok(has('SGD', (o) => Boolean(o.momentum) && !o.dampening && !o.nesterov), 'SGD with momentum');
      assert.ok(has('SGD', (o) => Boolean(o.dampening)), 'SGD with dampening');
      assert.ok(has('SGD', (o) => o.nesterov === true), 'SGD with Nesterov');
      assert.ok(has('SGD', (o) => Boolean(o.weightDecay)), 'SGD with weight decay');
      assert.ok(has('Adam', (o) => Object.keys(o).length === 0), 'Adam with the defaults');
      assert.ok(has('Adam', (o) => Boolean(o.weightDecay)), 'Adam with weight decay');
      assert.ok(has('AdamW', () => true), 'AdamW');
      assert.ok(fixture.cases.every((c) => c.steps.length >= 5), 'at least 5 steps each');
    });
  });
});

// ---- lenet5.json ----

const LENET_RTOL = 1e-5;

function lenetTolerance(expected: JsonTensor): Tolerance {
  return { exact: false, rtol: LENET_RTOL, atol: LENET_RTOL * maxAbs(expected) };
}

describe('lenet5.json', () => {
  withFixture<LeNetFixture>('lenet5', (fixture) => {
    const state = () => Object.fromEntries(Object.entries(fixture.stateDict).map(([k, t]) => [k, toTensor(t)]));

    test("pk.lenet5() has PyTorch's LeNet5 state-dict names, shapes and order", () => {
      const model = pk.lenet5();
      model.loadStateDict(state()); // strict: every key, no other
      const own = model.stateDict();
      assert.deepEqual(Object.keys(own), Object.keys(fixture.stateDict));
      for (const [k, t] of Object.entries(fixture.stateDict)) assert.deepEqual([...own[k]!.shape], t.shape, `${k}: shape`);
      assert.equal(Object.values(own).reduce((n, t) => n + t.size, 0), 61706, 'parameter count');
    });

    test('with the PyTorch weights: the same logits, loss and gradient of every parameter', () => {
      const model = pk.lenet5();
      model.loadStateDict(state());
      const x = toTensor(fixture.input);
      const y = toTensor(fixture.target) as unknown as pk.Tensor<Int32Array>;
      const logits = model.forward(x);
      assertTensor('logits', logits, fixture.logits, lenetTolerance(fixture.logits));
      const loss = pk.crossEntropy(logits, y);
      assertTensor('loss', loss, fixture.loss, lenetTolerance(fixture.loss));
      loss.backward();
      const params = model.namedParameters();
      assert.deepEqual(params.map(([k]) => k), Object.keys(fixture.grads), 'parameters with gradients');
      for (const [name, p] of params) {
        assert.ok(p.grad !== null, `${name} has no gradient after backward()`);
        assertTensor(`gradient of ${name}`, p.grad, fixture.grads[name]!, lenetTolerance(fixture.grads[name]!));
      }
    });
  });
});
