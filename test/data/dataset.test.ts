import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PoolkitError } from '../../src/errors.js';
import { DataLoader, ImageDataset, imageDataset, MNIST_NORMALIZATION } from '../../src/data/dataset.js';
import type { IdxArray } from '../../src/data/idx.js';
import { Generator } from '../../src/tensor/random.js';

/** n images of h×w whose pixels all equal the image index (mod 256); label = index mod 10. */
function toy(n: number, h = 2, w = 3): ImageDataset {
  const images = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) images.fill(i % 256, i * h * w, (i + 1) * h * w);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return new ImageDataset(images, labels, n, h, w);
}

const u8 = (shape: number[], data: ArrayLike<number> = new Uint8Array(shape.reduce((a, b) => a * b, 1))): IdxArray =>
  ({ dtype: 'uint8', shape, data: Uint8Array.from(data) });

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof PoolkitError && pattern.test(e.message));
}

describe('imageDataset', () => {
  test('3-D uint8 images and 1-D uint8 labels make a dataset that keeps the bytes', () => {
    const images = u8([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    const d = imageDataset(images, u8([2], [3, 9]), 'toy');
    assert.equal(d.n, 2);
    assert.equal(d.height, 2);
    assert.equal(d.width, 2);
    assert.equal(d.images, images.data);
    assert.deepEqual([...d.labels], [3, 9]);
  });

  test('images that are not 3-D uint8 are refused, naming the data', () => {
    refused(() => imageDataset(u8([4, 4]), u8([4]), 'MNIST train'), /^image_dataset: MNIST train: images must be 3-D uint8 \[n, height, width\], but got 2-D uint8 \[4, 4\]/);
    refused(() => imageDataset({ dtype: 'float32', shape: [1, 1, 1], data: new Float32Array(1) }, u8([1]), 'd'), /images must be 3-D uint8.*3-D float32/);
  });

  test('labels that are not 1-D uint8 are refused', () => {
    refused(() => imageDataset(u8([2, 1, 1]), u8([2, 1]), 'd'), /d: labels must be 1-D uint8 \[n\], but got 2-D uint8 \[2, 1\]/);
    refused(() => imageDataset(u8([2, 1, 1]), { dtype: 'int32', shape: [2], data: new Int32Array(2) }, 'd'), /labels must be 1-D uint8.*int32/);
  });

  test('image and label counts must match', () => {
    refused(() => imageDataset(u8([3, 1, 1]), u8([2]), 'd'), /d: there are 3 images but 2 labels/);
  });

  test('labels must be below numClasses (10 by default)', () => {
    refused(() => imageDataset(u8([3, 1, 1]), u8([3], [0, 10, 2]), 'd'), /d: label 1 is 10, but labels must be below numClasses=10/);
    assert.equal(imageDataset(u8([3, 1, 1]), u8([3], [0, 10, 2]), 'd', { numClasses: 11 }).numClasses, 11);
    refused(() => imageDataset(u8([1, 1, 1]), u8([1]), 'd', { numClasses: 0 }), /numClasses must be an integer from 1 to 256/);
  });

  test('the constructor refuses storage that does not match the sizes', () => {
    refused(() => new ImageDataset(new Uint8Array(5), new Uint8Array(1), 1, 2, 3), /expected 1 × 2 × 3 = 6 pixels, but got 5/);
    refused(() => new ImageDataset(new Uint8Array(6), new Uint8Array(2), 1, 2, 3), /expected 1 labels, but got 2/);
  });

  test('slice shares storage and follows Array.prototype.slice', () => {
    const d = toy(10);
    const s = d.slice(2, 5);
    assert.equal(s.n, 3);
    assert.deepEqual([...s.labels], [2, 3, 4]);
    assert.equal(s.images[0], 2);
    assert.equal(s.images.buffer, d.images.buffer);
    assert.equal(d.slice(0, 100).n, 10, 'end is clamped');
    assert.deepEqual([...d.slice(-2).labels], [8, 9]);
    assert.equal(d.slice(7, 3).n, 0);
    refused(() => d.slice(0.5, 2), /start and end must be integers/);
  });
});

describe('DataLoader', () => {
  test('batches are [B, 1, H, W] float32 and [B] int32, the last one short unless dropLast', () => {
    const d = toy(10);
    const loader = new DataLoader(d, { batchSize: 4 });
    assert.equal(loader.length, 3);
    const batches = [...loader];
    assert.equal(batches.length, 3);
    assert.deepEqual(batches.map((b) => b.x.shape), [[4, 1, 2, 3], [4, 1, 2, 3], [2, 1, 2, 3]]);
    assert.deepEqual(batches.map((b) => b.y.shape), [[4], [4], [2]]);
    assert.ok(batches[0]!.x.data instanceof Float32Array);
    assert.ok(batches[0]!.y.data instanceof Int32Array);
    assert.deepEqual(batches.flatMap((b) => [...b.y.data]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'in order without shuffle');

    const dropped = new DataLoader(d, { batchSize: 4, dropLast: true });
    assert.equal(dropped.length, 2);
    assert.deepEqual([...dropped].map((b) => b.y.size), [4, 4]);
    assert.equal(new DataLoader(d, { batchSize: 5, dropLast: true }).length, 2, 'an exact division drops nothing');
    assert.equal(new DataLoader(d, { batchSize: 11, dropLast: true }).length, 0);
  });

  test('pixels become (p / 255 - 0.1307) / 0.3081 in float32, like ToTensor + Normalize', () => {
    const images = Uint8Array.from([0, 1, 128, 255]);
    const d = new ImageDataset(images, new Uint8Array(1), 1, 2, 2);
    const { x } = [...new DataLoader(d)][0]!;
    const f = Math.fround;
    const expected = [0, 1, 128, 255].map((p) => f(f(f(p / 255) - f(0.1307)) / f(0.3081)));
    assert.deepEqual([...x.data], expected);
    assert.ok(Math.abs(x.data[0]! - -0.4242129) < 1e-6, 'background pixel');
    assert.ok(Math.abs(x.data[3]! - 2.8214867) < 1e-6, 'full-ink pixel');
    assert.deepEqual(MNIST_NORMALIZATION, { mean: 0.1307, std: 0.3081 });
  });

  test('normalize { mean: 0, std: 1 } gives p / 255; a bad std is refused', () => {
    const d = new ImageDataset(Uint8Array.from([0, 51, 255]), new Uint8Array(1), 1, 1, 3);
    const { x } = [...new DataLoader(d, { normalize: { mean: 0, std: 1 } })][0]!;
    assert.deepEqual([...x.data], [0, Math.fround(0.2), 1]);
    refused(() => new DataLoader(d, { normalize: { mean: 0, std: 0 } }), /normalize needs a finite mean and a positive finite std/);
  });

  test('a batch holds the pixels of the images its labels belong to', () => {
    const d = toy(37, 3, 3);
    for (const { x, y } of new DataLoader(d, { batchSize: 8, shuffle: true, generator: new Generator(5), normalize: { mean: 0, std: 1 } })) {
      for (let k = 0; k < y.size; k++) {
        const pixel = Math.round(x.data[k * 9]! * 255);
        assert.equal(pixel % 10, y.data[k], 'toy label = index mod 10, pixel = index');
        for (let j = 1; j < 9; j++) assert.equal(x.data[k * 9 + j], x.data[k * 9]);
      }
    }
  });

  test('a shuffled pass visits every image exactly once', () => {
    const d = toy(103, 1, 1);
    const seen = [...new DataLoader(d, { batchSize: 10, shuffle: true, generator: new Generator(1), normalize: { mean: 0, std: 1 } })]
      .flatMap((b) => [...b.x.data].map((v) => Math.round(v * 255)));
    assert.equal(seen.length, 103);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
    assert.notDeepEqual(seen, Array.from({ length: 103 }, (_, i) => i), 'the order is shuffled');
  });

  test('the same seed gives the same order; each pass and each seed a different one', () => {
    const d = toy(200, 1, 1);
    const order = (loader: DataLoader) => [...loader.order()];
    const a = new DataLoader(d, { shuffle: true, generator: new Generator(42) });
    const b = new DataLoader(d, { shuffle: true, generator: new Generator(42) });
    const first = order(a);
    assert.deepEqual(first, order(b));
    assert.notDeepEqual(order(a), first, 'a second pass draws a new order');
    assert.notDeepEqual(order(new DataLoader(d, { shuffle: true, generator: new Generator(43) })), first);
    assert.deepEqual(order(new DataLoader(d)), Array.from({ length: 200 }, (_, i) => i));
  });

  test('the shuffle is unbiased enough: every position sees every item about equally often', () => {
    const d = toy(4, 1, 1);
    const loader = new DataLoader(d, { shuffle: true, generator: new Generator(9) });
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    const passes = 4000;
    for (let p = 0; p < passes; p++) loader.order().forEach((item, pos) => counts[pos]![item]!++);
    for (const row of counts) for (const c of row) assert.ok(Math.abs(c - passes / 4) < 120, `count ${c} far from ${passes / 4}`);
  });

  test('batchSize must be a positive integer', () => {
    refused(() => new DataLoader(toy(2), { batchSize: 0 }), /batch_size should be a positive integer value, but got batch_size=0/);
    refused(() => new DataLoader(toy(2), { batchSize: 1.5 }), /batch_size should be a positive integer value/);
  });
});
