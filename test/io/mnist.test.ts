import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'fflate';
import { loadMnist } from '../../cli/mnist.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'poolkit-mnist-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function idx(dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A directory of tiny IDX files: 3 training and 2 test images of 2×2. */
async function tinyDir(name: string, files: Record<string, Uint8Array>): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d);
  for (const [f, bytes] of Object.entries(files)) await writeFile(path.join(d, f), bytes);
  return d;
}

const trainImages = idx([3, 2, 2], Array.from({ length: 12 }, (_, i) => i));
const trainLabels = idx([3], [4, 0, 9]);
const testImages = idx([2, 2, 2], [255, 0, 0, 255, 1, 2, 3, 4]);
const testLabels = idx([2], [7, 2]);

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function poolkitError(pattern: RegExp) {
  return (e: Error) => {
    assert.equal(e.name, 'PoolkitError', String(e));
    assert.match(e.message, pattern);
    return true;
  };
}

describe('loadMnist', () => {
  test('the built-in MNIST: 60000 training and 10000 test images of 28×28, every digit present', async () => {
    const { train, test: t, name } = await loadMnist();
    assert.equal(name, 'MNIST');
    assert.deepEqual([train.n, train.height, train.width], [60000, 28, 28]);
    assert.deepEqual([t.n, t.height, t.width], [10000, 28, 28]);
    assert.equal(train.images.length, 60000 * 784);
    assert.equal(train.labels[0], 5, 'the first training digit is the well-known 5');
    assert.equal(t.labels[0], 7, 'the first test digit is a 7');
    for (const [set, n] of [[train, 60000], [t, 10000]] as const) {
      const counts = new Array<number>(10).fill(0);
      for (const y of set.labels) counts[y]!++;
      for (const c of counts) assert.ok(c > 0.08 * n && c < 0.12 * n, `class counts ${counts} are implausible`);
    }
    // Pixels: mostly background, some full ink; the mean is MNIST's well-known 0.1307.
    let sum = 0;
    const pixels = train.images;
    for (let i = 0; i < pixels.length; i++) sum += pixels[i]!;
    assert.ok(Math.abs(sum / train.images.length / 255 - 0.1307) < 5e-4);
  });

  test('a data directory with gzip files and either spelling of the names', async () => {
    const d = await tinyDir('mixed', {
      'train-images-idx3-ubyte.gz': gzipSync(trainImages),
      'train-labels.idx1-ubyte.gz': gzipSync(trainLabels),
      't10k-images.idx3-ubyte': testImages,
      't10k-labels-idx1-ubyte': testLabels,
    });
    const { train, test: t, name } = await loadMnist({ dataDir: d });
    assert.equal(name, d);
    assert.deepEqual([train.n, train.height, train.width], [3, 2, 2]);
    assert.deepEqual([...train.labels], [4, 0, 9]);
    assert.deepEqual([...train.images], Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual([...t.labels], [7, 2]);
    assert.deepEqual([...t.images], [255, 0, 0, 255, 1, 2, 3, 4]);
  });

  test('a missing file is named with every spelling tried', async () => {
    const d = await tinyDir('missing', { 'train-images-idx3-ubyte': trainImages, 'train-labels-idx1-ubyte': trainLabels, 't10k-images-idx3-ubyte': testImages });
    await assert.rejects(loadMnist({ dataDir: d }), poolkitError(new RegExp(`^load_mnist: ${reEscape(d)}: has none of t10k-labels-idx1-ubyte, t10k-labels.idx1-ubyte, t10k-labels-idx1-ubyte.gz, t10k-labels.idx1-ubyte.gz`)));
    await assert.rejects(loadMnist({ dataDir: path.join(dir, 'no-such-dir') }), poolkitError(/no-such-dir: has none of/));
  });

  test('a truncated IDX file is named by its path', async () => {
    const d = await tinyDir('truncated', {
      'train-images-idx3-ubyte': trainImages.subarray(0, 20),
      'train-labels-idx1-ubyte': trainLabels,
      't10k-images-idx3-ubyte': testImages,
      't10k-labels-idx1-ubyte': testLabels,
    });
    await assert.rejects(loadMnist({ dataDir: d }), poolkitError(new RegExp(`^idx: ${reEscape(path.join(d, 'train-images-idx3-ubyte'))}: is truncated`)));
  });

  test('a corrupt .gz file is named by its path', async () => {
    const gz = gzipSync(testLabels);
    const d = await tinyDir('corrupt-gz', {
      'train-images-idx3-ubyte': trainImages,
      'train-labels-idx1-ubyte': trainLabels,
      't10k-images-idx3-ubyte': testImages,
      't10k-labels-idx1-ubyte.gz': gz.subarray(0, gz.length - 5),
    });
    await assert.rejects(loadMnist({ dataDir: d }), poolkitError(new RegExp(`^gunzip: ${reEscape(path.join(d, 't10k-labels-idx1-ubyte.gz'))}: is not a valid gzip file`)));
  });

  test('images and labels that do not match name both files', async () => {
    const d = await tinyDir('mismatch', {
      'train-images-idx3-ubyte': trainImages,
      'train-labels-idx1-ubyte': testLabels,
      't10k-images-idx3-ubyte': testImages,
      't10k-labels-idx1-ubyte': testLabels,
    });
    await assert.rejects(loadMnist({ dataDir: d }), poolkitError(/train-images-idx3-ubyte with .*train-labels-idx1-ubyte: there are 3 images but 2 labels/));
  });
});
