import { result } from '../autograd/function.js';
import { isGradEnabled } from '../autograd/grad_mode.js';
import { check, fmtShape, PoolkitError, show } from '../errors.js';
import { conv2d_bwd, conv2d_fwd } from '../kernels/conv.js';
import { expandInts, type IntOrTuple } from '../pool/geometry.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
import { emptyFloat32, inScope, zerosFloat32 } from '../tensor/storage.js';

export interface Conv2dOptions {
  stride?: IntOrTuple;
  /** Zero padding on both sides, or `'same'` (stride 1; the odd pixel at the end) or `'valid'`. */
  padding?: IntOrTuple | 'same' | 'valid';
  dilation?: IntOrTuple;
  groups?: number;
}

/** Everything the convolution kernels read, computed and checked once. */
export interface Conv2dGeometry {
  readonly batch: number; readonly batched: boolean;
  readonly cin: number; readonly cout: number; readonly groups: number;
  readonly cinPerGroup: number; readonly coutPerGroup: number;
  readonly kH: number; readonly kW: number; readonly sH: number; readonly sW: number;
  readonly padH: number; readonly padW: number; readonly dilH: number; readonly dilW: number;
  readonly inH: number; readonly inW: number; readonly outH: number; readonly outW: number;
  readonly outputShape: readonly number[];
}

export function conv2dGeometry(inputShape: readonly number[], weightShape: readonly number[], biasShape: readonly number[] | null, opts: Conv2dOptions): Conv2dGeometry {
  const op = 'conv2d';
  check(inputShape.length === 3 || inputShape.length === 4, op, 'input',
    () => `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${fmtShape(inputShape)}`, inputShape);
  const batched = inputShape.length === 4;
  const [batch, cin, inH, inW] = batched ? inputShape : [1, ...inputShape];
  check(weightShape.length === 4, op, 'weight', () => `weight must be 4-D (out_channels, in_channels / groups, kH, kW), but got ${fmtShape(weightShape)}`, weightShape);
  const [cout, cinPerGroup, kH, kW] = weightShape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  check(Number.isSafeInteger(groups) && groups > 0, op, 'groups', () => `non-positive groups is not supported, but got groups=${show(groups)}`, groups);
  check(cout % groups === 0, op, 'groups', () => `out_channels (${cout}) must be divisible by groups (${groups})`, groups);
  check(cinPerGroup * groups === cin, op, 'input',
    () => `Given groups=${groups}, weight of size ${fmtShape(weightShape)}, expected input${fmtShape(inputShape)} to have ${cinPerGroup * groups} channels, but got ${cin} channels instead`, inputShape);
  check(biasShape === null || (biasShape.length === 1 && biasShape[0] === cout), op, 'bias',
    () => `Given weight of size ${fmtShape(weightShape)}, expected bias to be 1-dimensional with ${cout} elements, but got bias of size ${fmtShape(biasShape ?? [])} instead`, biasShape);
  const [sH, sW] = expandInts(op, 'stride', opts.stride ?? 1, 2) as [number, number];
  check(sH > 0 && sW > 0, op, 'stride', () => `non-positive stride is not supported, but got stride=${show(opts.stride)}`, opts.stride);
  const [dilH, dilW] = expandInts(op, 'dilation', opts.dilation ?? 1, 2) as [number, number];
  check(dilH > 0 && dilW > 0, op, 'dilation', () => `dilation should be greater than zero, but got dilation=${show(opts.dilation)}`, opts.dilation);
  let padH: number, padW: number, extraH = 0, extraW = 0;
  const padding = opts.padding ?? 0;
  if (padding === 'valid') {
    padH = padW = 0;
  } else if (padding === 'same') {
    // ATen Convolution.cpp: total dilation·(k − 1); the odd pixel goes at the end.
    check(sH === 1 && sW === 1, op, 'padding', () => "padding='same' is not supported for strided convolutions", padding);
    const totH = dilH * (kH - 1), totW = dilW * (kW - 1);
    padH = Math.floor(totH / 2); padW = Math.floor(totW / 2);
    extraH = totH - 2 * padH; extraW = totW - 2 * padW;
  } else {
    check(typeof padding !== 'string', op, 'padding', () => `Invalid padding string: ${show(padding)}`, padding);
    [padH, padW] = expandInts(op, 'padding', padding, 2) as [number, number];
    check(padH >= 0 && padW >= 0, op, 'padding', () => `negative padding is not supported, but got padding=${show(padding)}`, padding);
  }
  const outH = Math.floor((inH! + 2 * padH + extraH - dilH * (kH - 1) - 1) / sH) + 1;
  const outW = Math.floor((inW! + 2 * padW + extraW - dilW * (kW - 1) - 1) / sW) + 1;
  if (outH < 1 || outW < 1) {
    throw new PoolkitError(op, 'input',
      `Calculated padded input size per channel: (${inH! + 2 * padH + extraH} x ${inW! + 2 * padW + extraW}). Kernel size: (${dilH * (kH - 1) + 1} x ${dilW * (kW - 1) + 1}). Kernel size can't be greater than actual input size`, inputShape);
  }
  return Object.freeze({
    batch: batch!, batched, cin: cin!, cout, groups, cinPerGroup, coutPerGroup: cout / groups, kH, kW, sH, sW,
    padH, padW, dilH, dilW, inH: inH!, inW: inW!, outH, outW,
    outputShape: Object.freeze(batched ? [batch!, cout, outH, outW] : [cout, outH, outW]),
  });
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of `(N, Cin, H, W)` or `(Cin, H, W)` with a
 * weight `(Cout, Cin / groups, kH, kW)` and optional bias `(Cout)`.
 *
 *     conv2d(x, weight, bias, { padding: 2 });
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const xs = floatData('conv2d', x);
  const ws = floatData('conv2d', weight, 'weight');
  const bs = bias === null ? null : floatData('conv2d', bias, 'bias');
  const g = conv2dGeometry(x.shape, weight.shape, bias === null ? null : bias.shape, opts);
  // With a bias every output is first set to it (both kernels); without, the products add onto zeros.
  const n = g.outputShape.reduce((a, b) => a * b, 1);
  const out = bias === null ? zerosFloat32(n) : emptyFloat32(n);
  // The weight gradient needs every image's unfolded input: keep it from the forward, in a
  // training step's scope, rather than unfold x again in the backward.
  const cols = isGradEnabled() && weight.requiresGrad && inScope()
    ? emptyFloat32(g.batch * g.groups * g.cinPerGroup * g.kH * g.kW * g.outH * g.outW) : null;
  conv2d_fwd(xs, ws, bs, g, out, cols);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return result(out, g.outputShape, 'conv2d', inputs, (gy) => {
    const gx = x.requiresGrad ? zerosFloat32(xs.length) : null;
    const gw = weight.requiresGrad ? zerosFloat32(ws.length) : null;
    const gb = bias?.requiresGrad ? zerosFloat32(bs!.length) : null;
    conv2d_bwd(xs, ws, gy, g, gx, gw, gb, cols);
    return bias === null ? [gx, gw] : [gx, gw, gb];
  });
}
