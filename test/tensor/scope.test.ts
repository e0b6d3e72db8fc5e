// scope() and dispose(): inside a scope op outputs live in the kernels' shared memory (kernels
// take them by address), everything not returned is freed when the scope ends, freed storage is
// reused, and reading a freed tensor throws instead of returning someone else's numbers.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PoolkitError } from '../../src/errors.js';
import { addressOf, memoryIsShared, memoryStats } from '../../src/kernels/wasm/loader.js';
import { conv2d } from '../../src/ops/conv.js';
import { relu, sum } from '../../src/ops/elementwise.js';
import { maxPool2d } from '../../src/pool/max_pool.js';
import { zeros } from '../../src/tensor/create.js';
import { scope } from '../../src/tensor/scope.js';
import { inKernelMemory, scopeDepth } from '../../src/tensor/storage.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const shared = memoryIsShared();

function filled(shape: number[], requiresGrad = false): Tensor {
  const t = zeros(shape, { requiresGrad });
  for (let i = 0; i < t.size; i++) t.data[i] = Math.sin(i * 0.37) * 3;
  return t;
}

describe('scope()', { skip: !shared && 'no shared WebAssembly memory here' }, () => {
  test('op outputs made inside live in the kernels\' memory; outside, on the JS heap', () => {
    const outside = relu(filled([4, 100]));
    assert.equal(inKernelMemory(outside.data), false);
    assert.equal(addressOf(outside.data), -1);
    scope(() => {
      const y = relu(filled([4, 100]));
      assert.equal(inKernelMemory(y.data), true);
      assert.ok(addressOf(y.data) > 0);
    });
  });

  test('what fn does not return is freed, and reading it throws a PoolkitError', () => {
    let leaked: Tensor | undefined;
    const kept = scope(() => {
      leaked = relu(filled([8, 64]));
      return relu(filled([8, 64]));
    });
    assert.throws(() => leaked!.data, (e: unknown) => e instanceof PoolkitError && /freed/.test((e as Error).message));
    assert.equal(leaked!.isDisposed, true);
    assert.equal(kept.isDisposed, false);
    assert.equal(kept.data[1], Math.max(0, Math.fround(Math.sin(0.37) * 3)));
  });

  test('tensors inside returned arrays and objects are kept; nested scopes hand kept storage outward', () => {
    scope(() => {
      const inner = scope(() => ({ a: [relu(filled([2, 64]))], b: relu(filled([3, 64])) }));
      assert.equal(scopeDepth(), 1);
      assert.equal(inner.a[0]!.isDisposed, false);
      assert.equal(inner.b.isDisposed, false);
      return null;
    });
  });

  test('a step in a loop reuses the memory of the last: nothing is left allocated', () => {
    const x = filled([16, 8, 12, 12]);
    const step = () => scope(() => {
      const y = maxPool2d(x, { kernelSize: 2 });
      return y.data[0]!;
    });
    step();
    const before = memoryStats();
    for (let i = 0; i < 20; i++) step();
    const after = memoryStats();
    assert.equal(after.allocated, before.allocated);
    assert.equal(after.top, before.top);
  });

  test('a throwing fn still frees what it made, and the error passes through', () => {
    const before = memoryStats().allocated;
    assert.throws(() => scope(() => {
      relu(filled([32, 64]));
      throw new Error('boom');
    }), /boom/);
    assert.equal(memoryStats().allocated, before);
    assert.equal(scopeDepth(), 0);
  });

  test('dispose() frees at once; views of the storage are freed with it', () => {
    scope(() => {
      const y = relu(filled([4, 64]));
      const v = y.detach();
      y.dispose();
      assert.throws(() => v.data, PoolkitError);
      y.dispose(); // twice is harmless
    });
  });

  test('storage reused from a freed tensor is overwritten: ops that need no zeros (conv2d with a bias, pooling) do not read the old values', () => {
    const x = filled([2, 3, 9, 9]), w = filled([4, 3, 3, 3]), b = filled([4]);
    const expected = { conv: Float32Array.from(conv2d(x, w, b, { padding: 1 }).data), pool: Float32Array.from(maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }).data) };
    scope(() => {
      for (const [name, size, run] of [
        ['conv', expected.conv.length, () => conv2d(x, w, b, { padding: 1 })],
        ['pool', expected.pool.length, () => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 })],
      ] as const) {
        const junk = zeros([size]);
        junk.data.fill(NaN);
        const at = addressOf(junk.data);
        junk.dispose();
        const y = run();
        assert.equal(addressOf(y.data), at, `${name}: the output reuses the freed block`);
        assert.deepEqual(y.data, expected[name], name);
      }
    });
  });

  test('backward through a graph whose storage a scope freed throws instead of reading it', () => {
    const x = filled([2, 1, 8, 8], true);
    const y = scope(() => sum(maxPool2d(relu(x), { kernelSize: 2 })));
    assert.throws(() => y.backward(), PoolkitError);
  });

  test('gradients of JS-heap leaves (parameters) stay on the JS heap and outlive the scope', () => {
    const w = filled([4, 64], true);
    scope(() => {
      sum(relu(w)).backward();
    });
    assert.equal(inKernelMemory(w.grad!.data), false);
    assert.equal(w.grad!.data[1], Math.sin(0.37) * 3 > 0 ? 1 : 0);
  });
});
