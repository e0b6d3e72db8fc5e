import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as pk from '../../src/index.js';
import { distinctTensor, gradcheck } from '../helpers/gradcheck.js';

const small = (shape: number[], seed: number) => distinctTensor(shape, { seed, offset: 0.05 - 0.05 * shape.reduce((a, b) => a * b, 1), spacing: 0.1 });

describe('finite-difference gradients of the training ops', () => {
  test('conv2d: stride, padding, dilation and groups, for input, weight and bias', () => {
    const x = small([2, 4, 6, 5], 1), w = small([6, 2, 3, 2], 2), b = small([6], 3);
    gradcheck((x, w, b) => pk.conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }), [x, w, b], { eps: 1e-2, rtol: 3e-2, atol: 3e-2 });
  });

  test("conv2d: padding 'same' puts the odd pixel at the end", () => {
    const x = small([1, 2, 5, 5], 4), w = small([3, 2, 2, 4], 5);
    const y = pk.conv2d(x, w, null, { padding: 'same' });
    assert.deepEqual(y.shape, [1, 3, 5, 5]);
    gradcheck((x, w) => pk.conv2d(x, w, null, { padding: 'same' }), [x, w], { rtol: 3e-2, atol: 3e-2 });
  });

  test('conv2d without a batch dimension', () => {
    gradcheck((x, w) => pk.conv2d(x, w), [small([2, 4, 4], 6), small([3, 2, 3, 3], 7)], { rtol: 3e-2, atol: 3e-2 });
  });

  test('linear and matmul', () => {
    gradcheck((x, w, b) => pk.linear(x, w, b), [small([3, 5], 8), small([4, 5], 9), small([4], 10)]);
    gradcheck((a, b) => pk.matmul(a, b), [small([3, 4], 11), small([4, 2], 12)]);
  });

  test('activations', () => {
    const x = small([2, 7], 13);
    for (const f of [pk.sigmoid, pk.tanh, (t: pk.Tensor) => pk.leakyRelu(t, 0.2), pk.relu]) gradcheck(f, x, { eps: 1e-3, rtol: 2e-2, atol: 1e-3 });
    gradcheck((t) => pk.softmax(t, 1), x, { eps: 1e-3 });
    gradcheck((t) => pk.logSoftmax(t, 0), x, { eps: 1e-3 });
  });

  test('cross-entropy with and without label smoothing, every reduction', () => {
    const y = pk.tensor([0, 3, 1], [3], { dtype: 'int32' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const labelSmoothing of [0, 0.1]) {
        gradcheck((x) => pk.crossEntropy(x, y, { reduction, labelSmoothing }), small([3, 4], 14), { eps: 1e-3, label: `${reduction} ${labelSmoothing}` });
      }
    }
    gradcheck((x) => pk.nllLoss(pk.logSoftmax(x, 1), y), small([3, 4], 15), { eps: 1e-3 });
  });
});

describe('loss and layer errors name what is wrong', () => {
  test('a target outside the classes is refused as PyTorch words it', () => {
    assert.throws(() => pk.crossEntropy(pk.zeros([2, 3]), pk.tensor([0, 3], [2], { dtype: 'int32' })), /cross_entropy: Target 3 is out of bounds\./);
  });

  test('a Linear(400, …) fed 256 features says so and names the layer', () => {
    const model = pk.lenet5();
    assert.throws(() => model.fc1.forward(pk.zeros([2, 256])), (e: unknown) => {
      assert.ok(e instanceof pk.PoolkitError);
      assert.match(e.message, /fc1/);
      assert.match(e.message, /expects 400 input features but got 256/);
      return true;
    });
  });

  test('conv2d: input channels must match the weight', () => {
    assert.throws(() => pk.conv2d(pk.zeros([1, 3, 8, 8]), pk.zeros([6, 1, 5, 5])), /expected input\[1, 3, 8, 8\] to have 1 channels, but got 3 channels instead/);
  });

  test("conv2d: padding 'same' refuses strides", () => {
    assert.throws(() => pk.conv2d(pk.zeros([1, 1, 8, 8]), pk.zeros([1, 1, 3, 3]), null, { padding: 'same', stride: 2 }), /padding='same' is not supported for strided convolutions/);
  });

  test('conv2d: a kernel larger than the padded input', () => {
    assert.throws(() => pk.conv2d(pk.zeros([1, 1, 3, 3]), pk.zeros([1, 1, 5, 5])), /Kernel size can't be greater than actual input size/);
  });

  test('dropout scales kept elements by 1/(1-p) in training and is the identity in eval', () => {
    const x = pk.ones([1000]);
    const y = pk.dropout(x, 0.25, true, new pk.Generator(3));
    const kept = [...y.data].filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6));
    assert.ok(kept.length > 700 && kept.length < 800, `kept ${kept.length}`);
    assert.deepEqual([...pk.dropout(x, 0.25, false).data], [...x.data]);
  });
});
