"""One training step (forward, softmax cross-entropy, backward, update) of ours against
hand-written numpy, interleaved in one process; PyTorch eager against the same numpy reference in
a second process (its OpenMP threads keep spinning after each call and would slow whatever runs
next, so sharing a process would be unfair to one side). Configurations: the 784-256-128-10 ReLU
MLP at batch 1, 32, 128, 512 and the 4-128-3 network at batch 1; SGD and Adam; float32.

Two hand-written numpy references run in the same rounds: ``numpy`` keeps each weight as torch does,
(out, in), and computes ``g.T @ x`` for its gradient — the reference of the bars; ``numpy_in_out``
keeps it as (in, out) and computes ``x.T @ g``, which OpenBLAS runs faster at batch >= 32 (the layout
nn.Linear uses internally, see benchmarks/layout.py). Both are reported.

    python -m benchmarks.step_time [--quick]

Prints one JSON line per configuration with medians, min/max and the ratios
``ours_over_numpy`` (the bar: <= 1.10 at batch >= 32, <= 1.5 at batch 1, <= 2.0 for 4-128-3),
``ours_over_numpy_in_out`` and ``torch_over_ours`` (the bar: >= 1.0).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from .common import (
    NumpyMLP,
    emit,
    have_torch,
    init_weights,
    interleaved,
    main_guard,
    ours_model,
    round_ratio,
    run_worker,
    torch_model,
)

CONFIGS = [([784, 256, 128, 10], b) for b in (1, 32, 128, 512)] + [([4, 128, 3], 1)]


def data(sizes: list, batch: int) -> tuple:
    rng = np.random.default_rng(1)
    return rng.standard_normal((batch, sizes[0])).astype(np.float32), rng.integers(0, sizes[-1], batch)


def numpy_step(sizes: list, batch: int, optimizer: str, layout: str = "out_in") -> object:
    x, y = data(sizes, batch)
    ref = NumpyMLP(init_weights(sizes), 0.01 if optimizer == "sgd" else 1e-3, optimizer, layout)
    return lambda: ref.step(x, y)


def ours_step(sizes: list, batch: int, optimizer: str, weight_order: str | None = None) -> object:
    """Our step; ``weight_order`` "C" or "F" puts every weight in that layout (default: as nn.Linear builds it)."""
    import tinygrad_mlp as tg

    x, y = data(sizes, batch)
    model = ours_model(init_weights(sizes))
    for layer in model if weight_order else ():
        if isinstance(layer, tg.nn.Linear):
            layer.weight._data = np.asarray(layer.weight._data, order=weight_order)
    opt = tg.optim.SGD(model.parameters(), lr=0.01) if optimizer == "sgd" else \
        tg.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = tg.nn.CrossEntropyLoss()
    xt, yt = tg.Tensor(x), tg.Tensor(y)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()

    return step


def torch_step(sizes: list, batch: int, optimizer: str) -> object:
    import torch

    x, y = data(sizes, batch)
    model = torch_model(init_weights(sizes))
    opt = torch.optim.SGD(model.parameters(), lr=0.01) if optimizer == "sgd" else \
        torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()

    return step


def steps_for(batch: int) -> int:
    return max(5, min(200, 20000 // (batch * 4 + 50)))


def torch_worker(rounds: int) -> None:
    for optimizer in ("sgd", "adam"):
        for sizes, batch in CONFIGS:
            result = interleaved({"numpy": numpy_step(sizes, batch, optimizer),
                                  "torch": torch_step(sizes, batch, optimizer)}, rounds=rounds,
                                 steps=steps_for(batch))
            print(json.dumps({"key": ["-".join(map(str, sizes)), batch, optimizer], **result}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 25)
    if args.torch_worker:
        torch_worker(rounds)
        return
    torch_results = {}
    if have_torch():
        for r in run_worker("step_time", "--torch-worker", "--rounds", str(rounds)):
            torch_results[tuple(r.pop("key"))] = r
    for optimizer in ("sgd", "adam"):
        for sizes, batch in CONFIGS:
            name = "-".join(map(str, sizes))
            result = interleaved({"numpy": numpy_step(sizes, batch, optimizer),
                                  "numpy_in_out": numpy_step(sizes, batch, optimizer, "in_out"),
                                  "ours": ours_step(sizes, batch, optimizer)}, rounds=rounds,
                                 steps=steps_for(batch))
            record = {"benchmark": "step_time", "model": name, "batch": batch, "optimizer": optimizer,
                      "dtype": "float32", "numpy": result["numpy"], "numpy_in_out": result["numpy_in_out"],
                      "ours": result["ours"], "ours_over_numpy": result["ours"]["ratio_to_numpy"],
                      "ours_over_numpy_in_out": round_ratio(result, "ours", "numpy_in_out")}
            t = torch_results.get((name, batch, optimizer))
            if t is not None:
                record["torch"] = t["torch"]
                record["torch_over_numpy"] = t["torch"]["ratio_to_numpy"]
                record["torch_over_ours"] = t["torch"]["ratio_to_numpy"] / result["ours"]["ratio_to_numpy"]
            emit(record)


if __name__ == "__main__":
    main_guard(main)
