import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'fflate';
import { PoolkitError } from '../../src/errors.js';
import { gunzip, isGzip, parseIdx, readIdx } from '../../src/data/idx.js';

/** An IDX file: magic 00 00 <code> <ndims>, big-endian uint32 sizes, then `payload`. */
function idxBytes(code: number, dims: number[], payload: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** Big-endian element bytes of `values` written with `set`. */
function be(size: number, values: number[], set: (v: DataView, o: number, x: number) => void): number[] {
  const b = new Uint8Array(size * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => set(v, size * i, x));
  return [...b];
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PoolkitError, `expected a PoolkitError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('parseIdx', () => {
  test('uint8 data comes back as a view of the input, with its sizes', () => {
    const bytes = idxBytes(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const a = parseIdx(bytes, 'x');
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(a.shape, [2, 2, 3]);
    assert.ok(a.data instanceof Uint8Array);
    assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    assert.equal(a.data.buffer, bytes.buffer, 'no copy');
    assert.equal(a.data.byteOffset, 16);
  });

  test('a view into a larger buffer is read from its own offset', () => {
    const inner = idxBytes(0x08, [3], [7, 8, 9]);
    const outer = new Uint8Array(5 + inner.length);
    outer.set(inner, 5);
    assert.deepEqual([...parseIdx(outer.subarray(5), 'x').data], [7, 8, 9]);
  });

  test('multi-byte types are big-endian', () => {
    const cases: [number, string, number, number[], (v: DataView, o: number, x: number) => void][] = [
      [0x09, 'int8', 1, [-128, -1, 0, 127], (v, o, x) => v.setInt8(o, x)],
      [0x0b, 'int16', 2, [-32768, -2, 258, 32767], (v, o, x) => v.setInt16(o, x, false)],
      [0x0c, 'int32', 4, [-2147483648, -3, 16909060, 2147483647], (v, o, x) => v.setInt32(o, x, false)],
      [0x0d, 'float32', 4, [-1.5, 0, 3.25, 1e30], (v, o, x) => v.setFloat32(o, x, false)],
      [0x0e, 'float64', 8, [-1.5, Math.PI, 1e-300, 1e300], (v, o, x) => v.setFloat64(o, x, false)],
    ];
    for (const [code, dtype, size, values, set] of cases) {
      const a = parseIdx(idxBytes(code, [2, 2], be(size, values, set)), 'x');
      assert.equal(a.dtype, dtype);
      assert.deepEqual(a.shape, [2, 2]);
      assert.deepEqual([...a.data], dtype === 'float32' ? values.map(Math.fround) : values, dtype);
    }
  });

  test('a zero size gives an empty array', () => {
    const a = parseIdx(idxBytes(0x08, [0, 28, 28]), 'x');
    assert.deepEqual(a.shape, [0, 28, 28]);
    assert.equal(a.data.length, 0);
  });

  test('fewer than 4 bytes are refused as too short, naming the file', () => {
    refused(() => parseIdx(new Uint8Array([0, 0, 8]), 'data/train-images-idx3-ubyte'), /^idx: data\/train-images-idx3-ubyte: is too short to be an IDX file: 3 bytes/);
  });

  test('a magic number that does not start with two zero bytes is refused', () => {
    refused(() => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), 'f'), /f: is not an IDX file: the magic number must start with 0x00 0x00, but got 0x50 0x4b/);
  });

  test('gzip data passed to parseIdx says so', () => {
    refused(() => parseIdx(gzipSync(idxBytes(0x08, [1], [1])), 'f.gz'), /not an IDX file.*gzip-compressed/);
  });

  test('an unknown type code is refused', () => {
    refused(() => parseIdx(idxBytes(0x0a, [1], [0]), 'f'), /f: unknown IDX type code 0x0a/);
  });

  test('0 dimensions and more than 4 are refused', () => {
    refused(() => parseIdx(idxBytes(0x08, []), 'f'), /f: IDX files must have 1 to 4 dimensions, but the header says 0/);
    refused(() => parseIdx(idxBytes(0x08, [1, 1, 1, 1, 1], [0]), 'f'), /f: IDX files must have 1 to 4 dimensions, but the header says 5/);
  });

  test('a header cut short is refused as truncated', () => {
    refused(() => parseIdx(idxBytes(0x08, [60000, 28, 28]).subarray(0, 10), 'f'), /f: is truncated: its header needs 16 bytes for 3 dimensions, but the file has 10/);
  });

  test('sizes whose product overflows are refused', () => {
    refused(() => parseIdx(idxBytes(0x0e, [0xffffffff, 0xffffffff, 0xffffffff]), 'f'), /f: its sizes \[4294967295, 4294967295, 4294967295\] overflow/);
  });

  test('data cut short is refused as truncated with both byte counts', () => {
    refused(() => parseIdx(idxBytes(0x08, [10, 28, 28], new Uint8Array(7839)), 'f'), /f: is truncated: sizes \[10, 28, 28\] of uint8 need 7840 data bytes after the 16-byte header, but only 7839 are present/);
    refused(() => parseIdx(idxBytes(0x0c, [3], [0, 0, 0, 1, 0, 0, 0, 2]), 'f'), /need 12 data bytes after the 8-byte header, but only 8/);
  });

  test('bytes after the data are refused', () => {
    refused(() => parseIdx(idxBytes(0x08, [2], [1, 2, 3]), 'f'), /f: has 1 trailing bytes after the 2 data bytes/);
  });
});

describe('gzip', () => {
  test('isGzip looks at the magic number, not the name', () => {
    assert.equal(isGzip(gzipSync(new Uint8Array([1, 2, 3]))), true);
    assert.equal(isGzip(new Uint8Array([0, 0, 8, 1])), false);
    assert.equal(isGzip(new Uint8Array([0x1f])), false);
  });

  test('readIdx round-trips through gzip and takes raw files as they are', () => {
    const raw = idxBytes(0x08, [3, 2, 2], Array.from({ length: 12 }, (_, i) => i * 20));
    const viaGz = readIdx(gzipSync(raw), 'f.gz');
    assert.deepEqual(viaGz.shape, [3, 2, 2]);
    assert.deepEqual([...viaGz.data], [...raw.subarray(16)]);
    assert.deepEqual([...readIdx(raw, 'f').data], [...raw.subarray(16)]);
  });

  test('a truncated gzip file is refused naming the file', () => {
    const gz = gzipSync(new Uint8Array(5000).map((_, i) => i % 251));
    refused(() => gunzip(gz.subarray(0, gz.length - 30), 'dir/train-images-idx3-ubyte.gz'), /^gunzip: dir\/train-images-idx3-ubyte.gz: is not a valid gzip file/);
    refused(() => gunzip(gz.subarray(0, 10), 'f.gz'), /f.gz: is not a valid gzip file: it is 10 bytes long/);
  });

  test('corrupt deflate data is refused', () => {
    const gz = gzipSync(new Uint8Array(5000).map((_, i) => i % 251));
    gz[20] ^= 0xff;
    gz[21] ^= 0x55;
    refused(() => gunzip(gz, 'f.gz'), /f.gz: is not a valid gzip file/);
  });

  test('a damaged CRC or size in the trailer is caught (fflate alone does not check them)', () => {
    const gz = gzipSync(new Uint8Array(5000).map((_, i) => i % 251));
    const badCrc = gz.slice();
    badCrc[badCrc.length - 6] ^= 0x01;
    refused(() => gunzip(badCrc, 'f.gz'), /f.gz: is not a valid gzip file: CRC-32 mismatch/);
    // fflate cuts its output to the size the trailer claims, so a smaller size shows as bad CRC.
    const smallSize = gz.slice();
    new DataView(smallSize.buffer).setUint32(smallSize.length - 4, 100, true);
    refused(() => gunzip(smallSize, 'f.gz'), /f.gz: is not a valid gzip file: CRC-32 mismatch/);
    const largerSize = gz.slice();
    new DataView(largerSize.buffer).setUint32(largerSize.length - 4, 6000, true);
    refused(() => gunzip(largerSize, 'f.gz'), /f.gz: is not a valid gzip file: it decompresses to 5000 bytes, but its trailer says 6000/);
    const hugeSize = gz.slice();
    new DataView(hugeSize.buffer).setUint32(hugeSize.length - 4, 0xfffffff0, true);
    refused(() => gunzip(hugeSize, 'f.gz'), /f.gz: is not a valid gzip file: its trailer claims 4294967280 bytes/);
  });

  test('gunzip refuses data that is not gzip', () => {
    refused(() => gunzip(new Uint8Array(40), 'f.gz'), /f.gz: is not a valid gzip file: it does not start with the gzip magic number/);
  });
});
