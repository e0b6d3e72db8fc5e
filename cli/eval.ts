import path from 'node:path';
import { DataLoader, evaluate, LENET_POOLS } from 'poolkit';
import { choiceFlag, intFlag, parse, UsageError } from './args.js';
import { loadMnist } from './mnist.js';
import { loadModel, NORMALIZATIONS } from './model_file.js';

export const EVAL_HELP = `Usage: poolkit eval --model FILE [options]

Test accuracy and confusion matrix of a LeNet-5 saved by poolkit train (or by PyTorch).

Options:
  --model FILE       the .safetensors model (required)
  --data-dir DIR     IDX files instead of the built-in MNIST test set
  --pool KIND        pooling of a model without poolkit metadata: ${LENET_POOLS.join(', ')}
  --normalize KIND   input scaling of a model without poolkit metadata: mnist (mean/std,
                     the default) or none (pixel / 255)
  --limit N          use the first N test images only
  -h, --help         this help`;

export async function evalCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    model: { type: 'string' }, 'data-dir': { type: 'string' }, pool: { type: 'string' }, normalize: { type: 'string' }, limit: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(EVAL_HELP);
    return;
  }
  if (values.model === undefined) throw new UsageError('eval needs --model FILE');
  const pool = values.pool === undefined ? undefined : choiceFlag('pool', values.pool, 'max', LENET_POOLS);
  const limit = intFlag('limit', values.limit, Infinity as number, 1);
  const norm = values.normalize === undefined ? undefined : choiceFlag('normalize', values.normalize, 'mnist', NORMALIZATIONS);
  const { model, normalize } = await loadModel(path.resolve(values.model), pool, norm);
  const data = await loadMnist({ dataDir: values['data-dir'] });
  const testSet = Number.isFinite(limit) ? data.test.slice(0, limit) : data.test;
  const r = evaluate(model, new DataLoader(testSet, { batchSize: 1000, shuffle: false, normalize }));
  console.log(`test accuracy ${(100 * r.accuracy).toFixed(2)} %  (${Math.round(r.accuracy * r.images)}/${r.images})  loss ${r.loss.toFixed(4)}`);
  console.log('confusion matrix (rows: true class, columns: predicted)');
  const w = Math.max(5, ...r.confusion.flat().map((v) => String(v).length + 1));
  console.log('     ' + r.confusion.map((_, k) => String(k).padStart(w)).join(''));
  r.confusion.forEach((row, k) => console.log(String(k).padStart(4) + ' ' + row.map((v) => String(v).padStart(w)).join('')));
}
