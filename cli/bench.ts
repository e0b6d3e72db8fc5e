// poolkit bench (also `npm run bench`): pooling and LeNet-5 training speed at 1 and 2 threads,
// beside the memory-copy yardstick, TensorFlow.js (wasm), ONNX Runtime (node) and PyTorch (when
// /usr/bin/python3 has torch), all in one run on the same machine. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, DataLoader, fastKernels, Generator, getNumThreads, lenet5, lpPool2d,
  maxPool2d, scope, setNumThreads, SGD, tensor, trainEpoch, wasmSimdAvailable, zeros, type ImageDataset, type Tensor,
} from 'poolkit';
import { intFlag, parse, UsageError } from './args.js';
import { builtinMnistDir, loadMnist } from './mnist.js';

const THREADS = [1, 2] as const;
const WARMUP = 2;
const PYTHON = '/usr/bin/python3';
// The LeNet-5 epoch: the recipe of bench/train.mjs and bench/train_torch.py.
const EPOCH_IMAGES = 60000;
const QUICK_EPOCH_IMAGES = 6400;
const BATCH = 64;
const LR = 0.01;
const MOMENTUM = 0.9;
const SEED = 1;

// ---- cases ----------------------------------------------------------------------------------

type Op = 'max' | 'avg' | 'lp2' | 'amax' | 'aavg';
type Direction = 'fwd' | 'fwdbwd';

interface PoolCase {
  name: string;
  op: Op;
  shape: [number, number, number, number];
  /** Adaptive output size; its windows are exactly `k`, `s`, `p` (14 → 7 is k2s2). */
  out?: [number, number];
  k: number;
  s: number;
  p: number;
  directions: Direction[];
}

const EPOCH_CASE = 'lenet5_epoch';

// Adaptive 14→7 has windows that are exactly k2s2, so the peers without an adaptive op (TF.js,
// ONNX's Global* pools only give 1×1) run it as k2s2 pooling.
function poolCases(quick: boolean): PoolCase[] {
  const big = quick ? 8 : 32, lenet = 64;
  const both: Direction[] = ['fwd', 'fwdbwd'];
  return [
    { name: 'max_k2s2', op: 'max', shape: [big, 64, 112, 112], k: 2, s: 2, p: 0, directions: both },
    { name: 'max_k3s2p1', op: 'max', shape: [big, 64, 112, 112], k: 3, s: 2, p: 1, directions: both },
    { name: 'avg_k2s2', op: 'avg', shape: [big, 64, 112, 112], k: 2, s: 2, p: 0, directions: both },
    { name: 'lp2_k2s2', op: 'lp2', shape: [big, 64, 112, 112], k: 2, s: 2, p: 0, directions: both },
    { name: 'adaptive_avg_7', op: 'aavg', shape: [big, 512, 14, 14], out: [7, 7], k: 2, s: 2, p: 0, directions: both },
    { name: 'adaptive_max_7', op: 'amax', shape: [big, 512, 14, 14], out: [7, 7], k: 2, s: 2, p: 0, directions: both },
    { name: 'lenet1_max_k2s2', op: 'max', shape: [lenet, 6, 28, 28], k: 2, s: 2, p: 0, directions: both },
    { name: 'lenet2_max_k2s2', op: 'max', shape: [lenet, 16, 10, 10], k: 2, s: 2, p: 0, directions: both },
  ];
}
const CASE_NAMES = [...poolCases(false).map((c) => c.name), EPOCH_CASE];

export const BENCH_HELP = `Usage: poolkit bench [options]      (or: npm run bench -- [options])

Times each pooling case and one LeNet-5 training epoch at 1 and 2 threads, beside the time to
copy the same bytes on as many threads, TensorFlow.js (wasm backend), ONNX Runtime (node) and
PyTorch (${PYTHON} with torch), and prints a table of median ms, GB/s and ratios. The peers
are optional: a row says why one is missing. The whole run takes several minutes.

Options:
  --quick            smaller tensors (batch 8 instead of 32), fewer runs, a ${QUICK_EPOCH_IMAGES}-image epoch
  --cases a,b        only these cases (names below)
  --runs N           timed runs per measurement (default 7, quick 5; more, up to 200, until 0.4 s
                     have passed); each stops early after ~2 s
  --epoch-images N   train on the first N MNIST images for ${EPOCH_CASE} (default ${EPOCH_IMAGES})
  --no-tf            skip TensorFlow.js
  --no-ort           skip ONNX Runtime
  --no-torch         skip PyTorch
  --json FILE        also write every number as JSON
  -h, --help         this help

Cases: ${CASE_NAMES.join(', ')}`;

function outShape(c: PoolCase): number[] {
  const [n, ch, h, w] = c.shape;
  if (c.out) return [n, ch, c.out[0], c.out[1]];
  const o = (x: number) => Math.floor((x + 2 * c.p - c.k) / c.s) + 1;
  return [n, ch, o(h), o(w)];
}
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// Bytes the ideal kernel reads + writes (float32 data, int32 indices):
//   forward: input + output (max without grad makes no indices, as in PyTorch's no_grad path);
//   forward+backward, max:  fwd input + output + indices, bwd grad_out + indices + grad_in;
//                     avg:  fwd input + output,           bwd grad_out + grad_in;
//                     lp2:  fwd input + output,           bwd grad_out + input + output + grad_in.
function bytesOf(c: PoolCase, direction: Direction): number {
  const i = numel(c.shape) * 4, o = numel(outShape(c)) * 4;
  if (direction === 'fwd') return i + o;
  if (c.op === 'max' || c.op === 'amax') return (i + o + o) + (o + o + i);
  if (c.op === 'lp2') return (i + o) + (o + i + o + i);
  return (i + o) + (o + i);
}

function randomData(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { // xorshift32
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

// ---- timing ---------------------------------------------------------------------------------

interface Timing {
  runs: number;
  /** Runs go on past `runs` until this many seconds have passed (at most MAX_RUNS): short calls get many samples. */
  minS: number;
  /** A measurement stops after this many seconds once it has 3 runs. */
  budgetS: number;
}

const MAX_RUNS = 200;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const moreRuns = (t: Timing, times: number[], start: number) => {
  const elapsed = performance.now() - start;
  return (times.length < t.runs || (elapsed < t.minS * 1e3 && times.length < MAX_RUNS)) && (times.length < 3 || elapsed < t.budgetS * 1e3);
};

/** Warm-up: WARMUP runs and at least this long — tiny cases need hundreds of calls before the JIT settles (and threads start). */
const WARMUP_MS = 150;

/**
 * The ms of every timed run of each of `fns`, run in turns after each warms up: poolkit, the copy
 * yardstick and TensorFlow.js see the same machine load, so their ratios hold when it changes.
 */
function measureTurns(t: Timing, fns: readonly (() => void)[]): number[][] {
  for (const fn of fns) for (let i = 0, w0 = performance.now(); i < WARMUP || performance.now() - w0 < WARMUP_MS; i++) fn();
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  while (moreRuns(t, times[0]!, start)) {
    fns.forEach((fn, i) => {
      // A short call runs once more, untimed, just before: the other turns evict its data from
      // the caches, and a timed run should find them as in a loop of calls (as ORT's runs do).
      if ((times[i]!.at(-1) ?? 0) < REWARM_MS) fn();
      const t0 = performance.now();
      fn();
      times[i]!.push(performance.now() - t0);
    });
  }
  return times;
}

/** Calls shorter than this are repeated, untimed, before each timed run of measureTurns. */
const REWARM_MS = 5;

/** The median over turns of a[i] / b[i]: the ratio of two things timed in the same turns, robust to load that changes between turns. */
const turnRatio = (a: readonly number[], b: readonly number[]): number => median(a.map((x, i) => x / b[i]!));

/** The same for peers whose calls return promises (ONNX Runtime). */
async function measureAsync(t: Timing, fn: () => unknown): Promise<number> {
  for (let i = 0, w0 = performance.now(); i < WARMUP || performance.now() - w0 < WARMUP_MS; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (moreRuns(t, times, start)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

// ---- memory-copy yardstick ------------------------------------------------------------------

// Copies part `part` of `n` floats of `src` into `dst` (both shared) split into `parts` ranges —
// the calling thread copies part 0; a CommonJS script because `eval` workers are CommonJS.
// Control words: GEN (bumped to start a copy, -1 to stop), N (floats to copy), DONE (workers' parts finished).
const GEN = 0, N = 1, DONE = 2;
const COPY_WORKER = `
const { workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.ctrl), src = new Float32Array(workerData.src), dst = new Float32Array(workerData.dst);
const { part, parts } = workerData;
let gen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, gen);
  gen = Atomics.load(ctrl, ${GEN});
  if (gen < 0) break;
  const n = Atomics.load(ctrl, ${N});
  const a = Math.floor((n * part) / parts), b = Math.floor((n * (part + 1)) / parts);
  dst.subarray(a, b).set(src.subarray(a, b));
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}`;

/**
 * The time to move `bytes` (half read, half written) with `Float32Array.prototype.set`: on the
 * calling thread, or split between it and a worker started once and woken through `Atomics`, so
 * only the copy is timed.
 */
class CopyYardstick {
  private readonly src: Float32Array;
  private readonly dst: Float32Array;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(3 * 4));
  private readonly workers: Worker[] = [];

  private constructor(maxBytes: number) {
    const n = Math.ceil(maxBytes / 8);
    this.src = new Float32Array(new SharedArrayBuffer(n * 4)).fill(1.5);
    this.dst = new Float32Array(new SharedArrayBuffer(n * 4));
    this.dst.set(this.src); // fault the pages in once
  }

  /** `threads` − 1 workers: with the calling thread, as many threads as poolkit's pool (the caller and its workers). */
  static async start(maxBytes: number, threads: number): Promise<CopyYardstick> {
    const y = new CopyYardstick(maxBytes);
    for (let part = 1; part < threads; part++) {
      const w = new Worker(COPY_WORKER, {
        eval: true, workerData: { ctrl: y.ctrl.buffer, src: y.src.buffer, dst: y.dst.buffer, part, parts: threads },
      });
      y.workers.push(w);
    }
    await Promise.all(y.workers.map((w) => once(w, 'online')));
    for (const w of y.workers) w.unref(); // idle, they never keep the process alive
    return y;
  }

  /**
   * One copy of `bytes` on `threads`: the calling thread alone, or its share (the first part) while
   * the workers copy theirs. Timed in turns with poolkit's call, so under the same load.
   */
  copier(bytes: number, threads: number): () => void {
    const n = Math.ceil(bytes / 8);
    const parts = threads === 1 ? 1 : this.workers.length + 1;
    const mine = Math.floor(n / parts);
    const src = this.src.subarray(0, mine), dst = this.dst.subarray(0, mine);
    if (parts === 1) return () => dst.set(src);
    const { ctrl } = this, helpers = parts - 1;
    return () => {
      Atomics.store(ctrl, N, n);
      Atomics.store(ctrl, DONE, 0);
      Atomics.add(ctrl, GEN, 1);
      Atomics.notify(ctrl, GEN);
      dst.set(src);
      for (let done; (done = Atomics.load(ctrl, DONE)) < helpers;) Atomics.wait(ctrl, DONE, done);
    };
  }

  stop(): void {
    Atomics.store(this.ctrl, GEN, -1);
    Atomics.notify(this.ctrl, GEN);
  }
}

// ---- poolkit --------------------------------------------------------------------------------

function poolkitOp(c: PoolCase): (x: Tensor) => Tensor {
  switch (c.op) {
    case 'max': return (x) => maxPool2d(x, { kernelSize: c.k, stride: c.s, padding: c.p });
    case 'avg': return (x) => avgPool2d(x, { kernelSize: c.k, stride: c.s, padding: c.p });
    case 'lp2': return (x) => lpPool2d(x, 2, { kernelSize: c.k, stride: c.s });
    case 'aavg': return (x) => adaptiveAvgPool2d(x, c.out!);
    case 'amax': return (x) => adaptiveMaxPool2d(x, c.out!);
  }
}

/**
 * The ms of each run of one pooling call (or call + backward) on `threads` threads, and of each
 * run of `other` (the copy, or TF.js) timed in turns with it. The input lives in an outer scope for
 * the whole measurement and each run in its own scope, so storage stays in the wasm memory, is
 * reused from run to run, and no kernel copies its input.
 */
function poolkitMs(t: Timing, c: PoolCase, direction: Direction, threads: number, xData: Float32Array, gData: Float32Array,
  other: () => void): number[][] {
  setNumThreads(threads);
  const f = poolkitOp(c);
  // zeros() inside a scope is storage in the kernels' memory; tensor(xData) would wrap the
  // JS-heap array as it is, and every kernel call would copy it in.
  const placed = (data: Float32Array, shape: number[], requiresGrad = false) => {
    const x = zeros(shape, { requiresGrad });
    x.data.set(data);
    return x;
  };
  return scope(() => {
    if (direction === 'fwd') {
      const x = placed(xData, c.shape);
      return measureTurns(t, [() => scope(() => { f(x); }), other]);
    }
    const x = placed(xData, c.shape, true);
    const g = placed(gData, outShape(c));
    return measureTurns(t, [() => scope(() => {
      x.grad = null;
      f(x).backward(g);
    }), other]);
  });
}

/** poolkit's forward output, copied out of its scope: the values ONNX Runtime is checked against. */
function poolkitOutput(c: PoolCase, xData: Float32Array): Float32Array {
  return scope(() => Float32Array.from(poolkitOp(c)(tensor(xData, c.shape)).data as Float32Array));
}

interface EpochResult {
  images: number;
  seconds: number;
  loss: number;
}

/**
 * One epoch of poolkit's LeNet-5 training (trainEpoch, SGD with momentum), as bench/train.mjs.
 * trainEpoch runs each step, batch included, in its own scope; parameters and optimizer state
 * live on the JS heap, which no scope frees, so there is no outer scope here.
 */
function poolkitEpoch(train: ImageDataset, threads: number): EpochResult {
  setNumThreads(threads);
  const model = lenet5({ pool: 'max', generator: new Generator(SEED) });
  const optimizer = new SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
  const loader = new DataLoader(train, { batchSize: BATCH, shuffle: true, generator: new Generator(SEED) });
  const every = Math.max(1, Math.round(loader.length / 5));
  const r = trainEpoch(model, loader, optimizer, {
    epoch: 1, startStep: 0, lrAt: () => LR,
    onStep: (s) => {
      if (s.step % every === 0) progress(`    step ${s.step}/${s.steps}  loss ${s.loss.toFixed(4)}  ${Math.round(s.images / s.seconds)} img/s`);
    },
  });
  return { images: r.images, seconds: r.seconds, loss: r.loss };
}

// ---- peers: what is missing says why --------------------------------------------------------

type Missing = { why: string };
const isMissing = (x: object): x is Missing => 'why' in x;

function notInstalled(e: unknown, what: string): Missing {
  const code = (e as { code?: string }).code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return { why: `not installed (${what})` };
  return { why: `could not load: ${(e as Error).message.split('\n')[0]}` };
}

// ---- TensorFlow.js (wasm backend) -----------------------------------------------------------

// The few calls used here; the packages are optional devDependencies, so no types are imported.
interface TfTensor { dispose(): void }
interface Tf {
  version: { tfjs: string };
  env(): { getAsync(flag: string): Promise<unknown> };
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getKernel(name: string, backend: string): unknown;
  tensor4d(data: Float32Array, shape: number[]): TfTensor;
  maxPool(x: TfTensor, k: number, s: number, pad: 'valid' | number): TfTensor;
  avgPool(x: TfTensor, k: number, s: number, pad: 'valid' | number): TfTensor;
  grad(f: (x: TfTensor) => TfTensor): (x: TfTensor, dy: TfTensor) => TfTensor;
  dispose(t: TfTensor): void;
}
interface TfWasm {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
}

interface TfPeer {
  tf: Tf;
  version: string;
  /** Why there is no 2-thread TF.js number. */
  twoThreads: string;
}

async function setupTf(require: NodeRequire): Promise<TfPeer | Missing> {
  let tf: Tf, tfWasm: TfWasm;
  try {
    tf = require('@tensorflow/tfjs') as Tf;
    tfWasm = require('@tensorflow/tfjs-backend-wasm') as TfWasm;
  } catch (e) {
    return notInstalled(e, 'npm i -D @tensorflow/tfjs @tensorflow/tfjs-backend-wasm');
  }
  let threaded: unknown;
  try {
    // Load the .wasm files from node_modules: nothing is downloaded.
    tfWasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (threaded) tfWasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return { why: "backend 'wasm' failed to initialize" };
    await tf.ready();
  } catch (e) {
    return { why: `could not start the wasm backend: ${(e as Error).message.split('\n')[0]}` };
  }
  // tfjs 4.22 in Node: the threaded build starts emscripten workers from blob: URLs, which Node
  // refuses (ERR_WORKER_PATH), so the flag is false. Where it is true, the thread count is fixed
  // when the backend starts, and this run pins it to 1.
  const twoThreads = threaded
    ? 'its thread count is fixed when the backend starts; measured at 1 thread only'
    : 'its threaded wasm build does not run in Node (WASM_HAS_MULTITHREAD_SUPPORT is false; forced on, its workers fail with ERR_WORKER_PATH)';
  return { tf, version: tf.version.tfjs, twoThreads };
}

// TF.js pools NHWC: it is given NHWC data directly (same values, transposed once outside the
// timing), so no transpose is timed. It has no Lp pooling and no adaptive pooling (adaptive 14→7
// runs as its exact equivalent, k2s2 pooling).
function tfUnsupported(tf: Tf, c: PoolCase, direction: Direction): string | null {
  if (c.op === 'lp2') return 'no Lp pooling op';
  if (direction === 'fwdbwd') {
    const kernel = c.op === 'max' || c.op === 'amax' ? 'MaxPoolGrad' : 'AvgPoolGrad';
    if (!tf.getKernel(kernel, 'wasm')) return `wasm backend has no ${kernel} kernel`;
  }
  return null;
}

function toNhwc(data: Float32Array, [n, ch, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++)
    for (let cc = 0; cc < ch!; cc++)
      for (let y = 0; y < h!; y++)
        for (let x = 0; x < w!; x++) out[((b * h! + y) * w! + x) * ch! + cc] = data[((b * ch! + cc) * h! + y) * w! + x]!;
  return out;
}

/** One TF.js call (or call + gradient) on the case's input, ready to be timed; dispose() frees its tensors. */
function tfRunner(tf: Tf, c: PoolCase, direction: Direction, xData: Float32Array, gData: Float32Array): { run: () => void; dispose: () => void } {
  const [n, ch, h, w] = c.shape;
  const [, , oh, ow] = outShape(c);
  const pad = c.p === 0 ? 'valid' : c.p;
  const pool = c.op === 'max' || c.op === 'amax'
    ? (x: TfTensor) => tf.maxPool(x, c.k, c.s, pad)
    : (x: TfTensor) => tf.avgPool(x, c.k, c.s, pad);
  const x = tf.tensor4d(toNhwc(xData, c.shape), [n, h, w, ch]);
  // The wasm backend runs each kernel synchronously, so the op has finished on return.
  if (direction === 'fwd') return { run: () => tf.dispose(pool(x)), dispose: () => x.dispose() };
  const dy = tf.tensor4d(toNhwc(gData, outShape(c)), [n, oh!, ow!, ch]);
  const grad = tf.grad(pool);
  return { run: () => tf.dispose(grad(x, dy)), dispose: () => { dy.dispose(); x.dispose(); } };
}

// ---- ONNX Runtime (node), forward only ------------------------------------------------------

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>>;
  release?(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(model: Uint8Array, opts: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  env: { versions?: { node?: string } };
}

interface OrtPeer {
  ort: Ort;
  version: string;
}

function setupOrt(require: NodeRequire): OrtPeer | Missing {
  try {
    const ort = require('onnxruntime-node') as Ort;
    return { ort, version: ort.env.versions?.node ?? '?' };
  } catch (e) {
    return notInstalled(e, 'npm i -D onnxruntime-node');
  }
}

// A minimal protobuf writer: enough of onnx.proto to hold one pooling node.
const te = new TextEncoder();
function varint(v: number): number[] {
  const out: number[] = [];
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n;
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}
const fInt = (field: number, v: number) => [...varint(field << 3), ...varint(v)];
const fBytes = (field: number, bytes: number[]) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const fStr = (field: number, s: string) => fBytes(field, [...te.encode(s)]);
function attrInts(name: string, ints: number[]) { // AttributeProto: name=1, ints=8, type=20 (INTS=7)
  return [...fStr(1, name), ...ints.flatMap((i) => fInt(8, i)), ...fInt(20, 7)];
}
function attrInt(name: string, i: number) { // i=3, type=20 (INT=2)
  return [...fStr(1, name), ...fInt(3, i), ...fInt(20, 2)];
}
function valueInfo(name: string, dims: readonly number[] | null) { // ValueInfoProto{name=1, type=2{tensor_type=1{elem_type=1, shape=2{dim=1{dim_value=1}}}}}
  const shape = dims ? fBytes(2, dims.flatMap((d) => fBytes(1, fInt(1, d)))) : [];
  return [...fStr(1, name), ...fBytes(2, fBytes(1, [...fInt(1, 1 /* FLOAT */), ...shape]))];
}
function onnxPoolModel(c: PoolCase): Uint8Array {
  const opType = c.op === 'lp2' ? 'LpPool' : c.op === 'max' || c.op === 'amax' ? 'MaxPool' : 'AveragePool';
  const attrs = [attrInts('kernel_shape', [c.k, c.k]), attrInts('strides', [c.s, c.s]), attrInts('pads', [c.p, c.p, c.p, c.p])];
  if (c.op === 'lp2') attrs.push(attrInt('p', 2));
  if (c.op === 'avg' || c.op === 'aavg') attrs.push(attrInt('count_include_pad', 1)); // PyTorch's default
  const node = [...fStr(1, 'x'), ...fStr(2, 'y'), ...fStr(3, 'pool'), ...fStr(4, opType), ...attrs.flatMap((a) => fBytes(5, a))];
  const graph = [...fBytes(1, node), ...fStr(2, 'g'), ...fBytes(11, valueInfo('x', c.shape)), ...fBytes(12, valueInfo('y', null))];
  const model = [...fInt(1, 8) /* ir_version */, ...fStr(2, 'poolkit-bench'), ...fBytes(7, graph),
    ...fBytes(8, [...fStr(1, ''), ...fInt(2, 18)]) /* opset 18 */];
  return Uint8Array.from(model);
}

/** Median ms of the forward on `threads` intra-op threads, and its largest difference from poolkit's output. */
async function ortMs(t: Timing, ort: Ort, c: PoolCase, threads: number, xData: Float32Array, expected: Float32Array) {
  const session = await ort.InferenceSession.create(onnxPoolModel(c), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = { x: new ort.Tensor('float32', xData, c.shape) };
  try {
    const { y } = await session.run(feeds);
    if (y!.dims.join('×') !== outShape(c).join('×')) throw new Error(`ONNX output ${y!.dims.join('×')}, expected ${outShape(c).join('×')}`);
    let maxAbsDiff = 0; // a sanity check, not a parity test
    for (let i = 0; i < expected.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(y!.data[i]! - expected[i]!));
    return { ms: await measureAsync(t, () => session.run(feeds)), maxAbsDiff };
  } finally {
    await session.release?.();
  }
}

// ---- PyTorch (subprocesses: bench/pool_torch.py, bench/train_torch.py) ------------------------

// From dist/cli/bench.js (or cli/bench.ts) up to the package root.
const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

type TorchPool = { torch: string; results: Record<string, Partial<Record<Direction, Record<string, number>>>> };

function probeTorch(): { version: string } | Missing {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error) return { why: `not installed (no ${PYTHON})` };
  if (probe.status !== 0) return { why: `not installed (${PYTHON} cannot import torch; apt-get install python3-torch)` };
  return { version: probe.stdout.trim() };
}

/** The last line of a Python script's stdout as JSON, or why there is none. */
function runPython<T>(script: string, args: string[], input?: string): T | Missing {
  const r = spawnSync(PYTHON, [path.join(BENCH_DIR, script), ...args], {
    input, encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'], maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return { why: `${script} exited with ${r.status ?? r.signal ?? r.error?.message}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  } catch (e) {
    return { why: `${script} printed no JSON: ${(e as Error).message}` };
  }
}

// ---- the command ----------------------------------------------------------------------------

/** A peer's median ms; overPoolkit where its runs were taken in turns with poolkit's (their median ratio). */
type PeerResult = { ms: number; overPoolkit?: number } | Missing;

interface PoolRow {
  case: string;
  direction: Direction;
  threads: number;
  shape: number[];
  out: number[];
  bytes: number;
  poolkitMs: number;
  copyMs: number;
  gbPerS: number;
  /** The median over turns of poolkit's time over the copy's. */
  poolkitOverCopy: number;
  /** Every timed run, in turns. */
  /** Every timed run: poolkit's in turns with the copy's, and (where TF.js runs) in turns with TF.js's. */
  runs: { poolkitMs: number[]; copyMs: number[]; tfjs?: { poolkitMs: number[]; tfjsMs: number[] } };
  tfjs: PeerResult;
  ort: PeerResult & { maxAbsDiffVsPoolkit?: number };
  torch: PeerResult;
}

interface EpochRow {
  framework: 'poolkit' | 'PyTorch';
  threads: number;
  images?: number;
  seconds?: number;
  imagesPerSecond?: number;
  loss?: number;
  why?: string;
}

const progress = (line: string) => process.stderr.write(line + '\n');

export async function bench(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    quick: { type: 'boolean' }, cases: { type: 'string' }, runs: { type: 'string' }, 'epoch-images': { type: 'string' },
    json: { type: 'string' }, 'no-tf': { type: 'boolean' }, 'no-ort': { type: 'boolean' }, 'no-torch': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(BENCH_HELP);
    return;
  }
  const quick = values.quick === true;
  const timing: Timing = { runs: intFlag('runs', values.runs, quick ? 5 : 7, 1, 1000), minS: quick ? 0.1 : 0.4, budgetS: quick ? 1 : 2 };
  const epochImages = intFlag('epoch-images', values['epoch-images'], quick ? QUICK_EPOCH_IMAGES : EPOCH_IMAGES, 1, EPOCH_IMAGES);
  let want = CASE_NAMES;
  if (values.cases !== undefined) {
    want = values.cases.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = want.filter((w) => !CASE_NAMES.includes(w));
    if (unknown.length || !want.length) throw new UsageError(`--cases: unknown case(s) '${unknown.join(', ')}'; known: ${CASE_NAMES.join(', ')}`);
  }
  const cases = poolCases(quick).filter((c) => want.includes(c.name));
  const withEpoch = want.includes(EPOCH_CASE);

  const defaultThreads = getNumThreads();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version,
    loadAverage: os.loadavg().map((l) => +l.toFixed(2)), wasmSimd: wasmSimdAvailable(), fastKernels: fastKernels(), defaultThreads,
  };
  progress(`poolkit bench — ${machine.cpu}, ${machine.cpus} cpus, node ${machine.node}, load ${machine.loadAverage.join(' ')}${quick ? ', --quick' : ''}`);

  const require = createRequire(import.meta.url);
  const torchProbe: { version: string } | Missing = values['no-torch'] ? { why: 'skipped (--no-torch)' } : probeTorch();
  let torchPool: TorchPool | Missing = isMissing(torchProbe) ? torchProbe : { why: 'no result' };
  if (!isMissing(torchProbe) && cases.length) {
    progress('  PyTorch pooling: timing in a subprocess (bench/pool_torch.py) …');
    const spec = { cases, threads: THREADS, warmup: WARMUP, runs: timing.runs, budget_s: timing.budgetS };
    torchPool = runPython<TorchPool>('pool_torch.py', [], JSON.stringify(spec));
  }
  const T: TfPeer | Missing = values['no-tf'] ? { why: 'skipped (--no-tf)' } : await setupTf(require);
  const O: OrtPeer | Missing = values['no-ort'] ? { why: 'skipped (--no-ort)' } : setupOrt(require);

  const maxBytes = Math.max(0, ...cases.flatMap((c) => c.directions.map((d) => bytesOf(c, d))));
  const copy = cases.length ? await CopyYardstick.start(maxBytes, 2) : null;
  const rows: PoolRow[] = [];
  const epochs: EpochRow[] = [];
  try {
    for (const c of cases) {
      const xData = randomData(numel(c.shape), 1);
      const gData = randomData(numel(outShape(c)), 2);
      const expected = !isMissing(O) ? poolkitOutput(c, xData) : null;
      for (const direction of c.directions) {
        const bytes = bytesOf(c, direction);
        for (const threads of THREADS) {
          progress(`  ${c.name} ${direction} ${threads} thread(s) …`);
          // Let the last peer's spinning thread pools (ONNX Runtime's, TF.js's) go to sleep first.
          await new Promise((resolve) => setTimeout(resolve, 250));
          // The copy and TF.js each in their own turns with poolkit: a TF.js backward takes up to a
          // second, and sharing its turns would leave the copy ratio two or three samples.
          const [pkRuns, copyRuns] = poolkitMs(timing, c, direction, threads, xData, gData, copy!.copier(bytes, threads)) as [number[], number[]];
          const tfRun = tfPrepare(T, c, direction, threads, xData, gData);
          let tfTurns: [number[], number[]] | null = null;
          if (!isMissing(tfRun)) {
            try {
              tfTurns = poolkitMs(timing, c, direction, threads, xData, gData, tfRun.run) as [number[], number[]];
            } finally {
              tfRun.dispose();
            }
          }
          const pk = median(pkRuns);
          const row: PoolRow = {
            case: c.name, direction, threads, shape: c.shape, out: outShape(c), bytes,
            poolkitMs: pk, copyMs: median(copyRuns), gbPerS: bytes / 1e6 / pk, poolkitOverCopy: turnRatio(pkRuns, copyRuns),
            runs: { poolkitMs: pkRuns, copyMs: copyRuns, ...(tfTurns ? { tfjs: { poolkitMs: tfTurns[0], tfjsMs: tfTurns[1] } } : {}) },
            tfjs: isMissing(tfRun) || !tfTurns ? (tfRun as Missing) : { ms: median(tfTurns[1]), overPoolkit: turnRatio(tfTurns[1], tfTurns[0]) },
            ort: await ortResult(timing, O, c, direction, threads, xData, expected),
            torch: torchResult(torchPool, c, direction, threads),
          };
          rows.push(row);
        }
      }
    }
    if (withEpoch) epochs.push(...await epochRows(epochImages, torchProbe));
  } finally {
    copy?.stop();
    setNumThreads(defaultThreads);
  }

  const versions = {
    tfjs: isMissing(T) ? null : T.version, ort: isMissing(O) ? null : O.version,
    torch: isMissing(torchProbe) ? null : torchProbe.version,
  };
  console.log(report(machine, versions, timing, rows, epochs, isMissing(T) ? null : T.twoThreads, epochImages));
  if (values.json !== undefined) {
    writeFileSync(values.json, JSON.stringify({
      machine, versions, options: { quick, runs: timing.runs, warmup: WARMUP, budgetS: timing.budgetS, epochImages }, rows, epochs,
    }, null, 2) + '\n');
    progress(`wrote ${values.json}`);
  }
}

/**
 * TF.js for this row, if it runs it: a runner that has run once (so a failure shows before the
 * timing starts, as the row's reason), else why not.
 */
function tfPrepare(T: TfPeer | Missing, c: PoolCase, direction: Direction, threads: number, xData: Float32Array, gData: Float32Array):
  { run: () => void; dispose: () => void } | Missing {
  if (isMissing(T)) return T;
  const why = tfUnsupported(T.tf, c, direction);
  if (why) return { why };
  if (threads !== 1) return { why: `2 threads: ${T.twoThreads}` };
  let runner: { run: () => void; dispose: () => void } | undefined;
  try {
    runner = tfRunner(T.tf, c, direction, xData, gData);
    runner.run();
    return runner;
  } catch (e) {
    runner?.dispose();
    return { why: (e as Error).message.split('\n')[0]! };
  }
}

async function ortResult(t: Timing, O: OrtPeer | Missing, c: PoolCase, direction: Direction, threads: number, xData: Float32Array, expected: Float32Array | null) {
  if (direction === 'fwdbwd') return { why: 'ONNX Runtime (inference build) cannot train' };
  if (isMissing(O)) return O;
  try {
    const { ms, maxAbsDiff } = await ortMs(t, O.ort, c, threads, xData, expected!);
    return { ms, maxAbsDiffVsPoolkit: maxAbsDiff };
  } catch (e) {
    return { why: (e as Error).message.split('\n')[0]! };
  }
}

function torchResult(torch: TorchPool | Missing, c: PoolCase, direction: Direction, threads: number): PeerResult {
  if (isMissing(torch)) return torch;
  const ms = torch.results[c.name]?.[direction]?.[String(threads)];
  return ms === undefined ? { why: 'no result' } : { ms };
}

/** One LeNet-5 epoch on the first `images` MNIST images: poolkit, then PyTorch, at each thread count. */
async function epochRows(images: number, torch: { version: string } | Missing): Promise<EpochRow[]> {
  const data = await loadMnist();
  const train = data.train.slice(0, images);
  const rows: EpochRow[] = [];
  for (const threads of THREADS) {
    progress(`  ${EPOCH_CASE}: poolkit, ${threads} thread(s), ${train.n} images …`);
    const r = poolkitEpoch(train, threads);
    rows.push({ framework: 'poolkit', threads, ...r, imagesPerSecond: r.images / r.seconds });
  }
  for (const threads of THREADS) {
    if (isMissing(torch)) {
      rows.push({ framework: 'PyTorch', threads, why: torch.why });
      continue;
    }
    progress(`  ${EPOCH_CASE}: PyTorch, ${threads} thread(s), ${train.n} images (bench/train_torch.py) …`);
    const r = runPython<{ images: number; seconds: number; loss: number }>('train_torch.py', [
      builtinMnistDir(), '--images', String(train.n), '--batch-size', String(BATCH), '--lr', String(LR),
      '--momentum', String(MOMENTUM), '--seed', String(SEED), '--threads', String(threads),
    ]);
    rows.push(isMissing(r)
      ? { framework: 'PyTorch', threads, why: r.why }
      : { framework: 'PyTorch', threads, images: r.images, seconds: r.seconds, loss: r.loss, imagesPerSecond: r.images / r.seconds });
  }
  return rows;
}

// ---- report ---------------------------------------------------------------------------------

const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRatio = (r: number) => `${r.toFixed(2)}×`;

function table(header: string[], body: string[][], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((x, i) => (i < leftColumns ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

function report(
  machine: { cpu: string; cpus: number; os: string; node: string; loadAverage: number[]; wasmSimd: boolean; fastKernels: boolean; defaultThreads: number },
  versions: { tfjs: string | null; ort: string | null; torch: string | null },
  timing: Timing, rows: PoolRow[], epochs: EpochRow[], tfTwoThreads: string | null, epochImages: number,
): string {
  const out = [
    `poolkit bench — ${machine.cpu}, ${machine.cpus} cpus, ${machine.os}, Node ${machine.node}`,
    `load average at start ${machine.loadAverage.join(' ')} (the machine may be shared: compare ratios taken in the same run);` +
      ` wasm SIMD ${machine.wasmSimd ? 'yes' : 'no'}, fast kernels ${machine.fastKernels ? 'on' : 'off'}, poolkit default threads ${machine.defaultThreads}`,
    `peers: TensorFlow.js ${versions.tfjs ?? '-'} (wasm), onnxruntime-node ${versions.ort ?? '-'}, PyTorch ${versions.torch ?? '-'} (CPU)`,
  ];
  const notes = new Map<string, Set<string>>(); // "peer: why" → the case/direction pairs it applies to
  const peer = (name: string, p: PeerResult, base: number, where: string) => {
    if (!isMissing(p)) return `${fmtMs(p.ms)} (${fmtRatio(p.overPoolkit ?? p.ms / base)})`;
    const key = `${name}: ${p.why}`;
    notes.set(key, (notes.get(key) ?? new Set()).add(where));
    return 'n/a';
  };
  if (rows.length) {
    const body = rows.map((r) => {
      const where = `${r.case} ${r.direction}`;
      return [
        r.case, r.direction, String(r.threads), fmtMs(r.poolkitMs), r.gbPerS.toFixed(1), fmtMs(r.copyMs), fmtRatio(r.poolkitOverCopy),
        peer('TF.js', r.tfjs, r.poolkitMs, where), peer('ORT', r.ort, r.poolkitMs, where), peer('PyTorch', r.torch, r.poolkitMs, where),
      ];
    });
    out.push('', ...table(['case', 'dir', 'threads', 'poolkit ms', 'GB/s', 'copy ms', 'pk/copy', 'TF.js wasm ms', 'ORT ms', 'PyTorch ms'], body, 2));
    out.push(
      '',
      `Median ms of ${timing.runs} runs or more (as many as fit in ${timing.minS} s, up to ${MAX_RUNS}; fewer if ${timing.budgetS} s pass first) after at least`,
      `  ${WARMUP} warm-up runs and ${WARMUP_MS} ms. GB/s: bytes the ideal kernel reads + writes (input +`,
      '  output, + int32 indices for max with grad, + grad_out/grad_in for backward; Lp backward also rereads input and output)',
      '  over poolkit\'s time. copy ms: Float32Array.set moving the same bytes (half read, half written), on 1 thread or split',
      '  between it and a worker (as poolkit\'s 2 threads are), each run taken in turn with one of poolkit\'s (the same machine',
      '  load; calls under 5 ms run once untimed just before, so that they find their data in the caches); pk/copy = the',
      '  median over those turns of poolkit / copy, at the same thread count (target ≤ 1.5×).',
      'Peers: "ms (peer / poolkit)" at the same thread count — above 1× poolkit is faster. TF.js wasm is given NHWC input',
      '  directly (no transpose timed), its runs taken in turns of their own with poolkit\'s (the ratio: their median over turns);',
      '  adaptive 14→7 runs there and in ORT as its exact equivalent, k2s2 pooling.',
      '  ORT: forward only, intraOpNumThreads = threads. PyTorch: torch.set_num_threads(threads), forward under no_grad.',
    );
    const diffs = rows.flatMap((r) => (r.ort.maxAbsDiffVsPoolkit === undefined ? [] : [r.ort.maxAbsDiffVsPoolkit]));
    if (diffs.length) out.push(`ORT outputs checked against poolkit's: max |difference| ${Math.max(...diffs).toExponential(1)}.`);
    out.push('Small cases (LeNet, adaptive) fit in cache, so their copy yardstick is cache bandwidth, not memory bandwidth.');
  }
  if (epochs.length) {
    const poolkitAt = (threads: number) => epochs.find((e) => e.framework === 'poolkit' && e.threads === threads);
    const body = epochs.map((e) => {
      if (e.why !== undefined) return [e.framework, String(e.threads), 'n/a', '', '', ''];
      const pk = poolkitAt(e.threads)!;
      return [
        e.framework, String(e.threads), e.imagesPerSecond!.toFixed(0), e.seconds! < 10 ? e.seconds!.toFixed(2) : e.seconds!.toFixed(1),
        `${e.images !== EPOCH_IMAGES ? '~' : ''}${(EPOCH_IMAGES / e.imagesPerSecond!).toFixed(1)}`,
        e.framework === 'poolkit' ? '' : fmtRatio(pk.imagesPerSecond! / e.imagesPerSecond!),
      ];
    });
    out.push(
      '', `LeNet-5 training, one epoch of ${epochImages} MNIST images (batch ${BATCH}, SGD lr ${LR} momentum ${MOMENTUM}, seed ${SEED}):`,
      ...table(['framework', 'threads', 'images/s', 's', `s per ${EPOCH_IMAGES}`, 'peer / poolkit'], body, 1),
      `peer / poolkit: the peer's time over poolkit's at the same thread count — above 1× poolkit is faster.` +
        (epochImages !== EPOCH_IMAGES ? ` ~: extrapolated from ${epochImages} images.` : ''),
    );
    for (const why of new Set(epochs.flatMap((e) => (e.why === undefined ? [] : [`${e.framework} n/a: ${e.why}`])))) out.push(why);
  }
  if (tfTwoThreads !== null && rows.length) out.push(`TF.js wasm at 2 threads: n/a — ${tfTwoThreads}.`);
  const pairs = [...new Set(rows.map((r) => `${r.case} ${r.direction}`))];
  for (const [key, where] of notes) {
    if (key.startsWith('TF.js: 2 threads:')) continue; // said once above
    const [name, why] = [key.slice(0, key.indexOf(': ')), key.slice(key.indexOf(': ') + 2)];
    const every = (dir: string) => pairs.filter((p) => p.endsWith(dir)).every((p) => where.has(p));
    const which = where.size === pairs.length ? 'every case'
      : every(' fwd') && where.size === pairs.filter((p) => p.endsWith(' fwd')).length ? 'every fwd case'
      : every(' fwdbwd') && where.size === pairs.filter((p) => p.endsWith(' fwdbwd')).length ? 'every fwdbwd case'
      : [...where].join(', ');
    out.push(`${name} n/a in ${which}: ${why}`);
  }
  return out.join('\n');
}
