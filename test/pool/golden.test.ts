// Golden fixtures from PyTorch: every case of test/fixtures/pool/*.json replayed through the
// poolkit export its `fn` names.
//
// The fixtures are written by scripts/gen_fixtures.py (`npm run fixtures`; PyTorch CPU, float32 —
// each file records the torch version and seed); that script's docstring documents the schema.
// What must agree:
// - shapes, always;
// - values and gradients of the max family (max, adaptive max, fractional max pooling and max
//   unpooling) and every index: exactly — NaN equals NaN, and -0 equals 0;
// - everything else (average, Lp, adaptive average pooling): within 1e-6 relative, 1e-7 absolute
//   near zero, because PyTorch's summation order is not always poolkit's (e.g. 1×1 adaptive
//   averages use mean()) and its pow is SLEEF's (within 1 ulp); gradients within 1e-6 relative
//   to the element or to the tensor's largest gradient, as overlapping windows' sums cancel.
// Error cases must throw a PoolkitError naming PyTorch's op and poolkit's argument, with a
// message that matches the case's rule (PyTorch's key phrase).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as pk from '../../src/index.js';
import { assertTensor, decode, type FixtureHeader, isJsonTensor, type JsonTensor, loadJson, maxAbs } from '../helpers/fixtures.js';

const GOLDEN_FILES = ['max_pool', 'avg_pool', 'lp_pool', 'adaptive_pool', 'fractional_pool', 'unpool'] as const;

const RTOL = 1e-6;
const ATOL = 1e-7;

// ---- The JSON schema (scripts/gen_fixtures.py) ----

/** poolkit's arguments after the input. */
interface Args {
  options?: Record<string, unknown>;
  normType?: number;
  outputSize?: number | (number | null)[];
  indices?: JsonTensor;
}

interface GoldenCase {
  name: string;
  fn: string;
  args: Args;
  input: JsonTensor;
  output: JsonTensor;
  indices?: JsonTensor;
  gradOutput: JsonTensor;
  gradInput: JsonTensor;
}

interface ErrorCase {
  name: string;
  fn: string;
  /** PyTorch's snake_case op name, which PoolkitError.op must carry. */
  op: string;
  args: Args;
  inputShape: number[];
  /** The poolkit argument at fault. */
  arg: string;
  /** A regex for poolkit's message: the key phrase of PyTorch's message. */
  rule: string;
  torchError: string;
  torchMessage: string;
  note?: string;
}

interface FixtureFile<C> extends FixtureHeader {
  cases: C[];
}

function load<C>(family: string): FixtureFile<C> {
  return loadJson<FixtureFile<C>>('test', 'fixtures', 'pool', `${family}.json`);
}

/** JSON arguments to poolkit arguments: every `{shape, data}` becomes a tensor. */
function materialize(v: unknown): unknown {
  if (isJsonTensor(v)) return pk.tensor(decode(v.data), v.shape, { dtype: v.dtype ?? 'float32' });
  if (Array.isArray(v)) return v.map(materialize);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialize(x)]));
  return v;
}

// ---- Calling poolkit ----

type PoolResult = pk.Tensor | pk.PoolWithIndices;

/** Calls the export `fn` with the case's arguments, in the order its family takes them. */
function callPoolkit(fn: string, x: pk.Tensor, args: Args): PoolResult {
  const f = (pk as unknown as Record<string, unknown>)[fn];
  assert.equal(typeof f, 'function', `poolkit exports no function ${fn}`);
  const call = f as (...a: unknown[]) => PoolResult;
  const a = materialize(args) as Record<string, unknown>;
  if (fn.startsWith('lpPool')) return call(x, a['normType'], a['options']);
  if (fn.startsWith('adaptive')) return call(x, a['outputSize']);
  if (fn.startsWith('maxUnpool')) return call(x, a['indices'], a['options']);
  return call(x, a['options']);
}

/** Max pooling, adaptive max, fractional max and max unpooling only move values: they must be exact. */
const isMaxFamily = (fn: string): boolean => /^(maxPool|maxUnpool|adaptiveMaxPool|fractionalMaxPool)/.test(fn);

function runGolden(c: GoldenCase): void {
  const x = pk.tensor(decode(c.input.data), c.input.shape, { requiresGrad: true });
  const result = callPoolkit(c.fn, x, c.args);
  const output = result instanceof pk.Tensor ? result : result.output;
  const exact = isMaxFamily(c.fn);
  assertTensor('output', output, c.output, exact ? { exact } : { exact, rtol: RTOL, atol: ATOL });
  if (c.indices !== undefined) {
    assert.ok(!(result instanceof pk.Tensor), `${c.fn} should return { output, indices }`);
    assert.equal(result.indices.dtype, 'int32', 'indices dtype');
    assertTensor('indices', result.indices, c.indices, { exact: true });
  }
  output.backward(pk.tensor(decode(c.gradOutput.data), c.gradOutput.shape));
  assert.ok(x.grad !== null, 'the input has no gradient after backward()');
  // A gradient element sums mixed-sign contributions from overlapping windows: where they cancel,
  // a one-ulp difference upstream (PyTorch's pow is SLEEF's, within 1 ulp) exceeds 1e-6 of the
  // element, so the absolute floor scales with the tensor's largest gradient.
  const gradScale = maxAbs(c.gradInput);
  assertTensor('gradInput', x.grad, c.gradInput, exact ? { exact } : { exact, rtol: RTOL, atol: Math.max(ATOL, RTOL * gradScale) });
}

// ---- The suites ----

for (const family of GOLDEN_FILES) {
  describe(`${family}.json`, () => {
    let fixture: FixtureFile<GoldenCase>;
    try {
      fixture = load<GoldenCase>(family);
    } catch (e) {
      test('the fixture file loads', () => {
        throw e;
      });
      return;
    }
    test('records the torch version and seed, and has cases', () => {
      assert.match(fixture.torch, /^\d+\.\d+/);
      assert.ok(Number.isInteger(fixture.seed));
      assert.ok(fixture.cases.length > 0);
    });
    for (const c of fixture.cases) {
      test(`${c.fn}: ${c.name}`, () => runGolden(c));
    }
  });
}

describe('errors.json', () => {
  let fixture: FixtureFile<ErrorCase>;
  try {
    fixture = load<ErrorCase>('errors');
  } catch (e) {
    test('the fixture file loads', () => {
      throw e;
    });
    return;
  }
  for (const c of fixture.cases) {
    test(`${c.fn}: ${c.name}`, () => {
      const x = pk.zeros(c.inputShape);
      assert.throws(() => callPoolkit(c.fn, x, c.args), (e: unknown) => {
        const context = `PyTorch: ${c.torchError}: ${c.torchMessage}`;
        assert.ok(e instanceof pk.PoolkitError, `expected a PoolkitError, got ${String(e)} (${context})`);
        assert.equal(e.op, c.op, `op (${context})`);
        assert.equal(e.arg, c.arg, `arg; message: ${e.message} (${context})`);
        assert.ok(e.message.startsWith(`${c.op}: `), `the message names the op: ${e.message}`);
        assert.match(e.message, new RegExp(c.rule), `message vs rule (${context})`);
        return true;
      });
    });
  }
});

test('every pooling export has golden cases', () => {
  const exports = ['max', 'avg', 'lp'].flatMap((k) => [1, 2, 3].map((d) => `${k}Pool${d}d`))
    .concat([1, 2, 3].map((d) => `maxPool${d}dWithIndices`))
    .concat(['Avg', 'Max'].flatMap((k) => [1, 2, 3].map((d) => `adaptive${k}Pool${d}d`)))
    .concat([1, 2, 3].map((d) => `adaptiveMaxPool${d}dWithIndices`))
    .concat([2, 3].flatMap((d) => [`fractionalMaxPool${d}d`, `fractionalMaxPool${d}dWithIndices`]))
    .concat([1, 2, 3].map((d) => `maxUnpool${d}d`));
  const covered = new Set(GOLDEN_FILES.flatMap((family) => load<GoldenCase>(family).cases.map((c) => c.fn)));
  const missing = exports.filter((fn) => !covered.has(fn));
  assert.deepEqual(missing, [], `exports without a golden case: ${missing.join(', ')}`);
});
