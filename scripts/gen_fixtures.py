#!/usr/bin/python3
"""Golden fixtures for poolkit's pooling family and training stack, computed by PyTorch (CPU, float32).

Run with Debian's PyTorch (python3-torch 1.13):

    /usr/bin/python3 scripts/gen_fixtures.py        # or: npm run fixtures

It writes one JSON file per family into test/fixtures/pool/ (max_pool, avg_pool, lp_pool,
adaptive_pool, fractional_pool, unpool, errors); test/pool/golden.test.ts replays every case
through the poolkit export named by the case's `fn`, so CI needs no Python.

Every case is described once, in poolkit's terms (`fn` and `args`, options in camelCase); the
PyTorch call is derived from those arguments by `torch_forward` below, so the arguments a
fixture records are exactly the arguments PyTorch ran with.

File layout:
    {"torch": "<torch.__version__>", "seed": <int>, "notes": [...], "cases": [...]}
`notes` says where a reference is not a plain PyTorch 1.13 call (lp_pool3d, avg_pool1d with a
divisor) and what is deliberately not pinned. A case:
    name        the rule it pins
    fn          the poolkit export, e.g. "maxPool2dWithIndices"
    args        poolkit's arguments after the input: {"options": {...}} for max/avg/fractional,
                {"normType": p, "options": {...}} for lpPool, {"outputSize": ...} for adaptive
                pooling (null entries keep the input size), {"indices": T, "options": {...}} for
                maxUnpool. A tensor argument T is {"shape", "data"[, "dtype": "int32"]}; the
                fractional samples are options.randomSamples, laid out as PyTorch's
                `_random_samples` (N, C, 2|3).
    input       {"shape", "data"}: the input (for maxUnpool: the pooled values)
    output      {"shape", "data"}
    indices     {"shape", "data"} when the op returns indices
    gradOutput  random gradient of the output, gradInput = autograd's gradient of the input
Float32 values are written as the shortest decimal that round-trips the float32; NaN and
infinities as the strings "NaN", "Infinity", "-Infinity".

errors.json cases carry `fn`, `op` (PyTorch's snake_case name), `args`, `inputShape` (the
input is zeros of that shape), `arg` (the poolkit option at fault), `rule` (a regex for
poolkit's message: the key phrase of PyTorch's message, in a form that accepts PyTorch 1.13's
and PyTorch 2's wording where they differ), `torchError` and `torchMessage` (what PyTorch 1.13
raised) and, where the rule does not match PyTorch 1.13's own words, a `note` saying why.

The training stack goes to test/fixtures/nn/ (seeds NN_SEED + i), read by test/ops/golden_nn.test.ts:
ops.json     cases of the ops (conv2d, linear, matmul, activations, softmax, reshaping, losses,
             elementwise arithmetic, sum, mean): `fn` (the poolkit export), `args` (poolkit's
             positional arguments in order: tensors {"shape", "data"[, "dtype": "int32"]}, null for
             no bias, numbers, strings, shapes, option objects in camelCase; TORCH_OPS below turns
             them into the PyTorch call), `output`, `gradOutput` (random) and `grads`, parallel to
             `args`: autograd's gradient of each float tensor argument, null for the others.
optim.json   cases {"name", "optimizer": "SGD" | "Adam" | "AdamW", "options" (poolkit's, camelCase;
             OPTIMIZERS below builds torch.optim from them), "params" (initial), "steps": [{"grads",
             "params"}]}: each step sets every parameter's grad, calls step(), and records the
             parameters after it.
lenet5.json  one record: "stateDict" (the seeded PyTorch LeNet5's state_dict, name -> tensor, in
             order, weights rounded to LENET_DECIMALS decimals), "input" (4×1×28×28), "target"
             (int32), "logits", "loss" (cross_entropy, mean) and "grads" (name -> the gradient of
             the loss with respect to that parameter).
"""

import json
import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from torch_lenet import LeNet5  # scripts/torch_lenet.py: the LeNet5 that scripts/check_torch_load.py loads poolkit's models into

SEED = 20240611
OUT_DIR = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'pool'

NAN = float('nan')
INF = float('inf')

torch.set_num_threads(1)  # results do not depend on it; one thread keeps runs identical anyway


# ---- JSON encoding ----

def num(v):
    """A float32 value as JSON: the shortest decimal that round-trips it, or a string for NaN/±inf."""
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    f = np.float32(v)
    if f == 0:
        return -0.0 if math.copysign(1.0, v) < 0 else 0
    if float(f).is_integer() and abs(f) < 2 ** 24:
        return int(f)
    d = float(str(f))  # numpy prints a float32 as its shortest round-tripping decimal
    assert np.float32(d) == f, (v, d)
    return d


def tens(t):
    t = t.detach()
    assert t.dtype == torch.float32, t.dtype
    return {'shape': list(t.shape), 'data': [num(v) for v in t.reshape(-1).tolist()]}


def itens(t, dtype=False):
    out = {'shape': list(t.shape), 'data': [int(v) for v in t.reshape(-1).tolist()]}
    if dtype:
        out['dtype'] = 'int32'
    return out


def from_json(t):
    """A JSON tensor back to torch (float32, or int64 for index tensors as PyTorch wants)."""
    def val(v):
        return {'NaN': NAN, 'Infinity': INF, '-Infinity': -INF}.get(v, v) if isinstance(v, str) else v
    if t.get('dtype') == 'int32':
        return torch.tensor(t['data'], dtype=torch.int64).reshape(t['shape'])
    return torch.tensor([val(v) for v in t['data']], dtype=torch.float32).reshape(t['shape'])


# ---- inputs ----

def dec(*shape, lo=-4.0, hi=4.0):
    """Random values with two decimals (short in JSON), float32."""
    return torch.randint(int(round(lo * 100)), int(round(hi * 100)) + 1, shape).float() / 100


def distinct(*shape, step=0.25, offset=None):
    """Distinct values step·π(i) + offset for a random permutation π: no accidental ties."""
    n = int(np.prod(shape))
    off = -(n // 2) * step if offset is None else offset
    return (torch.randperm(n).float() * step + off).reshape(shape)


def positive(*shape):
    """Random values in [0.1, 4] with two decimals (Lp pooling with fractional p, 1×1 means)."""
    return dec(*shape, lo=0.1, hi=4.0)


# ---- poolkit arguments -> PyTorch call ----

FN_RE = re.compile(
    r'^(?:(?P<win>max|avg|lp)Pool(?P<wd>[123])d|adaptive(?P<ad>Avg|Max)Pool(?P<add>[123])d'
    r'|fractionalMaxPool(?P<fd>[23])d|maxUnpool(?P<ud>[123])d)(?P<idx>WithIndices)?$')


def op_name(fn):
    """PyTorch's snake_case op name of a poolkit export."""
    m = FN_RE.match(fn)
    assert m, fn
    if m['win']:
        return f"{m['win']}_pool{m['wd']}d"
    if m['ad']:
        return f"adaptive_{m['ad'].lower()}_pool{m['add']}d"
    if m['fd']:
        return f"fractional_max_pool{m['fd']}d"
    return f"max_unpool{m['ud']}d"


def lp_pool3d_composed(x, p, kernel_size, stride=None, ceil_mode=False, padding=0):
    """PyTorch 1.13 has no lp_pool3d: PyTorch's lp_pool2d composition in 3-D (as PyTorch ≥ 2.2 defines lp_pool3d)."""
    kd, kh, kw = kernel_size if isinstance(kernel_size, (list, tuple)) else (kernel_size,) * 3
    out = F.avg_pool3d(x.pow(p), kernel_size, stride, padding, ceil_mode)
    return (torch.sign(out) * F.relu(torch.abs(out))).mul(kd * kh * kw).pow(1.0 / p)


def lp_pool_padded(nd, x, p, kernel_size, stride, padding, ceil_mode):
    """Lp pooling with padding (a poolkit extension): PyTorch's composition, the padding given to avg_pool (count_include_pad)."""
    ks = kernel_size if isinstance(kernel_size, (list, tuple)) else [kernel_size] * nd
    avg = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][nd - 1]
    out = avg(x.pow(p), kernel_size, stride, padding, ceil_mode)
    return (torch.sign(out) * F.relu(torch.abs(out))).mul(int(np.prod(ks))).pow(1.0 / p)


def torch_forward(fn, args, x):
    """Runs PyTorch on `x` with poolkit's arguments; returns the output or (output, indices)."""
    m = FN_RE.match(fn)
    assert m, fn
    o = dict(args.get('options', {}))
    with_idx = bool(m['idx'])
    if m['win'] == 'max':
        nd = int(m['wd'])
        f = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nd - 1]
        return f(x, o['kernelSize'], o.get('stride'), o.get('padding', 0), o.get('dilation', 1),
                 ceil_mode=o.get('ceilMode', False), return_indices=with_idx)
    if m['win'] == 'avg':
        nd = int(m['wd'])
        kw = dict(ceil_mode=o.get('ceilMode', False), count_include_pad=o.get('countIncludePad', True))
        k, s, p = o['kernelSize'], o.get('stride'), o.get('padding', 0)
        if nd == 1:
            if 'divisorOverride' in o:
                # avg_pool1d has no divisor_override; ATen's avg_pool1d is avg_pool2d over (…, 1, L).
                one = lambda v: [1, v[0] if isinstance(v, list) else v]
                return F.avg_pool2d(x.unsqueeze(-2), one(k), None if s is None else one(s), [0, p[0] if isinstance(p, list) else p],
                                    divisor_override=o['divisorOverride'], **kw).squeeze(-2)
            return F.avg_pool1d(x, k, s, p, **kw)
        f = [None, F.avg_pool2d, F.avg_pool3d][nd - 1]
        return f(x, k, s, p, divisor_override=o.get('divisorOverride'), **kw)
    if m['win'] == 'lp':
        nd = int(m['wd'])
        p = args['normType']
        k, s, ceil = o['kernelSize'], o.get('stride'), o.get('ceilMode', False)
        if o.get('padding', 0) != 0:
            return lp_pool_padded(nd, x, p, k, s, o['padding'], ceil)
        if nd == 3:
            return lp_pool3d_composed(x, p, k, s, ceil)
        return [F.lp_pool1d, F.lp_pool2d][nd - 1](x, p, k, s, ceil)
    if m['ad']:
        nd = int(m['add'])
        size = args['outputSize']
        size = tuple(size) if isinstance(size, list) else size
        if m['ad'] == 'Avg':
            return [F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d][nd - 1](x, size)
        return [F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d][nd - 1](x, size, return_indices=with_idx)
    if m['fd']:
        nd = int(m['fd'])
        samples = from_json(o['randomSamples']) if 'randomSamples' in o else None
        f = [None, F.fractional_max_pool2d, F.fractional_max_pool3d][nd - 1]
        return f(x, o['kernelSize'], output_size=o.get('outputSize'), output_ratio=o.get('outputRatio'),
                 return_indices=with_idx, _random_samples=samples)
    nd = int(m['ud'])
    f = [F.max_unpool1d, F.max_unpool2d, F.max_unpool3d][nd - 1]
    return f(x, from_json(args['indices']), o['kernelSize'], o.get('stride'), o.get('padding', 0), o.get('outputSize'))


# ---- cases ----

def case(name, fn, args, x, grad_out=None):
    """Runs one case through PyTorch's forward and autograd and records it."""
    x = x.detach().to(torch.float32)
    xt = x.clone().requires_grad_(True)
    res = torch_forward(fn, args, xt)
    out, idx = res if isinstance(res, tuple) else (res, None)
    g = torch.randn(out.shape) if grad_out is None else grad_out
    out.backward(g)
    c = {'name': name, 'fn': fn, 'args': args, 'input': tens(x), 'output': tens(out)}
    if FN_RE.match(fn)['idx']:
        c['indices'] = itens(idx)
    c['gradOutput'] = tens(g)
    c['gradInput'] = tens(xt.grad)
    return c


def ceil_drops(size, k, s, p, d=1):
    """Whether ceil mode's last window would start in the right padding (ATen Pool.h drops it)."""
    span = size + 2 * p - d * (k - 1) - 1
    return (-(-span // s)) * s >= size + p


def floor_out(size, k, s, p, d=1):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def max_cases():
    cs = []
    # ---- 1-D ----
    cs.append(case('kernel 2 with the default stride (= kernel) on batchless input', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 2}}, distinct(3, 8)))
    cs.append(case('batch 2 × 3 channels, kernel 3, stride 2, padding 1', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}}, distinct(2, 3, 9)))
    cs.append(case('dilation 2 skips every other tap, padding steps up by the dilation', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'dilation': 2}}, distinct(2, 2, 11)))
    cs.append(case('ceilMode keeps a partial last window that starts inside the input', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 2, 'stride': 2, 'ceilMode': True}}, distinct(2, 7)))
    assert ceil_drops(5, 3, 3, 1)
    cs.append(case('ceilMode drops a window that starts in the right padding', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 3, 'padding': 1, 'ceilMode': True}}, distinct(2, 2, 5)))
    cs.append(case('floor mode drops the odd last element', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 2}}, distinct(1, 2, 7)))
    cs.append(case('overlapping windows (stride 1 < kernel 3) accumulate the gradient of a shared maximum', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 1}}, torch.tensor([[[0.5, 1, 9, 2, 3, -1, 7, 7.5, 0]]])))
    cs.append(case('the whole gradient goes to the first of tied maxima', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2}}, torch.tensor([[[1, 3, 3, 2, 3, 3, 3, -1, 2.5, 2.5, 2.5]]])))
    cs.append(case('a tie between 0 and -0 keeps the first', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 2}}, torch.tensor([[-0.0, 0.0, 0.0, -0.0, -1, -0.0]])))
    cs.append(case('NaN propagates and the last NaN in a window gives the index', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3}},
                   torch.tensor([[[-INF, NAN, 1, NAN, NAN, 2, 5, NAN, 4, NAN, 3, 9]]])))
    cs.append(case('+inf wins; a window of only -inf returns -inf at its first tap', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3}},
                   torch.tensor([[[1, INF, 2, -INF, -INF, -INF, INF, INF, -INF]]])))
    cs.append(case('an all -inf window overlapping the padding records its first tap inside the input', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}},
                   torch.tensor([[[-INF, -INF, -INF, 1, -INF, -INF]]])))
    cs.append(case('size-1 input with kernel 1', 'maxPool1dWithIndices',
                   {'options': {'kernelSize': 1}}, torch.tensor([[[0.75]], [[-2.5]]])))
    cs.append(case('plain maxPool1d returns the same values', 'maxPool1d',
                   {'options': {'kernelSize': 4, 'stride': 3, 'padding': 2}}, distinct(2, 2, 10)))

    # ---- 2-D ----
    cs.append(case('kernel 2 on batchless input', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2}}, distinct(2, 5, 5)))
    cs.append(case('batch 2 × 3 channels, kernel 3, stride 2, padding 1', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}}, distinct(2, 3, 7, 6)))
    cs.append(case('tuple kernel, stride and padding per dimension', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': [2, 3], 'stride': [1, 2], 'padding': [1, 1]}}, distinct(2, 2, 5, 6)))
    cs.append(case('dilation [2, 1] with padding', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 1, 'padding': 1, 'dilation': [2, 1]}}, distinct(1, 2, 6, 5)))
    cs.append(case('dilation 2 and stride 2 in both dimensions', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'stride': 2, 'dilation': 2}}, distinct(2, 1, 7, 8)))
    cs.append(case('ceilMode keeps partial windows on odd sizes', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'ceilMode': True}}, distinct(1, 2, 5, 7)))
    assert ceil_drops(5, 3, 3, 1) and not ceil_drops(6, 3, 3, 1)
    cs.append(case('ceilMode drops a window that starts in the right padding (H) and keeps one that starts inside (W)',
                   'maxPool2dWithIndices', {'options': {'kernelSize': 3, 'stride': 3, 'padding': 1, 'ceilMode': True}},
                   distinct(2, 1, 5, 6)))
    cs.append(case('ceilMode with dilation', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'stride': 2, 'dilation': 2, 'padding': 1, 'ceilMode': True}}, distinct(1, 1, 6, 7)))
    cs.append(case('overlapping windows (stride 1 < kernel 3) accumulate gradients', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 1}}, dec(1, 2, 5, 5)))
    cs.append(case('ties: a constant plane sends every gradient to each window’s first tap', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'stride': 1}}, torch.full((1, 4, 4), 1.5)))
    cs.append(case('ties across rows: the first in row-major order wins', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2}}, torch.tensor([[[0, 1, 2, 2], [1, 0, 2, 2], [5, -1, 3, 3], [-2, 5, 3, 0]]])))
    cs.append(case('NaN propagates and the last NaN in row-major order gives the index', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 2}},
                   torch.tensor([[[NAN, 1, 2, 3], [4, NAN, NAN, 0], [-INF, -INF, 1, NAN], [-INF, NAN, 7, 8]]])))
    cs.append(case('+inf wins; all -inf windows (also with padding) return -inf at their first tap inside the input',
                   'maxPool2dWithIndices', {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}},
                   torch.tensor([[[[-INF, -INF, -INF, -INF, 1],
                                   [-INF, -INF, -INF, -INF, 2],
                                   [-INF, -INF, -INF, INF, 3],
                                   [-INF, -INF, 0, INF, -INF],
                                   [-INF, -INF, -INF, -INF, -INF]]]])))
    cs.append(case('size-1 input with kernel 1', 'maxPool2dWithIndices',
                   {'options': {'kernelSize': 1}}, torch.tensor([[[[3.25]]], [[[-1]]]])))
    cs.append(case('plain maxPool2d returns the same values', 'maxPool2d',
                   {'options': {'kernelSize': [3, 2], 'stride': [2, 1], 'padding': [1, 0]}}, distinct(2, 2, 5, 4)))

    # ---- 3-D ----
    cs.append(case('kernel 2 on batchless input', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': 2}}, distinct(2, 4, 4, 4)))
    cs.append(case('batch 2, tuple kernel, stride and padding', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': [2, 3, 2], 'stride': [1, 2, 2], 'padding': [1, 1, 0]}}, distinct(2, 2, 3, 5, 4)))
    cs.append(case('dilation [1, 2, 2] with padding', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': [2, 2, 3], 'stride': 1, 'padding': [0, 1, 1], 'dilation': [1, 2, 2]}},
                   distinct(1, 1, 3, 5, 6)))
    assert ceil_drops(5, 3, 3, 1)
    cs.append(case('ceilMode drops a window that starts in the right padding and keeps partial ones', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': [3, 2, 3], 'stride': [3, 2, 3], 'padding': [1, 0, 1], 'ceilMode': True}},
                   distinct(1, 2, 5, 5, 6)))
    cs.append(case('overlapping windows accumulate gradients', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': 2, 'stride': 1}}, dec(1, 1, 3, 4, 4)))
    x = torch.full((1, 1, 2, 4, 4), -INF)
    x[0, 0, 0, 0, :2] = torch.tensor([NAN, 1])
    x[0, 0, 1, 1, 1] = NAN
    x[0, 0, 0, 2:, 2:] = torch.tensor([[2, 2], [INF, 2]])
    cs.append(case('NaN (the last wins), +inf beating tied values, and all -inf windows in 3-D', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': 2}}, x))
    x = torch.full((1, 3, 3, 3), -INF)
    x[0, 2, 2, 2] = 1
    cs.append(case('all -inf windows with padding return -inf at their first tap inside the input (3-D)', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}}, x))
    cs.append(case('size-1 input with kernel 1', 'maxPool3dWithIndices',
                   {'options': {'kernelSize': 1}}, torch.tensor([[[[[0.5]]]]])))
    cs.append(case('plain maxPool3d returns the same values', 'maxPool3d',
                   {'options': {'kernelSize': 2, 'stride': [2, 1, 2], 'ceilMode': True}}, distinct(2, 3, 3, 5)))
    return cs, []


def avg_cases():
    cs = []
    for nd, fn in ((1, 'avgPool1d'), (2, 'avgPool2d'), (3, 'avgPool3d')):
        sp = {1: lambda *s: s[-1:], 2: lambda *s: s[-2:], 3: lambda *s: s}[nd]
        t = lambda v: v if nd == 1 else [v] * nd  # noqa: E731
        cs.append(case('default stride (= kernel) on batchless input', fn,
                       {'options': {'kernelSize': 2}}, dec(2, *sp(4, 4, 6))))
        cs.append(case('batch 2 × 3 channels, kernel 3, stride 2, padding 1, padding counted', fn,
                       {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}}, dec(2, 3, *sp(4, 5, 7))))
        cs.append(case('countIncludePad false divides by the taps inside the input', fn,
                       {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False}}, dec(2, 2, *sp(4, 5, 7))))
        cs.append(case('ceilMode: the overhang beyond the right padding is never counted (countIncludePad true)', fn,
                       {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True}}, dec(1, 2, *sp(4, 6, 6))))
        cs.append(case('ceilMode with countIncludePad false', fn,
                       {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False}},
                       dec(1, 2, *sp(4, 6, 6))))
        cs.append(case('ceilMode without padding: the partial last window divides by its taps', fn,
                       {'options': {'kernelSize': 2, 'ceilMode': True}}, dec(1, 1, *sp(3, 5, 7))))
        assert ceil_drops(5, 3, 3, 1)
        cs.append(case('ceilMode drops a window that starts in the right padding', fn,
                       {'options': {'kernelSize': 3, 'stride': 3, 'padding': 1, 'ceilMode': True}}, dec(2, 1, *sp(5, 5, 5))))
        cs.append(case('divisorOverride replaces every divisor (with padding and ceilMode)', fn,
                       {'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'divisorOverride': 5}},
                       dec(1, 2, *sp(4, 6, 5))))
        cs.append(case('overlapping windows (stride 1) accumulate gradients', fn,
                       {'options': {'kernelSize': t(2), 'stride': 1}}, dec(1, 1, *sp(3, 4, 5))))
        cs.append(case('size-1 input with kernel 1', fn, {'options': {'kernelSize': 1}}, dec(1, 2, *sp(1, 1, 1))))
        cs.append(case('NaN and infinities propagate through the window sum', fn, {'options': {'kernelSize': 2}},
                       torch.tensor([1, NAN, 2, 3, INF, 1, INF, -INF, -INF, 5, 4, 1, 0, 2, -1, 0.5] * (2 if nd == 3 else 1)
                                    ).reshape(1, 1, *{1: (16,), 2: (4, 4), 3: (2, 4, 4)}[nd])))
    cs.append(case('tuple kernel, stride and padding', 'avgPool2d',
                   {'options': {'kernelSize': [3, 2], 'stride': [2, 1], 'padding': [1, 1], 'countIncludePad': False}}, dec(2, 2, 5, 6)))
    cs.append(case('tuple kernel, stride and padding', 'avgPool3d',
                   {'options': {'kernelSize': [1, 3, 2], 'stride': [1, 2, 2], 'padding': [0, 1, 1]}}, dec(1, 2, 2, 5, 6)))
    cs.append(case('divisorOverride without padding', 'avgPool2d',
                   {'options': {'kernelSize': 2, 'divisorOverride': 3}}, dec(2, 4, 4)))
    notes = ['avgPool1d with divisorOverride: PyTorch 1.13 avg_pool1d has no divisor_override; the reference is '
             'avg_pool2d over the (…, 1, L) view, which is how ATen implements avg_pool1d.',
             'dilation for average pooling is a poolkit extension (ONNX); PyTorch has none, so no fixture pins it.']
    return cs, notes


def lp_cases():
    cs = []
    for nd in (1, 2, 3):
        fn = f'lpPool{nd}d'
        sp = {1: lambda *s: s[-1:], 2: lambda *s: s[-2:], 3: lambda *s: s}[nd]
        cs.append(case('normType 2 with the default stride on batchless input', fn,
                       {'normType': 2, 'options': {'kernelSize': 2}}, dec(2, *sp(4, 4, 6))))
        cs.append(case('normType 1 sums signed values (no absolute value), batch 2 × 3 channels', fn,
                       {'normType': 1, 'options': {'kernelSize': 3, 'stride': 2}}, dec(2, 3, *sp(3, 5, 7))))
        cs.append(case('normType 3 on negative inputs: a negative window sum gives NaN (no absolute value)', fn,
                       {'normType': 3, 'options': {'kernelSize': 2}}, dec(1, 2, *sp(4, 4, 4))))
        cs.append(case('fractional normType 1.5 on positive inputs, stride 1', fn,
                       {'normType': 1.5, 'options': {'kernelSize': 2, 'stride': 1}}, positive(1, 2, *sp(3, 4, 5))))
        cs.append(case('ceilMode: the partial window shrinks the average but not the kernel-volume factor', fn,
                       {'normType': 2, 'options': {'kernelSize': 2, 'stride': 2, 'ceilMode': True}}, dec(1, 2, *sp(3, 5, 5))))
        x = dec(1, 1, *sp(4, 4, 4))
        x.reshape(-1)[: x.numel() // 2] = 0
        cs.append(case('an all-zero window outputs 0 with gradient 0', fn,
                       {'normType': 2, 'options': {'kernelSize': 2}}, x))
    cs.append(case('tuple kernel and stride', 'lpPool2d',
                   {'normType': 2, 'options': {'kernelSize': [3, 2], 'stride': [2, 1]}}, dec(2, 1, 6, 5)))
    cs.append(case('tuple kernel and stride, ceilMode', 'lpPool3d',
                   {'normType': 3, 'options': {'kernelSize': [1, 2, 3], 'stride': [1, 2, 2], 'ceilMode': True}}, positive(1, 2, 2, 5, 6)))
    cs.append(case('padding (poolkit extension) composes as PyTorch does: avg_pool counts the padding', 'lpPool2d',
                   {'normType': 2, 'options': {'kernelSize': 3, 'stride': 2, 'padding': 1}}, dec(1, 2, 5, 5)))
    cs.append(case('padding (poolkit extension) composes as PyTorch does, 1-D with ceilMode', 'lpPool1d',
                   {'normType': 2, 'options': {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True}}, dec(2, 6)))
    notes = ['PyTorch 1.13 has no lp_pool3d: the lpPool3d references are PyTorch lp_pool2d’s composition in 3-D, '
             'avg_pool3d(x^p) → sign(a)·relu(|a|)·kD·kH·kW → ^(1/p) (what PyTorch ≥ 2.2 defines as lp_pool3d).',
             'Cases with padding (a poolkit extension) use the same composition with the padding passed to avg_pool '
             '(count_include_pad=True).']
    return cs, notes


def adaptive_cases():
    cs = []
    for nd in (1, 2, 3):
        sp = {1: lambda *s: s[-1:], 2: lambda *s: s[-2:], 3: lambda *s: s}[nd]
        t = lambda *v: v[-1] if nd == 1 else list(v[-nd:])  # noqa: E731
        for kind in ('Avg', 'Max'):
            fn = f'adaptive{kind}Pool{nd}d' + ('WithIndices' if kind == 'Max' else '')
            inp = dec if kind == 'Avg' else distinct
            cs.append(case('output sizes that do not divide the input: bins overlap', fn,
                           {'outputSize': t(2, 3, 4)}, inp(2, 3, *sp(5, 7, 10))))
            cs.append(case('output larger than the input repeats inputs', fn,
                           {'outputSize': t(4, 5, 5)}, inp(1, 2, *sp(3, 3, 4))))
            cs.append(case('batchless input, output equal to the input', fn,
                           {'outputSize': t(2, 3, 4)}, inp(2, *sp(2, 3, 4))))
            if nd > 1:
                cs.append(case('a null entry keeps that input size', fn,
                               {'outputSize': [None, 3] if nd == 2 else [2, None, None]}, inp(1, 2, *sp(3, 5, 7))))
            # ATen 1.13 computes a 1×1 adaptive average with mean(): another summation order, hence positive inputs.
            cs.append(case('output 1 is global pooling' + (' (PyTorch computes it with mean())' if kind == 'Avg' else ''), fn,
                           {'outputSize': 1}, (positive if kind == 'Avg' else distinct)(2, 2, *sp(3, 5, 6))))
        cs.append(case('plain adaptiveMaxPool returns the same values', f'adaptiveMaxPool{nd}d',
                       {'outputSize': t(2, 2, 3)}, distinct(1, 2, *sp(3, 4, 5))))
    cs.append(case('output size 1 in one dimension only', 'adaptiveAvgPool2d', {'outputSize': [1, 3]}, dec(2, 1, 4, 7)))
    cs.append(case('output size 1 in one dimension only', 'adaptiveAvgPool3d', {'outputSize': [3, 1, 2]}, dec(1, 2, 4, 3, 5)))
    cs.append(case('ties: the first maximum wins; NaN: the last NaN wins', 'adaptiveMaxPool1dWithIndices',
                   {'outputSize': 3}, torch.tensor([[[2, 2, 1, 2, NAN, 0, NAN, 5, 5]]])))
    cs.append(case('NaN, +inf, ties and an all -inf bin', 'adaptiveMaxPool2dWithIndices',
                   {'outputSize': [2, 2]},
                   torch.tensor([[[NAN, 1, -INF, -INF], [2, NAN, -INF, -INF],
                                  [3, 3, 0, INF], [3, 3, INF, -INF]]])))
    x = torch.full((1, 1, 2, 3, 3), -INF)
    x[0, 0, 1, 1, 1] = NAN
    x[0, 0, 0, 2, 2] = 4
    x[0, 0, 1, 2, 0] = NAN
    x[0, 0, 0, 2, 0] = NAN
    cs.append(case('NaN (the last wins) and all -inf bins in 3-D', 'adaptiveMaxPool3dWithIndices', {'outputSize': [1, 3, 3]}, x))
    cs.append(case('overlapping bins accumulate the gradient of a shared maximum', 'adaptiveMaxPool2dWithIndices',
                   {'outputSize': [3, 3]}, torch.tensor([[[[0, 1, 2, 3, 4], [5, 9, 6, 1, 0], [2, 8, 20, 7, 1], [0, 1, 6, 2, 3], [4, 3, 2, 1, 0.5]]]])))
    notes = ['PyTorch 1.13 computes adaptive average pooling to a 1×1 (or 1-D 1, or 3-D 1×1×1) output with mean(), '
             'whose summation order differs from the per-bin loop: those cases use positive inputs and agree '
             'within float32 rounding.']
    return cs, notes


def fractional_starts(u, in_size, out_size, k, f32=True):
    """ATen fractional_max_pool*_generate_intervals, in float32 (f32) or float64."""
    cast = np.float32 if f32 else float
    u = cast(u)
    seq = [0] * out_size
    if out_size > 1:
        alpha = cast(in_size - k) / cast(out_size - 1)
        for i in range(out_size - 1):
            seq[i] = int(cast(cast(i) + u) * alpha) - int(u * alpha)
    seq[-1] = in_size - k
    return seq


def find_float32_sensitive_sample(in_size, out_size, k):
    """A sample whose window starts differ when computed in float64 rather than float32 (ATen uses float32)."""
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(200000):
        u = float(torch.rand(1, generator=gen))
        if fractional_starts(u, in_size, out_size, k) != fractional_starts(u, in_size, out_size, k, f32=False):
            return u
    return None


def fractional_cases():
    cs = []
    notes = []

    def samples(n, c, nd, fixed=None):
        s = torch.rand(n, c, nd) if fixed is None else torch.tensor(fixed, dtype=torch.float32).reshape(n, c, nd)
        return tens(s)

    for nd in (2, 3):
        fn = f'fractionalMaxPool{nd}dWithIndices'
        sp = (lambda *s: s[-2:]) if nd == 2 else (lambda *s: s)
        t = lambda *v: list(v[-nd:])  # noqa: E731
        cs.append(case('outputSize form, batch 2 × 2 channels, a sample per plane and dimension', fn,
                       {'options': {'kernelSize': 2, 'outputSize': t(3, 4, 5), 'randomSamples': samples(2, 2, nd)}},
                       distinct(2, 2, *sp(7, 9, 10))))
        cs.append(case('outputRatio form: output = floor(input × ratio)', fn,
                       {'options': {'kernelSize': t(2, 3, 2), 'outputRatio': t(0.6, 0.5, 0.7), 'randomSamples': samples(1, 3, nd)}},
                       distinct(1, 3, *sp(6, 8, 9))))
        cs.append(case('outputRatio as one number', fn,
                       {'options': {'kernelSize': 2, 'outputRatio': 0.5, 'randomSamples': samples(1, 1, nd)}},
                       distinct(1, 1, *sp(6, 8, 9))))
        cs.append(case('batchless input takes samples of shape (1, C, k)', fn,
                       {'options': {'kernelSize': 3, 'outputSize': t(2, 3, 4), 'randomSamples': samples(1, 2, nd)}},
                       distinct(2, *sp(5, 7, 8))))
        cs.append(case('output size 1 in a dimension puts its only window at the end', fn,
                       {'options': {'kernelSize': 2, 'outputSize': t(1, 1, 3), 'randomSamples': samples(1, 1, nd)}},
                       distinct(1, 1, *sp(4, 5, 7))))
        # ATen checks out + k − 1 <= in in 2-D but out + k − 1 < in in 3-D (FractionalMaxPool3d.cpp).
        cs.append(case('tight fit: output + kernel − 1 = input' if nd == 2 else
                       'largest 3-D output: output + kernel − 1 = input − 1 (the 3-D check is strict)', fn,
                       {'options': {'kernelSize': 3, 'outputSize': t(3, 4, 5), 'randomSamples': samples(1, 1, nd)}},
                       distinct(1, 1, *(sp(5, 6, 7) if nd == 2 else sp(6, 7, 8)))))
        cs.append(case('samples 0 and 0.999 (the extremes of [0, 1))', fn,
                       {'options': {'kernelSize': 2, 'outputSize': t(3, 4, 4),
                                    'randomSamples': samples(1, 2, nd, ([0.0, 0.999, 0.0] if nd == 3 else [0.0, 0.999])
                                                             + ([0.999, 0.0, 0.999] if nd == 3 else [0.999, 0.0]))}},
                       distinct(1, 2, *sp(6, 9, 9))))
        cs.append(case('overlapping windows accumulate the gradient of a shared maximum', fn,
                       {'options': {'kernelSize': 3, 'outputSize': t(3, 4, 4), 'randomSamples': samples(1, 1, nd)}},
                       dec(1, 1, *sp(6, 7, 7))))
        cs.append(case('plain fractionalMaxPool returns the same values', f'fractionalMaxPool{nd}d',
                       {'options': {'kernelSize': 2, 'outputSize': t(2, 3, 3), 'randomSamples': samples(2, 1, nd)}},
                       distinct(2, 1, *sp(5, 6, 7))))
    # Width and height differ so that swapping the samples' roles changes the windows.
    cs.append(case('2-D: sample 0 drives the width, sample 1 the height', 'fractionalMaxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'outputSize': [4, 4], 'randomSamples': samples(1, 1, 2, [0.9, 0.1])}},
                   distinct(1, 1, 9, 9)))
    cs.append(case('3-D: samples are (time, height, width)', 'fractionalMaxPool3dWithIndices',
                   {'options': {'kernelSize': 2, 'outputSize': [3, 3, 3], 'randomSamples': samples(1, 1, 3, [0.1, 0.5, 0.9])}},
                   distinct(1, 1, 7, 7, 7)))
    x = torch.full((1, 1, 6, 6), -INF)
    x[0, 0, 0, 1] = NAN
    x[0, 0, 1, 0] = NAN
    x[0, 0, 4, 4] = 2
    x[0, 0, 5, 5] = 2
    x[0, 0, 4, 0] = INF
    cs.append(case('NaN (the last wins), ties, +inf and all -inf windows', 'fractionalMaxPool2dWithIndices',
                   {'options': {'kernelSize': 2, 'outputSize': [3, 3], 'randomSamples': samples(1, 1, 2, [0.3, 0.6])}}, x))
    in_size, out_size, k = 50, 21, 3
    u = find_float32_sensitive_sample(in_size, out_size, k)
    if u is not None:
        u32 = float(np.float32(u))
        notes.append(f'"window starts are computed in float32": with sample {u32!r}, input {in_size}, output {out_size}, '
                     f'kernel {k}, float32 starts {fractional_starts(u32, in_size, out_size, k)} differ from float64 starts '
                     f'{fractional_starts(u32, in_size, out_size, k, f32=False)}.')
        cs.append(case('window starts are computed in float32', 'fractionalMaxPool2dWithIndices',
                       {'options': {'kernelSize': [1, k], 'outputSize': [1, out_size], 'randomSamples': samples(1, 1, 2, [u32, 0.5])}},
                       # Increasing values: each window's maximum is its last tap, so the index shows the start.
                       torch.arange(in_size, dtype=torch.float32).reshape(1, 1, 1, in_size) / 4))
    else:
        notes.append('no float32-sensitive fractional sample was found; that case is absent.')
    return cs, notes


def unpool_cases():
    cs = []

    def pooled(nd, x, **pool_opts):
        f = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nd - 1]
        y, idx = f(x, pool_opts['kernelSize'], pool_opts.get('stride'), pool_opts.get('padding', 0), return_indices=True)
        return y, idx

    for nd in (1, 2, 3):
        fn = f'maxUnpool{nd}d'
        sp = {1: lambda *s: s[-1:], 2: lambda *s: s[-2:], 3: lambda *s: s}[nd]
        t = lambda *v: v[-1] if nd == 1 else list(v[-nd:])  # noqa: E731

        def add(name, x, opts, output_size=None):
            y, idx = pooled(nd, x, **opts)
            o = dict(opts)
            if output_size is not None:
                o['outputSize'] = output_size
            cs.append(case(name, fn, {'indices': itens(idx, dtype=True), 'options': o}, y))

        add('kernel 2 on batchless input, indices from maxPool', distinct(2, *sp(4, 4, 6)), {'kernelSize': 2})
        add('batch 2 × 3 channels, stride and padding', distinct(2, 3, *sp(5, 5, 7)), {'kernelSize': 3, 'stride': 2, 'padding': 1})
        add('outputSize restores an odd input size', distinct(1, 2, *sp(3, 5, 7)), {'kernelSize': 2},
            output_size=list(sp(3, 5, 7)))
        add('outputSize as the full shape (N, C, *spatial)', distinct(1, 2, *sp(3, 5, 7)), {'kernelSize': 2},
            output_size=[1, 2, *sp(3, 5, 7)])
        add('overlapping pool windows give duplicate indices', dec(1, 1, *sp(3, 4, 6)), {'kernelSize': t(2, 2, 3), 'stride': 1})
    # Hand-made indices: a duplicate index keeps the later write; every input still reads its index's gradient.
    cs.append(case('a duplicate index keeps the later write', 'maxUnpool2d',
                   {'indices': itens(torch.tensor([[[5, 5], [10, 0]]]), dtype=True), 'options': {'kernelSize': 2}},
                   torch.tensor([[[1.5, -2.5], [3, 4]]])))
    cs.append(case('a duplicate index keeps the later write', 'maxUnpool1d',
                   {'indices': itens(torch.tensor([[[3, 1, 1, 3]]]), dtype=True), 'options': {'kernelSize': 2}},
                   torch.tensor([[[1, 2, 3, 4.5]]])))
    cs.append(case('indices may point anywhere in the output plane', 'maxUnpool3d',
                   {'indices': itens(torch.tensor([[[[[7, 0], [63, 21]]]]]), dtype=True), 'options': {'kernelSize': [2, 4, 4], 'stride': 2}},
                   torch.tensor([[[[[1, 2], [3, 4]]]]])))
    notes = ['maxUnpool1d: PyTorch 1.13 implements max_unpool1d as max_unpool2d over (…, L, 1).',
             'Indices are int64 in PyTorch, int32 tensors in poolkit ("dtype": "int32").']
    return cs, notes


# ---- errors ----

def error_case(name, fn, args, input_shape, arg, rule, note=None, grad=True):
    x = torch.zeros(input_shape, requires_grad=grad)
    try:
        torch_forward(fn, args, x)
    except Exception as e:  # noqa: BLE001 — any PyTorch exception is the point
        msg = str(e).split('\n')[0]
        kind = type(e).__name__
    else:
        raise AssertionError(f'PyTorch accepted error case {name!r}')
    c = {'name': name, 'fn': fn, 'op': op_name(fn), 'args': args, 'inputShape': list(input_shape), 'arg': arg,
         'rule': rule, 'torchError': kind, 'torchMessage': msg}
    if re.search(rule, msg) is None:
        if not note:
            UNEXPLAINED.append(f'{fn} {name!r}: rule {rule!r} does not match PyTorch’s message {msg!r}; add a note')
        c['note'] = note
    return c


UNEXPLAINED = []  # error cases whose rule misses PyTorch's words without a note saying why
RANK = r'{a}D or {b}D \(batch mode\) tensor'
PAD_HALF = r'pad should be at most half of (effective )?kernel size'
TOO_SMALL = r'Output size is too small'


def error_cases():
    cs = []
    # ---- max pooling ----
    cs.append(error_case('max_pool2d rejects a 2-D input', 'maxPool2d', {'options': {'kernelSize': 2}}, [5, 5], 'input', RANK.format(a=3, b=4)))
    cs.append(error_case('max_pool1d rejects a 1-D input', 'maxPool1d', {'options': {'kernelSize': 2}}, [5], 'input', RANK.format(a=2, b=3)))
    cs.append(error_case('max_pool3d rejects a 3-D input', 'maxPool3dWithIndices', {'options': {'kernelSize': 2}}, [2, 5, 5], 'input', RANK.format(a=4, b=5)))
    cs.append(error_case('an empty non-batch dimension is rejected', 'maxPool2d', {'options': {'kernelSize': 2}}, [2, 3, 0, 4], 'input',
                         RANK.format(a=3, b=4) + ' with optional 0 dim batch size'))
    cs.append(error_case('kernel size 0', 'maxPool2d', {'options': {'kernelSize': [0, 2], 'stride': 1}}, [1, 8, 8], 'kernelSize',
                         r'kernel[ _]size (should|must) be greater than zero'))
    cs.append(error_case('negative kernel size', 'maxPool1d', {'options': {'kernelSize': -2, 'stride': 1}}, [1, 8], 'kernelSize',
                         r'kernel[ _]size (should|must) be greater than zero',
                         'PyTorch 1.13 checks the padding against the negative kernel first and reports the padding'))
    cs.append(error_case('kernel size 0 in 3-D', 'maxPool3d', {'options': {'kernelSize': [2, 0, 2], 'stride': 1}}, [1, 4, 4, 4], 'kernelSize',
                         r'kernel[ _]size (should|must) be greater than zero'))
    cs.append(error_case('stride 0', 'maxPool2d', {'options': {'kernelSize': 2, 'stride': [0, 1]}}, [1, 8, 8], 'stride',
                         r'stride (should|must) be greater than zero',
                         'PyTorch 1.13 says "stride should not be zero"; PyTorch 2 "stride should be greater than zero, but got dH: 0 dW: 1"'))
    cs.append(error_case('stride 0 in 1-D', 'maxPool1d', {'options': {'kernelSize': 2, 'stride': 0}}, [1, 8], 'stride',
                         r'stride (should|must) be greater than zero', 'PyTorch 1.13 says "stride should not be zero"'))
    cs.append(error_case('dilation 0', 'maxPool2d', {'options': {'kernelSize': 2, 'dilation': 0}}, [1, 8, 8], 'dilation',
                         r'dilation should be greater than zero'))
    cs.append(error_case('dilation 0 in 3-D', 'maxPool3d', {'options': {'kernelSize': 2, 'dilation': [1, 0, 1]}}, [1, 4, 4, 4], 'dilation',
                         r'dilation should be greater than zero'))
    cs.append(error_case('negative padding', 'maxPool2d', {'options': {'kernelSize': 2, 'padding': -1}}, [1, 8, 8], 'padding',
                         r'pad must be non-negative'))
    cs.append(error_case('negative padding in 3-D', 'maxPool3d', {'options': {'kernelSize': 2, 'padding': [0, 0, -1]}}, [1, 4, 4, 4], 'padding',
                         r'pad must be non-negative'))
    cs.append(error_case('padding above half the kernel', 'maxPool2d', {'options': {'kernelSize': 2, 'padding': 3}}, [1, 8, 8], 'padding', PAD_HALF))
    cs.append(error_case('padding above half the kernel in 1-D', 'maxPool1d', {'options': {'kernelSize': 2, 'padding': 2}}, [1, 8], 'padding',
                         r'pad(ding)? should be at most half of (effective )?kernel size'))
    cs.append(error_case('padding above half the kernel in 3-D', 'maxPool3d', {'options': {'kernelSize': 2, 'padding': [0, 2, 0]}}, [1, 4, 4, 4],
                         'padding', PAD_HALF))
    cs.append(error_case('output size too small', 'maxPool2d', {'options': {'kernelSize': 3}}, [1, 2, 2], 'input', TOO_SMALL))
    cs.append(error_case('output size too small in 1-D', 'maxPool1dWithIndices', {'options': {'kernelSize': 3}}, [1, 2], 'input', TOO_SMALL))
    cs.append(error_case('output size too small in one dimension of 3-D', 'maxPool3d', {'options': {'kernelSize': 2}}, [1, 4, 4, 1], 'input', TOO_SMALL))
    cs.append(error_case('a non-integer kernel size', 'maxPool2d', {'options': {'kernelSize': 2.5}}, [1, 8, 8], 'kernelSize',
                         r'must be (an int or )?(a )?tuple of (2 )?int'))
    # ---- average pooling ----
    cs.append(error_case('divisorOverride 0', 'avgPool2d', {'options': {'kernelSize': 2, 'divisorOverride': 0}}, [1, 4, 4], 'divisorOverride',
                         r'divisor must be not zero'))
    cs.append(error_case('divisorOverride 0 in 3-D', 'avgPool3d', {'options': {'kernelSize': 2, 'divisorOverride': 0}}, [1, 4, 4, 4],
                         'divisorOverride', r'divisor must be not zero'))
    cs.append(error_case('padding above half the kernel', 'avgPool2d', {'options': {'kernelSize': 2, 'padding': 2}}, [1, 4, 4], 'padding', PAD_HALF))
    cs.append(error_case('padding above half the kernel in 1-D', 'avgPool1d', {'options': {'kernelSize': 2, 'padding': 2}}, [1, 4], 'padding', PAD_HALF))
    cs.append(error_case('padding above half the kernel in 3-D', 'avgPool3d', {'options': {'kernelSize': [3, 3, 2], 'padding': [1, 1, 2]}},
                         [1, 4, 4, 4], 'padding', PAD_HALF))
    cs.append(error_case('negative padding', 'avgPool2d', {'options': {'kernelSize': 2, 'padding': -1}}, [1, 4, 4], 'padding', r'pad must be non-negative'))
    cs.append(error_case('stride 0 in 3-D', 'avgPool3d', {'options': {'kernelSize': 2, 'stride': [1, 0, 1]}}, [1, 4, 4, 4], 'stride',
                         r'stride (should|must) be greater than zero', 'PyTorch 1.13 says "stride should not be zero"'))
    cs.append(error_case('kernel size 0', 'avgPool2d', {'options': {'kernelSize': 0, 'stride': 1}}, [1, 4, 4], 'kernelSize',
                         r'kernel[ _]size (should|must) be greater than zero'))
    cs.append(error_case('avg_pool1d rejects a 1-D input', 'avgPool1d', {'options': {'kernelSize': 2}}, [4], 'input', RANK.format(a=2, b=3),
                         'PyTorch 1.13 words it "Expected 2 to 3 dimensions"; the rule is max_pool1d’s wording'))
    cs.append(error_case('avg_pool2d rejects a 2-D input', 'avgPool2d', {'options': {'kernelSize': 2}}, [4, 4], 'input', RANK.format(a=3, b=4),
                         'PyTorch 1.13 fails with an IndexError; the rule is max_pool2d’s wording'))
    cs.append(error_case('avg_pool3d rejects a 3-D input', 'avgPool3d', {'options': {'kernelSize': 2}}, [4, 4, 4], 'input', RANK.format(a=4, b=5)))
    cs.append(error_case('output size too small', 'avgPool2d', {'options': {'kernelSize': 3}}, [1, 2, 5], 'input', TOO_SMALL))
    cs.append(error_case('output size too small in 1-D', 'avgPool1d', {'options': {'kernelSize': 3}}, [1, 2], 'input', TOO_SMALL))
    cs.append(error_case('output size too small in 3-D', 'avgPool3d', {'options': {'kernelSize': 3}}, [1, 2, 5, 5], 'input',
                         f'{TOO_SMALL}|smaller than kernel size'))
    # ---- Lp pooling ----
    cs.append(error_case('normType 0', 'lpPool2d', {'normType': 0, 'options': {'kernelSize': 2}}, [1, 4, 4], 'normType',
                         r'norm_?[tT]ype must be (a )?positive',
                         'PyTorch 1.13 fails with a ZeroDivisionError (1 / norm_type); poolkit requires a positive finite normType'))
    cs.append(error_case('kernel size 0', 'lpPool1d', {'normType': 2, 'options': {'kernelSize': 0, 'stride': 1}}, [1, 4], 'kernelSize',
                         r'kernel[ _]size (should|must) be greater than zero'))
    cs.append(error_case('stride 0', 'lpPool1d', {'normType': 2, 'options': {'kernelSize': 2, 'stride': 0}}, [1, 4], 'stride',
                         r'stride (should|must) be greater than zero', 'PyTorch 1.13 says "stride should not be zero"'))
    cs.append(error_case('output size too small', 'lpPool2d', {'normType': 2, 'options': {'kernelSize': 3}}, [1, 2, 2], 'input', TOO_SMALL))
    cs.append(error_case('output size too small in 3-D', 'lpPool3d', {'normType': 2, 'options': {'kernelSize': [1, 3, 1]}}, [1, 2, 2, 2], 'input',
                         f'{TOO_SMALL}|smaller than kernel size'))
    cs.append(error_case('lp_pool2d rejects a 2-D input', 'lpPool2d', {'normType': 2, 'options': {'kernelSize': 2}}, [4, 4], 'input',
                         RANK.format(a=3, b=4), 'PyTorch 1.13 fails with an IndexError; the rule is max_pool2d’s wording'))
    # ---- adaptive pooling ----
    ge = r'elements of output_size must be greater than or equal to [01]'
    cs.append(error_case('a negative output size', 'adaptiveAvgPool2d', {'outputSize': [-1, 2]}, [1, 4, 4], 'outputSize', ge))
    cs.append(error_case('a negative output size', 'adaptiveAvgPool1d', {'outputSize': -2}, [1, 4], 'outputSize', ge))
    cs.append(error_case('a negative output size', 'adaptiveAvgPool3d', {'outputSize': [2, -1, 2]}, [1, 4, 4, 4], 'outputSize', ge))
    neg_max = 'PyTorch 1.13 fails allocating the output ("Trying to create tensor with negative dimension"); the rule is adaptive_avg_pool’s wording'
    cs.append(error_case('a negative output size', 'adaptiveMaxPool2d', {'outputSize': [2, -1]}, [1, 4, 4], 'outputSize',
                         f'{ge}|negative dimension', neg_max))
    cs.append(error_case('a negative output size', 'adaptiveMaxPool1dWithIndices', {'outputSize': -1}, [1, 4], 'outputSize',
                         f'{ge}|negative dimension', neg_max))
    cs.append(error_case('a negative output size', 'adaptiveMaxPool3d', {'outputSize': -1}, [1, 4, 4, 4], 'outputSize',
                         f'{ge}|negative dimension', neg_max))
    for fn, shape, rank in (('adaptiveAvgPool2d', [4, 4], (3, 4)), ('adaptiveAvgPool3d', [4, 4, 4], (4, 5)),
                            ('adaptiveMaxPool2d', [4, 4], (3, 4)), ('adaptiveMaxPool3d', [4, 4, 4], (4, 5)),
                            ('adaptiveAvgPool1d', [4], (2, 3)), ('adaptiveMaxPool1d', [4], (2, 3))):
        rule = rf'{rank[0]}D or {rank[1]}D'
        cs.append(error_case(f'{op_name(fn)} rejects a {len(shape)}-D input', fn, {'outputSize': 2}, shape, 'input', rule,
                             None if fn[-2] != '1' else 'PyTorch 1.13 words it "Expected 2 to 3 dimensions"'))
    cs.append(error_case('an empty non-batch dimension is rejected', 'adaptiveMaxPool2d', {'outputSize': 2}, [1, 0, 4], 'input',
                         r'(3D or 4D|non-zero size for non-batch dimensions)'))
    cs.append(error_case('an empty non-batch dimension is rejected', 'adaptiveAvgPool2d', {'outputSize': 2}, [1, 0, 4], 'input',
                         r'(3D or 4D|non-zero size for non-batch dimensions)'))
    # ---- fractional max pooling ----
    r = lambda n: tens(torch.rand(1, 1, n))  # noqa: E731
    cs.append(error_case('a pool too large for its output height', 'fractionalMaxPool2d',
                         {'options': {'kernelSize': 3, 'outputSize': 7, 'randomSamples': r(2)}}, [1, 1, 8, 8], 'kernelSize',
                         r'pool height 3 too large relative to input height 8'))
    cs.append(error_case('a pool too large for its output width', 'fractionalMaxPool2d',
                         {'options': {'kernelSize': [2, 4], 'outputSize': 6, 'randomSamples': r(2)}}, [1, 1, 8, 8], 'kernelSize',
                         r'pool width 4 too large relative to input width 8'))
    cs.append(error_case('a pool too large for its output time', 'fractionalMaxPool3d',
                         {'options': {'kernelSize': 2, 'outputSize': [4, 2, 2], 'randomSamples': r(3)}}, [1, 1, 4, 8, 8], 'kernelSize',
                         r'pool time 2 too large relative to input time 4'))
    cs.append(error_case('a pool too large for its output width (3-D)', 'fractionalMaxPool3dWithIndices',
                         {'options': {'kernelSize': 2, 'outputSize': [2, 2, 8], 'randomSamples': r(3)}}, [1, 1, 4, 8, 8], 'kernelSize',
                         r'pool width 2 too large relative to input width 8'))
    for dim, size in (('time', [3, 2, 2]), ('height', [2, 4, 2]), ('width', [2, 2, 5])):
        cs.append(error_case(f'3-D: output + kernel − 1 must stay below the input {dim} (strict, unlike 2-D)', 'fractionalMaxPool3d',
                             {'options': {'kernelSize': 3, 'outputSize': size, 'randomSamples': r(3)}}, [1, 1, 5, 6, 7], 'kernelSize',
                             rf'pool {dim} 3 too large relative to input {dim} {dict(time=5, height=6, width=7)[dim]}'))
    cs.append(error_case('neither outputSize nor outputRatio', 'fractionalMaxPool2d', {'options': {'kernelSize': 2}}, [1, 1, 8, 8], 'outputSize',
                         r'requires specifying either an output_size or an output_ratio'))
    cs.append(error_case('neither outputSize nor outputRatio', 'fractionalMaxPool3d', {'options': {'kernelSize': 2}}, [1, 1, 8, 8, 8], 'outputSize',
                         r'requires specifying either an output_size or an output_ratio'))
    cs.append(error_case('fractional_max_pool2d rejects a 2-D input', 'fractionalMaxPool2d', {'options': {'kernelSize': 2, 'outputSize': 4}},
                         [8, 8], 'input', RANK.format(a=3, b=4), 'PyTorch 1.13 fails with an IndexError; the rule is max_pool2d’s wording'))
    cs.append(error_case('fractional_max_pool3d rejects a 3-D input', 'fractionalMaxPool3d', {'options': {'kernelSize': 2, 'outputSize': 4}},
                         [8, 8, 8], 'input', RANK.format(a=4, b=5), 'PyTorch 1.13 fails with an IndexError; the rule is max_pool3d’s wording'))
    # ---- max unpooling ----
    idx = lambda data, shape: itens(torch.tensor(data).reshape(shape), dtype=True)  # noqa: E731
    cs.append(error_case('an index past the output plane', 'maxUnpool2d', {'indices': idx([0, 99, 1, 2], [1, 2, 2]), 'options': {'kernelSize': 2}},
                         [1, 2, 2], 'indices', r'Found an invalid max index: 99 \(output volumes are of size 4x4'))
    cs.append(error_case('a negative index', 'maxUnpool2d', {'indices': idx([0, -1, 1, 2], [1, 2, 2]), 'options': {'kernelSize': 2}},
                         [1, 2, 2], 'indices', r'Found an invalid max index: -1 \(output volumes are of size 4x4'))
    cs.append(error_case('an index past the output plane', 'maxUnpool1d', {'indices': idx([0, 4], [1, 2]), 'options': {'kernelSize': 2}},
                         [1, 2], 'indices', r'Found an invalid max index: 4 \(output volumes are of size 4'))
    cs.append(error_case('an index past the output plane', 'maxUnpool3d', {'indices': idx([0, 8], [1, 1, 1, 2]), 'options': {'kernelSize': [1, 1, 2]}},
                         [1, 1, 1, 2], 'indices', r'Found an invalid max index: 8 \(output volumes are of size 1x1x4'))
    cs.append(error_case('indices of another shape', 'maxUnpool2d', {'indices': idx([0] * 6, [1, 2, 3]), 'options': {'kernelSize': 2}},
                         [1, 2, 2], 'indices', r'Expected shape of indices to be same as that of the input tensor'))
    cs.append(error_case('indices of another shape', 'maxUnpool3d', {'indices': idx([0] * 12, [1, 2, 2, 3]), 'options': {'kernelSize': 2}},
                         [1, 2, 2, 2], 'indices', r'Expected shape of indices to be same as that of the input tensor'))
    cs.append(error_case('an outputSize more than a stride away from the default', 'maxUnpool2d',
                         {'indices': idx([0] * 4, [1, 2, 2]), 'options': {'kernelSize': 2, 'outputSize': [6, 4]}}, [1, 2, 2], 'outputSize',
                         r'invalid output_size .*\(dim 0 must be between 2 and 6\)'))
    cs.append(error_case('an outputSize more than a stride away from the default', 'maxUnpool1d',
                         {'indices': idx([0] * 3, [1, 3]), 'options': {'kernelSize': 2, 'stride': 2, 'outputSize': [4]}}, [1, 3], 'outputSize',
                         r'invalid output_size .*\(dim 0 must be between 4 and 8\)'))
    cs.append(error_case('an outputSize of the wrong length', 'maxUnpool2d',
                         {'indices': idx([0] * 4, [1, 2, 2]), 'options': {'kernelSize': 2, 'outputSize': [4, 4, 4]}}, [1, 2, 2], 'outputSize',
                         r"output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"))
    cs.append(error_case('max_unpool2d rejects a 2-D input', 'maxUnpool2d', {'indices': idx([0] * 4, [2, 2]), 'options': {'kernelSize': 2}},
                         [2, 2], 'input', r'3[dD] or 4[dD]'))
    cs.append(error_case('max_unpool3d rejects a 3-D input', 'maxUnpool3d', {'indices': idx([0] * 8, [2, 2, 2]), 'options': {'kernelSize': 2}},
                         [2, 2, 2], 'input', r'4[dD] or 5[dD]'))
    cs.append(error_case('max_unpool1d rejects a 1-D input', 'maxUnpool1d', {'indices': idx([0] * 2, [2]), 'options': {'kernelSize': 2}},
                         [2], 'input', r'2[dD] or 3[dD]',
                         'PyTorch 1.13 runs max_unpool1d as max_unpool2d and words it for 2-D ("3d or 4d")'))
    notes = ['Not pinned (poolkit deliberately differs from 1.13): padding with dilation > 1 is checked against the '
             'effective kernel (PyTorch ≥ 2), adaptive output sizes must be ≥ 1 (1.13 allows 0).',
             'Not pinned (1.13 raises nothing): fractional kernel 0 or output 0, random samples of the wrong shape.',
             'The input of an error case is zeros(inputShape); PyTorch ran it with requires_grad=True.']
    return cs, notes


# ---- the training stack: ops, optimizers, LeNet-5 (test/fixtures/nn/) ----

NN_DIR = OUT_DIR.parent / 'nn'
NN_SEED = SEED + 100  # the nn files' seeds, apart from the pooling files' SEED + i

# 1.13 warns that padding='same' with an even kernel may copy the input: about speed, not the result.
warnings.filterwarnings('ignore', message="Using padding='same' with even kernel lengths")


def _conv2d(x, w, b=None, o=None):
    o = o or {}
    tup = lambda v: tuple(v) if isinstance(v, list) else v
    return F.conv2d(x, w, b, tup(o.get('stride', 1)), tup(o.get('padding', 0)), tup(o.get('dilation', 1)), o.get('groups', 1))


# poolkit's export -> PyTorch, called with poolkit's positional arguments (tensors already in torch).
TORCH_OPS = {
    'conv2d': _conv2d,
    'linear': lambda x, w, b=None: F.linear(x, w, b),
    'matmul': torch.matmul,
    'relu': F.relu,
    'leakyRelu': lambda x, slope=0.01: F.leaky_relu(x, slope),
    'sigmoid': torch.sigmoid,
    'tanh': torch.tanh,
    'softmax': lambda x, dim=-1: F.softmax(x, dim),
    'logSoftmax': lambda x, dim=-1: F.log_softmax(x, dim),
    'flatten': lambda x, start=1, end=-1: torch.flatten(x, start, end),  # poolkit's startDim defaults to 1 (nn.Flatten)
    'reshape': lambda x, shape: torch.reshape(x, shape),
    'crossEntropy': lambda x, t, o=None: F.cross_entropy(x, t, reduction=(o or {}).get('reduction', 'mean'),
                                                         label_smoothing=(o or {}).get('labelSmoothing', 0.0)),
    'nllLoss': lambda x, t, o=None: F.nll_loss(x, t, reduction=(o or {}).get('reduction', 'mean')),
    'add': torch.add,
    'sub': torch.sub,
    'mul': torch.mul,
    'div': torch.div,
    'neg': torch.neg,
    'abs': torch.abs,
    'pow': torch.pow,
    'sum': torch.sum,
    'mean': torch.mean,
}


class Target:
    """An int32 argument of poolkit (class indices): int64 for PyTorch, {"dtype": "int32"} in JSON."""
    def __init__(self, t):
        self.t = t


def op_case(name, fn, *args):
    """One op case: PyTorch's forward on poolkit's arguments, then autograd with a random gradOutput."""
    targs, jargs = [], []
    for a in args:
        if isinstance(a, torch.Tensor):
            t = a.detach().to(torch.float32)
            targs.append(t.clone().requires_grad_(True))
            jargs.append(tens(t))
        elif isinstance(a, Target):
            targs.append(a.t.to(torch.int64))
            jargs.append(itens(a.t, dtype=True))
        else:
            targs.append(a)
            jargs.append(a)
    out = TORCH_OPS[fn](*targs)
    g = torch.randn(out.shape)
    out.backward(g)
    grads = [tens(t.grad) if isinstance(t, torch.Tensor) and t.requires_grad else None for t in targs]
    return {'name': name, 'fn': fn, 'args': jargs, 'output': tens(out), 'gradOutput': tens(g), 'grads': grads}


def ops_cases():
    cs = []
    w = lambda *s: dec(*s, lo=-1, hi=1)
    # ---- conv2d ----
    cs.append(op_case('3×3 kernel with bias, default options', 'conv2d', dec(2, 3, 6, 6), w(4, 3, 3, 3), w(4), {}))
    cs.append(op_case('stride 2 and padding 1', 'conv2d', dec(2, 2, 7, 7), w(3, 2, 3, 3), w(3), {'stride': 2, 'padding': 1}))
    cs.append(op_case('stride, padding and dilation per dimension', 'conv2d', dec(1, 2, 7, 8), w(3, 2, 3, 2), w(3),
                      {'stride': [2, 1], 'padding': [1, 2], 'dilation': [1, 2]}))
    cs.append(op_case('dilation 2 with padding 2', 'conv2d', dec(1, 2, 8, 8), w(2, 2, 3, 3), w(2), {'padding': 2, 'dilation': 2}))
    cs.append(op_case('groups 2 (each half of the output sees one half of the input)', 'conv2d', dec(2, 4, 5, 5), w(6, 2, 3, 3), w(6),
                      {'groups': 2}))
    cs.append(op_case('depthwise: groups = in_channels, channel multiplier 2', 'conv2d', dec(1, 3, 6, 6), w(6, 1, 3, 3), w(6),
                      {'groups': 3, 'padding': 1}))
    cs.append(op_case("padding 'same' with an odd kernel", 'conv2d', dec(1, 2, 6, 5), w(3, 2, 3, 3), w(3), {'padding': 'same'}))
    cs.append(op_case("padding 'same' with an even kernel puts the odd pixel at the end", 'conv2d', dec(1, 2, 5, 6), w(3, 2, 2, 4), w(3),
                      {'padding': 'same'}))
    cs.append(op_case("padding 'same' with dilation", 'conv2d', dec(1, 2, 7, 7), w(2, 2, 2, 3), w(2), {'padding': 'same', 'dilation': [3, 2]}))
    cs.append(op_case("padding 'valid' is padding 0", 'conv2d', dec(1, 2, 6, 6), w(3, 2, 3, 3), w(3), {'padding': 'valid'}))
    cs.append(op_case('batchless (C, H, W) input', 'conv2d', dec(2, 5, 5), w(3, 2, 3, 3), w(3), {'padding': 1}))
    cs.append(op_case('no bias', 'conv2d', dec(2, 2, 5, 5), w(3, 2, 3, 3), None, {'stride': 2}))
    cs.append(op_case('1×1 kernel', 'conv2d', dec(2, 3, 4, 4), w(5, 3, 1, 1), w(5), {}))
    cs.append(op_case('kernel as large as the input gives 1×1', 'conv2d', dec(2, 2, 4, 4), w(3, 2, 4, 4), w(3), {}))
    cs.append(op_case("LeNet's first layer: 1 → 6 channels, 5×5, padding 2", 'conv2d', dec(1, 1, 8, 8), w(6, 1, 5, 5), w(6), {'padding': 2}))
    # ---- linear, matmul ----
    cs.append(op_case('2-D input (N, in)', 'linear', dec(3, 5), w(4, 5), w(4)))
    cs.append(op_case('1-D input (in)', 'linear', dec(5), w(4, 5), w(4)))
    cs.append(op_case('3-D input (*, in) maps the last dimension', 'linear', dec(2, 3, 5), w(4, 5), w(4)))
    cs.append(op_case('no bias', 'linear', dec(3, 5), w(4, 5), None))
    cs.append(op_case('(3, 4) · (4, 2)', 'matmul', dec(3, 4), dec(4, 2)))
    cs.append(op_case('row times column gives 1×1', 'matmul', dec(1, 6), dec(6, 1)))
    cs.append(op_case('outer product (K = 1)', 'matmul', dec(4, 1), dec(1, 3)))
    # ---- activations ----
    zeros_in = torch.tensor([[0.0, -0.0, 1.5, -2.25, 3.0], [-0.5, 0.25, 0.0, -4.0, 0.75], [2.0, -1.0, -0.0, 0.5, -3.5]])
    cs.append(op_case('relu zeroes negatives; the gradient at 0 is 0', 'relu', zeros_in))
    cs.append(op_case('relu passes NaN, and its gradient too (threshold_backward keeps g where the output is not ≤ 0)', 'relu',
                      torch.tensor([[NAN, 1.0, -1.0, INF, -INF]])))
    cs.append(op_case('leakyRelu with the default slope 0.01', 'leakyRelu', zeros_in, 0.01))
    cs.append(op_case('leakyRelu with slope 0.2', 'leakyRelu', dec(2, 6), 0.2))
    cs.append(op_case('sigmoid from -20 to 20', 'sigmoid', torch.cat([dec(2, 6), torch.tensor([[-20.0, -8, -0.0, 0, 8, 20]])])))
    cs.append(op_case('tanh from -10 to 10', 'tanh', torch.cat([dec(2, 6), torch.tensor([[-10.0, -3, -0.0, 0, 3, 10]])])))
    for dim in (0, 1, -1):
        cs.append(op_case(f'softmax along dim {dim} of a 2-D tensor', 'softmax', dec(3, 4), dim))
        cs.append(op_case(f'logSoftmax along dim {dim} of a 2-D tensor', 'logSoftmax', dec(3, 4), dim))
    cs.append(op_case('softmax along the middle dim of a 3-D tensor', 'softmax', dec(2, 3, 4), 1))
    cs.append(op_case('logSoftmax along the middle dim of a 3-D tensor', 'logSoftmax', dec(2, 3, 4), 1))
    big = torch.tensor([[100.0, 99.0, 50.0, -100.0], [1000.0, 1000.0, 999.5, 0.0]])
    cs.append(op_case('softmax of large logits does not overflow (the max is subtracted)', 'softmax', big, 1))
    cs.append(op_case('logSoftmax of large logits does not overflow', 'logSoftmax', big, 1))
    # ---- reshape ----
    cs.append(op_case('flatten from dim 1 (as nn.Flatten)', 'flatten', dec(2, 3, 2, 2), 1, -1))
    cs.append(op_case('flatten dims 0 through 1', 'flatten', dec(2, 3, 4), 0, 1))
    cs.append(op_case('flatten the middle dims of a 4-D tensor', 'flatten', dec(2, 2, 3, 2), 1, 2))
    cs.append(op_case('flatten a single dim is the identity', 'flatten', dec(2, 3), 1, 1))
    cs.append(op_case('reshape to another shape', 'reshape', dec(2, 6), [3, 4]))
    cs.append(op_case('reshape infers a -1', 'reshape', dec(2, 6), [-1, 2]))
    cs.append(op_case('reshape to 3-D', 'reshape', dec(12), [2, 3, 2]))
    # ---- losses ----
    logits = dec(4, 5)
    target = Target(torch.tensor([1, 0, 4, 1]))
    for reduction in ('mean', 'sum', 'none'):
        for ls in (0.0, 0.1):
            opts = {'reduction': reduction} if ls == 0 else {'reduction': reduction, 'labelSmoothing': ls}
            cs.append(op_case(f'crossEntropy, reduction {reduction}' + (f', labelSmoothing {ls}' if ls else ''), 'crossEntropy',
                              logits, target, opts))
    cs.append(op_case('crossEntropy with the default options (mean)', 'crossEntropy', dec(3, 10), Target(torch.tensor([9, 0, 3])), {}))
    cs.append(op_case('crossEntropy with labelSmoothing 1 (the uniform target)', 'crossEntropy', dec(3, 4), Target(torch.tensor([2, 2, 0])),
                      {'labelSmoothing': 1.0}))
    logp = F.log_softmax(dec(4, 5), 1).detach()
    for reduction in ('mean', 'sum', 'none'):
        cs.append(op_case(f'nllLoss, reduction {reduction}', 'nllLoss', logp, Target(torch.tensor([3, 3, 0, 2])), {'reduction': reduction}))
    # ---- elementwise ----
    for fn in ('add', 'sub', 'mul'):
        cs.append(op_case(f'{fn} of two tensors', fn, dec(3, 4), dec(3, 4)))
        cs.append(op_case(f'{fn} of a tensor and a number', fn, dec(3, 4), 1.5))
    cs.append(op_case('div of two tensors', 'div', dec(3, 4), ((torch.rand(3, 4) < 0.5).float() * 2 - 1) * positive(3, 4)))
    cs.append(op_case('div by a number', 'div', dec(3, 4), 3.0))
    cs.append(op_case('neg', 'neg', zeros_in))
    cs.append(op_case('abs: the gradient at ±0 is 0', 'abs', zeros_in))
    cs.append(op_case("abs of NaN: the gradient is g·sgn(NaN) = 0 (ATen's sgn of NaN is 0)", 'abs', torch.tensor([[NAN, -1.0, 1.0]])))
    for p in (2.0, 3.0, 0.5, -1.0, -2.0, -0.5, 1.5, 2.5):
        cs.append(op_case(f'pow {p:g} of positive values', 'pow', positive(2, 5), p))
    cs.append(op_case('pow 2 of mixed signs', 'pow', dec(2, 5), 2.0))
    cs.append(op_case('pow 3 of mixed signs', 'pow', dec(2, 5), 3.0))
    cs.append(op_case('pow 0 is 1 with gradient 0', 'pow', dec(2, 3), 0.0))
    cs.append(op_case('sum of all elements', 'sum', dec(3, 4)))
    cs.append(op_case('sum of a 3-D tensor', 'sum', dec(2, 3, 4)))
    cs.append(op_case('mean of all elements', 'mean', dec(3, 4)))
    cs.append(op_case('mean of a 3-D tensor', 'mean', dec(2, 3, 4)))
    notes = ['A case calls poolkit\'s export `fn` with `args`, poolkit\'s positional arguments in order; PyTorch ran the same '
             'arguments (TORCH_OPS in scripts/gen_fixtures.py). `grads[i]` is the gradient of `args[i]` when that is a float '
             'tensor, null otherwise. Targets are int64 in PyTorch, int32 tensors in poolkit ("dtype": "int32").']
    return cs, notes


OPTIMIZERS = {
    'SGD': lambda ps, o: torch.optim.SGD(ps, lr=o['lr'], momentum=o.get('momentum', 0), dampening=o.get('dampening', 0),
                                         weight_decay=o.get('weightDecay', 0), nesterov=o.get('nesterov', False)),
    'Adam': lambda ps, o: torch.optim.Adam(ps, **_adam_kwargs(o)),
    'AdamW': lambda ps, o: torch.optim.AdamW(ps, **_adam_kwargs(o)),
}


def _adam_kwargs(o):
    """poolkit's Adam options -> PyTorch's, leaving out what poolkit leaves at the default (the defaults agree)."""
    kw = {}
    if 'lr' in o:
        kw['lr'] = o['lr']
    if 'beta1' in o or 'beta2' in o:
        kw['betas'] = (o.get('beta1', 0.9), o.get('beta2', 0.999))
    if 'eps' in o:
        kw['eps'] = o['eps']
    if 'weightDecay' in o:
        kw['weight_decay'] = o['weightDecay']
    return kw


def optim_case(name, optimizer, options, steps=6):
    """Two parameters (a matrix and a vector) updated `steps` times by torch.optim with random gradients."""
    params = [dec(3, 4, lo=-1, hi=1), dec(4, lo=-1, hi=1)]
    init = [tens(p) for p in params]
    ps = [p.clone().requires_grad_(True) for p in params]
    opt = OPTIMIZERS[optimizer](ps, options)
    record = []
    for _ in range(steps):
        grads = [dec(*p.shape, lo=-1, hi=1) for p in ps]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        opt.step()
        record.append({'grads': [tens(g) for g in grads], 'params': [tens(p) for p in ps]})
    return {'name': name, 'optimizer': optimizer, 'options': options, 'params': init, 'steps': record}


def optim_cases():
    cs = [
        optim_case('plain SGD', 'SGD', {'lr': 0.1}),
        optim_case('SGD with momentum (the first step copies the gradient into the buffer)', 'SGD', {'lr': 0.05, 'momentum': 0.9}),
        optim_case('SGD with momentum and dampening', 'SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.5}),
        optim_case('SGD with Nesterov momentum', 'SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True}),
        optim_case('SGD with weight decay', 'SGD', {'lr': 0.1, 'weightDecay': 0.05}),
        optim_case('SGD with weight decay, momentum and Nesterov', 'SGD', {'lr': 0.05, 'momentum': 0.8, 'weightDecay': 0.01, 'nesterov': True}),
        optim_case('Adam with the default options', 'Adam', {}),
        optim_case('Adam with a large lr, betas, eps', 'Adam', {'lr': 0.1, 'beta1': 0.8, 'beta2': 0.99, 'eps': 1e-6}),
        optim_case('Adam with weight decay (added to the gradient)', 'Adam', {'lr': 0.05, 'weightDecay': 0.1}),
        optim_case('AdamW with the default options (weight decay 0.01)', 'AdamW', {}),
        optim_case('AdamW with a large lr and weight decay (decoupled)', 'AdamW', {'lr': 0.1, 'weightDecay': 0.1}),
    ]
    notes = ['A case builds poolkit\'s `new pk[optimizer](params, options)` and PyTorch\'s torch.optim from the same options '
             '(OPTIMIZERS in scripts/gen_fixtures.py); each step sets every parameter\'s grad, calls step(), and records the '
             'parameters after it. Options left out are each library\'s default (they agree, AdamW\'s weight decay 0.01 included).']
    return cs, notes


LENET_DECIMALS = 3  # weights rounded to 3 decimals: short JSON; PyTorch's default init bounds are 0.05 to 0.2


def lenet5_fixture():
    model = LeNet5()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.round(p * 10 ** LENET_DECIMALS) / 10 ** LENET_DECIMALS)
    x = dec(4, 1, 28, 28, lo=-2.5, hi=2.5)
    y = torch.randint(0, 10, (4,))
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    notes = [f'The seeded PyTorch LeNet5 (class LeNet5 in scripts/gen_fixtures.py), its parameters rounded to {LENET_DECIMALS} '
             'decimals so the JSON stays short; `stateDict` is its state_dict() in order. `logits` = model(input); '
             '`loss` = cross_entropy(logits, target) (mean); `grads` holds each parameter\'s gradient of that loss, by name.']
    return {
        'stateDict': {k: tens(v) for k, v in model.state_dict().items()},
        'input': tens(x),
        'target': itens(y, dtype=True),
        'logits': tens(logits),
        'loss': tens(loss),
        'grads': {k: tens(p.grad) for k, p in model.named_parameters()},
    }, notes


def write_doc(path, seed, notes, fields):
    """A fixture that is one record: each top-level field on its own line, a dict of tensors one tensor a line."""
    head = json.dumps({'torch': torch.__version__, 'seed': seed, 'notes': notes}, ensure_ascii=False, allow_nan=False)[:-1]
    dump = lambda v: json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(',', ':'))
    parts = []
    for k, v in fields.items():
        if isinstance(v, dict) and all(isinstance(t, dict) and 'shape' in t for t in v.values()):
            inner = ',\n'.join(f'{dump(n)}:{dump(t)}' for n, t in v.items())
            parts.append(f'{dump(k)}: {{\n{inner}\n}}')
        else:
            parts.append(f'{dump(k)}: {dump(v)}')
    body = ',\n'.join(parts)
    path.write_text(f'{head},\n{body}\n}}\n', encoding='utf-8')


FAMILIES = {
    'max_pool': max_cases,
    'avg_pool': avg_cases,
    'lp_pool': lp_cases,
    'adaptive_pool': adaptive_cases,
    'fractional_pool': fractional_cases,
    'unpool': unpool_cases,
    'errors': error_cases,
}


# The training stack's files, in test/fixtures/nn/ (seeds NN_SEED + i).
NN_FAMILIES = {
    'ops': ops_cases,
    'optim': optim_cases,
    'lenet5': lenet5_fixture,
}


def write(path, seed, notes, cases):
    names = [c['name'] + ' / ' + c.get('fn', c.get('optimizer', '')) for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f'duplicate case names in {path.name}: {dupes}'
    head = json.dumps({'torch': torch.__version__, 'seed': seed, 'notes': notes}, ensure_ascii=False, allow_nan=False)[:-1]
    body = ',\n'.join(json.dumps(c, ensure_ascii=False, allow_nan=False, separators=(',', ':')) for c in cases)
    path.write_text(f'{head}, "cases": [\n{body}\n]}}\n', encoding='utf-8')


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    total = 0
    for i, (family, make) in enumerate(FAMILIES.items()):
        seed = SEED + i
        torch.manual_seed(seed)
        cases, notes = make()
        path = OUT_DIR / f'{family}.json'
        write(path, seed, notes, cases)
        size = path.stat().st_size
        total += size
        print(f'{path.relative_to(OUT_DIR.parent.parent.parent)}: {len(cases)} cases, {size / 1024:.1f} KiB')
    print(f'total {total / 1024:.1f} KiB')
    assert not UNEXPLAINED, '\n'.join(UNEXPLAINED)
    assert total < 1.5 * 1024 * 1024, 'fixtures are over budget'

    NN_DIR.mkdir(parents=True, exist_ok=True)
    nn_total = 0
    for i, (family, make) in enumerate(NN_FAMILIES.items()):
        seed = NN_SEED + i
        torch.manual_seed(seed)
        path = NN_DIR / f'{family}.json'
        if family == 'lenet5':
            fields, notes = make()
            write_doc(path, seed, notes, fields)
            what = f'{sum(len(t["data"]) for t in fields["stateDict"].values())} parameters'
        else:
            cases, notes = make()
            write(path, seed, notes, cases)
            what = f'{len(cases)} cases'
        size = path.stat().st_size
        nn_total += size
        print(f'{path.relative_to(NN_DIR.parent.parent.parent)}: {what}, {size / 1024:.1f} KiB')
    print(f'nn total {nn_total / 1024:.1f} KiB')
    assert nn_total < 1.25 * 1024 * 1024, 'nn fixtures are over budget'

if __name__ == '__main__':
    sys.exit(main())
