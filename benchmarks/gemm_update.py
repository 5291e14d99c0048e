"""Does fusing the SGD update into the weight-gradient product pay? Measured inside whole steps.

The fused form computes ``W += (-lr) * (h.T @ g)`` as one GEMM that accumulates into the weights (BLAS
``sgemm`` with ``beta = 1``), so the weight gradient is never written out and the update pass over the
weights disappears. numpy's ``dot`` has no ``beta``, so the fused step calls ``cblas_sgemm`` of numpy's
*own* OpenBLAS through ctypes (the library numpy loaded, found by threadpoolctl: one thread pool, not the
two-pool trap of scipy's separate OpenBLAS, see PERF_NOTES.md).

Three steps of the 784-256-128-10 ReLU MLP with softmax cross-entropy and plain SGD, float32, timed
interleaved in one process:

* ``numpy``: the hand-written reference of ``benchmarks.compiled_step`` ((in, out) weights, ``np.dot``,
  in-place updates);
* ``gemm_accumulate``: the same step with each weight updated by the accumulating GEMM (biases as before);
* ``compiled``: ``tg.compile`` with numba's fused update (weight gradients in ``.grad``, then one pass);
* ``compiled_no_grads``: ``tg.compile(step, keep_grads=False)``, which does the same fusion for each weight
  (its ``.grad`` is then None; biases keep theirs).

``over_numpy`` is the median of per-round ratios. The fused form drops the weights' ``.grad`` (nothing is
left to read it from), which is why ``tg.compile`` only does it when asked. Before
timing, the script checks that the fused step trains as the reference does (parameters after 20 steps
agree to float32 rounding; the two add the update in a different order).

    python -m benchmarks.gemm_update [--batches 1,32,128,512] [--rounds 11]
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import json

import numpy as np

from .common import NumpyMLP, emit, init_weights, interleaved, main_guard, run_worker
from .compiled_step import LR, SIZES, numpy_step, ours_steps
from .step_time import data, steps_for

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
NAMES = ("numpy", "gemm_accumulate", "compiled", "compiled_no_grads")


def numpy_sgemm() -> object:
    """``cblas_sgemm`` of the OpenBLAS numpy itself uses (64-bit integers, scipy-openblas symbol names)."""
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool["internal_api"] == "openblas" and "scipy_openblas64" in pool["filepath"]:
            sgemm = ctypes.CDLL(pool["filepath"]).scipy_cblas_sgemm64_
            i64, f32, ptr = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p
            sgemm.argtypes = [i64, i64, i64, i64, i64, i64, f32, ptr, i64, ptr, i64, f32, ptr, i64]
            sgemm.restype = None
            return sgemm
    raise RuntimeError("numpy's OpenBLAS (scipy_openblas64) was not found; this benchmark needs it")


class GemmAccumulateSGD(NumpyMLP):
    """The reference step with each weight's SGD update fused into its gradient product."""

    def __init__(self, weights: list, lr: float) -> None:
        super().__init__(weights, lr, "sgd", "in_out")
        self.sgemm = numpy_sgemm()

    def accumulate(self, h: np.ndarray, g: np.ndarray, W: np.ndarray) -> None:
        """W += -lr * h.T @ g, with h (n, in), g (n, out), W (in, out), all C-contiguous float32."""
        n, k_in = h.shape
        k_out = g.shape[1]
        self.sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, k_in, k_out, n, -self.lr, h.ctypes.data, k_in,
                   g.ctypes.data, k_out, 1.0, W.ctypes.data, k_out)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """The reference's forward and loss; backward with each weight updated inside its product."""
        params = self.params
        loss, acts, pre, g = self.forward_loss(x, y)
        for i in reversed(range(len(params) // 2)):
            W, b = params[2 * i], params[2 * i + 1]
            g_prev = None
            if i > 0:  # with the old weights, before they are updated
                g_prev = np.dot(g, W.T)
                g_prev *= pre[i - 1] > 0
            self.accumulate(np.ascontiguousarray(acts[i]), g, W)
            gb = g.sum(axis=0)
            gb *= self.lr
            b -= gb
            g = g_prev
        return loss


def check(batch: int) -> float:
    """Largest difference between the fused and the reference parameters after 20 steps, relative to the
    largest parameter."""
    x, y = data(SIZES, batch)
    ref = NumpyMLP(init_weights(SIZES), LR["sgd"], "sgd", "in_out")
    fused = GemmAccumulateSGD(init_weights(SIZES), LR["sgd"])
    for _ in range(20):
        ref.step(x, y)
        fused.step(x, y)
    worst = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(ref.params, fused.params))
    if worst > 1e-5:
        raise AssertionError(f"the fused step drifted from the reference: {worst:.2e} at batch {batch}")
    return worst


def worker(rounds: int, batches: list) -> None:
    for batch in batches:
        x, y = data(SIZES, batch)
        fused = GemmAccumulateSGD(init_weights(SIZES), LR["sgd"])
        candidates = {"numpy": numpy_step(batch, "sgd"), "gemm_accumulate": functools.partial(fused.step, x, y)}
        candidates["compiled"] = ours_steps(batch, "sgd", True)[1]
        candidates["compiled_no_grads"] = ours_steps(batch, "sgd", True, keep_grads=False)[1]
        result = interleaved(candidates, rounds=rounds, steps=steps_for(batch), warmup=5)
        print(json.dumps({"batch": batch, "drift": check(batch), **result}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,32,128,512")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--step-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    if args.step_worker:
        worker(args.rounds, batches)
        return
    for r in run_worker("gemm_update", "--step-worker", "--rounds", str(args.rounds), "--batches", args.batches):
        us = {name: round(r[name]["median_s"] * 1e6, 1) for name in NAMES}
        emit({"benchmark": "gemm_update", "model": "784-256-128-10", "batch": r["batch"], "optimizer": "sgd",
              "rounds": args.rounds, "us": us, "param_drift_after_20_steps": r["drift"],
              "over_numpy": {name: round(r[name]["ratio_to_numpy"], 3) for name in NAMES[1:]}})


if __name__ == "__main__":
    main_guard(main)
