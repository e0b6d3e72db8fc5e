import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as pk from '../../src/index.js';

describe('tensor', () => {
  test('nested arrays give their shape, flat data takes the given one', () => {
    const a = pk.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
    const b = pk.tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    assert.deepEqual(b.toArray(), [[[[1, 2], [3, 4]]]]);
  });

  test('a shape that does not match the data is refused with both sizes', () => {
    assert.throws(() => pk.tensor([1, 2, 3], [2, 2]), (e: unknown) => e instanceof pk.PoolkitError && /shape \[2, 2\] is invalid for input of size 3/.test(e.message));
  });

  test('ragged nested arrays are refused', () => {
    assert.throws(() => pk.tensor([[1, 2], [3]]), /rectangular/);
  });

  test('int32 tensors hold Int32Array and refuse non-integers and gradients', () => {
    const i = pk.tensor([0, 3], [2], { dtype: 'int32' });
    assert.ok(i.data instanceof Int32Array);
    assert.equal(i.dtype, 'int32');
    assert.throws(() => pk.tensor([0.5], [1], { dtype: 'int32' }), /int32 tensors hold integers/);
    assert.throws(() => pk.tensor([1], [1], { dtype: 'int32', requiresGrad: true }), /only floating point tensors can require gradients/);
  });

  test('float data is stored as float32', () => {
    const t = pk.tensor([0.1]);
    assert.equal(t.data[0], Math.fround(0.1));
  });
});

describe('autograd', () => {
  test('gradients accumulate into leaves across backward calls, as in PyTorch', () => {
    const x = pk.tensor([1, 2, 3], [3], { requiresGrad: true });
    pk.sum(pk.mul(x, x)).backward();
    assert.deepEqual([...x.grad!.data], [2, 4, 6]);
    pk.sum(pk.mul(x, x)).backward();
    assert.deepEqual([...x.grad!.data], [4, 8, 12]);
  });

  test('a tensor used twice receives the sum of both paths', () => {
    const x = pk.tensor([2], [1], { requiresGrad: true });
    const y = pk.add(pk.mul(x, 3), pk.pow(x, 2)); // 3x + x^2 -> 3 + 2x
    y.backward();
    assert.equal(x.grad!.data[0], 7);
  });

  test('backward of a non-scalar needs an explicit gradient', () => {
    const x = pk.tensor([1, 2], [2], { requiresGrad: true });
    const y = pk.mul(x, 2);
    assert.throws(() => y.backward(), /grad can be implicitly created only for scalar outputs/);
    y.backward(pk.tensor([1, 10]));
    assert.deepEqual([...x.grad!.data], [2, 20]);
  });

  test('backward of a tensor that does not require grad is refused', () => {
    assert.throws(() => pk.sum(pk.tensor([1, 2])).backward(), /does not require grad/);
  });

  test('noGrad records no graph and restores the mode even when fn throws', () => {
    const x = pk.tensor([1, 2], [2], { requiresGrad: true });
    const y = pk.noGrad(() => pk.mul(x, 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(() => pk.noGrad(() => { throw new Error('boom'); }), /boom/);
    assert.equal(pk.isGradEnabled(), true);
  });

  test('a deep chain backpropagates without overflowing the stack', () => {
    const x = pk.tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = pk.add(y, 1);
    y.backward();
    assert.equal(x.grad!.data[0], 1);
  });

  test('detach cuts the graph but shares storage', () => {
    const x = pk.tensor([1, 2], [2], { requiresGrad: true });
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.data, x.data);
  });
});

describe('elementwise ops', () => {
  test('pow follows PyTorch: gradient g·p·x^(p−1), and 0 for exponent 0', () => {
    const x = pk.tensor([-2, 0.5, 3], [3], { requiresGrad: true });
    pk.sum(pk.pow(x, 3)).backward();
    assert.deepEqual([...x.grad!.data], [12, 0.75, 27]);
    const z = pk.tensor([0, 2], [2], { requiresGrad: true });
    pk.sum(pk.pow(z, 0)).backward();
    assert.deepEqual([...z.grad!.data], [0, 0]);
  });

  test('abs has gradient sign(x), 0 at 0; relu passes gradient only where the output is positive', () => {
    const x = pk.tensor([-2, 0, 3], [3], { requiresGrad: true });
    pk.sum(pk.abs(x)).backward();
    assert.deepEqual([...x.grad!.data], [-1, 0, 1]);
    const y = pk.tensor([-2, 0, 3], [3], { requiresGrad: true });
    pk.sum(pk.relu(y)).backward();
    assert.deepEqual([...y.grad!.data], [0, 0, 1]);
  });

  test('sign is -1/0/1 (0 for NaN, as torch.sign) with zero gradient; relu keeps NaN', () => {
    const x = pk.tensor([-5, 0, 7, NaN], [4], { requiresGrad: true });
    assert.deepEqual([...pk.sign(x).data], [-1, 0, 1, 0]);
    assert.ok(Number.isNaN(pk.relu(x).data[3]));
    pk.sum(pk.sign(x)).backward();
    assert.deepEqual([...x.grad!.data], [0, 0, 0, 0]);
  });

  test('sub, div and mean have the textbook gradients', () => {
    const a = pk.tensor([6, 8], [2], { requiresGrad: true });
    const b = pk.tensor([2, 4], [2], { requiresGrad: true });
    pk.mean(pk.div(pk.sub(a, 0), b)).backward();
    assert.deepEqual([...a.grad!.data], [0.25, 0.125]);
    assert.deepEqual([...b.grad!.data], [-0.75, -0.25]);
  });

  test('shapes must match exactly', () => {
    assert.throws(() => pk.add(pk.tensor([1, 2]), pk.tensor([1, 2, 3])), /The size of tensor a \[2\] must match the size of tensor b \[3\]/);
  });

  test('reshape infers one -1 and refuses impossible shapes', () => {
    const x = pk.tensor([1, 2, 3, 4, 5, 6], [6], { requiresGrad: true });
    const y = pk.reshape(x, [2, -1]);
    assert.deepEqual(y.shape, [2, 3]);
    pk.sum(pk.mul(y, 2)).backward();
    assert.deepEqual([...x.grad!.data], [2, 2, 2, 2, 2, 2]);
    assert.throws(() => pk.reshape(x, [4, -1]), /shape '\[4, -1\]' is invalid for input of size 6/);
    assert.throws(() => pk.reshape(x, [-1, -1]), /only one dimension can be inferred/);
  });
});

describe('Generator', () => {
  test('the same seed gives the same stream; another seed another one', () => {
    const a = new pk.Generator(42), b = new pk.Generator(42), c = new pk.Generator(43);
    const sa = Array.from({ length: 8 }, () => a.uniform());
    assert.deepEqual(sa, Array.from({ length: 8 }, () => b.uniform()));
    assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.uniform()));
    assert.ok(sa.every((u) => u >= 0 && u < 1 && Math.fround(u) === u));
  });

  test('uniform draws spread over [0, 1)', () => {
    const g = new pk.Generator(1);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 10000; i++) bins[Math.floor(g.uniform() * 10)]++;
    assert.ok(bins.every((n) => n > 850 && n < 1150), `bins ${bins}`);
  });
});
