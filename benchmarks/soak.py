"""Train for N MNIST-sized steps and report peak RSS and time per step at step 1,000 and at N,
so that any growth is visible (memory must stay flat: the graph is freed after every step).

    python -m benchmarks.soak [--steps 10000]
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import numpy as np

from .common import emit, init_weights, main_guard, ours_model
from .memory import rss_mb


def main() -> None:
    import tinygrad_mlp as tg

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.random((10_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 10_000)
    model = ours_model(init_weights([784, 256, 128, 10]))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = tg.nn.CrossEntropyLoss()
    loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=args.batch, shuffle=True, seed=0)
    marks = {}
    step, window_start = 0, time.perf_counter()
    collections_before = sum(s["collections"] for s in gc.get_stats())
    while step < args.steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            step += 1
            if step % 1000 == 0 or step == args.steps:
                now = time.perf_counter()
                marks[step] = {"rss_mb": rss_mb(), "ms_per_step": (now - window_start) / 1000 * 1e3}
                window_start = now
            if step == args.steps:
                break
    first = marks[min(marks)]
    last = marks[args.steps]
    emit({"benchmark": "soak", "steps": args.steps, "batch": args.batch, "at_1000": first, "at_end": last,
          "rss_growth": (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"],
          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
          "gc_collections": sum(s["collections"] for s in gc.get_stats()) - collections_before})


if __name__ == "__main__":
    main_guard(main)
