import { lenet5, LENET_POOLS, type LeNet5, type LeNetPool } from 'poolkit';
import { UsageError } from './args.js';
import { loadSafetensors } from './checkpoint.js';

/**
 * Loads a LeNet-5 saved by `poolkit train` (or by PyTorch, given `pool`): the architecture
 * comes from the file's metadata when present; the tensors must match key for key.
 */
export async function loadModel(file: string, pool?: LeNetPool): Promise<LeNet5> {
  const { tensors, metadata } = await loadSafetensors(file);
  let kind = pool;
  if (kind === undefined && metadata.poolkit_model !== undefined) {
    let saved: { pool?: unknown };
    try {
      saved = JSON.parse(metadata.poolkit_model) as { pool?: unknown };
    } catch {
      throw new UsageError(`${file}: its poolkit_model metadata is not JSON`);
    }
    if (!(LENET_POOLS as readonly unknown[]).includes(saved.pool)) throw new UsageError(`${file}: unknown pooling kind in its metadata: ${String(saved.pool)}`);
    kind = saved.pool as LeNetPool;
  }
  const model = lenet5({ pool: kind ?? 'max' });
  model.loadStateDict(tensors);
  return model.eval();
}
