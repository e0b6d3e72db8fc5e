// Property tests: for random input shapes (batched, batchless, wrong rank, sizes 0..9) and random
// options (valid, zero, negative, fractional, NaN, ±Infinity, too-large pads, explicit pairs,
// 'same' / 'same-lower' / 'valid', ceil mode), every pooling op either returns a tensor of the
// shape that an independent oracle predicts — with finite values for finite input, and indices
// inside their plane — or throws a PoolkitError naming the op and an argument the oracle also
// finds at fault. Never any other exception.
//
// The oracle below is written from PyTorch's rules (ATen Pool.h, AdaptivePooling.h,
// FractionalMaxPool*.cpp, torch.nn.functional._unpool_output_size), not from poolkit's code.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import * as pk from '../../src/index.js';
import { PoolkitError, Tensor } from '../../src/index.js';
import { rng } from '../helpers/gradcheck.js';

// Bounded run counts: the whole file should take a few seconds. A fixed seed keeps CI
// reproducible; FC_SEED=<n> explores other cases.
const RUNS = 500;
const SEED = process.env.FC_SEED === undefined ? 20261127 : Number(process.env.FC_SEED);

/** How many calls the oracle found valid and invalid, per test (reset by `check`). */
const tally = { valid: 0, invalid: 0 };

/**
 * fc.assert with the failing assertion's message in the report; then a guard that the generators
 * still reach both outcomes (a generator that only ever produced errors would prove little).
 */
function check<T>(property: fc.IProperty<T>, numRuns = RUNS, minShare = 0.1): void {
  tally.valid = tally.invalid = 0;
  fc.assert(property, { numRuns, seed: SEED, includeErrorInReport: true });
  const total = tally.valid + tally.invalid;
  if (total > 0) {
    assert.ok(tally.valid >= minShare * total, `generators reached too few valid calls: ${tally.valid} of ${total}`);
    assert.ok(tally.invalid >= minShare * total, `generators reached too few invalid calls: ${tally.invalid} of ${total}`);
  }
}

type Nd = 1 | 2 | 3;
const NDS: readonly Nd[] = [1, 2, 3];

// ---------------------------------------------------------------------------------------------
// Data

const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Finite float32 data: in [-50, 50), or in [0.5, 5.5) when `positive` (for Lp pooling). */
function makeInput(shape: readonly number[], seed: number, positive = false): Tensor {
  const next = rng(seed);
  const data = new Float32Array(numelOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = positive ? 0.5 + 5 * next() : 100 * next() - 50;
  return new Tensor(data, shape);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const BAD_SCALARS = [0, -1, -3, 1.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const badScalar = fc.constantFrom(...BAD_SCALARS);

/**
 * Every generator has a clean form (well-formed values, which may still break a size rule) and a
 * dirty form (also bad entries, wrong lengths, wrong ranks); properties draw from both so that
 * valid calls stay common enough to check their outputs.
 */
function mixed<T>(make: (dirty: boolean) => fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof(make(false), make(true));
}

/** An int-or-tuple option: ints in [lo, hi]; when dirty, also bad entries or a wrong-length tuple. */
function intOpt(nd: Nd, lo: number, hi: number, dirty = true): fc.Arbitrary<number | number[]> {
  if (!dirty) return fc.oneof(fc.integer({ min: lo, max: hi }), fc.array(fc.integer({ min: lo, max: hi }), { minLength: nd, maxLength: nd }));
  const entry = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: lo, max: hi }) }, { weight: 1, arbitrary: badScalar });
  return fc.oneof(
    { weight: 5, arbitrary: entry },
    { weight: 4, arbitrary: fc.array(entry, { minLength: nd, maxLength: nd }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: lo, max: hi }), { minLength: nd + 1, maxLength: nd + 1 }) },
  );
}

/** Shapes: batched (N, C, *spatial), batchless (C, *spatial), or a wrong rank; sizes 0..9. */
function shapeArb(nd: Nd, maxSpatial = 9, dirty = true): fc.Arbitrary<number[]> {
  if (!dirty) {
    return fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }),
      fc.array(fc.integer({ min: 1, max: maxSpatial }), { minLength: nd, maxLength: nd }))
      .map(([batched, n, c, sp]) => (batched ? [n, c, ...sp] : [c, ...sp]));
  }
  const spatial = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 12, arbitrary: fc.integer({ min: 1, max: maxSpatial }) });
  const channels = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) });
  const batch = fc.integer({ min: 0, max: 3 });
  return fc.tuple(
    fc.constantFrom('batched', 'batched', 'batched', 'batchless', 'batchless', 'short', 'long'),
    batch, channels, fc.array(spatial, { minLength: nd, maxLength: nd }),
  ).map(([kind, n, c, sp]) =>
    kind === 'batched' ? [n, c, ...sp] : kind === 'batchless' ? [c, ...sp] : kind === 'short' ? sp : [n, 1, c, ...sp]);
}

function paddingArb(nd: Nd, dirty: boolean): fc.Arbitrary<unknown> {
  const side = dirty ? fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: badScalar }) : fc.integer({ min: 0, max: 3 });
  return fc.oneof(
    { weight: 5, arbitrary: intOpt(nd, 0, dirty ? 3 : 2, dirty) },
    { weight: 2, arbitrary: fc.array(fc.tuple(side, side), { minLength: nd, maxLength: nd }) },
    { weight: 2, arbitrary: fc.constantFrom('same', 'same-lower', 'valid') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

interface WindowOpts {
  kernelSize: unknown;
  stride?: unknown;
  padding?: unknown;
  dilation?: unknown;
  ceilMode?: boolean;
}

function windowOptsArb(nd: Nd, dirty: boolean): fc.Arbitrary<WindowOpts> {
  return fc.record({
    kernelSize: intOpt(nd, 1, 4, dirty),
    stride: fc.oneof({ weight: 1, arbitrary: fc.constantFrom(undefined, null) }, { weight: 3, arbitrary: intOpt(nd, 1, 3, dirty) }),
    padding: paddingArb(nd, dirty),
    dilation: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: intOpt(nd, 1, 3, dirty) }),
    ceilMode: fc.constantFrom(undefined, false, true),
  }, { requiredKeys: ['kernelSize'] });
}

// ---------------------------------------------------------------------------------------------
// The oracle

type Outcome =
  | { ok: true; shape: number[]; planeSize: number; windowsTouchInput: boolean; alsoAccept?: Set<string> }
  | { ok: false; args: Set<string> };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** One value per dimension from a number or an nd-tuple, each satisfying `valid`; null if not. */
function perDim(v: unknown, nd: number, valid: (x: number) => boolean): number[] | null {
  const arr = typeof v === 'number' ? new Array<number>(nd).fill(v) : Array.isArray(v) && v.length === nd ? (v as unknown[]) : null;
  if (arr === null || !arr.every((x) => isInt(x) && valid(x))) return null;
  return arr as number[];
}

interface InputInfo {
  ok: boolean;
  batched: boolean;
  lead: number[];
  spatial: number[];
}

/** PyTorch: (C, *spatial) or (N, C, *spatial), every dimension but N non-empty. */
function inputInfo(shape: readonly number[], nd: number): InputInfo {
  const batched = shape.length === nd + 2;
  const rankOk = shape.length === nd + 1 || batched;
  const ok = rankOk && shape.every((d, i) => d > 0 || (batched && i === 0));
  return { ok, batched, lead: shape.slice(0, shape.length - nd), spatial: shape.slice(shape.length - nd) };
}

/** Does every window along a dimension have at least one tap inside [0, in)? */
function everyWindowTouches(inSize: number, out: number, k: number, s: number, d: number, padBegin: number): boolean {
  for (let o = 0; o < out; o++) {
    let touches = false;
    for (let i = 0; i < k && !touches; i++) {
      const t = o * s - padBegin + i * d;
      touches = t >= 0 && t < inSize;
    }
    if (!touches) return false;
  }
  return true;
}

/** Sliding-window pooling (max, avg, lp): PyTorch's output-size rule plus poolkit's padding forms. */
function windowOracle(nd: Nd, shape: readonly number[], o: WindowOpts): Outcome {
  const args = new Set<string>();
  const inp = inputInfo(shape, nd);
  if (!inp.ok) args.add('input');
  const k = perDim(o.kernelSize, nd, (v) => v > 0);
  if (!k) args.add('kernelSize');
  const s = o.stride == null ? k : perDim(o.stride, nd, (v) => v > 0);
  if (o.stride != null && !s) args.add('stride');
  const d = o.dilation === undefined ? new Array<number>(nd).fill(1) : perDim(o.dilation, nd, (v) => v > 0);
  if (!d) args.add('dilation');
  const eff = k && d ? k.map((ki, i) => (ki - 1) * d[i]! + 1) : null;

  // Padding: [begin, end] per dimension, or 'same' (resolved once sizes are known), or invalid.
  const p = o.padding ?? 0;
  let pads: [number[], number[]] | 'same' | 'same-lower' | null = null;
  if (p === 'valid') pads = [new Array<number>(nd).fill(0), new Array<number>(nd).fill(0)];
  else if (p === 'same' || p === 'same-lower') pads = p;
  else if (Array.isArray(p) && p.some((e) => Array.isArray(e))) {
    const pairsOk = p.length === nd && p.every((e) => Array.isArray(e) && e.length === 2 && e.every((x: unknown) => isInt(x) && x >= 0));
    if (!pairsOk) args.add('padding');
    else if (eff) {
      // poolkit's explicit (ONNX) pads: each side below the effective kernel.
      const pairs = p as number[][];
      if (pairs.some((pair, i) => pair[0]! >= eff[i]! || pair[1]! >= eff[i]!)) args.add('padding');
      else pads = [pairs.map((e) => e[0]!), pairs.map((e) => e[1]!)];
    }
  } else {
    const sym = perDim(p, nd, (v) => v >= 0);
    if (!sym) args.add('padding');
    // PyTorch ≥ 2.0: pad ≤ effective kernel / 2.
    else if (eff) {
      if (sym.some((pi, i) => pi > eff[i]! / 2)) args.add('padding');
      else pads = [sym, sym];
    }
  }
  if (args.size > 0 || !k || !s || !d || !eff || !pads) {
    if (args.size === 0) throw new Error('oracle: no verdict');
    return { ok: false, args };
  }

  const ceil = o.ceilMode === true;
  const out: number[] = [];
  let begin: number[];
  if (pads === 'same' || pads === 'same-lower') {
    begin = [];
    for (let i = 0; i < nd; i++) {
      const n = Math.ceil(inp.spatial[i]! / s[i]!);
      const total = Math.max(0, (n - 1) * s[i]! + eff[i]! - inp.spatial[i]!);
      begin.push(pads === 'same' ? Math.floor(total / 2) : Math.ceil(total / 2));
      out.push(n);
    }
  } else {
    begin = pads[0];
    for (let i = 0; i < nd; i++) {
      const inSize = inp.spatial[i]!, pb = pads[0][i]!, pe = pads[1][i]!;
      let n = Math.floor((inSize + pb + pe - d[i]! * (k[i]! - 1) - 1 + (ceil ? s[i]! - 1 : 0)) / s[i]!) + 1;
      if (ceil && (n - 1) * s[i]! >= inSize + pb) n--;
      out.push(n);
    }
  }
  if (out.some((n) => n < 1)) return { ok: false, args: new Set(['input']) };
  const windowsTouchInput = out.every((n, i) => everyWindowTouches(inp.spatial[i]!, n, k[i]!, s[i]!, d[i]!, begin[i]!));
  return { ok: true, shape: [...inp.lead, ...out], planeSize: numelOf(inp.spatial), windowsTouchInput };
}

// ---------------------------------------------------------------------------------------------
// Running a case against its outcome

function describe(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
}

/**
 * Either `run` returns and `check` accepts its result (when the oracle says the call is valid),
 * or it throws a PoolkitError for `op` whose arg the oracle also finds at fault.
 */
function expectOutcome<R>(op: string, outcome: Outcome, run: () => R, check: (r: R, outcome: Extract<Outcome, { ok: true }>) => void, ctx: () => string): void {
  if (outcome.ok) tally.valid++;
  else tally.invalid++;
  let result: R;
  try {
    result = run();
  } catch (e) {
    if (!(e instanceof PoolkitError)) assert.fail(`${op}: threw a non-PoolkitError (${describe(e)}) for ${ctx()}`);
    assert.equal(e.op, op, `error op for ${ctx()}: ${e.message}`);
    assert.ok(e.message.startsWith(`${op}: `), `message must start with "${op}: ", got ${JSON.stringify(e.message)}`);
    assert.equal(e.message, `${op}: ${e.rule}`);
    if (outcome.ok) {
      // A case where poolkit may legitimately refuse what the oracle accepts (see alsoAccept's users).
      if (outcome.alsoAccept?.has(e.arg)) return;
      assert.fail(`${op}: the oracle expects output shape [${outcome.shape}] but got ${e.message} (arg ${e.arg}) for ${ctx()}`);
    }
    assert.ok(outcome.args.has(e.arg), `${op}: error blames '${e.arg}' but the oracle finds fault with {${[...outcome.args]}}: ${e.message} for ${ctx()}`);
    return;
  }
  if (!outcome.ok) assert.fail(`${op}: expected a PoolkitError blaming one of {${[...outcome.args]}}, but the call returned, for ${ctx()}`);
  check(result, outcome);
}

function checkOutput(op: string, out: Tensor, expected: readonly number[], ctx: () => string): void {
  assert.ok(out instanceof Tensor, `${op}: result is not a Tensor`);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual([...out.shape], [...expected], `${op}: output shape for ${ctx()}`);
  assert.equal(out.data.length, numelOf(expected));
}

function assertFinite(op: string, out: Tensor, ctx: () => string, allowNegInf = false): void {
  for (let i = 0; i < out.data.length; i++) {
    const v = out.data[i]!;
    if (!(Number.isFinite(v) || (allowNegInf && v === Number.NEGATIVE_INFINITY))) {
      assert.fail(`${op}: output[${i}] = ${v} from finite input, for ${ctx()}`);
    }
  }
}

/**
 * Max-style outputs: each finite output is the input value at its index, which lies in its plane.
 * A window without any tap inside the input (possible with dilation) gives −∞ as in PyTorch, whose
 * index is then not checked (PyTorch records the first tap, which may lie past the end).
 */
function checkMaxIndices(op: string, x: Tensor, output: Tensor, indices: Tensor<Int32Array>, planeSize: number, allowEmptyWindows: boolean, ctx: () => string): void {
  assert.equal(indices.dtype, 'int32', `${op}: indices dtype`);
  assert.deepEqual([...indices.shape], [...output.shape], `${op}: indices shape`);
  const planes = planeSize === 0 ? 0 : x.data.length / planeSize;
  const perPlane = planes === 0 ? 0 : output.data.length / planes;
  for (let j = 0; j < output.data.length; j++) {
    const v = output.data[j]!;
    const idx = indices.data[j]!;
    if (v === Number.NEGATIVE_INFINITY && allowEmptyWindows) continue;
    assert.ok(Number.isFinite(v), `${op}: output[${j}] = ${v} from finite input, for ${ctx()}`);
    assert.ok(idx >= 0 && idx < planeSize, `${op}: index ${idx} at output ${j} outside [0, ${planeSize}), for ${ctx()}`);
    const plane = Math.floor(j / perPlane);
    assert.equal(x.data[plane * planeSize + idx], v, `${op}: output[${j}] = ${v} is not the input at its index ${idx}, for ${ctx()}`);
  }
}

const showOpts = (o: unknown): string =>
  JSON.stringify(o, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v instanceof Tensor ? `Tensor[${v.shape}]` : v instanceof pk.Generator ? 'Generator' : v));

// ---------------------------------------------------------------------------------------------
// Max pooling

const MAX = [pk.maxPool1d, pk.maxPool2d, pk.maxPool3d] as const;
const MAX_IDX = [pk.maxPool1dWithIndices, pk.maxPool2dWithIndices, pk.maxPool3dWithIndices] as const;
const AVG = [pk.avgPool1d, pk.avgPool2d, pk.avgPool3d] as const;
const LP = [pk.lpPool1d, pk.lpPool2d, pk.lpPool3d] as const;
const AAVG = [pk.adaptiveAvgPool1d, pk.adaptiveAvgPool2d, pk.adaptiveAvgPool3d] as const;
const AMAX = [pk.adaptiveMaxPool1d, pk.adaptiveMaxPool2d, pk.adaptiveMaxPool3d] as const;
const AMAX_IDX = [pk.adaptiveMaxPool1dWithIndices, pk.adaptiveMaxPool2dWithIndices, pk.adaptiveMaxPool3dWithIndices] as const;
const UNPOOL = [pk.maxUnpool1d, pk.maxUnpool2d, pk.maxUnpool3d] as const;

for (const nd of NDS) {
  const op = `max_pool${nd}d`;
  test(`maxPool${nd}d: a tensor of PyTorch's output shape, or a PoolkitError, for any shape and options`, () => {
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => windowOptsArb(nd, d)), fc.integer(), (shape, opts, seed) => {
      const x = makeInput(shape, seed);
      const outcome = windowOracle(nd, shape, opts);
      const ctx = () => `shape [${shape}], options ${showOpts(opts)}`;
      expectOutcome(op, outcome, () => MAX[nd - 1](x, opts as pk.MaxPoolOptions), (y, ok) => {
        checkOutput(op, y, ok.shape, ctx);
        assertFinite(op, y, ctx, !ok.windowsTouchInput);
      }, ctx);
    }));
  });

  test(`maxPool${nd}dWithIndices: the output shape, and each index in its plane pointing at the output value`, () => {
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => windowOptsArb(nd, d)), fc.integer(), (shape, opts, seed) => {
      const x = makeInput(shape, seed);
      const outcome = windowOracle(nd, shape, opts);
      const ctx = () => `shape [${shape}], options ${showOpts(opts)}`;
      expectOutcome(op, outcome, () => MAX_IDX[nd - 1](x, opts as pk.MaxPoolOptions), (r, ok) => {
        checkOutput(op, r.output, ok.shape, ctx);
        checkMaxIndices(op, x, r.output, r.indices, ok.planeSize, !ok.windowsTouchInput, ctx);
      }, ctx);
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Average pooling

for (const nd of NDS) {
  const op = `avg_pool${nd}d`;
  test(`avgPool${nd}d: PyTorch's output shape with finite values, or a PoolkitError (countIncludePad, divisorOverride)`, () => {
    const avgExtra = fc.record({
      countIncludePad: fc.constantFrom(undefined, true, false),
      divisorOverride: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(undefined, null) },
        { weight: 3, arbitrary: fc.integer({ min: -3, max: 9 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, 1.5, Number.NaN, Number.POSITIVE_INFINITY) },
      ),
    }, { requiredKeys: [] });
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => windowOptsArb(nd, d)), avgExtra, fc.integer(), (shape, wopts, extra, seed) => {
      const opts = { ...wopts, ...extra };
      const x = makeInput(shape, seed);
      let outcome = windowOracle(nd, shape, wopts);
      const dv = extra.divisorOverride;
      // PyTorch: divisor_override is an int and "divisor must be not zero".
      if (dv != null && !(isInt(dv) && dv !== 0)) {
        outcome = { ok: false, args: new Set([...(outcome.ok ? [] : outcome.args), 'divisorOverride']) };
      }
      const ctx = () => `shape [${shape}], options ${showOpts(opts)}`;
      expectOutcome(op, outcome, () => AVG[nd - 1](x, opts as pk.AvgPoolOptions), (y, ok) => {
        checkOutput(op, y, ok.shape, ctx);
        assertFinite(op, y, ctx);
      }, ctx);
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Lp pooling (positive inputs, where PyTorch's definition is finite)

for (const nd of NDS) {
  const op = `lp_pool${nd}d`;
  test(`lpPool${nd}d: PyTorch's output shape with finite non-negative values on positive input, or a PoolkitError (normType, trueNorm)`, () => {
    const normType = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(1, 2, 3) },
      { weight: 2, arbitrary: fc.double({ min: 0.5, max: 4, noNaN: true }) },
      { weight: 2, arbitrary: fc.constantFrom(0, -1, -2.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
    );
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => windowOptsArb(nd, d)), normType, fc.constantFrom(undefined, false, true), fc.integer(),
      (shape, wopts, p, trueNorm, seed) => {
        const opts = trueNorm === undefined ? wopts : { ...wopts, trueNorm };
        const x = makeInput(shape, seed, true);
        let outcome = windowOracle(nd, shape, wopts);
        if (!(Number.isFinite(p) && p > 0)) outcome = { ok: false, args: new Set([...(outcome.ok ? [] : outcome.args), 'normType']) };
        const ctx = () => `shape [${shape}], normType ${p}, options ${showOpts(opts)}`;
        expectOutcome(op, outcome, () => LP[nd - 1](x, p, opts as pk.LpPoolOptions), (y, ok) => {
          checkOutput(op, y, ok.shape, ctx);
          assertFinite(op, y, ctx);
          for (let i = 0; i < y.data.length; i++) assert.ok(y.data[i]! >= 0, `${op}: negative output ${y.data[i]} from positive input, for ${ctx()}`);
        }, ctx);
      }));
  });
}

// ---------------------------------------------------------------------------------------------
// Adaptive pooling

function adaptiveSizeArb(nd: Nd, dirty: boolean): fc.Arbitrary<unknown> {
  if (!dirty) {
    return fc.oneof(fc.integer({ min: 1, max: 6 }),
      fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constant(null) }), { minLength: nd, maxLength: nd }));
  }
  const entry = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }) },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: badScalar },
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: badScalar }) },
    { weight: 5, arbitrary: fc.array(entry, { minLength: nd, maxLength: nd }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: nd + 1, maxLength: nd + 1 }) },
  );
}

/** Adaptive pooling: the requested size, `null` keeping the input's; each at least 1 (poolkit). */
function adaptiveOracle(nd: Nd, shape: readonly number[], outputSize: unknown): Outcome {
  const args = new Set<string>();
  const inp = inputInfo(shape, nd);
  if (!inp.ok) args.add('input');
  const given = typeof outputSize === 'number' ? new Array<unknown>(nd).fill(outputSize) : outputSize;
  if (!Array.isArray(given) || given.length !== nd) {
    args.add('outputSize');
    return { ok: false, args };
  }
  if (!given.every((o) => o === null || (isInt(o) && o >= 1))) args.add('outputSize');
  if (args.size > 0) return { ok: false, args };
  const out = given.map((o, i) => (o === null ? inp.spatial[i]! : (o as number)));
  return { ok: true, shape: [...inp.lead, ...out], planeSize: numelOf(inp.spatial), windowsTouchInput: true };
}

for (const nd of NDS) {
  test(`adaptiveAvgPool${nd}d: the requested size (null keeps the input's) with finite values, or a PoolkitError`, () => {
    const op = `adaptive_avg_pool${nd}d`;
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => adaptiveSizeArb(nd, d)), fc.integer(), (shape, size, seed) => {
      const x = makeInput(shape, seed);
      const ctx = () => `shape [${shape}], outputSize ${showOpts(size)}`;
      expectOutcome(op, adaptiveOracle(nd, shape, size), () => AAVG[nd - 1](x, size as pk.AdaptiveSize), (y, ok) => {
        checkOutput(op, y, ok.shape, ctx);
        assertFinite(op, y, ctx);
      }, ctx);
    }));
  });

  test(`adaptiveMaxPool${nd}d(WithIndices): the requested size, each index in its plane pointing at the output value, or a PoolkitError`, () => {
    const op = `adaptive_max_pool${nd}d`;
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => adaptiveSizeArb(nd, d)), fc.boolean(), fc.integer(), (shape, size, withIndices, seed) => {
      const x = makeInput(shape, seed);
      const outcome = adaptiveOracle(nd, shape, size);
      const ctx = () => `shape [${shape}], outputSize ${showOpts(size)}`;
      if (withIndices) {
        expectOutcome(op, outcome, () => AMAX_IDX[nd - 1](x, size as pk.AdaptiveSize), (r, ok) => {
          checkOutput(op, r.output, ok.shape, ctx);
          checkMaxIndices(op, x, r.output, r.indices, ok.planeSize, false, ctx);
        }, ctx);
      } else {
        expectOutcome(op, outcome, () => AMAX[nd - 1](x, size as pk.AdaptiveSize), (y, ok) => {
          checkOutput(op, y, ok.shape, ctx);
          assertFinite(op, y, ctx);
        }, ctx);
      }
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Fractional max pooling (2-D and 3-D)

interface FractionalCase {
  kernelSize: unknown;
  sizeMode: 'size' | 'ratio' | 'both' | 'neither';
  outputSize: unknown;
  outputRatio: unknown;
  samplesMode: 'none' | 'valid' | 'wrongShape' | 'outOfRange' | 'int32';
  badSample: number;
  withIndices: boolean;
}

function fractionalArb(nd: 2 | 3, dirty: boolean): fc.Arbitrary<FractionalCase> {
  const goodRatio = fc.double({ min: 0.1, max: 0.95, noNaN: true });
  const ratioEntry = dirty ? fc.oneof(
    { weight: 8, arbitrary: goodRatio },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 1.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY) },
  ) : goodRatio;
  return fc.record({
    kernelSize: intOpt(nd, 1, dirty ? 3 : 2, dirty),
    sizeMode: dirty ? fc.constantFrom('size', 'size', 'ratio', 'ratio', 'both', 'neither') : fc.constantFrom('size', 'ratio'),
    outputSize: intOpt(nd, 1, dirty ? 6 : nd === 3 ? 3 : 4, dirty), // 3-D: ATen needs out + k − 1 < in
    outputRatio: fc.oneof(
      { weight: 3, arbitrary: ratioEntry },
      { weight: 2, arbitrary: fc.array(ratioEntry, { minLength: nd, maxLength: nd }) },
      { weight: dirty ? 1 : 0, arbitrary: fc.array(ratioEntry, { minLength: nd + 1, maxLength: nd + 1 }) },
    ),
    samplesMode: dirty ? fc.constantFrom('none', 'valid', 'valid', 'wrongShape', 'outOfRange', 'int32') : fc.constantFrom('none', 'valid'),
    badSample: fc.constantFrom(1, 1.5, -0.25, Number.NaN),
    withIndices: fc.boolean(),
  });
}

function fractionalOracle(nd: 2 | 3, shape: readonly number[], opts: { kernelSize: unknown; outputSize?: unknown; outputRatio?: unknown; randomSamples?: Tensor }): Outcome {
  const args = new Set<string>();
  const inp = inputInfo(shape, nd);
  if (!inp.ok) args.add('input');
  const k = perDim(opts.kernelSize, nd, (v) => v > 0);
  if (!k) args.add('kernelSize');
  const hasSize = opts.outputSize != null, hasRatio = opts.outputRatio != null;
  let out: number[] | null = null;
  let sizeArg = 'outputSize';
  if (hasSize === hasRatio) {
    // "fractional_max_pool2d requires specifying either an output_size or an output_ratio"
    args.add('outputSize');
    args.add('outputRatio');
  } else if (hasSize) {
    out = perDim(opts.outputSize, nd, (v) => v >= 1);
    if (!out) args.add('outputSize');
  } else {
    sizeArg = 'outputRatio';
    const r = opts.outputRatio;
    const ratios = typeof r === 'number' ? new Array<number>(nd).fill(r) : Array.isArray(r) && r.length === nd ? (r as number[]) : null;
    // nn.FractionalMaxPool2d: "output_ratio must be between 0 and 1".
    if (!ratios || !ratios.every((v) => typeof v === 'number' && v > 0 && v < 1)) args.add('outputRatio');
    else if (inp.ok) {
      out = inp.spatial.map((s, i) => Math.floor(s * ratios[i]!));
      if (out.some((o) => o < 1)) {
        args.add('outputRatio');
        out = null;
      }
    }
  }
  // ATen: "pool height K too large relative to input height H" unless out + k − 1 ≤ in (2-D),
  // out + k − 1 < in (3-D: FractionalMaxPool3d.cpp checks strictly).
  const tooLarge = (o: number, kk: number, s: number) => (nd === 2 ? o + kk - 1 > s : o + kk - 1 >= s);
  if (out && k && inp.ok && out.some((o, i) => tooLarge(o, k[i]!, inp.spatial[i]!))) {
    args.add('kernelSize');
    args.add(sizeArg);
  }
  const rs = opts.randomSamples;
  if (rs !== undefined) {
    const n = inp.batched ? shape[0]! : 1;
    const c = inp.batched ? shape[1]! : shape[0]!;
    const shapeOk = rs.shape.length === 3 && rs.shape[0]! >= n && rs.shape[1] === c && rs.shape[2] === nd; // extra rows unused, as ATen
    const valuesOk = rs.data instanceof Float32Array && [...rs.data].every((u) => u >= 0 && u < 1);
    if (!shapeOk || !valuesOk) args.add('randomSamples');
  }
  if (args.size > 0 || !out) {
    assert.ok(args.size > 0, 'oracle: no verdict');
    return { ok: false, args };
  }
  return {
    ok: true, shape: [...inp.lead, ...out], planeSize: numelOf(inp.spatial), windowsTouchInput: true,
  };
}

for (const nd of [2, 3] as const) {
  const op = `fractional_max_pool${nd}d`;
  test(`fractionalMaxPool${nd}d: outputSize or floor(in · outputRatio), indices in their plane, or a PoolkitError (randomSamples checked)`, () => {
    check(fc.property(mixed((d) => shapeArb(nd, 9, d)), mixed((d) => fractionalArb(nd, d)), fc.integer(), (shape, fcase, seed) => {
      const x = makeInput(shape, seed);
      const opts: { kernelSize: unknown; outputSize?: unknown; outputRatio?: unknown; randomSamples?: Tensor; generator?: pk.Generator } = {
        kernelSize: fcase.kernelSize,
      };
      if (fcase.sizeMode === 'size' || fcase.sizeMode === 'both') opts.outputSize = fcase.outputSize;
      if (fcase.sizeMode === 'ratio' || fcase.sizeMode === 'both') opts.outputRatio = fcase.outputRatio;
      const inp = inputInfo(shape, nd);
      const n = inp.batched ? shape[0]! : 1;
      const c = inp.batched ? shape[1]! : shape[0] ?? 1;
      const next = rng(seed ^ 0x5bd1e995);
      const samples = (sh: number[]) => new Tensor(Float32Array.from({ length: numelOf(sh) }, () => next()), sh);
      switch (fcase.samplesMode) {
        case 'none': opts.generator = new pk.Generator(seed); break;
        case 'valid': opts.randomSamples = samples([n, c, nd]); break;
        // (PyTorch accepts more rows than the batch, so a wrong shape here is too few rows, a wrong channel count or a wrong last size.)
        case 'wrongShape': opts.randomSamples = samples(n > 0 && seed % 3 === 0 ? [n - 1, c, nd] : seed % 3 === 1 ? [n, c + 1, nd] : [n, c, nd + 1]); break;
        case 'outOfRange': {
          const t = samples([n, c, nd]);
          if (t.data.length > 0) t.data[Math.floor(next() * t.data.length)] = fcase.badSample;
          opts.randomSamples = t;
          break;
        }
        case 'int32': opts.randomSamples = new Tensor(new Int32Array(n * c * nd), [n, c, nd]) as unknown as Tensor; break;
      }
      const outcome = fractionalOracle(nd, shape, opts);
      const ctx = () => `shape [${shape}], options ${showOpts(opts)}${opts.randomSamples ? ` samples [${[...opts.randomSamples.data]}]` : ''}`;
      const fn = nd === 2 ? pk.fractionalMaxPool2dWithIndices : pk.fractionalMaxPool3dWithIndices;
      const plain = nd === 2 ? pk.fractionalMaxPool2d : pk.fractionalMaxPool3d;
      if (fcase.withIndices) {
        expectOutcome(op, outcome, () => fn(x, opts as pk.FractionalMaxPoolOptions), (r, ok) => {
          checkOutput(op, r.output, ok.shape, ctx);
          checkMaxIndices(op, x, r.output, r.indices, ok.planeSize, false, ctx);
        }, ctx);
      } else {
        expectOutcome(op, outcome, () => plain(x, opts as pk.FractionalMaxPoolOptions), (y, ok) => {
          checkOutput(op, y, ok.shape, ctx);
          assertFinite(op, y, ctx);
        }, ctx);
      }
    }), RUNS, 0.05); // valid fractional cases are rarer: out + k − 1 must fit the input
  });
}

// ---------------------------------------------------------------------------------------------
// Max unpooling with random indices

interface UnpoolCase {
  kernelSize: unknown;
  stride: unknown;
  padding: unknown;
  sizeMode: 'none' | 'spatial' | 'full' | 'wrongLength' | 'nonInt';
  sizeOffset: number[];
  indexMode: 'inRange' | 'outOfRange' | 'wrongShape' | 'float32';
  badIndex: 'negative' | 'tooLarge';
}

function unpoolArb(nd: Nd, dirty: boolean): fc.Arbitrary<UnpoolCase> {
  return fc.record({
    kernelSize: intOpt(nd, 1, 3, dirty),
    stride: fc.oneof({ weight: 1, arbitrary: fc.constantFrom(undefined, null) }, { weight: 3, arbitrary: intOpt(nd, 1, 3, dirty) }),
    padding: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: intOpt(nd, 0, dirty ? 2 : 1, dirty) }),
    sizeMode: dirty ? fc.constantFrom('none', 'none', 'spatial', 'spatial', 'full', 'wrongLength', 'nonInt') : fc.constantFrom('none', 'spatial', 'full'),
    sizeOffset: fc.array(fc.integer({ min: dirty ? -3 : -1, max: dirty ? 3 : 1 }), { minLength: nd, maxLength: nd }),
    indexMode: dirty ? fc.constantFrom('inRange', 'inRange', 'inRange', 'outOfRange', 'wrongShape', 'float32') : fc.constant('inRange'),
    badIndex: fc.constantFrom('negative', 'tooLarge'),
  });
}

/** torch.nn.functional._unpool_output_size: (in − 1)·s − 2p + k, or output_size within ±stride. */
function unpoolSizes(nd: Nd, shape: readonly number[], o: { kernelSize: unknown; stride?: unknown; padding?: unknown; outputSize?: unknown }):
  { args: Set<string>; out: number[] | null; lead: number[]; spatial: number[]; batched: boolean } {
  const args = new Set<string>();
  const inp = inputInfo(shape, nd);
  if (!inp.ok) args.add('input');
  const k = perDim(o.kernelSize, nd, (v) => v > 0);
  if (!k) args.add('kernelSize');
  const s = o.stride == null ? k : perDim(o.stride, nd, (v) => v > 0);
  if (o.stride != null && !s) args.add('stride');
  const p = perDim(o.padding ?? 0, nd, (v) => v >= 0);
  if (!p) args.add('padding');
  if (!inp.ok || !k || !s || !p) return { args, out: null, ...inp };
  const defaults = inp.spatial.map((n, i) => (n - 1) * s[i]! - 2 * p[i]! + k[i]!);
  let out = defaults;
  if (o.outputSize != null) {
    const given = o.outputSize;
    // Spatial sizes, or the full shape (tested with batched input only, where poolkit and PyTorch agree).
    const sizes = Array.isArray(given) && given.length === nd ? given
      : Array.isArray(given) && given.length === shape.length && inp.batched ? given.slice(2) : null;
    if (!sizes || !sizes.every(isInt) || !sizes.every((v, i) => defaults[i]! - s[i]! < v && v < defaults[i]! + s[i]!)) {
      args.add('outputSize');
      return { args, out: null, ...inp };
    }
    out = sizes as number[];
  }
  if (out.some((v) => v < 1)) {
    // Which argument to blame for an empty unpooled size is the implementation's choice.
    for (const a of ['padding', 'outputSize', 'kernelSize', 'stride']) args.add(a);
    return { args, out: null, ...inp };
  }
  return { args, out, ...inp };
}

for (const nd of NDS) {
  const op = `max_unpool${nd}d`;
  test(`maxUnpool${nd}d: (in − 1)·stride − 2·padding + kernel or outputSize, values at their indices, or a PoolkitError (random indices)`, () => {
    check(fc.property(mixed((d) => shapeArb(nd, 5, d)), mixed((d) => unpoolArb(nd, d)), fc.integer(), (shape, ucase, seed) => {
      const next = rng(seed);
      const x = makeInput(shape, seed ^ 0x2545f491);
      const opts: { kernelSize: unknown; stride?: unknown; padding?: unknown; outputSize?: unknown } = {
        kernelSize: ucase.kernelSize, stride: ucase.stride, padding: ucase.padding,
      };
      // outputSize relative to the default size, when the default is computable.
      const pre = unpoolSizes(nd, shape, opts);
      const base = pre.out ?? new Array<number>(nd).fill(3);
      const offsetSizes = base.map((b, i) => b + ucase.sizeOffset[i]!);
      switch (ucase.sizeMode) {
        case 'none': break;
        case 'spatial': opts.outputSize = offsetSizes; break;
        case 'full': if (pre.batched) opts.outputSize = [...pre.lead, ...offsetSizes]; break;
        case 'wrongLength': opts.outputSize = [...offsetSizes, 1, 1, 1]; break;
        case 'nonInt': opts.outputSize = offsetSizes.map((v, i) => (i === 0 ? v + 0.5 : v)); break;
      }
      const sizes = unpoolSizes(nd, shape, opts);
      const outPlane = sizes.out ? numelOf(sizes.out) : 9;
      const idxShape = ucase.indexMode === 'wrongShape' ? [...shape.slice(0, -1), (shape.at(-1) ?? 0) + 1] : [...shape];
      const idxData = Int32Array.from({ length: numelOf(idxShape) }, () => Math.floor(next() * outPlane));
      if (ucase.indexMode === 'outOfRange' && idxData.length > 0) {
        idxData[Math.floor(next() * idxData.length)] = ucase.badIndex === 'negative' ? -1 : outPlane;
      }
      const indices = ucase.indexMode === 'float32'
        ? new Tensor(Float32Array.from(idxData), idxShape) as unknown as Tensor<Int32Array>
        : new Tensor(idxData, idxShape);

      const args = new Set(sizes.args);
      if (ucase.indexMode === 'float32' || ucase.indexMode === 'wrongShape') args.add('indices');
      if (sizes.out && ucase.indexMode === 'outOfRange' && idxData.length > 0) args.add('indices');
      let outcome: Outcome;
      if (args.size > 0 || !sizes.out) {
        assert.ok(args.size > 0, 'oracle: no verdict');
        outcome = { ok: false, args };
      } else {
        outcome = { ok: true, shape: [...sizes.lead, ...sizes.out], planeSize: numelOf(sizes.out), windowsTouchInput: true };
      }
      const ctx = () => `shape [${shape}], options ${showOpts(opts)}, indices ${ucase.indexMode} [${[...idxData].slice(0, 20)}${idxData.length > 20 ? ', …' : ''}]`;
      expectOutcome(op, outcome, () => UNPOOL[nd - 1](x, indices, opts as pk.MaxUnpoolOptions), (y, ok) => {
        checkOutput(op, y, ok.shape, ctx);
        // A zero tensor with each input value written at its per-plane index (a later write wins).
        const inPlane = numelOf(sizes.spatial);
        const expected = new Float32Array(y.data.length);
        for (let i = 0; i < x.data.length; i++) expected[Math.floor(i / inPlane) * ok.planeSize + idxData[i]!] = x.data[i]!;
        assert.deepEqual(y.data, expected, `${op}: values for ${ctx()}`);
      }, ctx);
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Backward on random valid configurations

interface ValidCase {
  family: 'max' | 'avg' | 'lp' | 'adaptiveAvg' | 'adaptiveMax' | 'fractional' | 'unpool';
  nd: Nd;
  batched: boolean;
  n: number;
  c: number;
  spatial: number[];
  kernel: number[];
  stride: number[];
  dilation: number[];
  padMode: 'sym' | 'pairs' | 'same' | 'same-lower';
  padFrac: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride: number | undefined;
  normType: number;
  trueNorm: boolean;
  adaptive: (number | null)[];
  seed: number;
}

const validCaseArb: fc.Arbitrary<ValidCase> = fc.constantFrom(1, 2, 3).chain((ndRaw) => {
  const nd = ndRaw as Nd;
  const dims = (lo: number, hi: number) => fc.array(fc.integer({ min: lo, max: hi }), { minLength: nd, maxLength: nd });
  return fc.record({
    family: fc.constantFrom('max', 'avg', 'lp', 'adaptiveAvg', 'adaptiveMax', 'fractional', 'unpool'),
    nd: fc.constant(nd),
    batched: fc.boolean(),
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 2 }),
    spatial: dims(1, 7),
    kernel: dims(1, 3),
    stride: dims(1, 3),
    dilation: dims(1, 2),
    padMode: fc.constantFrom('sym', 'sym', 'pairs', 'same', 'same-lower'),
    padFrac: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 2 * nd, maxLength: 2 * nd }),
    ceilMode: fc.boolean(),
    countIncludePad: fc.boolean(),
    divisorOverride: fc.constantFrom(undefined, undefined, 1, 3),
    normType: fc.constantFrom(1, 2, 3, 1.5),
    trueNorm: fc.boolean(),
    adaptive: fc.array(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(null)), { minLength: nd, maxLength: nd }),
    seed: fc.integer(),
  });
});

/** Runs the case's op on `x` (building options that are valid by construction); null if the sizes admit no valid call. */
function runValid(vc: ValidCase, x: Tensor): Tensor | null {
  const { nd } = vc;
  const eff = vc.kernel.map((k, i) => (k - 1) * vc.dilation[i]! + 1);
  let padding: pk.Padding;
  switch (vc.padMode) {
    case 'sym': padding = eff.map((e, i) => Math.floor(vc.padFrac[i]! * (Math.floor(e / 2) + 1))); break;
    case 'pairs': padding = eff.map((e, i) => [Math.floor(vc.padFrac[2 * i]! * e), Math.floor(vc.padFrac[2 * i + 1]! * e)] as [number, number]); break;
    default: padding = vc.padMode;
  }
  const window = { kernelSize: vc.kernel, stride: vc.stride, dilation: vc.dilation, padding, ceilMode: vc.ceilMode };
  const shape = [...(vc.batched ? [vc.n] : []), vc.c, ...vc.spatial];
  const wo = windowOracle(nd, shape, window);
  switch (vc.family) {
    case 'max': return wo.ok ? MAX[nd - 1](x, window) : null;
    case 'avg': return wo.ok ? AVG[nd - 1](x, { ...window, countIncludePad: vc.countIncludePad, divisorOverride: vc.divisorOverride }) : null;
    case 'lp': return wo.ok ? LP[nd - 1](x, vc.normType, { ...window, trueNorm: vc.trueNorm }) : null;
    case 'adaptiveAvg': return AAVG[nd - 1](x, vc.adaptive);
    case 'adaptiveMax': return AMAX[nd - 1](x, vc.adaptive);
    case 'fractional': {
      if (nd === 1) return null;
      const k = vc.kernel.map((kk, i) => Math.min(kk, vc.spatial[i]!));
      const out = vc.spatial.map((s, i) => Math.max(1, Math.min(s - k[i]! + 1, vc.adaptive[i] ?? s)));
      // Keep clear of the 3-D boundary out + k − 1 = in, which ATen refuses (errors.test.ts pins it).
      if (nd === 3 && out.some((o, i) => o + k[i]! - 1 >= vc.spatial[i]!)) return null;
      const samples = new Tensor(Float32Array.from({ length: (vc.batched ? vc.n : 1) * vc.c * nd }, rng(vc.seed)), [vc.batched ? vc.n : 1, vc.c, nd]);
      const f = nd === 2 ? pk.fractionalMaxPool2d : pk.fractionalMaxPool3d;
      return f(x, { kernelSize: k, outputSize: out, randomSamples: samples });
    }
    case 'unpool': {
      // Indices from max pooling (kernel = stride), unpooled back to the input's size.
      const k = vc.kernel.map((kk, i) => Math.min(kk, vc.spatial[i]!));
      const pooled = MAX_IDX[nd - 1](x.detach(), { kernelSize: k });
      const values = pooled.output.detach();
      values.requiresGrad = true;
      const y = UNPOOL[nd - 1](values, pooled.indices, { kernelSize: k, outputSize: vc.spatial });
      unpoolLeaf = values;
      return y;
    }
  }
}
let unpoolLeaf: Tensor | null = null;

test('backward of every op family on a random valid configuration gives the input a finite gradient of its shape', () => {
  let ran = 0;
  check(fc.property(validCaseArb, (vc) => {
    const shape = [...(vc.batched ? [vc.n] : []), vc.c, ...vc.spatial];
    const x = makeInput(shape, vc.seed, vc.family === 'lp');
    x.requiresGrad = true;
    unpoolLeaf = null;
    const y = runValid(vc, x);
    fc.pre(y !== null);
    ran++;
    const ctx = `${vc.family}${vc.nd}d ${showOpts(vc)}`;
    assert.ok(y.requiresGrad, `output must require grad: ${ctx}`);
    const g = makeInput(y.shape, vc.seed ^ 0x9e3779b9);
    y.backward(g);
    const leaf = vc.family === 'unpool' ? unpoolLeaf! : x;
    assert.ok(leaf.grad !== null, `no gradient: ${ctx}`);
    assert.deepEqual([...leaf.grad.shape], [...leaf.shape], `gradient shape: ${ctx}`);
    for (let i = 0; i < leaf.grad.data.length; i++) {
      assert.ok(Number.isFinite(leaf.grad.data[i]), `gradient[${i}] = ${leaf.grad.data[i]}: ${ctx}`);
    }
  }), 400);
  assert.ok(ran > 200, `too few valid configurations ran (${ran})`);
});
