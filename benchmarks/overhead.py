"""Per-op engine overhead: our op (recording a graph, and under no_grad) against the bare numpy
call, on tiny arrays where the overhead is all there is.

    python -m benchmarks.overhead
"""

from __future__ import annotations

import timeit

import numpy as np

from .common import emit, main_guard


def best(fn, number: int = 20000, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    import argparse

    import tinygrad_mlp as tg
    import tinygrad_mlp.functional as F

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    args = parser.parse_args()
    number = 1000 if args.quick else 20000

    a = tg.randn(8, 8, requires_grad=True)
    b = tg.randn(8, 8, requires_grad=True)
    w = tg.randn(4, 8, requires_grad=True)
    x, y, wn = a.numpy(), b.numpy(), w.numpy()
    cases = {
        "add": (lambda: a + b, lambda: x + y),
        "mul": (lambda: a * b, lambda: x * y),
        "exp": (lambda: a.exp(), lambda: np.exp(x)),
        "relu": (lambda: a.relu(), lambda: np.maximum(x, 0)),
        "matmul": (lambda: a @ b, lambda: np.dot(x, y)),
        "linear": (lambda: F.linear(a, w), lambda: np.dot(x, wn.T)),
        "sum": (lambda: a.sum(), lambda: x.sum()),
        "mean_dim": (lambda: a.mean(dim=1), lambda: x.mean(axis=1)),
        "softmax": (lambda: a.softmax(dim=1),
                    lambda: (lambda e: e / e.sum(axis=1, keepdims=True))(np.exp(x - x.max(axis=1, keepdims=True)))),
        "reshape": (lambda: a.reshape(64), lambda: x.reshape(64)),
    }
    for name, (ours, raw) in cases.items():
        t_raw = best(raw, number)
        t_ours = best(ours, number)
        with tg.no_grad():
            t_nograd = best(ours, number)
        emit({"benchmark": "overhead", "op": name, "shape": [8, 8], "numpy_us": t_raw * 1e6,
              "ours_us": t_ours * 1e6, "ours_no_grad_us": t_nograd * 1e6,
              "overhead_us": (t_ours - t_raw) * 1e6, "overhead_no_grad_us": (t_nograd - t_raw) * 1e6})

    def fwd_bwd():
        (a * b).sum().backward()

    def np_fwd_bwd():
        (x * y).sum()
        return np.ones_like(x) * y, np.ones_like(x) * x

    emit({"benchmark": "overhead", "op": "mul+sum+backward", "shape": [8, 8],
          "numpy_us": best(np_fwd_bwd, number) * 1e6, "ours_us": best(fwd_bwd, number // 4) * 1e6})


if __name__ == "__main__":
    main_guard(main)
