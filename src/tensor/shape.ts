import { check, fmtShape } from '../errors.js';

/** Number of elements of a shape (1 for a scalar's `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that every entry of `shape` is a non-negative integer. */
export function checkShape(shape: readonly number[], op: string, arg = 'shape'): void {
  check(
    Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0),
    op, arg, () => `shape must be a list of non-negative integers, but got ${fmtShape(shape)}`, shape,
  );
}
