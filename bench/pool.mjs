#!/usr/bin/env node
// Pooling speed: poolkit beside the memory-copy yardstick, TensorFlow.js (wasm), ONNX Runtime
// (node) and PyTorch (when /usr/bin/python3 has torch), all in one run on the same machine.
//
//     npm run bench                              # every case, default sizes (~3–5 minutes)
//     npm run bench -- --quick                   # smaller tensors, fewer runs
//     npm run bench -- --cases max_k2s2,lenet1 --json bench-pool.json
//
// Each number is the median wall time of several runs after warm-up, on the calling thread.
// GB/s counts the bytes the ideal kernel must move (see `bytesOf`); "copy" is the time of a
// `Float32Array.prototype.set` that moves the same number of bytes (half read, half written) on
// the same thread — the memory-bandwidth yardstick. Ratios are "other / copy" for poolkit and
// "other / poolkit" for the peers (>1: poolkit is faster). Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, fastKernels, lpPool2d, maxPool2d, tensor,
  wasmSimdAvailable,
} from 'poolkit';

const HELP = `Usage: npm run bench -- [options]

Options:
  --quick          smaller tensors (batch 8 instead of 32/64) and fewer runs
  --cases a,b      only these cases (names below)
  --runs N         timed runs per measurement (default 7, quick 5); each stops early after ~2 s
  --no-tf          skip TensorFlow.js      --no-ort     skip ONNX Runtime
  --no-torch       skip PyTorch
  --json FILE      also write every number as JSON
  -h, --help       this help

Cases: ${'CASE_NAMES'}`;

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const PYTHON = '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' }, cases: { type: 'string' }, runs: { type: 'string' },
    json: { type: 'string' }, 'no-tf': { type: 'boolean' }, 'no-ort': { type: 'boolean' },
    'no-torch': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  },
});

// ---- cases ----------------------------------------------------------------------------------

const QUICK = !!values.quick;
const BIG_N = QUICK ? 8 : 32;
const LENET_N = 64;
const BOTH = ['fwd', 'fwdbwd'];
// op: max | avg | lp2 | amax | aavg. Adaptive 14→7 has windows that are exactly k2s2, so the
// peers without an adaptive op (TF.js, ONNX's Global* pools only give 1×1) run it as k2s2 pooling.
const CASES = [
  { name: 'max_k2s2', op: 'max', shape: [BIG_N, 64, 112, 112], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'max_k3s2p1', op: 'max', shape: [BIG_N, 64, 112, 112], k: 3, s: 2, p: 1, directions: BOTH },
  { name: 'avg_k2s2', op: 'avg', shape: [BIG_N, 64, 112, 112], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'lp2_k2s2', op: 'lp2', shape: [BIG_N, 64, 112, 112], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'adaptive_avg_7', op: 'aavg', shape: [BIG_N, 512, 14, 14], out: [7, 7], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'adaptive_max_7', op: 'amax', shape: [BIG_N, 512, 14, 14], out: [7, 7], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'lenet1_max_k2s2', op: 'max', shape: [LENET_N, 6, 28, 28], k: 2, s: 2, p: 0, directions: BOTH },
  { name: 'lenet2_max_k2s2', op: 'max', shape: [LENET_N, 16, 10, 10], k: 2, s: 2, p: 0, directions: BOTH },
];

if (values.help) {
  console.log(HELP.replace('CASE_NAMES', CASES.map((c) => c.name).join(', ')));
  process.exit(0);
}
let cases = CASES;
if (values.cases) {
  const want = values.cases.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = want.filter((w) => !CASES.some((c) => c.name === w));
  if (unknown.length) {
    console.error(`--cases: unknown case(s) ${unknown.join(', ')}; known: ${CASES.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  cases = CASES.filter((c) => want.includes(c.name));
}
const RUNS = values.runs !== undefined ? Number(values.runs) : QUICK ? 5 : 7;
if (!Number.isSafeInteger(RUNS) || RUNS < 1) {
  console.error(`--runs must be a positive integer, but got '${values.runs}'`);
  process.exit(2);
}
const WARMUP = 2;
const BUDGET_S = QUICK ? 1 : 2; // a measurement stops after this many seconds once it has 3 runs

function outShape(c) {
  const [n, ch, h, w] = c.shape;
  if (c.out) return [n, ch, c.out[0], c.out[1]];
  const o = (x) => Math.floor((x + 2 * c.p - c.k) / c.s) + 1;
  return [n, ch, o(h), o(w)];
}
const numel = (s) => s.reduce((a, b) => a * b, 1);

// Bytes the ideal kernel reads + writes (float32 data, int32 indices):
//   forward: input + output (max without grad makes no indices, as in PyTorch's no_grad path);
//   forward+backward, max:  fwd input + output + indices, bwd grad_out + indices + grad_in;
//                     avg:  fwd input + output,           bwd grad_out + grad_in;
//                     lp2:  fwd input + output,           bwd grad_out + input + output + grad_in.
function bytesOf(c, direction) {
  const i = numel(c.shape) * 4, o = numel(outShape(c)) * 4;
  if (direction === 'fwd') return i + o;
  if (c.op === 'max' || c.op === 'amax') return (i + o + o) + (o + o + i);
  if (c.op === 'lp2') return (i + o) + (o + i + o + i);
  return (i + o) + (o + i);
}

// ---- timing ---------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function measure(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times = [];
  const start = performance.now();
  while (times.length < RUNS && (times.length < 3 || performance.now() - start < BUDGET_S * 1e3)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function randomData(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

// ---- memory-copy yardstick ------------------------------------------------------------------

const maxBytes = Math.max(...cases.flatMap((c) => c.directions.map((d) => bytesOf(c, d))));
const copySrc = randomData(Math.ceil(maxBytes / 8), 7);
const copyDst = new Float32Array(copySrc.length);
copyDst.set(copySrc); // fault the pages in once
async function copyMs(bytes) {
  const n = Math.ceil(bytes / 8); // bytes/2 read + bytes/2 written
  const src = copySrc.subarray(0, n), dst = copyDst.subarray(0, n);
  return measure(() => dst.set(src));
}

// ---- poolkit --------------------------------------------------------------------------------

function poolkitOp(c) {
  switch (c.op) {
    case 'max': return (x) => maxPool2d(x, { kernelSize: c.k, stride: c.s, padding: c.p });
    case 'avg': return (x) => avgPool2d(x, { kernelSize: c.k, stride: c.s, padding: c.p });
    case 'lp2': return (x) => lpPool2d(x, 2, { kernelSize: c.k, stride: c.s });
    case 'aavg': return (x) => adaptiveAvgPool2d(x, c.out);
    case 'amax': return (x) => adaptiveMaxPool2d(x, c.out);
  }
  throw new Error(c.op);
}

async function poolkitMs(c, direction, xData, gData) {
  const f = poolkitOp(c);
  if (direction === 'fwd') {
    const x = tensor(xData, c.shape);
    return measure(() => { f(x); });
  }
  const x = tensor(xData, c.shape, { requiresGrad: true });
  const g = tensor(gData, outShape(c));
  return measure(() => {
    x.grad = null;
    f(x).backward(g);
  });
}

// ---- TensorFlow.js (wasm backend) -----------------------------------------------------------

async function setupTf() {
  if (values['no-tf']) return { why: 'skipped (--no-tf)' };
  try {
    const tf = require('@tensorflow/tfjs');
    const tfWasm = require('@tensorflow/tfjs-backend-wasm');
    // Load the .wasm files from node_modules: nothing is downloaded.
    tfWasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) return { why: "backend 'wasm' failed to initialize" };
    await tf.ready();
    return { tf, version: tf.version.tfjs, threads: 1 };
  } catch (e) {
    return { why: `could not load: ${e.message}` };
  }
}

// TF.js pools NHWC: it is given NHWC data directly (same values, transposed once outside the
// timing), so no transpose is timed. It has no Lp pooling and no adaptive pooling (adaptive 14→7
// runs as its exact equivalent, k2s2 pooling).
function tfSupport(tf, c, direction) {
  if (c.op === 'lp2') return 'no Lp pooling op';
  if (direction === 'fwdbwd') {
    const kernel = c.op === 'max' || c.op === 'amax' ? 'MaxPoolGrad' : 'AvgPoolGrad';
    if (!tf.getKernel(kernel, 'wasm')) return `wasm backend has no ${kernel} kernel`;
  }
  return null;
}

function toNhwc(data, [n, ch, h, w]) {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let cc = 0; cc < ch; cc++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * ch + cc] = data[((b * ch + cc) * h + y) * w + x];
  return out;
}

async function tfMs(T, c, direction, xData, gData) {
  const { tf } = T;
  const [n, ch, h, w] = c.shape;
  const [, , oh, ow] = outShape(c);
  const x = tf.tensor4d(toNhwc(xData, c.shape), [n, h, w, ch]);
  const pool = c.op === 'max' || c.op === 'amax'
    ? (t) => tf.maxPool(t, c.k, c.s, c.p === 0 ? 'valid' : c.p)
    : (t) => tf.avgPool(t, c.k, c.s, c.p === 0 ? 'valid' : c.p);
  try {
    if (direction === 'fwd') {
      // The wasm backend runs each kernel synchronously, so the op has finished on return.
      return await measure(() => { tf.dispose(pool(x)); });
    }
    const dy = tf.tensor4d(toNhwc(gData, outShape(c)), [n, oh, ow, ch]);
    const grad = tf.grad(pool);
    try {
      return await measure(() => { tf.dispose(grad(x, dy)); });
    } finally {
      dy.dispose();
    }
  } finally {
    x.dispose();
  }
}

// ---- ONNX Runtime (node), forward only ------------------------------------------------------

// A minimal protobuf writer: enough of onnx.proto to hold one pooling node.
const te = new TextEncoder();
function varint(v) {
  const out = [];
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
const fInt = (field, v) => [...varint(field << 3), ...varint(v)];
const fBytes = (field, bytes) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const fStr = (field, s) => fBytes(field, [...te.encode(s)]);
function attrInts(name, ints) { // AttributeProto: name=1, ints=8, type=20 (INTS=7)
  return [...fStr(1, name), ...ints.flatMap((i) => fInt(8, i)), ...fInt(20, 7)];
}
function attrInt(name, i) { // i=3, type=20 (INT=2)
  return [...fStr(1, name), ...fInt(3, i), ...fInt(20, 2)];
}
function valueInfo(name, dims) { // ValueInfoProto{name=1, type=2{tensor_type=1{elem_type=1, shape=2{dim=1{dim_value=1}}}}}
  const shape = dims ? fBytes(2, dims.flatMap((d) => fBytes(1, fInt(1, d)))) : [];
  return [...fStr(1, name), ...fBytes(2, fBytes(1, [...fInt(1, 1 /* FLOAT */), ...shape]))];
}
function onnxPoolModel(c) {
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

async function setupOrt() {
  if (values['no-ort']) return { why: 'skipped (--no-ort)' };
  try {
    const ort = require('onnxruntime-node');
    return { ort, version: ort.env?.versions?.node ?? '?' };
  } catch (e) {
    return { why: `could not load onnxruntime-node: ${e.message}` };
  }
}

async function ortMs(O, c, threads, xData, expected) {
  const { ort } = O;
  const session = await ort.InferenceSession.create(onnxPoolModel(c), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = { x: new ort.Tensor('float32', xData, c.shape) };
  try {
    const first = await session.run(feeds);
    const dims = first.y.dims.join('×');
    if (dims !== outShape(c).join('×')) throw new Error(`ONNX output ${dims}, expected ${outShape(c).join('×')}`);
    let maxAbsDiff = 0; // ORT computes the same thing as poolkit (a sanity check, not a parity test)
    for (let i = 0; i < expected.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(first.y.data[i] - expected[i]));
    return { ms: await measure(() => session.run(feeds)), maxAbsDiff };
  } finally {
    await session.release?.();
  }
}

// ---- PyTorch --------------------------------------------------------------------------------

function runTorch() {
  if (values['no-torch']) return { why: 'skipped (--no-torch)' };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { why: `${PYTHON} cannot import torch` };
  const spec = { cases, threads: [1, 2], warmup: WARMUP, runs: RUNS, budget_s: BUDGET_S };
  console.error('PyTorch: timing in a subprocess (bench/pool_torch.py) …');
  const r = spawnSync(PYTHON, [path.join(here, 'pool_torch.py')], {
    input: JSON.stringify(spec), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return { why: `pool_torch.py exited with ${r.status}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch (e) {
    return { why: `pool_torch.py printed no JSON: ${e.message}` };
  }
}

// ---- main -----------------------------------------------------------------------------------

const env = {
  node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?',
  loadavg: os.loadavg().map((x) => +x.toFixed(2)), wasmSimd: wasmSimdAvailable(), fastKernels: fastKernels(),
  quick: QUICK, runs: RUNS, warmup: WARMUP,
};
console.error(`poolkit pooling bench — ${env.cpuModel}, ${env.cpus} cpus, node ${env.node}, load ${env.loadavg.join(' ')}` +
  `, wasm SIMD ${env.wasmSimd ? 'yes' : 'no'}, fast kernels ${env.fastKernels ? 'on' : 'off'}${QUICK ? ', --quick' : ''}`);

const torch = runTorch();
const T = await setupTf();
const O = await setupOrt();
const fmtWhy = (x) => x.why ?? null;

const rows = [];
for (const c of cases) {
  const xData = randomData(numel(c.shape), 1);
  const gData = randomData(numel(outShape(c)), 2);
  for (const direction of c.directions) {
    const bytes = bytesOf(c, direction);
    const row = { case: c.name, direction, shape: c.shape, out: outShape(c), bytes };
    console.error(`  ${c.name} ${direction} …`);
    row.poolkit = { threads: { 1: await poolkitMs(c, direction, xData, gData) }, twoThreads: 'not yet (poolkit has no worker threads)' };
    row.copyMs = await copyMs(bytes);
    if (T.tf) {
      const why = tfSupport(T.tf, c, direction);
      if (why) row.tfjs = { why };
      else {
        try { row.tfjs = { ms: await tfMs(T, c, direction, xData, gData), threads: 1, note: c.out ? 'as k2s2 pooling' : undefined }; }
        catch (e) { row.tfjs = { why: e.message.split('\n')[0] }; }
      }
    } else row.tfjs = { why: T.why };
    if (direction === 'fwdbwd') row.ort = { why: 'ONNX Runtime (inference build) cannot train' };
    else if (O.ort) {
      row.ort = { threads: {} };
      const expected = poolkitOp(c)(tensor(xData, c.shape)).data;
      for (const th of [1, 2]) {
        try {
          const { ms, maxAbsDiff } = await ortMs(O, c, th, xData, expected);
          row.ort.threads[th] = ms;
          row.ort.maxAbsDiffVsPoolkit = maxAbsDiff;
        }
        catch (e) { row.ort = { why: e.message.split('\n')[0] }; break; }
      }
    } else row.ort = { why: O.why };
    const t = torch.results?.[c.name]?.[direction];
    row.torch = t ? { threads: { 1: t['1'], 2: t['2'] } } : { why: torch.why ?? 'no result' };
    rows.push(row);
  }
}

// ---- report ---------------------------------------------------------------------------------

const pk = (r) => r.poolkit.threads[1];
const f1 = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const ratio = (other, base) => `${(other / base).toFixed(2)}×`;
function peerCell(p, base) {
  if (p.ms !== undefined) return `${f1(p.ms)} (${ratio(p.ms, base)})`;
  if (p.threads) return Object.values(p.threads).map((ms) => `${f1(ms)} (${ratio(ms, base)})`).join(' / ');
  return 'n/a';
}
const header = ['case', 'dir', 'poolkit ms', 'GB/s', 'copy ms', 'pk/copy', 'TF.js wasm ms', 'ORT 1t / 2t ms', 'PyTorch 1t / 2t ms'];
const table = rows.map((r) => [
  r.case, r.direction, f1(pk(r)), (r.bytes / 1e6 / pk(r)).toFixed(1), f1(r.copyMs), ratio(pk(r), r.copyMs),
  peerCell(r.tfjs, pk(r)), peerCell(r.ort, pk(r)), peerCell(r.torch, pk(r)),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((x, i) => (i < 2 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
console.log('');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
console.log('');
console.log(`Median ms of up to ${RUNS} runs after ${WARMUP} warm-up runs; poolkit at 1 thread (2 threads: not yet — poolkit has no worker threads).`);
console.log('GB/s: bytes the ideal kernel reads + writes (input + output, + int32 indices for max with grad, + grad_out/grad_in');
console.log('  for backward; Lp backward also rereads input and output) over poolkit\'s time. copy ms: Float32Array.set moving');
console.log('  the same bytes (half read, half written) on this thread; pk/copy = poolkit / copy (target ≤ 1.5×).');
console.log('Peers: "ms (peer / poolkit)" — above 1× poolkit is faster. TF.js wasm is given NHWC input directly (no transpose');
console.log(`  timed), 1 thread; adaptive 14→7 runs there and in ORT as its exact equivalent k2s2 pooling. ORT: forward only.`);
const notes = new Map(); // "peer: why" → cases
for (const r of rows) {
  for (const [name, p] of [['TF.js', r.tfjs], ['ORT', r.ort], ['PyTorch', r.torch]]) {
    if (!p.why) continue;
    const key = `${name}: ${p.why}`;
    notes.set(key, [...(notes.get(key) ?? []), `${r.case} ${r.direction}`]);
  }
}
for (const [why, which] of notes) console.log(`  n/a — ${why} (${which.join(', ')})`);
const diffs = rows.filter((r) => r.ort.maxAbsDiffVsPoolkit !== undefined).map((r) => r.ort.maxAbsDiffVsPoolkit);
if (diffs.length) console.log(`ORT outputs checked against poolkit's: max |difference| ${Math.max(...diffs).toExponential(1)}.`);
console.log('Small cases (LeNet, adaptive) fit in cache, so their copy yardstick is cache bandwidth, not memory bandwidth.');
console.log(`Versions: tfjs ${T.version ?? '-'}, onnxruntime-node ${O.version ?? '-'}, torch ${torch.torch ?? '-'}.`);
console.log(`Machine: ${env.cpus} cpus (${env.cpuModel}), load average at start ${env.loadavg.join(' ')} — it may be shared with other work, so`);
console.log('  absolute times can be noisy; compare ratios taken in the same run.');

if (values.json) {
  writeFileSync(values.json, JSON.stringify({ env, versions: { tfjs: T.version, ort: O.version, torch: torch.torch }, rows }, null, 2) + '\n');
  console.error(`wrote ${values.json}`);
}
