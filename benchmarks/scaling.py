"""How step time grows with batch size and layer width (ours and numpy; a log-log plot when
matplotlib is installed), and that backward through an N-op chain takes time linear in N.

    python -m benchmarks.scaling [--quick] [--plot scaling.png]
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from .common import emit, interleaved, main_guard
from .step_time import numpy_step, ours_step


def step_pair(sizes: list, batch: int) -> dict:
    """Hand-written numpy and our SGD step on the same weights and data (those of step_time)."""
    return {"numpy": numpy_step(sizes, batch, "sgd"), "ours": ours_step(sizes, batch, "sgd")}


def slope(xs: list, ys: list) -> float:
    """Least-squares slope of log(y) on log(x): 1 means linear growth."""
    lx, ly = np.log(xs), np.log(ys)
    return float(np.polyfit(lx, ly, 1)[0])


def chain_backward_seconds(n: int) -> float:
    import tinygrad_mlp as tg

    x = tg.tensor(1.0, dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    gc.collect()
    gc.disable()  # time the walk, not a garbage collection that the allocations above happen to trigger
    try:
        start = time.perf_counter()
        y.backward()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot", help="save a log-log plot here (needs matplotlib)")
    args = parser.parse_args()
    rounds = 3 if args.quick else 5
    batches = [1, 8, 64, 512, 4096] if args.quick else [1, 4, 16, 64, 256, 1024, 4096]
    widths = [64, 256, 1024, 4096] if args.quick else [64, 128, 256, 512, 1024, 2048, 4096]
    by_batch, by_width = [], []
    for b in batches:
        r = interleaved(step_pair([784, 256, 128, 10], b), rounds=rounds, steps=max(3, 4000 // (b + 40)))
        by_batch.append((b, r["numpy"]["median_s"], r["ours"]["median_s"]))
        emit({"benchmark": "scaling", "vary": "batch", "batch": b, "width": 256, "numpy_s": r["numpy"]["median_s"],
              "ours_s": r["ours"]["median_s"], "ours_over_numpy": r["ours"]["ratio_to_numpy"]})
    for w in widths:
        r = interleaved(step_pair([784, w, w, 10], 128), rounds=rounds, steps=max(2, 400_000 // (w * w + 40_000)))
        by_width.append((w, r["numpy"]["median_s"], r["ours"]["median_s"]))
        emit({"benchmark": "scaling", "vary": "width", "batch": 128, "width": w, "numpy_s": r["numpy"]["median_s"],
              "ours_s": r["ours"]["median_s"], "ours_over_numpy": r["ours"]["ratio_to_numpy"]})
    big = [row for row in by_batch if row[0] >= 64]
    emit({"benchmark": "scaling", "summary": "log-log slopes (1 = linear)",
          "ours_vs_batch_from_64": slope([r[0] for r in big], [r[2] for r in big]),
          "numpy_vs_batch_from_64": slope([r[0] for r in big], [r[1] for r in big]),
          "ours_vs_width_squared": slope([r[0] ** 2 for r in by_width[1:]], [r[2] for r in by_width[1:]]),
          "numpy_vs_width_squared": slope([r[0] ** 2 for r in by_width[1:]], [r[1] for r in by_width[1:]])})
    ns = [1000, 10_000, 100_000] if args.quick else [1000, 3000, 10_000, 30_000, 100_000]
    times = [min(chain_backward_seconds(n) for _ in range(3)) for n in ns]
    emit({"benchmark": "scaling", "vary": "chain_length", "n_ops": ns, "backward_s": times,
          "us_per_op": [t / n * 1e6 for t, n in zip(times, ns)], "log_log_slope": slope(ns, times)})
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
        for ax, rows, label in ((axes[0], by_batch, "batch size"), (axes[1], by_width, "hidden width (2 layers)")):
            ax.loglog([r[0] for r in rows], [r[1] * 1e3 for r in rows], "o-", label="hand-written numpy")
            ax.loglog([r[0] for r in rows], [r[2] * 1e3 for r in rows], "s--", label="tinygrad_mlp")
            ax.set_xlabel(label)
            ax.set_ylabel("ms per SGD step")
            ax.grid(alpha=0.3, which="both")
            ax.legend()
        axes[2].loglog(ns, [t * 1e3 for t in times], "o-")
        axes[2].set_xlabel("ops in a chain")
        axes[2].set_ylabel("backward ms")
        axes[2].grid(alpha=0.3, which="both")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        emit({"benchmark": "scaling", "plot": args.plot})


if __name__ == "__main__":
    main_guard(main)
