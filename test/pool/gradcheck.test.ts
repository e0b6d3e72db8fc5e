// Finite-difference gradient checks for every differentiable pooling family in 1-D, 2-D and 3-D.
//
// Inputs hold distinct values spaced 1 apart (0.5 for Lp, on positive values) and the perturbation
// is 1e-2, so no max switches taps and no kink is crossed under the perturbation; the loss is
// Σ output · w with fixed random weights (test/helpers/gradcheck.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as pk from '../../src/index.js';
import { Tensor } from '../../src/index.js';
import { distinctTensor, gradcheck, rng } from '../helpers/gradcheck.js';

type Nd = 1 | 2 | 3;

/** Small shapes: batched in 1-D and 3-D, batchless in 2-D, so both layouts are covered. */
const SHAPES: Record<Nd, number[]> = { 1: [2, 2, 9], 2: [2, 6, 7], 3: [1, 2, 5, 4, 5] };
/** A second, batched 2-D shape. */
const SHAPE_2D_BATCHED = [2, 1, 5, 6];

const MAX = { 1: pk.maxPool1d, 2: pk.maxPool2d, 3: pk.maxPool3d } as const;
const MAX_IDX = { 1: pk.maxPool1dWithIndices, 2: pk.maxPool2dWithIndices, 3: pk.maxPool3dWithIndices } as const;
const AVG = { 1: pk.avgPool1d, 2: pk.avgPool2d, 3: pk.avgPool3d } as const;
const LP = { 1: pk.lpPool1d, 2: pk.lpPool2d, 3: pk.lpPool3d } as const;
const AAVG = { 1: pk.adaptiveAvgPool1d, 2: pk.adaptiveAvgPool2d, 3: pk.adaptiveAvgPool3d } as const;
const AMAX = { 1: pk.adaptiveMaxPool1d, 2: pk.adaptiveMaxPool2d, 3: pk.adaptiveMaxPool3d } as const;
const AMAX_IDX = { 1: pk.adaptiveMaxPool1dWithIndices, 2: pk.adaptiveMaxPool2dWithIndices, 3: pk.adaptiveMaxPool3dWithIndices } as const;
const UNPOOL = { 1: pk.maxUnpool1d, 2: pk.maxUnpool2d, 3: pk.maxUnpool3d } as const;

/** Values −n/2 … n/2 in a random order, spaced 1 apart. */
const signedInput = (shape: readonly number[], seed = 7): Tensor =>
  distinctTensor(shape, { seed, offset: -Math.floor(shape.reduce((a, b) => a * b, 1) / 2), spacing: 1 });
/** Positive values 1, 1.5, 2, … in a random order (Lp pooling's definition is smooth there). */
const positiveInput = (shape: readonly number[], seed = 11): Tensor => distinctTensor(shape, { seed, offset: 1, spacing: 0.5 });

/** `v` for 1-D, `[a, b]`-style tuples picked per dimension from `perDim` for 2-D / 3-D. */
const dims = (nd: Nd, perDim: readonly number[]): number[] => perDim.slice(3 - nd);

for (const nd of [1, 2, 3] as const) {
  const shape = SHAPES[nd];
  const label = (what: string) => `${what} [${shape}]`;

  // ---- Max pooling ----
  test(`maxPool${nd}d: the gradient goes to each window's maximum (kernel 2)`, () => {
    gradcheck((x) => MAX[nd](x, { kernelSize: 2 }), signedInput(shape), { label: label(`maxPool${nd}d k2`) });
  });
  test(`maxPool${nd}d: overlapping windows accumulate at shared maxima (kernel 3, stride 2, padding 1, ceilMode)`, () => {
    gradcheck((x) => MAX[nd](x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), signedInput(shape), { label: label(`maxPool${nd}d k3s2p1 ceil`) });
  });
  test(`maxPool${nd}d: dilated windows (kernel 2, dilation 2, stride 1)`, () => {
    gradcheck((x) => MAX[nd](x, { kernelSize: 2, dilation: 2, stride: 1 }), signedInput(shape), { label: label(`maxPool${nd}d dil2`) });
  });
  test(`maxPool${nd}d: 'same' and explicit asymmetric padding`, () => {
    gradcheck((x) => MAX[nd](x, { kernelSize: 3, stride: 2, padding: 'same' }), signedInput(shape), { label: label(`maxPool${nd}d same`) });
    const pairs = dims(nd, [2, 0, 1]).map((p, i) => [p, i % 2] as [number, number]);
    gradcheck((x) => MAX[nd](x, { kernelSize: 3, stride: 2, padding: pairs }), signedInput(shape), { label: label(`maxPool${nd}d pairs`) });
  });
  test(`maxPool${nd}dWithIndices: its output has the same gradient as maxPool${nd}d`, () => {
    gradcheck((x) => MAX_IDX[nd](x, { kernelSize: 2, stride: 1 }).output, signedInput(shape), { label: label(`maxPool${nd}dWithIndices`) });
  });

  // ---- Average pooling ----
  test(`avgPool${nd}d: each tap gets gradOut / divisor (kernel 2)`, () => {
    gradcheck((x) => AVG[nd](x, { kernelSize: 2 }), signedInput(shape), { label: label(`avgPool${nd}d k2`) });
  });
  test(`avgPool${nd}d: countIncludePad false with padding and ceilMode divides by the taps inside the input`, () => {
    gradcheck((x) => AVG[nd](x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), signedInput(shape),
      { label: label(`avgPool${nd}d cip=false`) });
  });
  test(`avgPool${nd}d: countIncludePad true with padding and ceilMode counts the padding but not the overhang`, () => {
    gradcheck((x) => AVG[nd](x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true }), signedInput(shape),
      { label: label(`avgPool${nd}d cip=true`) });
  });
  test(`avgPool${nd}d: divisorOverride, dilation and 'same-lower' padding`, () => {
    gradcheck((x) => AVG[nd](x, { kernelSize: 2, stride: 1, divisorOverride: 3 }), signedInput(shape), { label: label(`avgPool${nd}d divisor 3`) });
    gradcheck((x) => AVG[nd](x, { kernelSize: 2, dilation: 2, stride: 2, padding: 'same-lower', countIncludePad: false }), signedInput(shape),
      { label: label(`avgPool${nd}d dil2 same-lower`) });
  });

  // ---- Lp pooling (positive inputs) ----
  test(`lpPool${nd}d: p = 2 (kernel 2)`, () => {
    gradcheck((x) => LP[nd](x, 2, { kernelSize: 2 }), positiveInput(shape), { label: label(`lpPool${nd}d p2`) });
  });
  test(`lpPool${nd}d: p = 3 (kernel 3, stride 2, ceilMode)`, () => {
    gradcheck((x) => LP[nd](x, 3, { kernelSize: 3, stride: 2, ceilMode: true }), positiveInput(shape), { label: label(`lpPool${nd}d p3 ceil`) });
  });
  test(`lpPool${nd}d: trueNorm, p = 2 and p = 3, with padding`, () => {
    gradcheck((x) => LP[nd](x, 2, { kernelSize: 3, stride: 2, padding: 1, trueNorm: true }), positiveInput(shape), { label: label(`lpPool${nd}d p2 trueNorm`) });
    gradcheck((x) => LP[nd](x, 3, { kernelSize: 2, stride: 1, trueNorm: true }), positiveInput(shape), { label: label(`lpPool${nd}d p3 trueNorm`) });
  });

  // ---- Adaptive pooling ----
  const spatial = shape.slice(shape.length - nd);
  test(`adaptiveAvgPool${nd}d: overlapping bins (output size not dividing the input) and null entries`, () => {
    gradcheck((x) => AAVG[nd](x, spatial.map((s) => s - 2)), signedInput(shape), { label: label(`adaptiveAvgPool${nd}d in-2`) });
    gradcheck((x) => AAVG[nd](x, spatial.map((_, i) => (i === 0 ? null : 3))), signedInput(shape), { label: label(`adaptiveAvgPool${nd}d null`) });
    gradcheck((x) => AAVG[nd](x, spatial.map((s) => s + 2)), signedInput(shape), { label: label(`adaptiveAvgPool${nd}d in+2`) });
  });
  test(`adaptiveMaxPool${nd}d: the gradient goes to each bin's maximum (overlapping and repeated bins)`, () => {
    gradcheck((x) => AMAX[nd](x, spatial.map((s) => s - 2)), signedInput(shape), { label: label(`adaptiveMaxPool${nd}d in-2`) });
    gradcheck((x) => AMAX[nd](x, spatial.map((s) => s + 1)), signedInput(shape), { label: label(`adaptiveMaxPool${nd}d in+1`) });
    gradcheck((x) => AMAX_IDX[nd](x, 1).output, signedInput(shape), { label: label(`adaptiveMaxPool${nd}dWithIndices global`) });
  });

  // ---- Max unpooling, with respect to its values ----
  test(`maxUnpool${nd}d: each value's gradient is the gradient at its index (non-overlapping windows)`, () => {
    const source = signedInput(shape, 3);
    for (const opts of [{ kernelSize: 2 }, { kernelSize: 3, stride: 3, padding: 1 }]) {
      // Windows no larger than the stride: every index is distinct, so no value is overwritten.
      const { output, indices } = MAX_IDX[nd](source, opts);
      gradcheck((v) => UNPOOL[nd](v, indices, { ...opts, outputSize: spatial }), signedInput(output.shape, 5),
        { label: label(`maxUnpool${nd}d ${JSON.stringify(opts)}`) });
    }
  });
}

test('avgPool2d and maxPool2d on a batched 2-D input', () => {
  gradcheck((x) => pk.avgPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], ceilMode: true, countIncludePad: false }),
    signedInput(SHAPE_2D_BATCHED), { label: 'avgPool2d batched' });
  gradcheck((x) => pk.maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1], dilation: [2, 1] }),
    signedInput(SHAPE_2D_BATCHED), { label: 'maxPool2d batched' });
});

// ---- Fractional max pooling with fixed samples ----

function samples(shape: number[], seed: number): Tensor {
  const next = rng(seed);
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next()), shape);
}

test('fractionalMaxPool2d: the gradient goes to each window\'s maximum (fixed randomSamples, outputSize and outputRatio)', () => {
  const batched = [2, 2, 7, 8];
  gradcheck((x) => pk.fractionalMaxPool2d(x, { kernelSize: 2, outputSize: [4, 5], randomSamples: samples([2, 2, 2], 1) }),
    signedInput(batched), { label: 'fractionalMaxPool2d outputSize' });
  gradcheck((x) => pk.fractionalMaxPool2d(x, { kernelSize: [3, 2], outputRatio: 0.6, randomSamples: samples([2, 2, 2], 2) }),
    signedInput(batched), { label: 'fractionalMaxPool2d outputRatio' });
  const batchless = [2, 7, 8];
  gradcheck((x) => pk.fractionalMaxPool2dWithIndices(x, { kernelSize: 2, outputSize: 5, randomSamples: samples([1, 2, 2], 3) }).output,
    signedInput(batchless), { label: 'fractionalMaxPool2dWithIndices batchless' });
});

test('fractionalMaxPool3d: the gradient goes to each window\'s maximum (fixed randomSamples, outputSize and outputRatio)', () => {
  const batched = [1, 2, 6, 5, 6];
  gradcheck((x) => pk.fractionalMaxPool3d(x, { kernelSize: 2, outputSize: [3, 3, 4], randomSamples: samples([1, 2, 3], 4) }),
    signedInput(batched), { label: 'fractionalMaxPool3d outputSize' });
  gradcheck((x) => pk.fractionalMaxPool3d(x, { kernelSize: [2, 1, 2], outputRatio: [0.5, 0.7, 0.6], randomSamples: samples([1, 2, 3], 5) }),
    signedInput(batched), { label: 'fractionalMaxPool3d outputRatio' });
  const batchless = [2, 5, 5, 6];
  gradcheck((x) => pk.fractionalMaxPool3dWithIndices(x, { kernelSize: 2, outputSize: 3, randomSamples: samples([1, 2, 3], 6) }).output,
    signedInput(batchless), { label: 'fractionalMaxPool3dWithIndices batchless' });
});

// ---- The helper itself ----

test('gradcheck rejects a backward that is off by a factor', () => {
  // A fake op y = 2x whose backward claims dy/dx = 3.
  const wrong = (x: Tensor): Tensor => {
    const y = new Tensor(Float32Array.from(x.data, (v) => 2 * v), x.shape);
    if (x.requiresGrad) {
      y.requiresGrad = true;
      y.gradFn = { name: 'wrong', inputs: [x], backward: (g) => [Float32Array.from(g, (v) => 3 * v)] };
    }
    return y;
  };
  assert.throws(() => gradcheck(wrong, signedInput([1, 1, 4])), /disagrees with central differences/);
});

test('gradcheck rejects a max-pool gradient sent to the wrong tap', () => {
  // Forward: maxPool1d; backward: the gradient at the window's first tap instead of its maximum.
  const wrong = (x: Tensor): Tensor => {
    const y = pk.noGrad(() => pk.maxPool1d(x, { kernelSize: 2 }));
    if (x.requiresGrad) {
      y.requiresGrad = true;
      y.gradFn = {
        name: 'wrong', inputs: [x],
        backward: (g) => {
          const gi = new Float32Array(x.size);
          g.forEach((v, i) => { gi[2 * i] = v; });
          return [gi];
        },
      };
    }
    return y;
  };
  assert.throws(() => gradcheck(wrong, signedInput([1, 1, 8])), /disagrees with central differences/);
});

test('gradcheck handles several inputs (for ops like conv)', () => {
  const report = gradcheck((a, b) => pk.mul(pk.add(a!, b!), a!), [signedInput([2, 3], 1), signedInput([2, 3], 2)]);
  assert.equal(report.analytic.length, 2);
});
