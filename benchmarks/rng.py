"""torch-identical random draws (tinygrad_mlp.rng) against numpy's own generator on the same
sizes, interleaved in one process: 10^6 float32 normals against ``standard_normal(10**6)`` (the
bar: at most 3x), and the other draws against their nearest numpy call.

    python -m benchmarks.rng [--quick] [--rounds N]

Prints one JSON line per draw with medians, min/max and ``ours_over_numpy`` (median of
per-round ratios). Also reports the CPU-time ratio of the normals (``process_time``: less
disturbed by other processes on a shared machine).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from .common import emit, interleaved, main_guard


def cpu_ratio(ours, ref, rounds: int, steps: int) -> float:
    """Median over rounds of ours' CPU time / ref's CPU time (process_time, alternating)."""
    ratios = []
    for _ in range(rounds):
        times = []
        for fn in (ref, ours):
            start = time.process_time()
            for _ in range(steps):
                fn()
            times.append(time.process_time() - start)
        ratios.append(times[1] / times[0])
    return statistics.median(ratios)


def main() -> None:
    from tinygrad_mlp import rng

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes (a smoke test)")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 15)
    n = 10**5 if args.quick else 10**6
    g, ref = rng.Generator(0), np.random.default_rng(0)
    cases = {
        "randn_float32": (lambda: rng.randn(n, generator=g), lambda: ref.standard_normal(n), 3.0),
        "normal_float32_mean_std": (lambda: rng.normal(0.1, 0.02, n, generator=g),
                                    lambda: ref.normal(0.1, 0.02, n), None),
        "randn_float64": (lambda: rng.randn(n, np.float64, g), lambda: ref.standard_normal(n), None),
        "rand_float32": (lambda: rng.rand(n, generator=g), lambda: ref.random(n, dtype=np.float32), None),
        "uniform_float32": (lambda: rng.uniform(-1, 1, n, generator=g), lambda: ref.uniform(-1, 1, n), None),
        "randint": (lambda: rng.randint(0, 10, n, generator=g), lambda: ref.integers(0, 10, n), None),
        "bernoulli": (lambda: rng.bernoulli(0.5, n, generator=g), lambda: ref.random(n) < 0.5, None),
        "randperm_60000": (lambda: rng.randperm(60000, generator=g), lambda: ref.permutation(60000), None),
        "exponential": (lambda: rng.exponential(1.0, n, generator=g), lambda: ref.exponential(1.0, n), None),
    }
    for name, (ours, numpy_call, bar) in cases.items():
        steps = 1 if name in ("randn_float64", "exponential") else 3
        res = interleaved({"numpy": numpy_call, "ours": ours}, rounds=rounds, steps=steps, warmup=1)
        record = {"benchmark": "rng", "draw": name, "n": 60000 if "randperm" in name else n,
                  "numpy": {k: v for k, v in res["numpy"].items() if k != "rounds_s"},
                  "ours": {k: v for k, v in res["ours"].items() if k != "rounds_s"},
                  "ours_over_numpy": res["ours"]["ratio_to_numpy"]}
        if bar is not None:
            record["bar"] = bar
            record["ours_over_numpy_cpu_time"] = cpu_ratio(ours, numpy_call, rounds, steps)
        emit(record)


if __name__ == "__main__":
    main_guard(main)
