// Without WebAssembly (node --no-expose-wasm), everything still works on the reference kernels:
// no SIMD, one thread, storage on the JS heap even inside a scope — and pooling gives the very
// bits the WebAssembly kernels give in this process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import * as pk from '../../src/node.js';

const entry = pathToFileURL(path.resolve('dist/node.js')).href;

// The same computation in both processes: max and average pooling forward and backward, inside
// a scope, on fixed values with NaN and ties; then a few LeNet-5 steps, whose loss must fall.
const PROGRAM = `
const pk = await import(${JSON.stringify(entry)});
const run = () => pk.scope(() => {
  const x = pk.zeros([4, 8, 30, 30], { requiresGrad: true });
  for (let i = 0; i < x.size; i++) x.data[i] = i % 97 === 0 ? NaN : Math.round(Math.sin(i * 0.37) * 8) / 4;
  const m = pk.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
  const a = pk.avgPool2d(x, { kernelSize: 2 });
  pk.sum(pk.add(pk.sum(m), pk.sum(a))).backward();
  return { m: Array.from(m.data), a: Array.from(a.data), g: Array.from(x.grad.data), heap: !(x.data.buffer instanceof SharedArrayBuffer) };
});
const result = run;
`;

const CHILD = `${PROGRAM}
pk.setNumThreads(2);
const r = result();
const model = pk.lenet5({ pool: 'max', generator: new pk.Generator(1) });
const opt = new pk.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const x = pk.zeros([32, 1, 28, 28]);
for (let i = 0; i < x.size; i++) x.data[i] = ((i * 2654435761) >>> 24) / 255;
const y = pk.tensor(Array.from({ length: 32 }, (_, i) => i % 10), [32], { dtype: 'int32' });
const losses = [];
for (let s = 0; s < 8; s++) losses.push(pk.scope(() => {
  opt.zeroGrad();
  const loss = pk.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
}));
console.log(JSON.stringify({ simd: pk.wasmSimdAvailable(), threads: pk.getNumThreads(), wasm: typeof WebAssembly, ...r, losses }));
`;

test('without WebAssembly: reference kernels, one thread, JS-heap storage, the same pooling bits', () => {
  const child = spawnSync(process.execPath, ['--no-expose-wasm', '--input-type=module', '-e', CHILD], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    simd: boolean; threads: number; wasm: string; m: number[]; a: number[]; g: number[]; heap: boolean; losses: number[];
  };
  assert.deepEqual({ simd: r.simd, threads: r.threads, wasm: r.wasm, heap: r.heap }, { simd: false, threads: 1, wasm: 'undefined', heap: true });
  assert.ok(r.losses.every((l, i) => i === 0 || l < r.losses[i - 1]!), `the loss falls step by step: ${r.losses.join(", ")}`);

  // Here, with the WebAssembly kernels: the same values and gradients, bit for bit.
  assert.equal(pk.wasmSimdAvailable(), true);
  const here = pk.scope(() => {
    const x = pk.zeros([4, 8, 30, 30], { requiresGrad: true });
    for (let i = 0; i < x.size; i++) x.data[i] = i % 97 === 0 ? NaN : Math.round(Math.sin(i * 0.37) * 8) / 4;
    const m = pk.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
    const a = pk.avgPool2d(x, { kernelSize: 2 });
    pk.sum(pk.add(pk.sum(m), pk.sum(a))).backward();
    return { m: Array.from(m.data), a: Array.from(a.data), g: Array.from(x.grad!.data) };
  });
  const same = (u: number[], v: number[]) => u.length === v.length && u.every((e, i) => Object.is(e, v[i]));
  // JSON turns NaN into null: compare through the same encoding.
  const enc = (u: number[]) => JSON.parse(JSON.stringify(u)) as number[];
  assert.ok(same(enc(here.m), r.m), 'max pooling values');
  assert.ok(same(enc(here.a), r.a), 'average pooling values');
  assert.ok(same(enc(here.g), r.g), 'gradients');
});
