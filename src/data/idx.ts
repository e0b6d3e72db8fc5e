import { gunzipSync } from 'fflate';
import { PoolkitError, fmtShape } from '../errors.js';

/**
 * The IDX format (LeCun, Cortes & Burges, "THE MNIST DATABASE", file formats section): a 4-byte
 * magic `0x00 0x00 <type code> <ndims>`, then `ndims` big-endian uint32 sizes, then the elements
 * in row-major order, big-endian. Nothing may follow the data.
 */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly dtype: IdxDType;
  readonly shape: readonly number[];
  /** The elements, in native byte order. uint8 and int8 data are views into the input bytes. */
  readonly data: IdxData;
}

// The type codes of the format description, with their element sizes.
const TYPE_CODES: Readonly<Record<number, readonly [IdxDType, number]>> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

const MAX_NDIMS = 4;

function refuse(name: string, rule: string, value?: unknown): never {
  throw new PoolkitError('idx', 'bytes', `${name}: ${rule}`, value);
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * Parses an IDX file held in memory. `name` (a file name or path) appears in every error.
 *
 *     const labels = parseIdx(bytes, 'train-labels-idx1-ubyte');
 *     labels.shape;  // [60000]
 *     labels.data;   // Uint8Array view into `bytes`
 *
 * Refuses, with a `PoolkitError` naming the file: fewer than 4 bytes, a magic number that does
 * not start with two zero bytes, an unknown type code, 0 or more than 4 dimensions, a header cut
 * short, sizes whose product overflows, data cut short, and bytes after the data.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) refuse(name, `is too short to be an IDX file: ${bytes.length} bytes, but the magic number alone takes 4`, bytes.length);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = isGzip(bytes) ? ' (it is gzip-compressed; decompress it first)' : '';
    refuse(name, `is not an IDX file: the magic number must start with 0x00 0x00, but got ${hex(bytes[0]!)} ${hex(bytes[1]!)}${gz}`, [bytes[0], bytes[1]]);
  }
  const code = bytes[2]!;
  const type = TYPE_CODES[code];
  if (type === undefined) {
    refuse(name, `unknown IDX type code ${hex(code)} (expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)`, code);
  }
  const [dtype, itemSize] = type;
  const ndims = bytes[3]!;
  if (ndims === 0 || ndims > MAX_NDIMS) refuse(name, `IDX files must have 1 to ${MAX_NDIMS} dimensions, but the header says ${ndims}`, ndims);
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) {
    refuse(name, `is truncated: its header needs ${headerSize} bytes for ${ndims} dimensions, but the file has ${bytes.length}`, bytes.length);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  // Each size is below 2^32, so the product is exact until it passes 2^53; beyond that (or beyond
  // what an array can hold) no file could be that large anyway.
  const dataBytes = count * itemSize;
  if (!Number.isSafeInteger(dataBytes)) {
    refuse(name, `its sizes ${fmtShape(shape)} overflow: ${dtype} data of that shape cannot exist`, shape);
  }
  const present = bytes.length - headerSize;
  if (present < dataBytes) {
    refuse(name, `is truncated: sizes ${fmtShape(shape)} of ${dtype} need ${dataBytes} data bytes after the ${headerSize}-byte header, but only ${present} are present`, present);
  }
  if (present > dataBytes) {
    refuse(name, `has ${present - dataBytes} trailing bytes after the ${dataBytes} data bytes that sizes ${fmtShape(shape)} of ${dtype} need`, present - dataBytes);
  }

  const start = bytes.byteOffset + headerSize;
  let data: IdxData;
  switch (dtype) {
    case 'uint8':
      data = bytes.subarray(headerSize);
      break;
    case 'int8':
      data = new Int8Array(bytes.buffer, start, count);
      break;
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(headerSize + 2 * i, false);
      data = out;
      break;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(headerSize + 4 * i, false);
      data = out;
      break;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(headerSize + 4 * i, false);
      data = out;
      break;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(headerSize + 8 * i, false);
      data = out;
      break;
    }
  }
  return { dtype, shape, data };
}

/** Whether `bytes` start with the gzip magic number `1f 8b` (RFC 1952 §2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// Deflate cannot expand data by more than about 1032:1 (a 258-byte match costs at least 2 bits),
// so a trailer that claims more is corrupt; checking first avoids allocating what it claims.
const MAX_DEFLATE_RATIO = 1032;

/**
 * Decompresses a single-member gzip file, checking its trailer (RFC 1952 §2.3.1: CRC-32 and
 * size of the original data), which fflate's `gunzipSync` leaves unchecked. Any damage gives a
 * `PoolkitError` naming the file.
 *
 *     const raw = gunzip(bytes, 'train-images-idx3-ubyte.gz');
 */
export function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  const fail = (why: string): never => {
    throw new PoolkitError('gunzip', 'bytes', `${name}: is not a valid gzip file: ${why}`);
  };
  if (!isGzip(bytes)) fail('it does not start with the gzip magic number 1f 8b');
  if (bytes.length < 18) fail(`it is ${bytes.length} bytes long, shorter than the smallest gzip file (18 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wantCrc = view.getUint32(bytes.length - 8, true);
  const wantSize = view.getUint32(bytes.length - 4, true);
  if (wantSize > MAX_DEFLATE_RATIO * bytes.length + 1024) {
    fail(`its trailer claims ${wantSize} bytes of data, more than ${bytes.length} compressed bytes can hold (the file is damaged or truncated)`);
  }
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (e) {
    return fail(`${(e as Error).message} (the file is damaged or truncated)`);
  }
  if (out.length !== wantSize) fail(`it decompresses to ${out.length} bytes, but its trailer says ${wantSize} (damaged, truncated, or a multi-member gzip)`);
  const crc = crc32(out);
  if (crc !== wantCrc) fail(`CRC-32 mismatch: the data gives ${crc.toString(16).padStart(8, '0')}, the trailer says ${wantCrc.toString(16).padStart(8, '0')} (the file is damaged)`);
  return out;
}

/**
 * Parses an IDX file, gzip-compressed or not (decided by the content, not the name).
 *
 *     const images = readIdx(bytes, 'train-images-idx3-ubyte.gz');
 */
export function readIdx(bytes: Uint8Array, name: string): IdxArray {
  return parseIdx(isGzip(bytes) ? gunzip(bytes, name) : bytes, name);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 of ISO 3309 / ITU-T V.42 (the one gzip uses), reflected polynomial 0xedb88320. */
function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
