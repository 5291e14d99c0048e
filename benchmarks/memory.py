"""Peak resident memory of an MNIST-sized training run, ours against hand-written numpy, each in a
fresh process (same data, same model, same number of Adam steps), and growth across steps.

    python -m benchmarks.memory [--steps 1000]
"""

from __future__ import annotations

import argparse
import json
import resource

import numpy as np

from .common import NumpyMLP, emit, init_weights, main_guard, ours_model, run_worker

SIZES = [784, 256, 128, 10]


def rss_mb() -> float:
    """Current resident set size (Linux), MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2 ** 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(kind: str, steps: int) -> dict:
    rng = np.random.default_rng(0)
    X = rng.random((60000, 784), dtype=np.float32)  # MNIST-sized data, generated: no files needed
    y = rng.integers(0, 10, 60000)
    base = rss_mb()
    if kind == "numpy":
        ref = NumpyMLP(init_weights(SIZES), 1e-3, "adam")

        def step(i: int) -> None:
            idx = rng.integers(0, 60000, 128)
            ref.step(X[idx], y[idx])
    else:
        import tinygrad_mlp as tg

        model = ours_model(init_weights(SIZES))
        opt = tg.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = tg.nn.CrossEntropyLoss()

        def step(i: int) -> None:
            idx = rng.integers(0, 60000, 128)
            opt.zero_grad()
            loss_fn(model(tg.Tensor(X[idx])), tg.Tensor(y[idx])).backward()
            opt.step()

    marks = {}
    for i in range(1, steps + 1):
        step(i)
        if i in (min(100, steps), steps // 2, steps):
            marks[i] = rss_mb()
    return {"kind": kind, "peak_mb": peak_mb(), "data_baseline_mb": base, "rss_mb_at_step": marks}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--worker", choices=["numpy", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.steps)))
        return
    results = {}
    for kind in ("numpy", "ours"):
        results[kind] = run_worker("memory", "--worker", kind, "--steps", str(args.steps))[0]
    ours, ref = results["ours"], results["numpy"]
    marks = ours["rss_mb_at_step"]
    first, last = marks[str(min(100, args.steps))], marks[str(args.steps)]
    emit({"benchmark": "memory", "steps": args.steps, "numpy": ref, "ours": ours,
          "peak_ratio_ours_over_numpy": ours["peak_mb"] / ref["peak_mb"],
          "ours_growth_after_step_100": (last - first) / first})


if __name__ == "__main__":
    main_guard(main)
