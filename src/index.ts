// poolkit's public API, re-exported by name. See README.md for a tour and src/pool/README.md
// for every pooling rule and where it comes from.

export { PoolkitError } from './errors.js';

export { Tensor, type DType, type GradFn, type NestedArray, type Storage } from './tensor/tensor.js';
export { scope } from './tensor/scope.js';
export { tensor, zeros, ones, full, type TensorOptions } from './tensor/create.js';
export { Generator, defaultGenerator, manualSeed } from './tensor/random.js';
export { noGrad, isGradEnabled } from './autograd/grad_mode.js';

export { add, sub, mul, div, neg, abs, sign, relu, pow, sum, mean } from './ops/elementwise.js';
export { reshape, flatten } from './ops/reshape.js';
export { leakyRelu, sigmoid, tanh, softmax, logSoftmax, dropout } from './ops/activation.js';
export { conv2d, type Conv2dOptions } from './ops/conv.js';
export { linear, matmul } from './ops/linear.js';
export { crossEntropy, nllLoss, type Reduction, type NllOptions, type CrossEntropyOptions } from './ops/loss.js';

export type { IntOrTuple, Padding, WindowOptions, AdaptiveSize, FractionalSizeOptions, UnpoolOptions } from './pool/geometry.js';
export {
  maxPool1d, maxPool2d, maxPool3d, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices,
  type MaxPoolOptions, type PoolWithIndices,
} from './pool/max_pool.js';
export { avgPool1d, avgPool2d, avgPool3d, type AvgPoolOptions } from './pool/avg_pool.js';
export { lpPool1d, lpPool2d, lpPool3d, type LpPoolOptions } from './pool/lp_pool.js';
export {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d,
  adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d,
  adaptiveMaxPool1dWithIndices, adaptiveMaxPool2dWithIndices, adaptiveMaxPool3dWithIndices,
} from './pool/adaptive_pool.js';
export {
  fractionalMaxPool2d, fractionalMaxPool3d, fractionalMaxPool2dWithIndices, fractionalMaxPool3dWithIndices,
  type FractionalMaxPoolOptions,
} from './pool/fractional_pool.js';
export { maxUnpool1d, maxUnpool2d, maxUnpool3d, type MaxUnpoolOptions } from './pool/unpool.js';

export { Module } from './nn/module.js';
export {
  MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, LPPool1d, LPPool2d, LPPool3d,
  AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
  FractionalMaxPool2d, FractionalMaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, type MaxPoolModuleOptions,
} from './nn/pooling.js';

export { Linear, Conv2d, ReLU, LeakyReLU, Sigmoid, Tanh, Flatten, Dropout, Sequential, type LinearOptions, type Conv2dModuleOptions } from './nn/layers.js';
export { Optimizer, type ParamState } from './optim/optimizer.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { LeNet5, lenet5, LENET_POOLS, type LeNetPool } from './models/lenet5.js';
export {
  trainEpoch, evaluate, scheduledLr, type Batch, type StepInfo, type EpochResult, type EvalResult, type TrainEpochOptions,
} from './train/loop.js';
export { parseIdx, readIdx, gunzip, isGzip, type IdxArray, type IdxData, type IdxDType } from './data/idx.js';
export {
  ImageDataset, imageDataset, DataLoader, MNIST_NORMALIZATION, type DataLoaderOptions, type ImageBatch, type Normalization,
} from './data/dataset.js';
export { encodeSafetensors, decodeSafetensors, type Safetensors } from './io/safetensors.js';
export { fastKernels, setFastKernels } from './kernels/switch.js';
export { initWasm, wasmSimdAvailable } from './kernels/wasm/loader.js';
export { setNumThreads, getNumThreads } from './threads/pool.js';
