// Reading and comparing the golden fixtures that scripts/gen_fixtures.py writes from PyTorch
// (test/fixtures/**.json; that script's docstring documents the schema), shared by the golden
// suites (test/pool/golden.test.ts, test/ops/golden_nn.test.ts). Each suite picks its own
// tolerances; this module only applies them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Tensor } from '../../src/index.js';

/** The repository root (this file runs from build/test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Parses a JSON file given by its path segments relative to the repository root. */
export function loadJson<T>(...segments: string[]): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, ...segments), 'utf8')) as T;
}

// ---- The JSON schema (scripts/gen_fixtures.py) ----

/** Non-finite floats are written as strings, which JSON has no numbers for. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface JsonTensor {
  shape: number[];
  data: JsonNumber[];
  /** Index tensors (pooling indices, class indices); values are float32 otherwise. */
  dtype?: 'int32';
}

/** What every fixture file records. */
export interface FixtureHeader {
  torch: string;
  seed: number;
  notes: string[];
}

/** JSON values to numbers: each decimal is the shortest one naming its float32, so round it back to float32. */
export function decode(data: readonly JsonNumber[]): number[] {
  return data.map((v) => (typeof v === 'number' ? Math.fround(v) : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity));
}

export function isJsonTensor(v: unknown): v is JsonTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as JsonTensor).shape) && Array.isArray((v as JsonTensor).data);
}

/** The largest finite magnitude in a JSON tensor. */
export function maxAbs(t: JsonTensor): number {
  return decode(t.data).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
}

// ---- Comparing ----

/** Exactly, or within `rtol` relative to the element or `atol` absolute. */
export type Tolerance = { exact: true } | { exact: false; rtol: number; atol: number };

export const EXACT: Tolerance = { exact: true };

function unravel(i: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return `[${at.join(', ')}]`;
}

/** NaN equals NaN and -0 equals 0; otherwise |actual − expected| ≤ max(rtol·|expected|, atol) unless exact. */
function agrees(actual: number, expected: number, tol: Tolerance): boolean {
  if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
  if (actual === expected) return true; // also -0 === 0 and equal infinities
  if (tol.exact || !Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  return Math.abs(actual - expected) <= Math.max(tol.rtol * Math.abs(expected), tol.atol);
}

/** Shapes equal, then every element; lists the first few differences. */
export function assertTensor(what: string, actual: Tensor<Float32Array | Int32Array>, expected: JsonTensor, tol: Tolerance): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const want = decode(expected.data);
  assert.equal(actual.data.length, want.length, `${what}: number of elements`);
  const diffs: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (agrees(actual.data[i]!, want[i]!, tol)) continue;
    count++;
    if (diffs.length < 8) diffs.push(`at ${unravel(i, expected.shape)}: expected ${want[i]}, got ${actual.data[i]}`);
  }
  if (count > 0) {
    const how = tol.exact ? 'exactly' : `within ${tol.rtol} relative / ${tol.atol.toPrecision(3)} absolute`;
    assert.fail(`${what}: ${count} of ${want.length} elements differ (${how})\n  ${diffs.join('\n  ')}${count > diffs.length ? '\n  …' : ''}`);
  }
}
