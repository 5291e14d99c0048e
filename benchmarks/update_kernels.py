"""The compiled step's optimizer update, measured inside whole steps: which way of running Adam (and SGD)
over the flat buffers makes the fastest 784-256-128-10 training step at small batches.

Variants (all on the same compiled step; only the update differs):

* ``numpy``: whole-buffer numpy calls with ``out=`` (13 passes for Adam, 2 for SGD) — ``FUSED = False``;
* ``blocked``: the same numpy calls over cache-sized chunks of the flat buffers (``--block`` elements);
* ``numba``: one fused loop per update (``tinygrad_mlp.compile._fused_kernels``, the default when numba is
  installed);
* ``numexpr``: three ``numexpr.evaluate(..., out=)`` calls for Adam (m, v, p), one for SGD; in its own
  process, once with 1 thread and once with numexpr's default threads (its pool is a second thread
  pool beside OpenBLAS's: see PERF_NOTES.md).

Each is timed interleaved with the hand-written numpy step of ``benchmarks.compiled_step`` in the same
process; ``over_numpy`` is the median of per-round ratios, comparable across processes.

    python -m benchmarks.update_kernels [--batches 1,32] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from .common import emit, interleaved, main_guard, run_worker
from .compiled_step import LR, numpy_step, ours_steps
from .step_time import steps_for


def _adam_numpy_blocked(store, block: int) -> None:
    """Adam's numpy calls of compile._FlatStore._adam (plain Adam), chunk by chunk."""
    opt = store.opt
    for group, group_params, a, b in store.groups:
        state = opt.state
        t = state[group_params[0]]["step"] + 1
        for q in group_params:
            state[q]["step"] = t
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        step_size, bias2 = lr / (1 - beta1 ** t), math.sqrt(1 - beta2 ** t)
        for lo in range(a, b, block):
            hi = min(lo + block, b)
            p, g, work = store.P[lo:hi], store.G[lo:hi], store.work[lo:hi]
            m, v = store.state_flat["exp_avg"][lo:hi], store.state_flat["exp_avg_sq"][lo:hi]
            np.subtract(g, m, out=work)
            work *= 1 - beta1
            m += work
            np.multiply(g, g, out=work)
            work *= 1 - beta2
            v *= beta2
            v += work
            np.sqrt(v, out=work)
            work /= bias2
            work += eps
            np.divide(m, work, out=work)
            work *= step_size
            p -= work


def _sgd_numpy_blocked(store, block: int) -> None:
    for group, _, a, b in store.groups:
        lr = float(group["lr"])
        for lo in range(a, b, block):
            hi = min(lo + block, b)
            step = store.work[lo:hi]
            np.multiply(store.G[lo:hi], lr, out=step)
            store.P[lo:hi] -= step


def _adam_numexpr(store) -> None:
    import numexpr as ne

    opt, f = store.opt, store.dtype.type
    for group, group_params, a, b in store.groups:
        state = opt.state
        t = state[group_params[0]]["step"] + 1
        for q in group_params:
            state[q]["step"] = t
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        env = {"p": store.P[a:b], "g": store.G[a:b], "m": store.state_flat["exp_avg"][a:b],
               "v": store.state_flat["exp_avg_sq"][a:b], "c1": f(1 - beta1), "c2": f(1 - beta2), "b2": f(beta2),
               "bias2": f(math.sqrt(1 - beta2 ** t)), "eps": f(eps), "step": f(lr / (1 - beta1 ** t))}
        ne.evaluate("m + (g - m) * c1", local_dict=env, out=env["m"])
        ne.evaluate("v * b2 + (g * g) * c2", local_dict=env, out=env["v"])
        ne.evaluate("p - (m / (sqrt(v) / bias2 + eps)) * step", local_dict=env, out=env["p"])


def _sgd_numexpr(store) -> None:
    import numexpr as ne

    for group, _, a, b in store.groups:
        env = {"p": store.P[a:b], "g": store.G[a:b], "lr": store.dtype.type(group["lr"])}
        ne.evaluate("p - g * lr", local_dict=env, out=env["p"])


def variant(name: str, batch: int, optimizer: str, block: int):
    """A compiled step whose update is run the ``name`` way."""
    from tinygrad_mlp.compile import CompiledStep

    _, step = ours_steps(batch, optimizer)
    step()  # records and plans: the store exists from here on
    compiled = next(c.cell_contents for c in step.__closure__ if isinstance(c.cell_contents, CompiledStep))
    store = next(iter(compiled.plans.values())).store
    store.fused = name == "numba"
    if name == "blocked":
        store.update = (lambda: _sgd_numpy_blocked(store, block)) if optimizer == "sgd" else \
            (lambda: _adam_numpy_blocked(store, block))
    elif name.startswith("numexpr"):
        store.update = (lambda: _sgd_numexpr(store)) if optimizer == "sgd" else (lambda: _adam_numexpr(store))
    return step


def worker(group: str, rounds: int, batches: list, block: int) -> None:
    import importlib.util

    fused = ["numba"] if importlib.util.find_spec("numba") else []  # (not installed: nothing to measure)
    names = {"main": ["numpy", "blocked", *fused], "numexpr1": ["numexpr1"], "numexpr": ["numexpr"]}[group]
    if group.startswith("numexpr"):
        import numexpr as ne

        if group == "numexpr1":
            ne.set_num_threads(1)
    for optimizer in ("sgd", "adam"):
        for batch in batches:
            candidates = {"reference": numpy_step(batch, optimizer)}
            for name in names:
                candidates[name] = variant(name, batch, optimizer, block)
            result = interleaved(candidates, rounds=rounds, steps=steps_for(batch), warmup=5)
            print(json.dumps({"key": [optimizer, batch], **{k: {"us": round(v["median_s"] * 1e6, 1),
                                                                 "over_numpy": round(v["ratio_to_reference"], 3)}
                                                              for k, v in result.items()}}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--block", type=int, default=32768, help="elements per chunk of the blocked variant")
    parser.add_argument("--group-worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    if args.group_worker:
        worker(args.group_worker, args.rounds, batches, args.block)
        return
    import importlib.util

    groups = ["main"] + (["numexpr1", "numexpr"] if importlib.util.find_spec("numexpr") else [])
    results: dict = {}
    for group in groups:
        for r in run_worker("update_kernels", "--group-worker", group, "--rounds", str(args.rounds),
                            "--batches", args.batches, "--block", str(args.block)):
            results.setdefault(tuple(r.pop("key")), {}).update(r)
    for (optimizer, batch), r in results.items():
        emit({"benchmark": "update_kernels", "optimizer": optimizer, "batch": batch, "lr": LR[optimizer],
              "block": args.block, "rounds": args.rounds,
              "over_numpy": {k: v["over_numpy"] for k, v in r.items() if k != "reference"},
              "us": {k: v["us"] for k, v in r.items()}})


if __name__ == "__main__":
    main_guard(main)
