// The worker pool: the same results, to the bit, at every thread count — pooling and ReLU split
// by planes and ranges, convolution by images with the weight gradient summed in fixed chunks —
// and a LeNet-5 trained a few steps at 1 and at 2 threads ends with identical parameters.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import '../../src/node.js'; // registers worker_threads as the spawner, as the package's Node entry does
import { PoolkitError } from '../../src/errors.js';
import { memoryIsShared } from '../../src/kernels/wasm/loader.js';
import { DataLoader, imageDataset } from '../../src/data/dataset.js';
import { lenet5 } from '../../src/models/lenet5.js';
import { conv2d } from '../../src/ops/conv.js';
import { relu, sum } from '../../src/ops/elementwise.js';
import { SGD } from '../../src/optim/sgd.js';
import { avgPool2d } from '../../src/pool/avg_pool.js';
import { maxPool2d } from '../../src/pool/max_pool.js';
import { zeros } from '../../src/tensor/create.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { scope } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { activeThreads, getNumThreads, runTasks, setNumThreads } from '../../src/threads/pool.js';
import { trainEpoch } from '../../src/train/loop.js';
import { assertBitsEqual } from '../helpers/parity.js';

const shared = memoryIsShared();

/** Starts the workers and waits until they have joined (they start asynchronously). */
async function threads(n: number): Promise<void> {
  setNumThreads(n);
  scope(() => relu(zeros([1 << 20]))); // the first split spawns the missing workers
  for (let i = 0; i < 500 && activeThreads() < n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(activeThreads(), n, `workers did not start`);
}

function filled(shape: number[], seed: number, requiresGrad = false): Tensor {
  const t = zeros(shape, { requiresGrad });
  let s = seed;
  for (let i = 0; i < t.size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    t.data[i] = ((s >>> 8) / (1 << 24)) * 4 - 2;
  }
  if (t.size > 10) t.data[7] = NaN; // NaN and ties travel the same way through every split
  if (t.size > 20) t.data[13] = t.data[12]!;
  return t;
}

describe('setNumThreads', () => {
  test('refuses what is not a thread count, in PyTorch\'s words', () => {
    for (const bad of [0, -1, 1.5, NaN, 1000]) {
      assert.throws(() => setNumThreads(bad), (e: unknown) => e instanceof PoolkitError && /Number of threads must be/.test((e as Error).message));
    }
  });
});

describe('the same bits at 1 and 2 threads', { skip: !shared && 'no shared WebAssembly memory here' }, () => {
  before(() => threads(2));
  after(() => setNumThreads(1));

  /** Runs f at 1 thread and at 2 and compares every array it returns. */
  async function same(name: string, f: () => Float32Array[]): Promise<void> {
    await threads(1);
    const one = scope(() => f().map((a) => a.slice()));
    await threads(2);
    const two = scope(() => f().map((a) => a.slice()));
    one.forEach((a, i) => assertBitsEqual(two[i]!, a, `${name} output ${i}`));
  }

  test('max and avg pooling, forward and backward, split by planes', async () => {
    const x = filled([8, 16, 64, 64], 1, true); // 3 MB: big enough to be split
    for (const [name, pool] of [['max', maxPool2d], ['avg', avgPool2d]] as const) {
      await same(name, () => {
        x.grad = null;
        const y = pool(x, { kernelSize: 3, stride: 2, padding: 1 });
        sum(y).backward();
        return [y.data, x.grad!.data];
      });
    }
  });

  test('conv2d forward and all three gradients, split by images with chunked weight gradients', async () => {
    const x = filled([64, 6, 14, 14], 2, true), w = filled([16, 6, 5, 5], 3, true), b = filled([16], 4, true);
    await same('conv2d', () => {
      x.grad = w.grad = b.grad = null;
      const y = conv2d(x, w, b);
      sum(relu(y)).backward();
      return [y.data, x.grad!.data, w.grad!.data, b.grad!.data];
    });
  });

  test('a LeNet-5 trained 6 steps at 1 thread and at 2 has the same parameters, bit for bit', async () => {
    const n = 6 * 64;
    const images = new Uint8Array(n * 28 * 28), labels = new Uint8Array(n);
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    for (let i = 0; i < n; i++) labels[i] = i % 10;
    const data = imageDataset({ dtype: 'uint8', shape: [n, 28, 28], data: images }, { dtype: 'uint8', shape: [n], data: labels }, 'synthetic');
    const train = async (t: number) => {
      await threads(t);
      manualSeed(7);
      const model = lenet5({ pool: 'max' });
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const loader = new DataLoader(data, { batchSize: 64, shuffle: true, generator: new Generator(3) });
      trainEpoch(model, loader, opt, { epoch: 1, startStep: 0, lrAt: () => 0.05 });
      return model.parameters().map((p) => p.data.slice());
    };
    const one = await train(1), two = await train(2);
    assert.equal(getNumThreads(), 2);
    one.forEach((p, i) => assertBitsEqual(two[i]!, p, `parameter ${i}`));
  });
});

describe('a split whose task traps', { skip: !shared && 'no shared WebAssembly memory here' }, () => {
  test('the error reaches the caller only after every task has finished, and the next split is right', async () => {
    await threads(2);
    const x = filled([4, 16, 64, 64], 5);
    const want = scope(() => maxPool2d(x, { kernelSize: 2 }).data.slice());
    // relu_fwd at an address far past the memory traps in whichever thread runs that task: on
    // this one it is an exception, on a worker a failed task.
    const bad = Array.from({ length: 8 }, (_, t) => ({ fn: 'relu_fwd', args: t === 3 ? [0xfffffff0 | 0, 0xfffffff0 | 0, 64] : [64, 64, 0] }));
    let outcome: unknown;
    try {
      outcome = runTasks(bad);
    } catch (e) {
      outcome = e;
    }
    assert.ok(outcome === false || (outcome instanceof Error && /out of bounds/.test(outcome.message)), String(outcome));
    const got = scope(() => maxPool2d(x, { kernelSize: 2 }).data.slice());
    assertBitsEqual(got, want, 'the split after the trap');
  });
});
