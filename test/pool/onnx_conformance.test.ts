// ONNX's backend node tests for the pooling operators (onnx v1.22.0, opset 22), run through poolkit.
//
// The cases live outside the repository, in `<repo>/../shared/conformance/onnx/test_*.json`; their
// README documents the JSON schema, the tolerance and every ONNX↔PyTorch difference. Each
// difference is expressed as a poolkit option in `onnxToPoolkit` below; what remains are two
// output conversions ONNX defines differently from PyTorch (the flat MaxPool index, and MaxUnpool
// with `output_shape`), each in its own small function.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d,
  adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d,
  avgPool1d, avgPool2d, avgPool3d,
  lpPool1d, lpPool2d, lpPool3d,
  maxPool1d, maxPool2d, maxPool3d,
  maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices,
  maxUnpool1d, maxUnpool2d, maxUnpool3d,
  tensor,
} from '../../src/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CASE_DIR = join(REPO_ROOT, '..', 'shared', 'conformance', 'onnx');

// README: "one file per test case (56 cases)", by op.
const EXPECTED_CASES: Record<string, number> = {
  AveragePool: 20, LpPool: 8, MaxPool: 19, GlobalAveragePool: 2, GlobalMaxPool: 2, MaxUnpool: 2, RoiAlign: 3,
};

// ---- The JSON schema (README "JSON schema") ----

type Dtype = 'float32' | 'uint8' | 'int64';

interface OnnxTensor {
  name: string;
  dims: number[];
  dtype: Dtype;
  /** Row-major; NaN/±inf and int64 beyond 2^53 would be strings (none occur). */
  data: (number | string)[];
}

/** The attributes the pooling ops use; absent means ONNX's default. */
interface OnnxAttributes {
  kernel_shape?: number[];
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  auto_pad?: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  ceil_mode?: number;
  count_include_pad?: number;
  p?: number;
  storage_order?: number;
}

interface OnnxNode {
  name: string;
  op: string;
  opset: number;
  attributes: OnnxAttributes;
  inputs: OnnxTensor[];
  outputs: OnnxTensor[];
}

function values(t: OnnxTensor): number[] {
  return t.data.map((v) => {
    const n = Number(v); // "NaN", "Infinity", "-Infinity" or a decimal int64
    if (t.dtype === 'int64') assert.ok(Number.isSafeInteger(n), `${t.name}: int64 ${v} is beyond 2^53`);
    return n;
  });
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

// ---- ONNX node -> poolkit call ----

type Nd = 1 | 2 | 3;
type MaxPoolOptions = Parameters<typeof maxPool2d>[1];
type AvgPoolOptions = Parameters<typeof avgPool2d>[1];
type LpPoolOptions = Parameters<typeof lpPool2d>[2];
type MaxUnpoolOptions = Parameters<typeof maxUnpool2d>[2];

type PoolkitCall =
  | { fn: 'maxPool'; nd: Nd; options: MaxPoolOptions; withIndices: boolean }
  | { fn: 'avgPool'; nd: Nd; options: AvgPoolOptions }
  | { fn: 'lpPool'; nd: Nd; normType: number; options: LpPoolOptions }
  | { fn: 'adaptiveMaxPool' | 'adaptiveAvgPool'; nd: Nd; outputSize: 1 }
  | { fn: 'maxUnpool'; nd: Nd; options: MaxUnpoolOptions };

const AUTO_PAD = { SAME_UPPER: 'same', SAME_LOWER: 'same-lower', VALID: 'valid' } as const;

/**
 * The poolkit call that computes an ONNX pooling node. Every difference between ONNX's
 * attributes and PyTorch's defaults is an explicit option here (README "ONNX attributes and
 * PyTorch-style options").
 */
function onnxToPoolkit(node: OnnxNode): PoolkitCall {
  const a = node.attributes;
  const nd = (node.inputs[0]!.dims.length - 2) as Nd;
  if (node.op === 'GlobalMaxPool') return { fn: 'adaptiveMaxPool', nd, outputSize: 1 };
  if (node.op === 'GlobalAveragePool') return { fn: 'adaptiveAvgPool', nd, outputSize: 1 };

  const kernelSize = a.kernel_shape!;
  const stride = a.strides ?? kernelSize.map(() => 1); // ONNX default 1; PyTorch's is the kernel
  const pads = a.pads ?? new Array<number>(2 * nd).fill(0); // [b1..bn, e1..en]
  const begin = pads.slice(0, nd), end = pads.slice(nd);

  if (node.op === 'MaxUnpool') {
    // PyTorch unpool padding is symmetric, and no ONNX case pads MaxUnpool unevenly.
    assert.deepEqual(begin, end, 'asymmetric MaxUnpool pads have no poolkit option');
    return { fn: 'maxUnpool', nd, options: { kernelSize, stride, padding: begin } };
  }

  const window = {
    kernelSize,
    stride,
    // Explicit [begin, end] pairs: ONNX pads may exceed PyTorch's half-kernel limit or be uneven.
    padding: a.auto_pad === undefined || a.auto_pad === 'NOTSET'
      ? begin.map((b, i) => [b, end[i]!] as const)
      : AUTO_PAD[a.auto_pad],
    dilation: a.dilations ?? 1, // a poolkit extension for average and Lp pooling
    ceilMode: a.ceil_mode === 1,
  };
  switch (node.op) {
    case 'MaxPool':
      return { fn: 'maxPool', nd, options: window, withIndices: node.outputs.length === 2 };
    case 'AveragePool':
      // ONNX default 0; PyTorch's default is true.
      return { fn: 'avgPool', nd, options: { ...window, countIncludePad: a.count_include_pad === 1 } };
    case 'LpPool':
      // ONNX: (Σ |x|^p)^(1/p) over the taps inside the input; PyTorch has no absolute value.
      return { fn: 'lpPool', nd, normType: a.p ?? 2, options: { ...window, trueNorm: true } };
  }
  throw new Error(`no poolkit mapping for ONNX ${node.op}`);
}

/** Attributes `onnxToPoolkit` reads, per op; a case setting any other fails rather than being ignored. */
const MAPPED_ATTRIBUTES: Record<string, readonly string[]> = {
  MaxPool: ['kernel_shape', 'strides', 'pads', 'auto_pad', 'dilations', 'ceil_mode', 'storage_order'],
  AveragePool: ['kernel_shape', 'strides', 'pads', 'auto_pad', 'dilations', 'ceil_mode', 'count_include_pad'],
  LpPool: ['kernel_shape', 'strides', 'pads', 'auto_pad', 'dilations', 'ceil_mode', 'p'],
  GlobalMaxPool: [],
  GlobalAveragePool: [],
  MaxUnpool: ['kernel_shape', 'strides', 'pads'],
};

// ---- Output conversions ONNX defines differently ----

/**
 * PyTorch's (and poolkit's) max-pool index is row-major within its (n, c) plane. ONNX's
 * `Indices` is flat over the whole input, `(n·C + c)·planeSize + inPlane`, and with
 * `storage_order = 1` the in-plane index is column-major (2-D: `h + w·H`).
 */
function onnxMaxPoolIndices(indices: Int32Array, inputDims: readonly number[], outputDims: readonly number[], storageOrder: number): number[] {
  const spatial = inputDims.slice(2);
  const outPlane = product(outputDims.slice(2));
  return Array.from(indices, (inPlane, k) => {
    const plane = Math.floor(k / outPlane); // n·C + c
    return plane * product(spatial) + (storageOrder === 1 ? columnMajor(inPlane, spatial) : inPlane);
  });
}

function columnMajor(rowMajor: number, dims: readonly number[]): number {
  const coords: number[] = [];
  for (let d = dims.length - 1, rest = rowMajor; d >= 0; d--) {
    coords[d] = rest % dims[d]!;
    rest = Math.floor(rest / dims[d]!);
  }
  let index = 0;
  for (let d = dims.length - 1; d >= 0; d--) index = index * dims[d]! + coords[d]!;
  return index;
}

/**
 * ONNX MaxUnpool indices are flat over the whole default-size output, `(n·C + c)·outPlane +
 * inPlane`; PyTorch's are per plane. The default size per axis is
 * `(in − 1)·stride + kernel − pad_begin − pad_end`.
 */
function pytorchUnpoolIndices(node: OnnxNode, onnxIndices: readonly number[]): number[] {
  const { kernel_shape: k = [], strides, pads } = node.attributes;
  const spatial = node.inputs[0]!.dims.slice(2);
  const nd = spatial.length;
  const defaultSize = spatial.map((s, i) => (s - 1) * (strides?.[i] ?? 1) + k[i]! - (pads?.[i] ?? 0) - (pads?.[i + nd] ?? 0));
  const inPlane = product(spatial), outPlane = product(defaultSize);
  return onnxIndices.map((index, j) => index - Math.floor(j / inPlane) * outPlane);
}

/**
 * ONNX MaxUnpool with `output_shape` (README "MaxUnpool"): the indices address the default-size
 * output, which is placed at the start of every axis and zero-filled up to `output_shape`.
 * PyTorch's `output_size` instead reads the indices as positions in the larger plane, so poolkit
 * unpools at its default size (= ONNX's) and this embeds the result.
 */
function embedAtStart(src: Float32Array, srcShape: readonly number[], dstShape: readonly number[]): Float32Array {
  assert.equal(dstShape.length, srcShape.length, 'output_shape rank');
  assert.ok(dstShape.every((d, i) => d >= srcShape[i]!), `output_shape ${dstShape} is smaller than the default ${srcShape}`);
  const dst = new Float32Array(product(dstShape));
  for (let i = 0; i < src.length; i++) {
    let j = 0;
    for (let d = srcShape.length - 1, rest = i, scale = 1; d >= 0; d--) {
      j += (rest % srcShape[d]!) * scale;
      rest = Math.floor(rest / srcShape[d]!);
      scale *= dstShape[d]!;
    }
    dst[j] = src[i]!;
  }
  return dst;
}

// ---- Running a case ----

interface Result {
  dims: readonly number[];
  dtype: Dtype;
  data: ArrayLike<number>;
}

const MAX_POOL = { 1: maxPool1d, 2: maxPool2d, 3: maxPool3d };
const MAX_POOL_WITH_INDICES = { 1: maxPool1dWithIndices, 2: maxPool2dWithIndices, 3: maxPool3dWithIndices };
const AVG_POOL = { 1: avgPool1d, 2: avgPool2d, 3: avgPool3d };
const LP_POOL = { 1: lpPool1d, 2: lpPool2d, 3: lpPool3d };
const ADAPTIVE_MAX_POOL = { 1: adaptiveMaxPool1d, 2: adaptiveMaxPool2d, 3: adaptiveMaxPool3d };
const ADAPTIVE_AVG_POOL = { 1: adaptiveAvgPool1d, 2: adaptiveAvgPool2d, 3: adaptiveAvgPool3d };
const MAX_UNPOOL = { 1: maxUnpool1d, 2: maxUnpool2d, 3: maxUnpool3d };

function float32(t: { dtype: string; data: ArrayLike<number>; shape: readonly number[] }): Result {
  assert.equal(t.dtype, 'float32');
  return { dims: t.shape, dtype: 'float32', data: t.data };
}

/** Runs `node` through poolkit and returns its outputs in ONNX's form and order. */
function runCase(node: OnnxNode): Result[] {
  const call = onnxToPoolkit(node);
  const [xIn] = node.inputs;
  // uint8 max pooling: pool the values as float32 (exact), then cast back.
  const x = tensor(Float32Array.from(values(xIn!)), xIn!.dims);

  switch (call.fn) {
    case 'maxPool': {
      if (!call.withIndices) {
        const y = float32(MAX_POOL[call.nd](x, call.options));
        if (xIn!.dtype !== 'uint8') return [y];
        const cast = Uint8Array.from(y.data);
        assert.deepEqual(Array.from(cast), Array.from(y.data), 'a max of uint8 values is a uint8 value');
        return [{ ...y, dtype: 'uint8', data: cast }];
      }
      const { output, indices } = MAX_POOL_WITH_INDICES[call.nd](x, call.options);
      assert.equal(indices.dtype, 'int32');
      assert.deepEqual(indices.shape, output.shape);
      const storageOrder = node.attributes.storage_order ?? 0;
      return [
        float32(output),
        { dims: indices.shape, dtype: 'int64', data: onnxMaxPoolIndices(indices.data, xIn!.dims, indices.shape, storageOrder) },
      ];
    }
    case 'avgPool':
      return [float32(AVG_POOL[call.nd](x, call.options))];
    case 'lpPool':
      return [float32(LP_POOL[call.nd](x, call.normType, call.options))];
    case 'adaptiveMaxPool':
      return [float32(ADAPTIVE_MAX_POOL[call.nd](x, call.outputSize))];
    case 'adaptiveAvgPool':
      return [float32(ADAPTIVE_AVG_POOL[call.nd](x, call.outputSize))];
    case 'maxUnpool': {
      const [, iIn, outputShape] = node.inputs;
      const indices = tensor(pytorchUnpoolIndices(node, values(iIn!)), iIn!.dims, { dtype: 'int32' });
      const y = float32(MAX_UNPOOL[call.nd](x, indices, call.options));
      if (outputShape === undefined) return [y];
      const dims = values(outputShape);
      return [{ dims, dtype: 'float32', data: embedAtStart(y.data as Float32Array, y.dims, dims) }];
    }
  }
}

// ---- Comparing (README "Comparing results") ----

/** ONNX's backend runner: dims and dtype exact; |a − e| <= 1e-7 + 1e-3·|e|, or exact. */
function assertMatches(actual: Result, expected: OnnxTensor, exact: boolean): void {
  assert.deepEqual([...actual.dims], expected.dims, `${expected.name}: dims`);
  assert.equal(actual.dtype, expected.dtype, `${expected.name}: dtype`);
  const want = values(expected);
  assert.equal(actual.data.length, want.length, `${expected.name}: element count`);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = actual.data[i]!, e = want[i]!;
    const ok = (Number.isNaN(a) && Number.isNaN(e)) || a === e || (!exact && Math.abs(a - e) <= 1e-7 + 1e-3 * Math.abs(e));
    if (!ok) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  assert.equal(bad.length, 0,
    `${expected.name}: ${bad.length} of ${want.length} elements differ (${exact ? 'exact' : 'rtol 1e-3, atol 1e-7'}): ${bad.slice(0, 8).join('; ')}`);
}

/** README: MaxPool, GlobalMaxPool, MaxUnpool and int64 outputs are exact. */
function isExact(node: OnnxNode, output: OnnxTensor): boolean {
  return ['MaxPool', 'GlobalMaxPool', 'MaxUnpool'].includes(node.op) || output.dtype !== 'float32';
}

// ---- The suite ----

const caseFiles = existsSync(CASE_DIR)
  ? readdirSync(CASE_DIR).filter((f) => f.startsWith('test_') && f.endsWith('.json')).sort()
  : [];
const cases = caseFiles.map((file) => ({ file, node: JSON.parse(readFileSync(join(CASE_DIR, file), 'utf8')) as OnnxNode }));

test('the ONNX conformance folder holds the 56 cases its README lists', () => {
  assert.ok(existsSync(CASE_DIR), `ONNX conformance cases not found at ${CASE_DIR} (expected ../shared beside the repository)`);
  const byOp: Record<string, number> = {};
  for (const { node } of cases) byOp[node.op] = (byOp[node.op] ?? 0) + 1;
  assert.deepEqual(byOp, EXPECTED_CASES);
  for (const { file, node } of cases) assert.equal(`${node.name}.json`, file);
});

// Every conformance case with indices has N = C = 1, so none shows the (n·C + c) plane offset
// nor a non-square column-major plane. Two hand-made nodes in the same schema pin them, with
// outputs worked out from the README's definitions.
test('ONNX MaxPool indices carry the (n·C + c) offset and storage_order (hand-made 1×2×2×3 node)', () => {
  const x: OnnxTensor = { name: 'x', dims: [1, 2, 2, 3], dtype: 'float32', data: [1, 2, 3, 4, 9, 5, /* */ 1, 2, 9, 3, 4, 5] };
  const y: OnnxTensor = { name: 'y', dims: [1, 2, 1, 1], dtype: 'float32', data: [9, 9] };
  for (const [storageOrder, z] of [[0, [4, 6 + 2]], [1, [1 + 1 * 2, 6 + (0 + 2 * 2)]]] as const) {
    const node: OnnxNode = {
      name: `storage_order=${storageOrder}`, op: 'MaxPool', opset: 22,
      attributes: { kernel_shape: [2, 3], storage_order: storageOrder }, inputs: [x],
      outputs: [y, { name: 'z', dims: [1, 2, 1, 1], dtype: 'int64', data: [...z] }],
    };
    const [yOut, zOut] = runCase(node);
    assertMatches(yOut!, y, true);
    assertMatches(zOut!, node.outputs[1]!, true);
  }
});

test('ONNX MaxUnpool indices carry the (n·C + c)·outPlane offset (hand-made 1×2×1×1 node)', () => {
  const node: OnnxNode = {
    name: 'unpool_two_channels', op: 'MaxUnpool', opset: 22, attributes: { kernel_shape: [2, 2], strides: [2, 2] },
    inputs: [
      { name: 'xT', dims: [1, 2, 1, 1], dtype: 'float32', data: [5, 6] },
      { name: 'xI', dims: [1, 2, 1, 1], dtype: 'int64', data: [3, 4 + 2] },
    ],
    outputs: [{ name: 'y', dims: [1, 2, 2, 2], dtype: 'float32', data: [0, 0, 0, 5, /* */ 0, 0, 6, 0] }],
  };
  assertMatches(runCase(node)[0]!, node.outputs[0]!, true);
});

for (const { file, node } of cases) {
  const name = file.replace(/\.json$/, '');
  if (node.op === 'RoiAlign') {
    test(name, { skip: 'RoiAlign: a later issue' }, () => {});
    continue;
  }
  test(name, () => {
    const unmapped = Object.keys(node.attributes).filter((k) => !(MAPPED_ATTRIBUTES[node.op] ?? []).includes(k));
    assert.deepEqual(unmapped, [], `${node.op} attributes without a poolkit mapping`);
    const actual = runCase(node);
    assert.equal(actual.length, node.outputs.length, 'number of outputs');
    node.outputs.forEach((expected, k) => assertMatches(actual[k]!, expected, isExact(node, expected)));
  });
}
