// Bad input, one test per rule: each asserts a PoolkitError, its `op` and `arg` fields, and the
// message by regex — PyTorch's words where PyTorch has them (ATen Pool.h, MaxPooling.cpp,
// AdaptivePooling.h, FractionalMaxPool*.cpp, MaxUnpooling.cpp, torch/nn/functional.py), and the
// key words (op, argument, PyTorch's phrase) where the exact sentence is poolkit's own.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as pk from '../../src/index.js';
import { PoolkitError, Tensor, tensor, zeros } from '../../src/index.js';

interface Expected {
  op: string;
  /** The argument at fault; a list where blaming any of them is the implementation's choice. */
  arg: string | readonly string[];
  /** Every regex must match the message. */
  message: RegExp | RegExp[];
}

/** Asserts that `fn` throws a PoolkitError with these fields, whose message is `${op}: ${rule}`. */
function throwsPoolkit(fn: () => unknown, expected: Expected): PoolkitError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected ${expected.op} to throw (arg ${String(expected.arg)}), but it returned`);
  assert.ok(caught instanceof PoolkitError, `expected a PoolkitError, got ${caught instanceof Error ? `${caught.constructor.name}: ${caught.message}` : String(caught)}`);
  const e = caught;
  assert.equal(e.name, 'PoolkitError');
  assert.equal(e.op, expected.op, `op of: ${e.message}`);
  if (typeof expected.arg === 'string') assert.equal(e.arg, expected.arg, `arg of: ${e.message}`);
  else assert.ok(expected.arg.includes(e.arg), `arg '${e.arg}' not among [${expected.arg}]: ${e.message}`);
  assert.ok(e.message.startsWith(`${expected.op}: `), `message must start with "${expected.op}: ": ${e.message}`);
  assert.equal(e.message, `${e.op}: ${e.rule}`);
  for (const re of Array.isArray(expected.message) ? expected.message : [expected.message]) {
    assert.match(e.message, re);
  }
  return e;
}

const x1 = (l = 8, c = 1, n = 1) => zeros([n, c, l]);
const x2 = (h = 8, w = 8, c = 1, n = 1) => zeros([n, c, h, w]);
const x3 = (d = 6, h = 6, w = 6, c = 1, n = 1) => zeros([n, c, d, h, w]);

// ---------------------------------------------------------------------------------------------
// Input rank and sizes

test('wrong rank: max_pool2d wants a 3D or 4D (batch mode) input', () => {
  throwsPoolkit(() => pk.maxPool2d(zeros([5, 5]), { kernelSize: 2 }), {
    op: 'max_pool2d', arg: 'input',
    message: /^max_pool2d: Expected 3D or 4D \(batch mode\) tensor with optional 0 dim batch size for input, but got: \[5, 5\]$/,
  });
});

test('wrong rank: every family names its own op and the ranks it accepts', () => {
  throwsPoolkit(() => pk.maxPool1d(zeros([1, 1, 1, 4]), { kernelSize: 2 }), { op: 'max_pool1d', arg: 'input', message: /Expected 2D or 3D \(batch mode\) tensor/ });
  throwsPoolkit(() => pk.avgPool3d(zeros([1, 4, 4]), { kernelSize: 2 }), { op: 'avg_pool3d', arg: 'input', message: /Expected 4D or 5D \(batch mode\) tensor/ });
  throwsPoolkit(() => pk.lpPool2d(zeros([4]), 2, { kernelSize: 2 }), { op: 'lp_pool2d', arg: 'input', message: /Expected 3D or 4D/ });
  throwsPoolkit(() => pk.adaptiveAvgPool2d(zeros([1, 1, 1, 4, 4]), 2), { op: 'adaptive_avg_pool2d', arg: 'input', message: /3D or 4D/ });
  throwsPoolkit(() => pk.adaptiveMaxPool1d(zeros([4]), 2), { op: 'adaptive_max_pool1d', arg: 'input', message: /2D or 3D/ });
  throwsPoolkit(() => pk.fractionalMaxPool3d(zeros([4, 4, 4]), { kernelSize: 2, outputSize: 2 }), { op: 'fractional_max_pool3d', arg: 'input', message: /4D or 5D/ });
  throwsPoolkit(() => pk.maxUnpool2d(zeros([4, 4]), tensor(new Int32Array(16), [4, 4]), { kernelSize: 2 }), { op: 'max_unpool2d', arg: 'input', message: /3D or 4D/ });
});

test('empty non-batch dimension: only the batch may be 0', () => {
  throwsPoolkit(() => pk.maxPool2d(zeros([1, 0, 4, 4]), { kernelSize: 2 }), { op: 'max_pool2d', arg: 'input', message: /optional 0 dim batch size.*\[1, 0, 4, 4\]/ });
  throwsPoolkit(() => pk.avgPool1d(zeros([2, 0]), { kernelSize: 1 }), { op: 'avg_pool1d', arg: 'input', message: /\[2, 0\]/ });
  // The batch itself may be empty.
  assert.deepEqual([...pk.maxPool2d(zeros([0, 1, 4, 4]), { kernelSize: 2 }).shape], [0, 1, 2, 2]);
});

test('input must be a float32 tensor', () => {
  throwsPoolkit(() => pk.maxPool2d(tensor(new Int32Array(16), [1, 4, 4]) as unknown as Tensor, { kernelSize: 2 }), { op: 'max_pool2d', arg: 'input', message: /float32/ });
  throwsPoolkit(() => pk.avgPool1d([1, 2, 3] as unknown as Tensor, { kernelSize: 2 }), { op: 'avg_pool1d', arg: 'input', message: /Tensor/ });
});

// ---------------------------------------------------------------------------------------------
// kernelSize, stride, dilation

test('kernel size 0: "kernel size should be greater than zero"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: [0, 2] }), {
    op: 'max_pool2d', arg: 'kernelSize', message: /^max_pool2d: kernel size should be greater than zero, but got kH: 0 kW: 2$/,
  });
  throwsPoolkit(() => pk.maxPool3d(x3(), { kernelSize: [0, 2, 2] }), {
    op: 'max_pool3d', arg: 'kernelSize', message: /^max_pool3d: kernel size should be greater than zero, but got kT: 0 kH: 2 kW: 2$/,
  });
  throwsPoolkit(() => pk.avgPool1d(x1(), { kernelSize: 0 }), { op: 'avg_pool1d', arg: 'kernelSize', message: /kernel.size .*greater than zero/ });
});

test('negative kernel size: "kernel size should be greater than zero"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: -2 }), {
    op: 'max_pool2d', arg: 'kernelSize', message: /kernel size should be greater than zero, but got kH: -2 kW: -2/,
  });
  throwsPoolkit(() => pk.lpPool3d(x3(), 2, { kernelSize: [2, -1, 2] }), { op: 'lp_pool3d', arg: 'kernelSize', message: /greater than zero/ });
});

test('non-integer kernel size: "kernelSize must be an int or a tuple of 2 integers"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 2.5 }), {
    op: 'max_pool2d', arg: 'kernelSize', message: /^max_pool2d: kernelSize must be an int or a tuple of 2 integers, but got 2\.5$/,
  });
  throwsPoolkit(() => pk.avgPool3d(x3(), { kernelSize: [2, 2, 1.5] }), { op: 'avg_pool3d', arg: 'kernelSize', message: [/kernelSize/, /1\.5/] });
});

test('kernel tuple of the wrong length', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: [2, 2, 2] }), { op: 'max_pool2d', arg: 'kernelSize', message: [/kernelSize/, /tuple of 2/] });
  throwsPoolkit(() => pk.maxPool3d(x3(), { kernelSize: [2, 2] }), { op: 'max_pool3d', arg: 'kernelSize', message: [/kernelSize/, /tuple of 3/] });
});

test('stride 0: "stride should be greater than zero"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 2, stride: [0, 1] }), {
    op: 'max_pool2d', arg: 'stride', message: /^max_pool2d: stride should be greater than zero, but got dH: 0 dW: 1$/,
  });
  throwsPoolkit(() => pk.avgPool1d(x1(), { kernelSize: 2, stride: 0 }), { op: 'avg_pool1d', arg: 'stride', message: /stride should be greater than zero/ });
  throwsPoolkit(() => pk.maxUnpool2d(zeros([1, 1, 2, 2]), tensor(new Int32Array(4), [1, 1, 2, 2]), { kernelSize: 2, stride: 0 }),
    { op: 'max_unpool2d', arg: 'stride', message: /stride/ });
});

test('dilation 0: "dilation should be greater than zero"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 2, dilation: 0 }), {
    op: 'max_pool2d', arg: 'dilation', message: /^max_pool2d: dilation should be greater than zero, but got dilationH: 0 dilationW: 0$/,
  });
  throwsPoolkit(() => pk.maxPool1d(x1(), { kernelSize: 2, dilation: -1 }), { op: 'max_pool1d', arg: 'dilation', message: /dilation should be greater than zero/ });
});

// ---------------------------------------------------------------------------------------------
// Padding

test('negative padding: "pad must be non-negative"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 2, padding: -1 }), {
    op: 'max_pool2d', arg: 'padding', message: /^max_pool2d: pad must be non-negative, but got pad: -1, -1$/,
  });
  throwsPoolkit(() => pk.avgPool2d(x2(), { kernelSize: 3, padding: [1, -1] }), { op: 'avg_pool2d', arg: 'padding', message: /pad must be non-negative/ });
  throwsPoolkit(() => pk.maxPool1d(x1(), { kernelSize: 3, padding: [[-1, 0]] }), { op: 'max_pool1d', arg: 'padding', message: /non-negative/ });
});

test('padding over half the effective kernel: "pad should be at most half of effective kernel size"', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 2, padding: 3 }), {
    op: 'max_pool2d', arg: 'padding',
    message: /^max_pool2d: pad should be at most half of effective kernel size, but got pad=3, kernel_size=2 and dilation=1$/,
  });
  // Effective kernel (3 − 1)·2 + 1 = 5: pad 3 > 2.5 is refused …
  throwsPoolkit(() => pk.maxPool1d(x1(12), { kernelSize: 3, dilation: 2, padding: 3 }), {
    op: 'max_pool1d', arg: 'padding', message: /pad should be at most half of effective kernel size, but got pad=3, kernel_size=3 and dilation=2/,
  });
  // … while pad 2 ≤ 2.5 is accepted (PyTorch ≥ 2.0 checks the effective kernel, not the kernel).
  assert.deepEqual([...pk.maxPool1d(x1(12), { kernelSize: 3, dilation: 2, padding: 2 }).shape], [1, 1, 4]);
});

test('average and Lp pooling: padding over half the kernel', () => {
  throwsPoolkit(() => pk.avgPool2d(x2(), { kernelSize: 3, padding: 2 }), { op: 'avg_pool2d', arg: 'padding', message: /pad should be .*half of .*kernel size/ });
  throwsPoolkit(() => pk.avgPool3d(x3(), { kernelSize: [2, 4, 2], padding: [1, 2, 2] }), { op: 'avg_pool3d', arg: 'padding', message: /half of .*kernel size.*pad=2, kernel_size=2/ });
  throwsPoolkit(() => pk.lpPool1d(x1(), 2, { kernelSize: 2, padding: 2 }), { op: 'lp_pool1d', arg: 'padding', message: /half of .*kernel size/ });
});

test('explicit pad at least the effective kernel is refused', () => {
  throwsPoolkit(() => pk.maxPool1d(x1(), { kernelSize: 2, padding: [[2, 0]] }), {
    op: 'max_pool1d', arg: 'padding', message: [/pad/, /effective kernel/, /pad=2/, /kernel_size=2/],
  });
  throwsPoolkit(() => pk.avgPool2d(x2(), { kernelSize: 3, padding: [[0, 0], [1, 3]] }), {
    op: 'avg_pool2d', arg: 'padding', message: [/effective kernel/, /pad=3/, /kernel_size=3/],
  });
  // With dilation the bound is the effective kernel: (2 − 1)·3 + 1 = 4 admits 3.
  assert.deepEqual([...pk.maxPool1d(x1(), { kernelSize: 2, dilation: 3, padding: [[3, 0]] }).shape], [1, 1, 4]);
});

test('explicit padding needs one [begin, end] pair per spatial dimension', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 3, padding: [[1, 1]] }), { op: 'max_pool2d', arg: 'padding', message: /pair/ });
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 3, padding: [[1, 1, 1], [0, 0]] as unknown as pk.Padding }), { op: 'max_pool2d', arg: 'padding', message: /pair/ });
});

test('unknown padding string', () => {
  throwsPoolkit(() => pk.maxPool2d(x2(), { kernelSize: 3, padding: 'full' as pk.Padding }), {
    op: 'max_pool2d', arg: 'padding', message: [/"full"/, /'same'/, /'valid'/],
  });
});

// ---------------------------------------------------------------------------------------------
// Output size

test('output smaller than 1: "Output size is too small"', () => {
  throwsPoolkit(() => pk.maxPool2d(zeros([1, 8, 8]), { kernelSize: 9 }), {
    op: 'max_pool2d', arg: 'input',
    message: /^max_pool2d: Given input size: \(1x8x8\)\. Calculated output size: \(1x0x0\)\. Output size is too small$/,
  });
  // The batch is not part of PyTorch's "input size".
  throwsPoolkit(() => pk.avgPool2d(zeros([2, 3, 4, 8]), { kernelSize: [5, 2] }), {
    op: 'avg_pool2d', arg: 'input', message: /Given input size: \(3x4x8\)\. Calculated output size: \(3x0x4\)\. Output size is too small/,
  });
  throwsPoolkit(() => pk.maxPool1d(x1(4), { kernelSize: 3, dilation: 2 }), { op: 'max_pool1d', arg: 'input', message: /Output size is too small/ });
  throwsPoolkit(() => pk.lpPool3d(x3(2, 6, 6), 2, { kernelSize: 3 }), { op: 'lp_pool3d', arg: 'input', message: /Output size is too small/ });
});

// ---------------------------------------------------------------------------------------------
// Average pooling options

test('divisorOverride 0: "divisor must be not zero"', () => {
  throwsPoolkit(() => pk.avgPool2d(x2(), { kernelSize: 2, divisorOverride: 0 }), {
    op: 'avg_pool2d', arg: 'divisorOverride', message: /^avg_pool2d: divisor must be not zero$/,
  });
  throwsPoolkit(() => pk.avgPool1d(x1(), { kernelSize: 2, divisorOverride: 0 }), { op: 'avg_pool1d', arg: 'divisorOverride', message: /divisor must be not zero/ });
  throwsPoolkit(() => pk.avgPool3d(x3(), { kernelSize: 2, divisorOverride: 0 }), { op: 'avg_pool3d', arg: 'divisorOverride', message: /divisor must be not zero/ });
});

test('non-integer divisorOverride', () => {
  throwsPoolkit(() => pk.avgPool2d(x2(), { kernelSize: 2, divisorOverride: 2.5 }), { op: 'avg_pool2d', arg: 'divisorOverride', message: [/divisor_override|divisorOverride/, /2\.5/] });
});

// ---------------------------------------------------------------------------------------------
// Non-finite option values

test('NaN and Infinity in window options are refused, naming the option', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['max_pool2d', () => pk.maxPool2d(x2(), { kernelSize: Number.NaN }), 'kernelSize', /NaN/],
    ['max_pool2d', () => pk.maxPool2d(x2(), { kernelSize: [2, Number.POSITIVE_INFINITY] }), 'kernelSize', /Infinity/],
    ['avg_pool1d', () => pk.avgPool1d(x1(), { kernelSize: 2, stride: Number.POSITIVE_INFINITY }), 'stride', /Infinity/],
    ['max_pool3d', () => pk.maxPool3d(x3(), { kernelSize: 2, stride: [1, Number.NaN, 1] }), 'stride', /NaN/],
    ['max_pool1d', () => pk.maxPool1d(x1(), { kernelSize: 2, dilation: Number.NaN }), 'dilation', /NaN/],
    ['max_pool2d', () => pk.maxPool2d(x2(), { kernelSize: 3, padding: Number.NaN }), 'padding', /NaN/],
    ['avg_pool2d', () => pk.avgPool2d(x2(), { kernelSize: 3, padding: [[0, Number.POSITIVE_INFINITY], [0, 0]] }), 'padding', /Infinity/],
    ['lp_pool2d', () => pk.lpPool2d(x2(), 2, { kernelSize: 2, dilation: Number.NEGATIVE_INFINITY }), 'dilation', /-Infinity/],
    ['avg_pool2d', () => pk.avgPool2d(x2(), { kernelSize: 2, divisorOverride: Number.NaN }), 'divisorOverride', /NaN/],
    ['avg_pool2d', () => pk.avgPool2d(x2(), { kernelSize: 2, divisorOverride: Number.POSITIVE_INFINITY }), 'divisorOverride', /Infinity/],
  ];
  for (const [op, fn, arg, value] of cases) throwsPoolkit(fn, { op, arg, message: [new RegExp(arg === 'divisorOverride' ? 'divisor' : arg === 'padding' ? 'pad' : arg), value] });
});

test('NaN and Infinity in adaptive, fractional and unpool sizes are refused', () => {
  throwsPoolkit(() => pk.adaptiveAvgPool2d(x2(), [Number.NaN, 2]), { op: 'adaptive_avg_pool2d', arg: 'outputSize', message: [/output_size/, /NaN/] });
  throwsPoolkit(() => pk.adaptiveMaxPool1d(x1(), Number.POSITIVE_INFINITY), { op: 'adaptive_max_pool1d', arg: 'outputSize', message: [/output_size/, /Infinity/] });
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2, outputSize: [Number.NaN, 3] }), { op: 'fractional_max_pool2d', arg: 'outputSize', message: /NaN/ });
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2, outputRatio: Number.NaN }), { op: 'fractional_max_pool2d', arg: 'outputRatio', message: [/output_ratio/, /NaN/] });
  throwsPoolkit(() => pk.maxUnpool1d(zeros([1, 1, 2]), tensor(new Int32Array(2), [1, 1, 2]), { kernelSize: 2, outputSize: [Number.NaN] }),
    { op: 'max_unpool1d', arg: 'outputSize', message: [/output_size/, /NaN/] });
});

// ---------------------------------------------------------------------------------------------
// Max unpooling

const pooled2d = () => pk.maxPool2dWithIndices(tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]), { kernelSize: 2 });

test('unpool index out of range: "Found an invalid max index"', () => {
  const { output } = pooled2d();
  const indices = tensor(new Int32Array([0, 3, 99, 15]), [1, 1, 2, 2]);
  throwsPoolkit(() => pk.maxUnpool2d(output, indices, { kernelSize: 2 }), {
    op: 'max_unpool2d', arg: 'indices', message: /^max_unpool2d: Found an invalid max index: 99 \(output volumes are of size 4x4\)$/,
  });
  const negative = tensor(new Int32Array([0, -1, 2, 3]), [1, 1, 2, 2]);
  throwsPoolkit(() => pk.maxUnpool2d(output, negative, { kernelSize: 2 }), { op: 'max_unpool2d', arg: 'indices', message: /Found an invalid max index: -1/ });
  // The first index past the plane, 16, is already out of range.
  throwsPoolkit(() => pk.maxUnpool2d(output, tensor(new Int32Array([0, 1, 2, 16]), [1, 1, 2, 2]), { kernelSize: 2 }),
    { op: 'max_unpool2d', arg: 'indices', message: /invalid max index: 16/ });
  throwsPoolkit(() => pk.maxUnpool1d(zeros([1, 1, 2]), tensor(new Int32Array([0, 4]), [1, 1, 2]), { kernelSize: 2 }),
    { op: 'max_unpool1d', arg: 'indices', message: /Found an invalid max index: 4 \(output volumes are of size 4\)/ });
  throwsPoolkit(() => pk.maxUnpool3d(zeros([1, 1, 1, 1]), tensor(new Int32Array([8]), [1, 1, 1, 1]), { kernelSize: 2 }),
    { op: 'max_unpool3d', arg: 'indices', message: /Found an invalid max index: 8 \(output volumes are of size 2x2x2\)/ });
});

test('unpool indices of the wrong shape', () => {
  const { output } = pooled2d();
  throwsPoolkit(() => pk.maxUnpool2d(output, tensor(new Int32Array(2), [1, 1, 1, 2]), { kernelSize: 2 }), {
    op: 'max_unpool2d', arg: 'indices', message: /Expected shape of indices to be same as that of the input tensor/,
  });
  throwsPoolkit(() => pk.maxUnpool2d(output, tensor(new Int32Array(4), [1, 2, 2]), { kernelSize: 2 }), {
    op: 'max_unpool2d', arg: 'indices', message: /shape of indices.*\[1, 2, 2\]/,
  });
});

test('unpool indices that are not an int32 tensor', () => {
  const { output, indices } = pooled2d();
  const asFloat = new Tensor(Float32Array.from(indices.data), indices.shape) as unknown as Tensor<Int32Array>;
  throwsPoolkit(() => pk.maxUnpool2d(output, asFloat, { kernelSize: 2 }), { op: 'max_unpool2d', arg: 'indices', message: [/indices/, /int32/] });
  throwsPoolkit(() => pk.maxUnpool2d(output, [0, 1, 2, 3] as unknown as Tensor<Int32Array>, { kernelSize: 2 }), { op: 'max_unpool2d', arg: 'indices', message: /int32/ });
});

test('unpool outputSize outside (default − stride, default + stride) or of the wrong length', () => {
  const { output, indices } = pooled2d();
  throwsPoolkit(() => pk.maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [6, 4] }), {
    op: 'max_unpool2d', arg: 'outputSize', message: [/invalid output_size/, /between 2 and 6/],
  });
  throwsPoolkit(() => pk.maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [4, 4, 4] }), {
    op: 'max_unpool2d', arg: 'outputSize', message: /output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'/,
  });
});

// ---------------------------------------------------------------------------------------------
// Adaptive pooling

test('adaptive output size below 1: "elements of output_size must be greater than or equal to 1"', () => {
  throwsPoolkit(() => pk.adaptiveAvgPool2d(x2(), [0, 0]), {
    op: 'adaptive_avg_pool2d', arg: 'outputSize', message: /^adaptive_avg_pool2d: elements of output_size must be greater than or equal to 1 but received \[0, 0\]$/,
  });
  throwsPoolkit(() => pk.adaptiveMaxPool3d(x3(), [2, -1, 2]), { op: 'adaptive_max_pool3d', arg: 'outputSize', message: /greater than or equal to 1/ });
  throwsPoolkit(() => pk.adaptiveAvgPool1d(x1(), 0), { op: 'adaptive_avg_pool1d', arg: 'outputSize', message: /greater than or equal to 1/ });
  throwsPoolkit(() => pk.adaptiveMaxPool2dWithIndices(x2(), [3, 0]), { op: 'adaptive_max_pool2d', arg: 'outputSize', message: /greater than or equal to 1/ });
});

test('adaptive output size tuple of the wrong length', () => {
  throwsPoolkit(() => pk.adaptiveAvgPool2d(x2(), [2, 2, 2]), { op: 'adaptive_avg_pool2d', arg: 'outputSize', message: /output_size/ });
  throwsPoolkit(() => pk.adaptiveMaxPool3d(x3(), [2, 2]), { op: 'adaptive_max_pool3d', arg: 'outputSize', message: /output_size/ });
  throwsPoolkit(() => pk.adaptiveAvgPool1d(x1(), [2, null]), { op: 'adaptive_avg_pool1d', arg: 'outputSize', message: /output_size/ });
});

test('adaptive output size that is not an integer', () => {
  throwsPoolkit(() => pk.adaptiveAvgPool2d(x2(), [2.5, 2]), { op: 'adaptive_avg_pool2d', arg: 'outputSize', message: [/output_size/, /2\.5/] });
});

// ---------------------------------------------------------------------------------------------
// Fractional max pooling

const samples2d = (values: number[], shape = [1, 1, 2]) => new Tensor(Float32Array.from(values), shape);

test('fractional kernel too large for the output and input: "pool height 3 too large relative to input height 8"', () => {
  // out + k − 1 must not exceed the input: 7 + 3 − 1 = 9 > 8.
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(8, 8), { kernelSize: 3, outputSize: [7, 4] }), {
    op: 'fractional_max_pool2d', arg: 'kernelSize', message: /^fractional_max_pool2d: pool height 3 too large relative to input height 8/,
  });
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(8, 6), { kernelSize: [2, 3], outputSize: [4, 5] }), {
    op: 'fractional_max_pool2d', arg: 'kernelSize', message: /pool width 3 too large relative to input width 6/,
  });
  // 2-D allows out + k − 1 = in exactly (ATen: `outputH + poolSizeH - 1 <= inputH`).
  assert.deepEqual([...pk.fractionalMaxPool2d(x2(8, 8), { kernelSize: 3, outputSize: 6 }).shape], [1, 1, 6, 6]);
});

test('fractional_max_pool3d: pool too large relative to the input (every dimension named)', () => {
  throwsPoolkit(() => pk.fractionalMaxPool3d(x3(6, 6, 6), { kernelSize: [3, 2, 2], outputSize: [5, 2, 2] }), {
    op: 'fractional_max_pool3d', arg: 'kernelSize', message: /pool time 3 too large relative to input time 6/,
  });
  throwsPoolkit(() => pk.fractionalMaxPool3d(x3(6, 6, 6), { kernelSize: 2, outputSize: [2, 6, 2] }), {
    op: 'fractional_max_pool3d', arg: 'kernelSize', message: /pool height 2 too large relative to input height 6/,
  });
});

test('fractional_max_pool3d: out + k − 1 must be strictly below the input, as ATen checks in 3-D', () => {
  // ATen FractionalMaxPool3d.cpp (meta function): TORCH_CHECK(outputT + poolSizeT - 1 < inputT,
  // "fractional_max_pool3d_out(): pool time ", poolSizeT, " too large relative to input time ", inputT)
  // — strict, unlike the 2-D check. So torch.nn.functional.fractional_max_pool3d(x[1,1,6,6,6],
  // kernel_size=2, output_size=(5,2,2)) raises.
  throwsPoolkit(() => pk.fractionalMaxPool3d(x3(6, 6, 6), { kernelSize: 2, outputSize: [5, 2, 2] }), {
    op: 'fractional_max_pool3d', arg: 'kernelSize', message: /pool time 2 too large relative to input time 6/,
  });
});

test('fractional outputRatio outside (0, 1): "output_ratio must be between 0 and 1"', () => {
  for (const ratio of [0, 1, 1.5, -0.5]) {
    throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2, outputRatio: ratio }), {
      op: 'fractional_max_pool2d', arg: 'outputRatio', message: /output_ratio must be between 0 and 1/,
    });
  }
  throwsPoolkit(() => pk.fractionalMaxPool3d(x3(), { kernelSize: 2, outputRatio: [0.5, 1, 0.5] }), {
    op: 'fractional_max_pool3d', arg: 'outputRatio', message: /output_ratio must be between 0 and 1/,
  });
});

test('fractional outputRatio giving an output below 1', () => {
  // floor(4 · 0.2) = 0.
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(4, 4), { kernelSize: 1, outputRatio: 0.2 }), {
    op: 'fractional_max_pool2d', arg: ['outputRatio', 'outputSize'], message: /output.size/,
  });
});

test('fractional needs exactly one of outputSize and outputRatio', () => {
  // torch/nn/functional.py: "fractional_max_pool2d requires specifying either an output_size or an output_ratio".
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2 }), {
    op: 'fractional_max_pool2d', arg: ['outputSize', 'outputRatio'], message: /requires specifying either an output_size or an output_ratio/,
  });
  throwsPoolkit(() => pk.fractionalMaxPool3d(x3(), { kernelSize: 2, outputSize: 4, outputRatio: 0.5 }), {
    op: 'fractional_max_pool3d', arg: ['outputSize', 'outputRatio'], message: /output_size.*output_ratio/,
  });
});

test('fractional kernel size 0', () => {
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: [2, 0], outputSize: 3 }), { op: 'fractional_max_pool2d', arg: 'kernelSize', message: /greater than zero/ });
});

test('randomSamples of the wrong shape', () => {
  // (N, C, 2) for 2-D: here N = 2, C = 3.
  const x = zeros([2, 3, 8, 8]);
  const expected = { op: 'fractional_max_pool2d', arg: 'randomSamples', message: [/random.samples/i, /\[2, 3, 2\]/] };
  throwsPoolkit(() => pk.fractionalMaxPool2d(x, { kernelSize: 2, outputSize: 4, randomSamples: samples2d(new Array(6).fill(0.5), [2, 3]) }), expected);
  throwsPoolkit(() => pk.fractionalMaxPool2d(x, { kernelSize: 2, outputSize: 4, randomSamples: samples2d(new Array(12).fill(0.5), [2, 2, 3]) }), expected);
  throwsPoolkit(() => pk.fractionalMaxPool2d(x, { kernelSize: 2, outputSize: 4, randomSamples: samples2d(new Array(6).fill(0.5), [1, 3, 2]) }), expected);
  throwsPoolkit(() => pk.fractionalMaxPool2d(x, { kernelSize: 2, outputSize: 4, randomSamples: samples2d(new Array(18).fill(0.5), [2, 3, 3]) }), expected);
  // Batchless input: N is 1.
  throwsPoolkit(() => pk.fractionalMaxPool3d(zeros([2, 6, 6, 6]), { kernelSize: 2, outputSize: 3, randomSamples: samples2d(new Array(4).fill(0.5), [1, 2, 2]) }),
    { op: 'fractional_max_pool3d', arg: 'randomSamples', message: [/random.samples/i, /\[1, 2, 3\]/] });
});

test('randomSamples outside [0, 1)', () => {
  for (const bad of [1, 1.5, -0.25, Number.NaN]) {
    throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2, outputSize: 4, randomSamples: samples2d([0.5, bad]) }), {
      op: 'fractional_max_pool2d', arg: 'randomSamples', message: [/random.samples/i, /\[0, 1\)/],
    });
  }
});

test('randomSamples that are not a float32 tensor', () => {
  const ints = new Tensor(new Int32Array(2), [1, 1, 2]) as unknown as Tensor;
  throwsPoolkit(() => pk.fractionalMaxPool2d(x2(), { kernelSize: 2, outputSize: 4, randomSamples: ints }), {
    op: 'fractional_max_pool2d', arg: 'randomSamples', message: /float32/,
  });
});

// ---------------------------------------------------------------------------------------------
// Lp pooling

test('lpPool normType 0 or negative is refused', () => {
  for (const p of [0, -1, -2.5]) {
    throwsPoolkit(() => pk.lpPool2d(x2(), p, { kernelSize: 2 }), { op: 'lp_pool2d', arg: 'normType', message: [/norm_type|normType/, new RegExp(String(p).replace('.', '\\.'))] });
  }
  throwsPoolkit(() => pk.lpPool1d(x1(), 0, { kernelSize: 2 }), { op: 'lp_pool1d', arg: 'normType', message: /norm_type|normType/ });
});

test('lpPool normType NaN or Infinity is refused', () => {
  for (const p of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    throwsPoolkit(() => pk.lpPool3d(x3(), p, { kernelSize: 2 }), { op: 'lp_pool3d', arg: 'normType', message: [/norm_type|normType/, new RegExp(String(p))] });
  }
});

// ---------------------------------------------------------------------------------------------
// Modules report the same errors as the functions

test('nn modules throw the functional errors', () => {
  throwsPoolkit(() => new pk.MaxPool2d({ kernelSize: 2, padding: 3 }).forward(x2()), { op: 'max_pool2d', arg: 'padding', message: /at most half of effective kernel size/ });
  throwsPoolkit(() => new pk.AvgPool1d({ kernelSize: 2, divisorOverride: 0 }).forward(x1()), { op: 'avg_pool1d', arg: 'divisorOverride', message: /divisor must be not zero/ });
  throwsPoolkit(() => new pk.LPPool2d(0, { kernelSize: 2 }).forward(x2()), { op: 'lp_pool2d', arg: 'normType', message: /norm_type|normType/ });
  throwsPoolkit(() => new pk.AdaptiveAvgPool2d([0, 1]).forward(x2()), { op: 'adaptive_avg_pool2d', arg: 'outputSize', message: /greater than or equal to 1/ });
});
