import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadSafetensors, saveSafetensors, writeFileAtomic } from '../../cli/checkpoint.js';
import { Tensor } from '../../src/tensor/tensor.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'poolkit-checkpoint-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tempFiles = async (d = dir) => (await readdir(d)).filter((f) => f.endsWith('.tmp'));

/** Bytes that throw on first use, as a write that fails after the temporary file exists. */
function explodingBytes(): Uint8Array {
  return new Proxy(new Uint8Array(64), {
    get() {
      throw new Error('simulated write failure');
    },
  });
}

describe('writeFileAtomic', () => {
  test('creates a file, then replaces it, leaving no temporary files', async () => {
    const file = path.join(dir, 'a.bin');
    await writeFileAtomic(file, Uint8Array.from([1, 2, 3]));
    assert.deepEqual([...await readFile(file)], [1, 2, 3]);
    await writeFileAtomic(file, Uint8Array.from([9]));
    assert.deepEqual([...await readFile(file)], [9]);
    await writeFileAtomic(file, new Uint8Array(0));
    assert.equal((await readFile(file)).length, 0);
    assert.deepEqual(await tempFiles(), []);
  });

  test('writes a view at its own offset, and large buffers whole', async () => {
    const file = path.join(dir, 'b.bin');
    const big = new Uint8Array(3 << 20).map((_, i) => i * 31);
    await writeFileAtomic(file, big.subarray(5, big.length - 7));
    assert.ok((await readFile(file)).equals(big.subarray(5, big.length - 7)));
  });

  test('a write that fails midway leaves the old file intact and no temporary file', async () => {
    const file = path.join(dir, 'c.bin');
    await writeFile(file, 'old contents');
    await assert.rejects(writeFileAtomic(file, explodingBytes()), /simulated write failure/);
    assert.equal(await readFile(file, 'utf8'), 'old contents');
    assert.deepEqual(await tempFiles(), []);
  });

  test('a rename that fails (the target is a directory) removes the fully written temporary file', async () => {
    const target = path.join(dir, 'd.bin');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'x');
    await assert.rejects(writeFileAtomic(target, Uint8Array.from([1, 2, 3])), (e: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes(e.code ?? ''));
    assert.equal(await readFile(path.join(target, 'inside'), 'utf8'), 'x');
    assert.deepEqual(await tempFiles(), []);
  });

  test('a directory that cannot be written refuses before touching the old file', { skip: process.getuid?.() === 0 ? 'root ignores directory permissions' : false }, async () => {
    const sub = path.join(dir, 'ro');
    await mkdir(sub);
    const file = path.join(sub, 'e.bin');
    await writeFile(file, 'old');
    await chmod(sub, 0o555);
    try {
      await assert.rejects(writeFileAtomic(file, Uint8Array.from([1])), (e: NodeJS.ErrnoException) => e.code === 'EACCES');
      assert.equal(await readFile(file, 'utf8'), 'old');
    } finally {
      await chmod(sub, 0o755);
    }
    assert.deepEqual(await tempFiles(sub), []);
  });

  test('a replaced file keeps its permissions', { skip: process.platform === 'win32' }, async () => {
    const file = path.join(dir, 'f.bin');
    await writeFile(file, 'old');
    await chmod(file, 0o640);
    await writeFileAtomic(file, Uint8Array.from([1]));
    assert.equal((await stat(file)).mode & 0o777, 0o640);
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  test('round-trip tensors and metadata through a file', async () => {
    const file = path.join(dir, 'model.safetensors');
    const tensors = {
      'fc.weight': new Tensor(Float32Array.from([0.5, -1.25, 3, 1e-8]), [2, 2]),
      'step': new Tensor(new Int32Array([12]), [1]),
    };
    await saveSafetensors(file, tensors, { format: 'pt', poolkit_epoch: '3' });
    const back = await loadSafetensors(file);
    assert.deepEqual(back.metadata, { format: 'pt', poolkit_epoch: '3' });
    assert.deepEqual([...back.tensors['fc.weight']!.data], [...tensors['fc.weight'].data]);
    assert.deepEqual(back.tensors['fc.weight']!.shape, [2, 2]);
    assert.ok(back.tensors.step!.data instanceof Int32Array);
    assert.deepEqual(await tempFiles(), []);
  });

  test('saving into a missing directory, or over a directory, gives a PoolkitError naming the file', async () => {
    const file = path.join(dir, 'no-such-dir', 'm.safetensors');
    await assert.rejects(saveSafetensors(file, {}), (e: Error) => {
      assert.equal(e.name, 'PoolkitError');
      assert.equal(e.message, `save_safetensors: ${file}: directory ${path.dirname(file)} does not exist`);
      return true;
    });
    const sub = path.join(dir, 'taken.safetensors');
    await mkdir(sub);
    await writeFile(path.join(sub, 'x'), 'x');
    await assert.rejects(saveSafetensors(sub, {}), (e: Error) => e.name === 'PoolkitError' && e.message === `save_safetensors: ${sub}: is a directory`);
    assert.deepEqual(await tempFiles(), []);
  });

  test('a missing file gives a PoolkitError naming it, not an ENOENT stack', async () => {
    const file = path.join(dir, 'nope.safetensors');
    await assert.rejects(loadSafetensors(file), (e: Error) => {
      assert.equal(e.name, 'PoolkitError');
      assert.equal(e.message, `load_safetensors: ${file}: no such file`);
      return true;
    });
  });

  test('a directory, or a malformed file, gives a PoolkitError naming it', async () => {
    await assert.rejects(loadSafetensors(dir), (e: Error) => e.name === 'PoolkitError' && e.message.includes(`${dir}: is a directory`));
    const file = path.join(dir, 'junk.safetensors');
    await writeFile(file, 'not a safetensors file at all');
    await assert.rejects(loadSafetensors(file), (e: Error) => e.name === 'PoolkitError' && e.message.startsWith(`load_safetensors: ${file}: header length`));
  });
});
