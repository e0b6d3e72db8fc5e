#!/usr/bin/env node
import { PoolkitError } from 'poolkit';
import { UsageError } from './args.js';
import { bench, BENCH_HELP } from './bench.js';
import { evalCommand, EVAL_HELP } from './eval.js';
import { predictCommand, PREDICT_HELP } from './predict.js';
import { train, TRAIN_HELP } from './train.js';

const HELP = `Usage: poolkit <command> [options]

Commands:
  train      train LeNet-5 on MNIST and save the model (safetensors, PyTorch names)
  eval       test accuracy and confusion matrix of a saved model
  predict    the top-3 digits for PNG images
  bench      pooling and training speed at 1 and 2 threads, beside memory copy and peers

Run 'poolkit <command> --help' for a command's options.`;

const commands: Record<string, [(argv: string[]) => Promise<void>, string]> = {
  train: [train, TRAIN_HELP],
  eval: [evalCommand, EVAL_HELP],
  predict: [predictCommand, PREDICT_HELP],
  bench: [bench, BENCH_HELP],
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(HELP);
    return 2;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    console.log(HELP);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`poolkit: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')}; see poolkit --help)`);
    return 2;
  }
  try {
    await command[0](rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`poolkit ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof PoolkitError) {
      console.error(`poolkit ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
