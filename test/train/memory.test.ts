// Peak memory of LeNet-5 training on MNIST: the 60,000 images stay bytes (a batch is made per
// step), tensors live in the kernels' memory and freed storage is reused — so a process that
// has loaded the whole dataset and trained hundreds of steps stays under 400 MB of RSS, and
// does not grow from step to step.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const built = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url)))); // build/

// Runs in a fresh Node: the whole MNIST training set, LeNet-5, SGD with momentum, batch 64 —
// `poolkit train`'s loop — stopping after `steps`; prints the RSS after `early` steps, after all
// of them, and the peak (maxRSS), in MB.
const CHILD = `
const { lenet5, SGD, DataLoader, Generator, trainEpoch } = await import(${JSON.stringify(path.join(built, 'src', 'node.js'))});
const { loadMnist } = await import(${JSON.stringify(path.join(built, 'cli', 'mnist.js'))});
const [steps, early] = process.argv.slice(2).map(Number);
const { train } = await loadMnist({});
const model = lenet5({ pool: 'max', generator: new Generator(1) });
const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const loader = new DataLoader(train, { batchSize: 64, shuffle: true, generator: new Generator(1) });
const mb = (bytes) => bytes / 2 ** 20;
let earlyRss = 0;
class Stop extends Error {}
try {
  trainEpoch(model, loader, optimizer, { epoch: 1, startStep: 0, lrAt: () => 0.01, onStep: (s) => {
    if (s.step === early) earlyRss = mb(process.memoryUsage().rss);
    if (s.step === steps) throw new Stop();
  } });
} catch (e) {
  if (!(e instanceof Stop)) throw e;
}
console.log(JSON.stringify({ images: train.n, steps: steps, earlyRss, rss: mb(process.memoryUsage().rss), peak: process.resourceUsage().maxRSS / 1024 }));
`;

test('LeNet-5 training on all of MNIST stays under 400 MB of RSS and does not grow step to step', () => {
  // A file, not `-e`: the kernels' workers would inherit `--input-type=module`.
  const dir = mkdtempSync(path.join(tmpdir(), 'poolkit-memory-'));
  const script = path.join(dir, 'train.mjs');
  writeFileSync(script, CHILD);
  const r = spawnSync(process.execPath, [script, '300', '50'], { encoding: 'utf8', timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { images: number; earlyRss: number; rss: number; peak: number };
  assert.equal(m.images, 60000);
  assert.ok(m.peak < 400, `peak RSS ${m.peak.toFixed(0)} MB (limit 400)`);
  // Storage is reused: 250 more steps add no more than a little (JIT code, allocator slack).
  assert.ok(m.rss - m.earlyRss < 32, `RSS grew from ${m.earlyRss.toFixed(0)} MB after 50 steps to ${m.rss.toFixed(0)} MB after 300`);
});
