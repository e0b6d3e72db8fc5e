let enabled = true;

/** Whether ops may use the fast (WebAssembly SIMD) kernels; they fall back to the reference loops either way. */
export function fastKernels(): boolean {
  return enabled;
}

/**
 * Turns the fast kernels on (default) or off, e.g. to compare against the reference kernels.
 * Returns the previous setting.
 */
export function setFastKernels(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}
