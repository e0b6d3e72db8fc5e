import path from 'node:path';
import { LENET_POOLS, noGrad, softmax, tensor } from 'poolkit';
import { choiceFlag, parse, UsageError } from './args.js';
import { readDigit } from './image.js';
import { loadModel, NORMALIZATIONS } from './model_file.js';

export const PREDICT_HELP = `Usage: poolkit predict --model FILE IMAGE.png [IMAGE.png …]

The three most likely digits for each PNG image (any size or colour; scaled to 28×28 grey,
inverted when the background is light).

Options:
  --model FILE       the .safetensors model (required)
  --pool KIND        pooling of a model without poolkit metadata: ${LENET_POOLS.join(', ')}
  --normalize KIND   input scaling of a model without poolkit metadata: mnist or none
  -h, --help         this help`;

export async function predictCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { model: { type: 'string' }, pool: { type: 'string' }, normalize: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log(PREDICT_HELP);
    return;
  }
  if (values.model === undefined) throw new UsageError('predict needs --model FILE');
  if (positionals.length === 0) throw new UsageError('predict needs at least one PNG image');
  const pool = values.pool === undefined ? undefined : choiceFlag('pool', values.pool, 'max', LENET_POOLS);
  const norm = values.normalize === undefined ? undefined : choiceFlag('normalize', values.normalize, 'mnist', NORMALIZATIONS);
  const { model, normalize } = await loadModel(path.resolve(values.model), pool, norm);
  const mean = Math.fround(normalize.mean), std = Math.fround(normalize.std);
  for (const file of positionals) {
    const pixels = await readDigit(file);
    // As the DataLoader scales pixels, in float32 step by step.
    const x = tensor(Float32Array.from(pixels, (v) => Math.fround(Math.fround(Math.fround(v / 255) - mean) / std)), [1, 1, 28, 28]);
    const probs = noGrad(() => softmax(model.forward(x), 1)).data;
    const top = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!).slice(0, 3);
    console.log(`${file}: ${top.map((k) => `${k} (${(100 * probs[k]!).toFixed(1)} %)`).join('  ')}`);
  }
}
