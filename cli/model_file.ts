import { lenet5, LENET_POOLS, MNIST_NORMALIZATION, type LeNet5, type LeNetPool, type Normalization } from 'poolkit';
import { UsageError } from './args.js';
import { loadSafetensors } from './checkpoint.js';

export const NORMALIZATIONS = ['mnist', 'none'] as const;
export type NormalizationName = (typeof NORMALIZATIONS)[number];

/** The pixel scaling a model was trained with: MNIST's mean/std, or pixel / 255 alone. */
export function normalization(name: NormalizationName): Normalization {
  return name === 'mnist' ? MNIST_NORMALIZATION : { mean: 0, std: 1 };
}

/**
 * Loads a LeNet-5 saved by `poolkit train` (or by PyTorch, given `pool` and `normalize`): the
 * pooling kind and input normalization come from the file's metadata when present, unless
 * given; the tensors must match key for key.
 */
export async function loadModel(file: string, pool?: LeNetPool, normalize?: NormalizationName): Promise<{ model: LeNet5; normalize: Normalization }> {
  const { tensors, metadata } = await loadSafetensors(file);
  let saved: { pool?: unknown; normalize?: unknown } = {};
  if (metadata.poolkit_model !== undefined) {
    try {
      saved = JSON.parse(metadata.poolkit_model) as { pool?: unknown; normalize?: unknown };
    } catch {
      throw new UsageError(`${file}: its poolkit_model metadata is not JSON`);
    }
    if (saved.pool !== undefined && !(LENET_POOLS as readonly unknown[]).includes(saved.pool)) throw new UsageError(`${file}: unknown pooling kind in its metadata: ${String(saved.pool)}`);
    if (saved.normalize !== undefined && !(NORMALIZATIONS as readonly unknown[]).includes(saved.normalize)) throw new UsageError(`${file}: unknown normalization in its metadata: ${String(saved.normalize)}`);
  }
  const model = lenet5({ pool: pool ?? (saved.pool as LeNetPool | undefined) ?? 'max' });
  model.loadStateDict(tensors);
  return { model: model.eval(), normalize: normalization(normalize ?? (saved.normalize as NormalizationName | undefined) ?? 'mnist') };
}
