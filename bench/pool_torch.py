#!/usr/bin/env python3
"""PyTorch side of `poolkit bench` / `npm run bench` (cli/bench.ts runs this; nothing else needs it).

Reads the case list as JSON on stdin, times each case on 1 and on 2 threads exactly as
cli/bench.ts times poolkit (warm-up, then the median of several runs, each run bounded by
a time budget) and prints one JSON object on stdout:

    {"torch": "1.13.0", "results": {"<case>": {"fwd": {"1": ms, "2": ms}, "fwdbwd": {...}}}}

Forward runs under torch.no_grad() (no indices for max pooling, as poolkit's forward without
grad); forward+backward makes the input require grad, runs the op, then y.backward(g).
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def op_fn(case):
    op, k, s, p = case["op"], case.get("k"), case.get("s"), case.get("p", 0)
    if op == "max":
        return lambda x: F.max_pool2d(x, k, s, p)
    if op == "avg":
        return lambda x: F.avg_pool2d(x, k, s, p)
    if op == "lp2":
        return lambda x: F.lp_pool2d(x, 2, k, s)
    if op == "amax":
        return lambda x: F.adaptive_max_pool2d(x, case["out"])
    if op == "aavg":
        return lambda x: F.adaptive_avg_pool2d(x, case["out"])
    raise ValueError(op)


def measure(fn, warmup, runs, budget_s):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < runs and (len(times) < 3 or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    spec = json.load(sys.stdin)
    torch.manual_seed(0)
    results = {}
    for case in spec["cases"]:
        f = op_fn(case)
        x = torch.randn(case["shape"])
        with torch.no_grad():
            g = torch.randn(f(x).shape)
        row = {}
        for direction in case["directions"]:
            row[direction] = {}
            for threads in spec["threads"]:
                torch.set_num_threads(threads)
                if direction == "fwd":
                    def run():
                        with torch.no_grad():
                            f(x)
                else:
                    xr = x.clone().requires_grad_(True)

                    def run():
                        xr.grad = None
                        f(xr).backward(g)
                row[direction][str(threads)] = measure(run, spec["warmup"], spec["runs"], spec["budget_s"])
        results[case["name"]] = row
        print(f"  torch {case['name']} done", file=sys.stderr, flush=True)
    print(json.dumps({"torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
