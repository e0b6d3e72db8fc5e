/**
 * The one error class of poolkit. Every user mistake that poolkit detects — a bad option, a
 * tensor of the wrong rank, an index out of range — throws a `PoolkitError` whose message names
 * the op, states the rule (in PyTorch's words where PyTorch has words) and gives the values:
 *
 *     max_pool2d: pad should be at most half of effective kernel size, but got pad=3, kernel_size=2 and dilation=1
 *
 * `op` and `arg` are also fields, so programs can react without parsing the message.
 */
export class PoolkitError extends Error {
  override readonly name = 'PoolkitError';
  constructor(
    /** The op that refused its input, in PyTorch's snake_case (`max_pool2d`, `adaptive_avg_pool3d`). */
    readonly op: string,
    /** The argument at fault (`kernelSize`, `input`, `indices`, …). */
    readonly arg: string,
    /** The rule and the values, without the `op: ` prefix. */
    readonly rule: string,
    /** The offending value, as given. */
    readonly value?: unknown,
  ) {
    super(`${op}: ${rule}`);
  }
}

/**
 * Throws a `PoolkitError` unless `ok`. The rule is a function so that hot paths build no
 * message unless it is needed.
 */
export function check(ok: boolean, op: string, arg: string, rule: () => string, value?: unknown): asserts ok {
  if (!ok) throw new PoolkitError(op, arg, rule(), value);
}

/** Formats a shape the way PyTorch prints sizes: `[1, 3, 4, 4]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Formats an option value for a message: arrays as `[a, b]`, strings quoted. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
