"""The PyTorch side shared by the scripts that compare poolkit with PyTorch: the LeNet-5 model and
an MNIST IDX reader.

Used by scripts/gen_fixtures.py (the seeded LeNet5 of test/fixtures/nn/lenet5.json),
scripts/check_torch_load.py (loads poolkit's saved models into LeNet5), scripts/torch_recipe.py
and bench/train_torch.py (train it). Scripts in scripts/ import it directly (Python puts a
script's own folder on sys.path); bench/train_torch.py adds ../scripts to sys.path first.
"""

import gzip
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


class LeNet5(torch.nn.Module):
    """The usual PyTorch LeNet-5 for 28×28 MNIST, with poolkit's state-dict names (conv1, conv2, fc1,
    fc2, fc3); `pool` as poolkit's LENET_POOLS (default 'max': F.max_pool2d(x, 2))."""

    def __init__(self, pool='max'):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)
        self.pool = {
            'max': lambda x: F.max_pool2d(x, 2),
            'avg': lambda x: F.avg_pool2d(x, 2),
            'lp2': lambda x: F.lp_pool2d(x, 2, 2),
            'lp3': lambda x: F.lp_pool2d(x, 3, 2),
        }[pool]

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def read_idx(path):
    """An IDX file (optionally gzip-compressed) of unsigned bytes as a writable uint8 numpy array of its shape.

    The format: a big-endian header 0, 0, type (0x08 = unsigned byte), ndim, then ndim uint32 sizes,
    then the row-major bytes.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    zero, kind, ndim = struct.unpack('>HBB', raw[:4])
    if zero != 0 or kind != 0x08:
        raise SystemExit(f'{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()})')
    shape = struct.unpack(f'>{ndim}I', raw[4:4 + 4 * ndim])
    body = bytearray(raw[4 + 4 * ndim:])  # writable, so torch.from_numpy does not warn
    count = 1
    for d in shape:
        count *= d
    if len(body) != count:
        raise SystemExit(f'{path}: {len(body)} data bytes for shape {list(shape)}')
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)
