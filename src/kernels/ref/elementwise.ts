// Reference elementwise kernels for the ops a training step runs on every activation.

const f32 = Math.fround;

/** ReLU as ATen's `clamp_min(x, 0)`: negatives become +0; NaN and −0 pass through. */
export function relu_fwd__ref(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < 0 ? 0 : v;
  }
}

/** ReLU backward as ATen's `threshold_backward(g, out, 0)`: zero where the output is ≤ 0 (a NaN output keeps its gradient). */
export function relu_bwd__ref(out: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
  for (let i = 0; i < out.length; i++) gradIn[i] = out[i]! <= 0 ? 0 : gradOut[i]!;
}

/**
 * float32 power with ATen's special cases (pow_tensor_scalar_optimized_kernel); the caller rounds
 * the result to float32. Used by the `pow` op and the Lp pooling kernels.
 */
export function powf(v: number, e: number): number {
  switch (e) {
    case 2: return v * v;
    case 3: return f32(v * v) * v;
    case 0.5: return Math.sqrt(v);
    case -0.5: return 1 / f32(Math.sqrt(v));
    case -1: return 1 / v;
    case -2: return 1 / f32(v * v);
    default: return Math.pow(v, e);
  }
}
