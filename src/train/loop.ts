import { noGrad } from '../autograd/grad_mode.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { scope } from '../tensor/scope.js';
import { now } from './clock.js';

/** A batch of images `(B, 1, H, W)` and their int32 labels `(B)`. */
export interface Batch {
  x: Tensor;
  y: Tensor<Int32Array>;
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  images: number;
  seconds: number;
}

export interface EpochResult {
  /** Mean training loss over the epoch's batches. */
  loss: number;
  images: number;
  /** Wall time of the epoch's training steps. */
  seconds: number;
}

/**
 * The learning rate at a global step: constant, or cosine-annealed from `lr` to 0 over
 * `totalSteps` (SGDR without restarts; Loshchilov & Hutter 2017).
 */
export function scheduledLr(schedule: 'constant' | 'cosine', lr: number, step: number, totalSteps: number): number {
  if (schedule === 'constant') return lr;
  return 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps));
}

export interface TrainEpochOptions {
  epoch: number;
  /** Global step before this epoch, for the schedule. */
  startStep: number;
  lrAt: (globalStep: number) => number;
  onStep?: (info: StepInfo) => void;
}

/**
 * One pass over `batches`: forward, cross-entropy, backward, optimizer step. Each step — the
 * batch included — runs in its own scope(), so its tensors live in the kernels' memory and the
 * next step reuses that memory.
 */
export function trainEpoch(
  model: Module, batches: Iterable<Batch> & { length: number }, optimizer: Optimizer<{ lr: number }>, opts: TrainEpochOptions,
): EpochResult {
  model.train();
  const t0 = now();
  let lossSum = 0, images = 0, step = 0;
  const it = batches[Symbol.iterator]();
  for (;;) {
    const lr = opts.lrAt(opts.startStep + step);
    const done = scope(() => {
      const next = it.next();
      if (next.done === true) return true;
      const { x, y } = next.value;
      optimizer.hyper.lr = lr;
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(x) as Tensor, y);
      loss.backward();
      optimizer.step();
      const l = loss.item();
      lossSum += l;
      images += y.size;
      step++;
      opts.onStep?.({ epoch: opts.epoch, step, steps: batches.length, loss: l, lr, images, seconds: (now() - t0) / 1000 });
      return false;
    });
    if (done) break;
  }
  return { loss: lossSum / Math.max(step, 1), images, seconds: (now() - t0) / 1000 };
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
  images: number;
}

/** Accuracy, mean loss and confusion matrix of `model` over `batches`, without recording a graph. */
export function evaluate(model: Module, batches: Iterable<Batch>, numClasses = 10): EvalResult {
  model.eval();
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0, images = 0, lossSum = 0;
  noGrad(() => {
    const it = batches[Symbol.iterator]();
    for (let more = true; more;) more = scope(() => {
      const next = it.next();
      if (next.done === true) return false;
      const { x, y } = next.value;
      const logits = model.forward(x) as Tensor;
      lossSum += crossEntropy(logits, y, { reduction: 'sum' }).item();
      const c = logits.shape[1]!;
      for (let i = 0; i < y.size; i++) {
        let best = 0;
        for (let k = 1; k < c; k++) if (logits.data[i * c + k]! > logits.data[i * c + best]!) best = k;
        confusion[y.data[i]!]![best]!++;
        if (best === y.data[i]) correct++;
      }
      images += y.size;
      return true;
    });
  });
  return { accuracy: correct / Math.max(images, 1), loss: lossSum / Math.max(images, 1), confusion, images };
}
