// The CLI as a user runs it: a child process per command, in a scratch folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { loadMnist } from '../../cli/mnist.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const main = path.join(root, 'dist', 'cli', 'main.js');
let dir = '';

function poolkit(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'poolkit-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('poolkit CLI: help and mistakes', () => {
  test('--help for the tool and each subcommand, exit 0', () => {
    const top = poolkit('--help');
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: poolkit <command>/);
    for (const cmd of ['train', 'eval', 'predict']) {
      const r = poolkit(cmd, '--help');
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`Usage: poolkit ${cmd}`));
    }
    assert.match(poolkit('train', '--help').stdout, /--lr 0\.001 --schedule constant --normalize none/);
  });

  test('an unknown flag, a bad value or an unknown command is one line on stderr and exit 2', () => {
    for (const [args, message] of [
      [['train', '--bogus'], /Unknown option '--bogus'/],
      [['train', '--epochs', '0'], /--epochs must be a whole number from 1/],
      [['train', '--lr', 'fast'], /--lr must be a number/],
      [['train', '--pool', 'median'], /--pool must be one of max, avg, lp2, lp3/],
      [['train', '--optimizer', 'lbfgs'], /--optimizer must be one of sgd, adam/],
      [['train', '--normalize', 'zscore'], /--normalize must be one of mnist, none/],
      [['eval'], /eval needs --model FILE/],
      [['predict', '--model', 'm.safetensors'], /predict needs at least one PNG image/],
      [['fly'], /unknown command 'fly'/],
    ] as const) {
      const r = poolkit(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('a missing or corrupt model file is refused cleanly, exit 1', () => {
    const missing = poolkit('eval', '--model', 'nothere.safetensors');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothere\.safetensors: no such file/);
    writeFileSync(path.join(dir, 'junk.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123, 125]));
    const junk = poolkit('eval', '--model', 'junk.safetensors');
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /junk\.safetensors/);
    assert.doesNotMatch(junk.stderr, /\n\s+at /);
  });
});

describe('poolkit CLI: train → eval → predict on a slice of MNIST', () => {
  test('train prints one parseable line per epoch and saves the model and training state', () => {
    const r = poolkit('train', '--limit', '4000', '--test-limit', '1000', '--epochs', '2', '--out', 'm.safetensors');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
    assert.equal(lines.length, 2);
    const re = /^epoch (\d+)\/2  loss (\d+\.\d{4})  test accuracy (\d+\.\d{2}) %  (\d+\.\d) s$/;
    for (const [i, line] of lines.entries()) {
      const m = re.exec(line);
      assert.ok(m, `line in the documented form: ${line}`);
      assert.equal(Number(m[1]), i + 1);
    }
    const acc = Number(re.exec(lines[1]!)![3]);
    assert.ok(acc > 75, `accuracy far above chance (10 %), got ${acc} %`);
    assert.match(r.stdout, /model: .*m\.safetensors/);
    const bytes = readFileSync(path.join(dir, 'm.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(header).filter((k) => k !== '__metadata__').sort(),
      ['conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'fc3.bias', 'fc3.weight']);
  });

  test('eval reports the same accuracy as the last epoch, with a confusion matrix', () => {
    const r = poolkit('eval', '--model', 'm.safetensors', '--limit', '1000');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^test accuracy \d+\.\d{2} %  \(\d+\/1000\)/);
    const rows = r.stdout.split('\n').filter((l) => /^ {3}\d /.test(l));
    assert.equal(rows.length, 10);
    const total = rows.flatMap((l) => l.trim().split(/\s+/).slice(1).map(Number)).reduce((a, b) => a + b, 0);
    assert.equal(total, 1000);
  });

  test('--resume continues from the saved epoch', () => {
    const r = poolkit('train', '--limit', '4000', '--test-limit', '1000', '--epochs', '3', '--resume', 'm.train.safetensors', '--out', 'm.safetensors');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
    assert.deepEqual(lines.map((l) => l.split('  ')[0]), ['epoch 3/3']);
    const done = poolkit('train', '--epochs', '3', '--resume', 'm.train.safetensors');
    assert.equal(done.code, 2);
    assert.match(done.stderr, /has already trained 3 epochs/);
  });

  test('predict gives the top 3 digits for PNGs of any size and colour', async () => {
    const { test: testSet } = await loadMnist();
    const files: string[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 10; i++) {
      const px = testSet.images.subarray(i * 784, (i + 1) * 784);
      // As MNIST stores it: 28×28 grey, white strokes on black.
      const native = new PNG({ width: 28, height: 28 });
      // As a person draws it: 84×84 RGB, dark strokes on white, three times larger.
      const drawn = new PNG({ width: 84, height: 84 });
      for (let y = 0; y < 84; y++) {
        for (let x = 0; x < 84; x++) {
          const v = 255 - px[Math.floor(y / 3) * 28 + Math.floor(x / 3)]!;
          drawn.data.set([v, v, v, 255], 4 * (y * 84 + x));
          if (x < 28 && y < 28) native.data.set([px[y * 28 + x]!, px[y * 28 + x]!, px[y * 28 + x]!, 255], 4 * (y * 28 + x));
        }
      }
      writeFileSync(path.join(dir, `native${i}.png`), PNG.sync.write(native));
      writeFileSync(path.join(dir, `drawn${i}.png`), PNG.sync.write(drawn));
      files.push(`native${i}.png`, `drawn${i}.png`);
      labels.push(testSet.labels[i]!);
    }
    const r = poolkit('predict', '--model', 'm.safetensors', ...files);
    assert.equal(r.code, 0, r.stderr);
    const top = new Map<string, number>();
    for (const line of r.stdout.trim().split('\n')) {
      const m = /^(\S+): (\d) \((\d+\.\d) %\)  (\d) \((\d+\.\d) %\)  (\d) \((\d+\.\d) %\)$/.exec(line);
      assert.ok(m, `top-3 line: ${line}`);
      assert.ok(Number(m[3]) >= Number(m[5]) && Number(m[5]) >= Number(m[7]), 'sorted by probability');
      top.set(m[1]!, Number(m[2]));
    }
    let agree = 0, right = 0;
    for (let i = 0; i < 10; i++) {
      if (top.get(`native${i}.png`) === top.get(`drawn${i}.png`)) agree++;
      if (top.get(`native${i}.png`) === labels[i]) right++;
    }
    assert.ok(agree >= 9, `the scaled, inverted RGB drawing reads like the original: ${agree}/10`);
    assert.ok(right >= 7, `most digits recognised: ${right}/10`);
    const bad = poolkit('predict', '--model', 'm.safetensors', 'm.safetensors');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a valid PNG image/);
  });
});

describe('poolkit bench', () => {
  test('times a case at 1 and 2 threads in turns with the copy yardstick and TF.js, says why each missing peer is, and writes the numbers as JSON', () => {
    const r = poolkit('bench', '--quick', '--runs', '2', '--cases', 'lenet2_max_k2s2', '--no-ort', '--no-torch', '--json', 'bench.json');
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) as {
      rows: { case: string; direction: string; threads: number; poolkitMs: number; copyMs: number; poolkitOverCopy: number; gbPerS: number; bytes: number;
        runs: { poolkitMs: number[]; copyMs: number[]; tfjs?: { poolkitMs: number[]; tfjsMs: number[] } }; tfjs: { ms?: number; overPoolkit?: number; why?: string };
        ort: { why?: string }; torch: { why?: string } }[];
      epochs: unknown[];
    };
    assert.deepEqual(json.rows.map((row) => `${row.case} ${row.direction} ${row.threads}`),
      ['lenet2_max_k2s2 fwd 1', 'lenet2_max_k2s2 fwd 2', 'lenet2_max_k2s2 fwdbwd 1', 'lenet2_max_k2s2 fwdbwd 2']);
    for (const row of json.rows) {
      const { poolkitMs: pk, copyMs: copy } = row.runs;
      assert.ok(pk.length >= 2 && pk.length === copy.length, `${row.direction} ${row.threads}: runs taken in turns`);
      const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b), m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
      assert.equal(row.poolkitMs, median(pk));
      assert.equal(row.copyMs, median(copy));
      assert.ok(Math.abs(row.poolkitOverCopy - median(pk.map((t, i) => t / copy[i]!))) < 1e-12, 'pk/copy is the median of the turns\' ratios');
      assert.ok(Math.abs(row.gbPerS - row.bytes / 1e6 / row.poolkitMs) < 1e-9, 'GB/s is the bytes over poolkit\'s time');
      // TF.js (a devDependency) at 1 thread, in its own turns with poolkit; its threaded build does not run in Node.
      if (row.threads === 1) {
        const { poolkitMs: pkTf, tfjsMs: tf } = row.runs.tfjs!;
        assert.ok(tf.length >= 2 && tf.length === pkTf.length, row.tfjs.why);
        assert.equal(row.tfjs.ms, median(tf));
        assert.ok(Math.abs(row.tfjs.overPoolkit! - median(tf.map((t, i) => t / pkTf[i]!))) < 1e-12, 'TF.js / poolkit: the median of the turns\' ratios');
      } else {
        assert.match(row.tfjs.why ?? '', /2 threads/);
        assert.equal(row.runs.tfjs, undefined);
      }
      assert.match(row.ort.why ?? '', row.direction === 'fwd' ? /skipped \(--no-ort\)/ : /cannot train/);
      assert.match(row.torch.why ?? '', /skipped \(--no-torch\)/);
    }
    assert.deepEqual(json.epochs, [], 'no epoch case asked for');
    assert.match(r.stdout, /lenet2_max_k2s2 +fwd +1 /);
    const bad = poolkit('bench', '--cases', 'max_k9');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--cases: unknown case\(s\) 'max_k9'/);
  });
});
