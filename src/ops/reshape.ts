import { result } from '../autograd/function.js';
import { check, fmtShape } from '../errors.js';
import { numel } from '../tensor/shape.js';
import { Tensor, type Storage } from '../tensor/tensor.js';

/**
 * The same elements under another shape (one entry may be -1: inferred). Shares storage.
 *
 *     reshape(tensor([1, 2, 3, 4]), [2, -1]).shape;  // [2, 2]
 */
export function reshape<S extends Storage>(x: Tensor<S>, shape: readonly number[]): Tensor<S> {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  check(inferred <= 1 && known.every((d) => Number.isSafeInteger(d) && d >= 0), 'reshape', 'shape',
    () => `shape ${fmtShape(shape)} is invalid: only one dimension can be inferred and the rest must be non-negative integers`);
  const rest = numel(known);
  const full = inferred === 1 ? shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d)) : [...shape];
  check(numel(full) === x.size && full.every(Number.isSafeInteger), 'reshape', 'shape',
    () => `shape '${fmtShape(shape)}' is invalid for input of size ${x.size}`);
  return result(x.data, full, 'reshape', [x as Tensor], (g) => [g]);
}

/**
 * Merges dimensions `startDim` through `endDim` into one, as `torch.flatten`.
 *
 *     flatten(x).shape;  // [N, C·H·W] for x of shape [N, C, H, W]
 */
export function flatten<S extends Storage>(x: Tensor<S>, startDim = 1, endDim = -1): Tensor<S> {
  const nd = x.ndim;
  const s = startDim < 0 ? startDim + nd : startDim;
  const e = endDim < 0 ? endDim + nd : endDim;
  check(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e < nd && s <= e, 'flatten', 'startDim',
    () => `flatten() has invalid args: start_dim=${startDim}, end_dim=${endDim} for a ${nd}-D tensor`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}
