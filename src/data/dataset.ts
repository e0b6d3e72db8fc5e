import { check, fmtShape, PoolkitError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { IdxArray } from './idx.js';
import { emptyFloat32, emptyInt32 } from '../tensor/storage.js';

/**
 * Grey-scale images and their class labels, kept as the bytes they were stored as (an MNIST
 * training set is 47 MB of bytes, 188 MB as float32); a `DataLoader` converts one batch at a time.
 *
 *     const small = train.slice(0, 1000);  // the first 1000 images, sharing train's bytes
 */
export class ImageDataset {
  constructor(
    /** `n × height × width` pixels, row-major, 0 (background) to 255. */
    readonly images: Uint8Array,
    /** `n` class indices, each below `numClasses`. */
    readonly labels: Uint8Array,
    readonly n: number,
    readonly height: number,
    readonly width: number,
    readonly numClasses = 10,
  ) {
    check([n, height, width].every((d) => Number.isSafeInteger(d) && d >= 0), 'image_dataset', 'shape',
      () => `n, height and width must be non-negative integers, but got ${fmtShape([n, height, width])}`, [n, height, width]);
    check(images.length === n * height * width, 'image_dataset', 'images',
      () => `expected ${n} × ${height} × ${width} = ${n * height * width} pixels, but got ${images.length}`, images.length);
    check(labels.length === n, 'image_dataset', 'labels', () => `expected ${n} labels, but got ${labels.length}`, labels.length);
  }

  /**
   * The images `start` (inclusive) to `end` (exclusive), with `Array.prototype.slice`'s rules:
   * negative indices count from the end and out-of-range ones are clamped. Shares storage.
   */
  slice(start = 0, end = this.n): ImageDataset {
    check(Number.isInteger(start) && (Number.isInteger(end) || end === Infinity), 'image_dataset_slice', 'start',
      () => `start and end must be integers, but got start=${start}, end=${end}`, [start, end]);
    const clamp = (i: number) => (i < 0 ? Math.max(this.n + i, 0) : Math.min(i, this.n));
    const s = clamp(start);
    const e = Math.max(clamp(end), s);
    const pixels = this.height * this.width;
    return new ImageDataset(this.images.subarray(s * pixels, e * pixels), this.labels.subarray(s, e), e - s, this.height, this.width, this.numClasses);
  }
}

/**
 * An `ImageDataset` from parsed IDX images (3-D uint8, `[n, height, width]`) and labels (1-D
 * uint8, `[n]`), as in MNIST and Fashion-MNIST. `name` names the data in errors. Every label
 * must be below `numClasses` (default 10).
 *
 *     const train = imageDataset(parseIdx(imageBytes, 'train-images-idx3-ubyte'),
 *                                parseIdx(labelBytes, 'train-labels-idx1-ubyte'), 'MNIST train');
 */
export function imageDataset(images: IdxArray, labels: IdxArray, name: string, opts: { numClasses?: number } = {}): ImageDataset {
  const numClasses = opts.numClasses ?? 10;
  const refuse = (arg: string, rule: string, value?: unknown): never => {
    throw new PoolkitError('image_dataset', arg, `${name}: ${rule}`, value);
  };
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
    refuse('numClasses', `numClasses must be an integer from 1 to 256 (labels are bytes), but got ${numClasses}`, numClasses);
  }
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    refuse('images', `images must be 3-D uint8 [n, height, width], but got ${images.shape.length}-D ${images.dtype} ${fmtShape(images.shape)}`, images.shape);
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    refuse('labels', `labels must be 1-D uint8 [n], but got ${labels.shape.length}-D ${labels.dtype} ${fmtShape(labels.shape)}`, labels.shape);
  }
  const [n, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) refuse('labels', `there are ${n} images but ${labels.shape[0]} labels`, labels.shape[0]);
  const y = labels.data as Uint8Array;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! >= numClasses) refuse('labels', `label ${i} is ${y[i]}, but labels must be below numClasses=${numClasses}`, y[i]);
  }
  return new ImageDataset(images.data as Uint8Array, y, n, height, width, numClasses);
}

/** `(pixel / 255 - mean) / std`, torchvision's `ToTensor()` then `Normalize((mean,), (std,))`. */
export interface Normalization {
  mean: number;
  std: number;
}

/** The mean and standard deviation of the MNIST training pixels, as scaled to [0, 1]. */
export const MNIST_NORMALIZATION: Readonly<Normalization> = Object.freeze({ mean: 0.1307, std: 0.3081 });

export interface DataLoaderOptions {
  /** Images per batch (default 1, like PyTorch). */
  batchSize?: number;
  /** Draw a new order of the images for each pass (default false). */
  shuffle?: boolean;
  /** Where the order comes from when `shuffle` (default: poolkit's default generator). */
  generator?: Generator;
  /** Leave out the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Pixel normalization (default `MNIST_NORMALIZATION`); `{ mean: 0, std: 1 }` gives pixel / 255. */
  normalize?: Normalization;
}

/** A batch of images `[B, 1, H, W]` (float32, normalized) and their labels `[B]` (int32). */
export interface ImageBatch {
  x: Tensor;
  y: Tensor<Int32Array>;
}

/**
 * Batches of an `ImageDataset`, like `torch.utils.data.DataLoader` over torchvision's MNIST with
 * `ToTensor()` and `Normalize((0.1307,), (0.3081,))`. Each pass (`for … of`) draws a new order
 * from the generator when shuffling, so a loader made with the same seed gives the same epochs.
 * Pixels stay bytes until their batch is made.
 *
 *     const loader = new DataLoader(train, { batchSize: 64, shuffle: true, generator: new Generator(1) });
 *     loader.length;                          // 938 batches
 *     for (const { x, y } of loader) { … }    // x: [64, 1, 28, 28], y: [64]
 */
export class DataLoader implements Iterable<ImageBatch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  readonly normalize: Readonly<Normalization>;
  /** Byte value → normalized float32 value, computed once. */
  private readonly lut: Float32Array;

  constructor(readonly dataset: ImageDataset, opts: DataLoaderOptions = {}) {
    const batchSize = opts.batchSize ?? 1;
    check(Number.isSafeInteger(batchSize) && batchSize > 0, 'data_loader', 'batchSize',
      () => `batch_size should be a positive integer value, but got batch_size=${batchSize}`, batchSize);
    const normalize = opts.normalize ?? MNIST_NORMALIZATION;
    check(Number.isFinite(normalize.mean) && Number.isFinite(normalize.std) && normalize.std > 0, 'data_loader', 'normalize',
      () => `normalize needs a finite mean and a positive finite std, but got mean=${normalize.mean}, std=${normalize.std}`, normalize);
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? defaultGenerator;
    this.normalize = Object.freeze({ mean: normalize.mean, std: normalize.std });
    // In float32 step by step, as torchvision computes it: (float(p) / 255 - mean) / std.
    const mean = Math.fround(normalize.mean), std = Math.fround(normalize.std);
    this.lut = new Float32Array(256);
    for (let p = 0; p < 256; p++) this.lut[p] = Math.fround(Math.fround(Math.fround(p / 255) - mean) / std);
  }

  /** Number of batches in one pass. */
  get length(): number {
    const n = this.dataset.n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order of one pass: `0 … n-1`, shuffled when `shuffle` (draws from the generator). */
  order(): Uint32Array {
    const n = this.dataset.n;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) shuffleInPlace(order, this.generator);
    return order;
  }

  *[Symbol.iterator](): Iterator<ImageBatch> {
    const order = this.order();
    const { images, labels, height, width } = this.dataset;
    const pixels = height * width;
    const lut = this.lut;
    for (let b = 0; b < this.length; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, order.length - start);
      // Made inside the caller's scope() when there is one, so the batch lands where kernels read it.
      const x = emptyFloat32(size * pixels);
      const y = emptyInt32(size);
      for (let k = 0; k < size; k++) {
        const i = order[start + k]!;
        y[k] = labels[i]!;
        const src = i * pixels, dst = k * pixels;
        for (let j = 0; j < pixels; j++) x[dst + j] = lut[images[src + j]!]!;
      }
      yield { x: new Tensor(x, [size, 1, height, width]), y: new Tensor(y, [size]) };
    }
  }
}

/** Fisher–Yates (Knuth, TAOCP vol. 2, Algorithm P), each swap index drawn without modulo bias. */
function shuffleInPlace(a: Uint32Array, generator: Generator): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBelow(generator, i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Uniform integer in `[0, bound)` for `bound ≤ 2^32`, by rejecting the draws that would bias `%`. */
function randomBelow(generator: Generator, bound: number): number {
  const limit = 2 ** 32 - (2 ** 32 % bound);
  let r: number;
  do r = generator.nextUint32();
  while (r >= limit);
  return r % bound;
}
