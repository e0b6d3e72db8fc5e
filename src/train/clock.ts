/** Milliseconds from a monotonic clock; `performance` exists in Node and in browsers alike. */
export function now(): number {
  return (globalThis as unknown as { performance: { now(): number } }).performance.now();
}
