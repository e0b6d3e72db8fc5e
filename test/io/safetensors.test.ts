import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PoolkitError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/tensor.js';

const enc = new TextEncoder();

/** A safetensors file from a header given as text (unpadded) and a data buffer. */
function file(header: string, data: ArrayLike<number> = []): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function le(values: number[], size: number, set: (v: DataView, o: number, x: number) => void): number[] {
  const b = new Uint8Array(values.length * size);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => set(v, i * size, x));
  return [...b];
}
const f32 = (values: number[]) => le(values, 4, (v, o, x) => v.setFloat32(o, x, true));

function refused(bytes: Uint8Array, pattern: RegExp, name = 'm.safetensors'): void {
  assert.throws(() => decodeSafetensors(bytes, name), (e: unknown) => {
    assert.ok(e instanceof PoolkitError, `expected a PoolkitError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.includes(name), 'the message names the file');
    return true;
  });
}

const entry = (dtype: string, shape: number[], begin: number, end: number) =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

describe('encodeSafetensors', () => {
  test('writes the bytes of the reference implementation (tensor.rs test_serialization)', () => {
    const out = encodeSafetensors({ 'attn.0': new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]) });
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    assert.deepEqual([...out], expected);
  });

  test('pads the header with spaces to a multiple of 8 (tensor.rs test_serialization_forced_alignement)', () => {
    const out = encodeSafetensors({ attn0: new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3]) });
    const header = new TextDecoder().decode(out.subarray(8, 8 + 72));
    assert.equal(Number(new DataView(out.buffer).getBigUint64(0, true)), 72);
    assert.equal(header, '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    assert.equal(out.length, 8 + 72 + 24);
  });

  test('no tensors, with and without metadata (tensor.rs test_empty)', () => {
    assert.deepEqual([...encodeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = encodeSafetensors({}, { framework: 'pt' });
    assert.equal(new TextDecoder().decode(withMeta.subarray(8)), '{"__metadata__":{"framework":"pt"}}     ');
  });

  test('orders entries by dtype (F32 before I32), then name, metadata first, integer-like names too', () => {
    const t = (n: number) => new Tensor(new Float32Array(n), [n]);
    const out = encodeSafetensors({
      'b': t(1), 'a0': new Tensor(new Int32Array([7]), [1]), 'a': t(2), '10': t(1), '9': t(1),
    }, { z: '1', a: '2' });
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(out.subarray(8, 8 + n)).trimEnd();
    assert.equal(header,
      '{"__metadata__":{"a":"2","z":"1"},"10":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
      '"9":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"a0":{"dtype":"I32","shape":[1],"data_offsets":[20,24]}}');
  });

  test('refuses what is not a float32 or int32 tensor', () => {
    assert.throws(() => encodeSafetensors({ w: [1, 2] as unknown as Tensor }), /save_safetensors: "w" must be a float32 or int32 Tensor/);
    assert.throws(() => encodeSafetensors({ w: { data: new Float32Array(3), shape: [2] } as unknown as Tensor }), /"w" has shape \[2\] but 3 elements/);
  });

  test('refuses "__metadata__" as a tensor name and non-string metadata', () => {
    assert.throws(() => encodeSafetensors({ __metadata__: new Tensor(new Float32Array(1), [1]) }), /"__metadata__" is reserved/);
    assert.throws(() => encodeSafetensors({}, { epoch: 3 as unknown as string }), /metadata values must be strings, but "epoch" is number/);
  });
});

describe('decodeSafetensors', () => {
  test('round-trips float32, int32, scalars and empty tensors with metadata', () => {
    const tensors = {
      'conv1.weight': new Tensor(Float32Array.from({ length: 150 }, (_, i) => Math.sin(i) * 1e-3), [6, 1, 5, 5]),
      'conv1.bias': new Tensor(new Float32Array([-0, Infinity, -Infinity, NaN, 3.5, 1e-40]), [6]),
      'step': new Tensor(new Int32Array([-2147483648, 0, 2147483647]), [3]),
      'scalar': new Tensor(new Float32Array([2.5]), []),
      'empty': new Tensor(new Float32Array(0), [0, 4]),
      'ünïcödé 🙂': new Tensor(new Float32Array([1]), [1]),
    };
    const meta = { format: 'pt', poolkit_model: '{"arch":"lenet5"}' };
    const back = decodeSafetensors(encodeSafetensors(tensors, meta), 'm');
    assert.deepEqual(back.metadata, meta);
    assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      const u = back.tensors[k]!;
      assert.deepEqual(u.shape, t.shape, k);
      assert.equal(u.data.constructor, t.data.constructor, k);
      assert.deepEqual([...u.data], [...t.data], k);
    }
    assert.ok(Object.is(back.tensors['conv1.bias']!.data[0], -0));
  });

  test('tensors own aligned copies of their data, even from an unaligned view', () => {
    const bytes = encodeSafetensors({ w: new Tensor(new Float32Array([1, 2, 3]), [3]) });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const view = shifted.subarray(1);
    const w = decodeSafetensors(view, 'm').tensors.w!;
    assert.deepEqual([...w.data], [1, 2, 3]);
    assert.notEqual(w.data.buffer, shifted.buffer);
    shifted.fill(0);
    assert.deepEqual([...w.data], [1, 2, 3]);
  });

  test('reads other dtypes: F64/F16/BF16 to float32, I64/I16/U16/I8/U8/BOOL to int32', () => {
    const f16 = [0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555]; // 1, -2, 2^-24, inf, 0.33325195
    const bf16 = [0x3f80, 0xc040, 0x4049];               // 1, -3, 3.140625
    const parts: [string, number[], number[]][] = [
      ['F64', [2], le([Math.PI, -1e-3], 8, (v, o, x) => v.setFloat64(o, x, true))],
      ['F16', [5], le(f16, 2, (v, o, x) => v.setUint16(o, x, true))],
      ['BF16', [3], le(bf16, 2, (v, o, x) => v.setUint16(o, x, true))],
      ['I64', [2], le([-5, 2147483647], 8, (v, o, x) => v.setBigInt64(o, BigInt(x), true))],
      ['I16', [2], le([-300, 300], 2, (v, o, x) => v.setInt16(o, x, true))],
      ['U16', [1], le([65535], 2, (v, o, x) => v.setUint16(o, x, true))],
      ['I8', [2], [0xff, 0x05]],
      ['U8', [1], [200]],
      ['BOOL', [2], [1, 0]],
    ];
    let at = 0;
    const header = '{' + parts.map(([d, s, b], i) => `"t${i}":${entry(d, s, at, (at += b.length))}`).join(',') + '}';
    const t = decodeSafetensors(file(header, parts.flatMap((p) => p[2])), 'm').tensors;
    const f = Math.fround;
    assert.deepEqual([...t.t0!.data], [f(Math.PI), f(-1e-3)]);
    assert.ok(t.t0!.data instanceof Float32Array);
    assert.deepEqual([...t.t1!.data], [1, -2, 2 ** -24, Infinity, f(0.33325195)]);
    assert.deepEqual([...t.t2!.data], [1, -3, 3.140625]);
    assert.deepEqual([...t.t3!.data], [-5, 2147483647]);
    assert.ok(t.t3!.data instanceof Int32Array);
    assert.deepEqual([...t.t4!.data], [-300, 300]);
    assert.deepEqual([...t.t5!.data], [65535]);
    assert.deepEqual([...t.t6!.data], [-1, 5]);
    assert.deepEqual([...t.t7!.data], [200]);
    assert.deepEqual([...t.t8!.data], [1, 0]);
  });

  test('a file shorter than 8 bytes is refused', () => {
    refused(new Uint8Array(7), /^load_safetensors: m.safetensors: is too short to be a safetensors file: 7 bytes/);
  });

  test('an absurd header length is refused before anything is read', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    refused(b, /header length 18446744073709551615 is larger than the 100000000-byte limit/);
    new DataView(b.buffer).setBigUint64(0, 100_000_001n, true);
    refused(b, /header length 100000001 is larger than the 100000000-byte limit/);
  });

  test('a header length past the end of the file is refused', () => {
    const b = file('{}');
    new DataView(b.buffer).setBigUint64(0, 3n, true);
    refused(b, /header length 3 runs past the end of the file \(10 bytes; truncated\?\)/);
  });

  test('a header that is not UTF-8, not JSON, or not an object is refused', () => {
    const bad = file('{"a" }');
    bad[9] = 0xff;
    refused(bad, /header is not valid UTF-8/);
    refused(file('{"w": {'), /header is not valid JSON/);
    refused(file('\ufeff{}'), /header is not valid JSON/);
    refused(file('[1, 2]'), /header must be a JSON object, but got an array/);
    refused(file('null'), /header must be a JSON object, but got null/);
    refused(file('"x"'), /header must be a JSON object, but got string/);
  });

  test('an entry that is not an object, or lacks a field, is refused', () => {
    refused(file('{"w": 3}'), /tensor "w": entry must be an object with dtype, shape and data_offsets/);
    refused(file('{"w": {"shape": [1], "data_offsets": [0, 4]}}', f32([1])), /tensor "w": entry has no dtype/);
    refused(file('{"w": {"dtype": "F32", "data_offsets": [0, 4]}}', f32([1])), /tensor "w": entry has no shape/);
    refused(file('{"w": {"dtype": "F32", "shape": [1]}}', f32([1])), /tensor "w": entry has no data_offsets/);
  });

  test('unknown and unsupported dtypes are refused by name', () => {
    refused(file(`{"w": ${entry('F128', [1], 0, 16)}}`, new Uint8Array(16)), /tensor "w": unknown dtype "F128"/);
    refused(file(`{"w": ${entry('U64', [1], 0, 8)}}`, new Uint8Array(8)), /tensor "w": dtype U64 is not supported \(poolkit reads BOOL, U8, I8, I16, U16, F16, BF16, I32, F32, F64, I64\)/);
    refused(file(`{"w": ${entry('F8_E4M3', [1], 0, 1)}}`, [0]), /dtype F8_E4M3 is not supported/);
  });

  test('values a supported dtype holds but int32 cannot are refused', () => {
    const big = le([2 ** 31], 8, (v, o, x) => v.setBigInt64(o, BigInt(x), true));
    refused(file(`{"n": ${entry('I64', [1], 0, 8)}}`, big), /tensor "n": I64 value 2147483648 at index 0 does not fit in int32/);
    refused(file(`{"b": ${entry('BOOL', [2], 0, 2)}}`, [0, 2]), /tensor "b": BOOL byte 2 at index 1 is neither 0 nor 1/);
  });

  test('a shape that is not a list of non-negative integers is refused', () => {
    refused(file(`{"w": ${entry('F32', [-1], 0, 4)}}`, f32([1])), /tensor "w": shape must be a list of non-negative integers, but got \[-1\]/);
    refused(file('{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}', f32([1])), /shape must be a list of non-negative integers, but got \[1.5\]/);
    refused(file('{"w": {"dtype": "F32", "shape": "4", "data_offsets": [0, 4]}}', f32([1])), /shape must be a list of non-negative integers, but got "4"/);
  });

  test('offsets that are not two non-negative integers, or begin after end, are refused', () => {
    refused(file('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.5]}}', f32([1])), /tensor "w": data_offsets must be \[begin, end\], two non-negative integers, but got \[0,4.5\]/);
    refused(file('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}', f32([1])), /data_offsets must be \[begin, end\]/);
    refused(file('{"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}}', f32([1])), /data_offsets must be \[begin, end\]/);
    refused(file(`{"w": ${entry('F32', [0], 4, 0)}}`, f32([1])), /tensor "w": data_offsets \[4, 0\] begin after they end/);
  });

  test('a byte length that does not match shape × dtype size is refused', () => {
    refused(file(`{"w": ${entry('F32', [2], 0, 4)}}`, f32([1])), /tensor "w": F32 of shape \[2\] takes 8 bytes, but data_offsets \[0, 4\] hold 4/);
    refused(file(`{"w": ${entry('F32', [2 ** 40, 2 ** 40], 0, 4)}}`, f32([1])), /tensor "w": shape \[1099511627776, 1099511627776\] overflows/);
  });

  test('offsets past the end of the buffer are refused as truncated', () => {
    refused(file(`{"w": ${entry('F32', [2], 0, 8)}}`, f32([1])), /tensor "w": data_offsets \[0, 8\] run past the end of the 4-byte data buffer \(truncated\?\)/);
  });

  test('overlapping offsets are refused', () => {
    refused(file(`{"a": ${entry('F32', [2], 0, 8)}, "b": ${entry('F32', [1], 4, 8)}}`, f32([1, 2])), /tensor "b": data_offsets \[4, 8\] overlap the previous tensor, which ends at 8/);
  });

  test('a hole between tensors, before the first, or after the last is refused', () => {
    refused(file(`{"a": ${entry('F32', [1], 0, 4)}, "b": ${entry('F32', [1], 8, 12)}}`, f32([1, 2, 3])), /tensor "b": data_offsets \[8, 12\] leave bytes 4 to 8 of the data buffer unused/);
    refused(file(`{"a": ${entry('F32', [1], 4, 8)}}`, f32([1, 2])), /tensor "a": data_offsets \[4, 8\] leave bytes 0 to 4/);
    refused(file(`{"a": ${entry('F32', [1], 0, 4)}}`, f32([1, 2])), /the tensors cover 4 bytes, but the data buffer has 8 \(trailing bytes\)/);
    refused(file('{}', [0]), /the tensors cover 0 bytes, but the data buffer has 1/);
  });

  test('offsets may come in any order in the header', () => {
    const t = decodeSafetensors(file(`{"b": ${entry('F32', [1], 4, 8)}, "a": ${entry('F32', [1], 0, 4)}}`, f32([1, 2])), 'm').tensors;
    assert.deepEqual([...t.a!.data, ...t.b!.data], [1, 2]);
  });

  test('duplicate names are refused, at the top level and inside entries and metadata', () => {
    refused(file(`{"w": ${entry('F32', [1], 0, 4)}, "w": ${entry('F32', [1], 0, 4)}}`, f32([1])), /header repeats the key "w"/);
    refused(file(`{"w": {"dtype": "F32", "dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}`, f32([1])), /header repeats the key "dtype"/);
    refused(file('{"__metadata__": {"a": "1", "a": "2"}}'), /header repeats the key "a"/);
    // Escapes spell the same key differently; the decoded names are compared.
    refused(file(`{"w": ${entry('F32', [1], 0, 4)}, "\\u0077": ${entry('F32', [1], 0, 4)}}`, f32([1])), /header repeats the key "w"/);
    // Same names in different objects, and look-alikes inside strings and arrays, are fine.
    const ok = file(`{"__metadata__": {"w": "{\\"w\\": [\\"w\\", \\"w\\"]}"}, "w": ${entry('F32', [1], 0, 4)}}`, f32([1]));
    assert.deepEqual(decodeSafetensors(ok, 'm').metadata, { w: '{"w": ["w", "w"]}' });
  });

  test('metadata must be an object of strings', () => {
    refused(file('{"__metadata__": {"epoch": 3}}'), /"__metadata__" values must be strings, but "epoch" is 3/);
    refused(file('{"__metadata__": ["a"]}'), /"__metadata__" must be an object of strings/);
  });

  test('a file written by the reference implementation with trailing header spaces reads back', () => {
    const bytes = file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}  ', new Uint8Array(16));
    const t = decodeSafetensors(bytes, 'm').tensors.test!;
    assert.deepEqual(t.shape, [2, 2]);
    assert.ok(t.data instanceof Int32Array);
  });
});
