"""The matrix products of one 784-256-128-10 training step, alone: numpy (OpenBLAS) against XLA
(``jax.jit`` of ``a @ b``), interleaved in one process. At large batches a step is its products, so this
is the floor a numpy-based step shares and what JAX's jit can do below it.

    python -m benchmarks.gemm_shapes [--batches 128,512] [--rounds 15]

Prints one JSON line per batch after a machine record: per product shape, the median µs of each and
``xla_over_numpy``. Without JAX it says so and times numpy only.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

import numpy as np

from .common import emit, main_guard


def shapes(batch: int) -> list:
    """(a, b) shapes of the forward products and the weight-gradient products of the two big layers."""
    return [((batch, 784), (784, 256)), ((784, batch), (batch, 256)), ((batch, 256), (256, 128)),
            ((256, batch), (batch, 128))]


def time_product(a: np.ndarray, b: np.ndarray, xla: object, rounds: int, calls: int = 20) -> dict:
    out = np.empty((a.shape[0], b.shape[1]), np.float32)
    candidates = {"numpy": lambda: np.dot(a, b, out=out)}
    if xla is not None:
        ja, jb = xla.numpy.asarray(a), xla.numpy.asarray(b)
        product = xla.jit(lambda x, y: x @ y)
        candidates["xla"] = lambda: product(ja, jb).block_until_ready()
    times: dict = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - start) / calls)
    result = {f"{name}_us": round(statistics.median(t) * 1e6, 1) for name, t in times.items()}
    if xla is not None:
        result["xla_over_numpy"] = round(statistics.median(x / n for x, n in zip(times["xla"], times["numpy"])), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="128,512")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    xla = None
    if importlib.util.find_spec("jax") is not None:
        import jax
        import jax.numpy  # noqa: F401 - jax.numpy.asarray above

        xla = jax
    rng = np.random.default_rng(0)
    for batch in (int(b) for b in args.batches.split(",")):
        record: dict = {"benchmark": "gemm_shapes", "batch": batch, "dtype": "float32"}
        if xla is None:
            record["xla"] = "not installed: pip install -e .[bench]"
        for sa, sb in shapes(batch):
            a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
            record[f"{sa[0]}x{sa[1]} @ {sb[0]}x{sb[1]}"] = time_product(a, b, xla, args.rounds)
        emit(record)


if __name__ == "__main__":
    main_guard(main)
