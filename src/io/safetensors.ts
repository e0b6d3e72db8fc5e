import { PoolkitError, check, fmtShape } from '../errors.js';
import { numel } from '../tensor/shape.js';
import { Tensor, type Storage } from '../tensor/tensor.js';

/**
 * The safetensors format (huggingface/safetensors, safetensors/src/tensor.rs): an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON
 * `{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
 * then the byte buffer that the offsets index, little-endian and row-major, covered exactly.
 */

// The reference implementation refuses larger headers (MAX_HEADER_SIZE in tensor.rs).
const MAX_HEADER_BYTES = 100_000_000;

interface DTypeInfo {
  size: number;
  /** Position in the reference `Dtype` enum, which orders tensors in a written file. */
  rank: number;
  /** Copies `count` elements at `offset` out of the file; `fail` refuses a value the dtype allows but poolkit cannot hold. */
  read: ((view: DataView, offset: number, count: number, fail: Fail) => Storage) | null;
}

type Fail = (rule: string, value?: unknown) => never;

// Every dtype of the format; those with `read: null` are recognised but not decoded.
const DTYPES: Readonly<Record<string, DTypeInfo>> = {
  BOOL: { size: 1, rank: 0, read: readBool },
  U8: { size: 1, rank: 1, read: (v, o, n) => ints(n, (i) => v.getUint8(o + i)) },
  I8: { size: 1, rank: 2, read: (v, o, n) => ints(n, (i) => v.getInt8(o + i)) },
  F8_E5M2: { size: 1, rank: 3, read: null },
  F8_E4M3: { size: 1, rank: 4, read: null },
  I16: { size: 2, rank: 5, read: (v, o, n) => ints(n, (i) => v.getInt16(o + 2 * i, true)) },
  U16: { size: 2, rank: 6, read: (v, o, n) => ints(n, (i) => v.getUint16(o + 2 * i, true)) },
  F16: { size: 2, rank: 7, read: (v, o, n) => floats(n, (i) => halfToFloat(v.getUint16(o + 2 * i, true))) },
  BF16: { size: 2, rank: 8, read: (v, o, n) => floats(n, (i) => bfloat16ToFloat(v.getUint16(o + 2 * i, true))) },
  I32: { size: 4, rank: 9, read: (v, o, n) => copyInt32(v, o, n) },
  U32: { size: 4, rank: 10, read: null },
  F32: { size: 4, rank: 11, read: (v, o, n) => copyFloat32(v, o, n) },
  F64: { size: 8, rank: 12, read: (v, o, n) => floats(n, (i) => v.getFloat64(o + 8 * i, true)) },
  I64: { size: 8, rank: 13, read: readInt64 },
  U64: { size: 8, rank: 14, read: null },
};

const DECODED = Object.keys(DTYPES).filter((k) => DTYPES[k]!.read !== null).join(', ');

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// TextEncoder/TextDecoder exist in Node and browsers but not in the ES2022 lib this builds with.
interface Utf8 {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, opts: { fatal: boolean; ignoreBOM: boolean }) => { decode(b: Uint8Array): string };
}
const utf8 = globalThis as unknown as Utf8;

/**
 * A safetensors file of `tensors` (float32 tensors as `F32`, int32 as `I32`), byte for byte as
 * the reference implementation (and so Python's `safetensors.torch.save_file`) writes it:
 * entries ordered by dtype then name, no whitespace, the header padded with spaces to a
 * multiple of 8 so the data is aligned.
 *
 *     const bytes = encodeSafetensors({ 'fc.weight': w, 'fc.bias': b }, { format: 'pt' });
 */
export function encodeSafetensors(tensors: Readonly<Record<string, Tensor<Storage>>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(tensors).map(([name, t]) => {
    // Duck-typed, so tensors from another copy of poolkit (a bundle, a second install) are fine.
    const data = (t as { data?: unknown } | null)?.data;
    check(data instanceof Float32Array || data instanceof Int32Array, 'save_safetensors', 'tensors',
      () => `${JSON.stringify(name)} must be a float32 or int32 Tensor`, name);
    check(Array.isArray(t.shape) && t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && numel(t.shape) === data.length,
      'save_safetensors', 'tensors', () => `${JSON.stringify(name)} has shape ${fmtShape(t.shape)} but ${data.length} elements`, name);
    check(name !== '__metadata__', 'save_safetensors', 'tensors', () => '"__metadata__" is reserved for metadata and cannot name a tensor', name);
    const dtype = t.data instanceof Int32Array ? 'I32' : 'F32';
    return { name, t, dtype, rank: DTYPES[dtype]!.rank };
  });
  // tensor.rs `prepare`: descending dtype (alignment), then ascending name (byte order of UTF-8,
  // which for strings equals code point order; compare without locale).
  entries.sort((a, b) => b.rank - a.rank || compareCodePoints(a.name, b.name));

  // serde_json's compact form: no whitespace, "__metadata__" first, then the entries in order.
  // (Written member by member: a JS object would move integer-like names such as "0" first.)
  const members: string[] = [];
  if (metadata !== undefined) {
    const meta: string[] = [];
    for (const key of Object.keys(metadata).sort(compareCodePoints)) {
      const value = metadata[key];
      check(typeof value === 'string', 'save_safetensors', 'metadata', () => `metadata values must be strings, but ${JSON.stringify(key)} is ${typeof value}`, value);
      meta.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    members.push(`"__metadata__":{${meta.join(',')}}`);
  }
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.t.data.byteLength;
    members.push(`${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = `{${members.join(',')}}`;
  const jsonBytes = new utf8.TextEncoder().encode(json);
  const headerLength = Math.ceil(jsonBytes.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { t } of entries) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else if (t.data instanceof Int32Array) t.data.forEach((v, i) => view.setInt32(at + 4 * i, v, true));
    else t.data.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    at += t.data.byteLength;
  }
  return out;
}

export interface Safetensors {
  tensors: Record<string, Tensor<Storage>>;
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file held in memory, treating it as untrusted: every rule of the format
 * is checked and a break gives a `PoolkitError` naming the file (`name`) and the problem.
 * Floating dtypes (F32, F64, F16, BF16) become float32 tensors (F64 rounds to nearest); integer
 * dtypes (I32, I64 within int32 range, I16, U16, I8, U8, BOOL) become int32 tensors. Every tensor
 * owns a fresh, aligned copy of its data.
 *
 *     const { tensors, metadata } = decodeSafetensors(bytes, 'lenet5.safetensors');
 */
export function decodeSafetensors(bytes: Uint8Array, name: string): Safetensors {
  const refuse = (rule: string, value?: unknown): never => {
    throw new PoolkitError('load_safetensors', 'bytes', `${name}: ${rule}`, value);
  };
  if (bytes.length < 8) refuse(`is too short to be a safetensors file: ${bytes.length} bytes, but the header length alone takes 8`, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) refuse(`header length ${n} is larger than the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`, n);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) refuse(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes; truncated?)`, headerLength);

  let text: string;
  try {
    text = new utf8.TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return refuse('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return refuse(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    refuse(`header must be a JSON object, but got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  }
  // JSON.parse keeps the last of repeated keys; the format has one entry per name.
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) refuse(`header repeats the key ${JSON.stringify(duplicate)}`, duplicate);

  const metadata: Record<string, string> = {};
  const infos: { key: string; dtype: string; info: DTypeInfo; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, entry] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) refuse('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') refuse(`"__metadata__" values must be strings, but ${JSON.stringify(k)} is ${JSON.stringify(v)}`, v);
        metadata[k] = v as string;
      }
      continue;
    }
    const what = `tensor ${JSON.stringify(key)}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) refuse(`${what}: entry must be an object with dtype, shape and data_offsets`, entry);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    for (const [field, v] of [['dtype', dtype], ['shape', shape], ['data_offsets', offsets]] as const) {
      if (v === undefined) refuse(`${what}: entry has no ${field}`, entry);
    }
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) refuse(`${what}: unknown dtype ${JSON.stringify(dtype)}`, dtype);
    const info = DTYPES[dtype as string]!;
    if (info.read === null) refuse(`${what}: dtype ${dtype} is not supported (poolkit reads ${DECODED})`, dtype);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      refuse(`${what}: shape must be a list of non-negative integers, but got ${JSON.stringify(shape)}`, shape);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      refuse(`${what}: data_offsets must be [begin, end], two non-negative integers, but got ${JSON.stringify(offsets)}`, offsets);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) refuse(`${what}: data_offsets [${begin}, ${end}] begin after they end`, offsets);
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const byteLength = count * info.size;
    if (!Number.isSafeInteger(byteLength)) refuse(`${what}: shape ${fmtShape(shape as number[])} overflows`, shape);
    if (end - begin !== byteLength) {
      refuse(`${what}: ${dtype} of shape ${fmtShape(shape as number[])} takes ${byteLength} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`, offsets);
    }
    infos.push({ key, dtype: dtype as string, info, shape: shape as number[], begin, end });
  }

  // tensor.rs `validate`: in offset order, each tensor starts where the previous one ended and
  // the last one ends at the end of the file.
  const bufferStart = 8 + headerLength;
  const bufferLength = bytes.length - bufferStart;
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const t of infos) {
    if (t.end > bufferLength) refuse(`tensor ${JSON.stringify(t.key)}: data_offsets [${t.begin}, ${t.end}] run past the end of the ${bufferLength}-byte data buffer (truncated?)`, t.end);
    if (t.begin < covered) refuse(`tensor ${JSON.stringify(t.key)}: data_offsets [${t.begin}, ${t.end}] overlap the previous tensor, which ends at ${covered}`, t.begin);
    if (t.begin > covered) refuse(`tensor ${JSON.stringify(t.key)}: data_offsets [${t.begin}, ${t.end}] leave bytes ${covered} to ${t.begin} of the data buffer unused`, t.begin);
    covered = t.end;
  }
  if (covered !== bufferLength) refuse(`the tensors cover ${covered} bytes, but the data buffer has ${bufferLength} (trailing bytes)`, bufferLength);

  const tensors: Record<string, Tensor<Storage>> = {};
  for (const t of infos) {
    const count = (t.end - t.begin) / t.info.size;
    const data = t.info.read!(view, bufferStart + t.begin, count, (rule, value) => refuse(`tensor ${JSON.stringify(t.key)}: ${rule}`, value));
    tensors[t.key] = new Tensor(data, t.shape);
  }
  return { tensors, metadata };
}

function readInt64(v: DataView, o: number, count: number, fail: Fail): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const x = v.getBigInt64(o + 8 * i, true);
    if (x < -2147483648n || x > 2147483647n) fail(`I64 value ${x} at index ${i} does not fit in int32`, x);
    out[i] = Number(x);
  }
  return out;
}

function readBool(v: DataView, o: number, count: number, fail: Fail): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const x = v.getUint8(o + i);
    if (x > 1) fail(`BOOL byte ${x} at index ${i} is neither 0 nor 1`, x);
    out[i] = x;
  }
  return out;
}

/**
 * The first key that appears twice in one object of a JSON text (already known to be valid
 * JSON), or null. Walks the text once, keeping the keys seen in each open object.
 */
function firstDuplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const seen = stack[stack.length - 1]!;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return null;
}

function compareCodePoints(a: string, b: string): number {
  // UTF-16 order differs from code point order only for surrogate pairs against U+E000–U+FFFF.
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function ints(count: number, at: (i: number) => number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = at(i);
  return out;
}

function floats(count: number, at: (i: number) => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = at(i);
  return out;
}

function copyFloat32(v: DataView, o: number, count: number): Float32Array {
  if (LITTLE_ENDIAN) return new Float32Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + 4 * count));
  return floats(count, (i) => v.getFloat32(o + 4 * i, true));
}

function copyInt32(v: DataView, o: number, count: number): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + 4 * count));
  return ints(count, (i) => v.getInt32(o + 4 * i, true));
}

/** IEEE 754 binary16 → number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bits = new Uint32Array(1);
const bitsAsFloat = new Float32Array(bits.buffer);

/** bfloat16 → number (exact: the top half of a float32). */
function bfloat16ToFloat(b: number): number {
  bits[0] = b << 16;
  return bitsAsFloat[0]!;
}
