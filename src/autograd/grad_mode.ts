let enabled = true;

/** Whether ops record the graph for `backward()`. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` without recording the graph (like `torch.no_grad()`): results do not require grad.
 *
 *     const y = noGrad(() => maxPool2d(x, { kernelSize: 2 }));  // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
