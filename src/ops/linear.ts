import { result } from '../autograd/function.js';
import { check, fmtShape } from '../errors.js';
import { gemm_nn, gemm_nt, gemm_tn } from '../kernels/gemm.js';
import { floatData, type Tensor } from '../tensor/tensor.js';
import { zerosFloat32 } from '../tensor/storage.js';

/**
 * `x · Wᵀ + b` over the last dimension of `x` (`(*, in)` → `(*, out)`), weight `(out, in)`.
 * `layer` names the module in shape errors.
 *
 *     linear(x, weight, bias);
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, layer = 'linear'): Tensor {
  const xs = floatData('linear', x);
  const ws = floatData('linear', weight, 'weight');
  const bs = bias === null ? null : floatData('linear', bias, 'bias');
  check(weight.ndim === 2, 'linear', 'weight', () => `${layer}: weight must be 2-D (out_features, in_features), but got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  check(x.ndim >= 1 && x.shape[x.ndim - 1] === inF, 'linear', 'input',
    () => `${layer}: mat1 and mat2 shapes cannot be multiplied (${x.ndim >= 1 ? x.size / x.shape[x.ndim - 1]! : 1}x${x.shape[x.ndim - 1] ?? 1} and ${inF}x${outF}): the layer expects ${inF} input features but got ${x.shape[x.ndim - 1] ?? 'a scalar'} (input shape ${fmtShape(x.shape)})`,
    x.shape);
  check(bias === null || (bias.ndim === 1 && bias.shape[0] === outF), 'linear', 'bias',
    () => `${layer}: bias must have shape [${outF}], but got ${fmtShape(bias!.shape)}`);
  const rows = xs.length / inF;
  const out = zerosFloat32(rows * outF);
  if (bs) for (let r = 0; r < rows; r++) out.set(bs, r * outF);
  gemm_nt(xs, ws, out, rows, outF, inF);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return result(out, [...x.shape.slice(0, -1), outF], 'linear', inputs, (g) => {
    const gx = x.requiresGrad ? zerosFloat32(xs.length) : null;
    if (gx) gemm_nn(g, ws, gx, rows, inF, outF);
    const gw = weight.requiresGrad ? zerosFloat32(ws.length) : null;
    if (gw) gemm_tn(g, xs, gw, outF, inF, rows);
    let gb: Float32Array | null = null;
    if (bias?.requiresGrad) {
      gb = zerosFloat32(outF);
      for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) gb[o] += g[r * outF + o]!;
    }
    return bias === null ? [gx, gw] : [gx, gw, gb];
  });
}

/**
 * Matrix product of 2-D tensors `(M, K) · (K, N)`.
 *
 *     matmul(a, b);
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const as = floatData('matmul', a);
  const bs = floatData('matmul', b, 'other');
  check(a.ndim === 2 && b.ndim === 2 && a.shape[1] === b.shape[0], 'matmul', 'other',
    () => `mat1 and mat2 shapes cannot be multiplied (${a.shape.join('x')} and ${b.shape.join('x')})`);
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out = zerosFloat32(m * n);
  gemm_nn(as, bs, out, m, n, k);
  return result(out, [m, n], 'matmul', [a, b], (g) => {
    const ga = zerosFloat32(as.length);
    gemm_nt(g, bs, ga, m, k, n);
    const gb = zerosFloat32(bs.length);
    gemm_tn(as, g, gb, k, n, m);
    return [ga, gb];
  });
}
