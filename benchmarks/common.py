"""Shared benchmark helpers: machine info, interleaved timing, JSON lines, reference MLPs."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def machine() -> dict:
    info: dict = {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
                  "processor": platform.processor() or platform.machine()}
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                        for p in threadpool_info()]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    # set on some machines for old OpenBLAS builds; they pick the kernels numpy's OpenBLAS runs (see README)
    info["blas_env"] = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def interleaved(candidates: dict[str, Callable[[], Any]], rounds: int = 7, steps: int = 20,
                warmup: int = 3) -> dict:
    """Time each candidate ``steps`` times per round, alternating candidates round by round (the order
    rotates from round to round).

    Returns per candidate: median/min/max seconds per call over rounds, the per-round times
    (``rounds_s``) and the median of per-round ratios to the first candidate (the reference).
    """
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    per_round: dict = {name: [] for name in candidates}
    order = list(candidates.items())
    for r in range(rounds):
        # each round starts with the next candidate, so none always runs in the wake of the same other
        for name, fn in order[r % len(order):] + order[:r % len(order)]:
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            per_round[name].append((time.perf_counter() - start) / steps)
    ref = next(iter(candidates))
    out = {}
    for name, times in per_round.items():
        ratios = [t / r for t, r in zip(times, per_round[ref])]
        out[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
                     "rounds_s": times, "ratio_to_" + ref: statistics.median(ratios)}
    return out


def round_ratio(result: dict, name: str, reference: str) -> float:
    """Median over rounds of name's time / reference's time, from an ``interleaved`` result."""
    return statistics.median(a / b for a, b in zip(result[name]["rounds_s"], result[reference]["rounds_s"]))


def have_torch() -> bool:
    try:
        import torch  # noqa: F401

        return True
    except ImportError:
        return False


def init_weights(sizes: list, seed: int = 0) -> list:
    """(W, b) per layer, W shaped (out, in) as torch's Linear, float32, He-scaled."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = (rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)).astype(np.float32)
        b = np.zeros(n_out, dtype=np.float32)
        layers.append((W, b))
    return layers


class NumpyMLP:
    """A hand-written numpy ReLU MLP with softmax cross-entropy and SGD or Adam, the reference
    every framework step is compared with. In-place updates, preallocated Adam state.

    ``layout="out_in"`` keeps each weight as torch does, (out, in), and computes ``x @ W.T`` and the
    weight gradient ``g.T @ x``; ``layout="in_out"`` keeps it as (in, out), computing ``x @ W`` and
    ``x.T @ g`` — the other common way to write it, and on OpenBLAS the faster one.
    """

    def __init__(self, weights: list, lr: float = 0.01, optimizer: str = "sgd", layout: str = "out_in") -> None:
        self.layout = layout
        self.params = [(W.T.copy() if layout == "in_out" else W.copy(), b.copy()) for W, b in weights]
        self.params = [p for pair in self.params for p in pair]
        self.lr, self.optimizer = lr, optimizer
        if optimizer == "adam":
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
            self.work = [np.empty_like(p) for p in self.params]
            self.t = 0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        params = self.params
        n_layers = len(params) // 2
        in_out = self.layout == "in_out"
        loss, acts, pre, g = self.forward_loss(x, y)
        grads = [None] * len(params)
        for i in reversed(range(n_layers)):
            W = params[2 * i]
            grads[2 * i] = np.dot(acts[i].T, g) if in_out else np.dot(g.T, acts[i])
            grads[2 * i + 1] = g.sum(axis=0)
            if i > 0:
                g = np.dot(g, W.T) if in_out else np.dot(g, W)
                g *= pre[i - 1] > 0
        self.update(grads)
        return loss

    def forward_loss(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """(loss, each layer's input, each hidden pre-activation, the logits' gradient)."""
        params = self.params
        n_layers = len(params) // 2
        in_out = self.layout == "in_out"
        acts, pre = [x], []
        h = x
        for i in range(n_layers):
            W, b = params[2 * i], params[2 * i + 1]
            z = np.dot(h, W) if in_out else np.dot(h, W.T)
            z += b
            if i < n_layers - 1:
                pre.append(z)
                h = np.maximum(z, 0)
                acts.append(h)
            else:
                h = z
        logits = h
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = exp.sum(axis=1, keepdims=True)
        n = len(y)
        loss = float(np.mean(np.log(sums[:, 0]) - shifted[np.arange(n), y]))
        g = exp / sums
        g[np.arange(n), y] -= 1
        g /= n
        return loss, acts, pre, g

    def update(self, grads: list) -> None:
        params = self.params
        if self.optimizer == "sgd":
            for p, gr in zip(params, grads):
                gr *= self.lr
                p -= gr
        else:
            self.t += 1
            b1, b2, eps = 0.9, 0.999, 1e-8
            step_size = self.lr / (1 - b1 ** self.t)
            bc2 = np.sqrt(1 - b2 ** self.t)
            for p, gr, m, v, w in zip(params, grads, self.m, self.v, self.work):
                np.subtract(gr, m, out=w)
                w *= 1 - b1
                m += w
                np.multiply(gr, gr, out=w)
                w *= 1 - b2
                v *= b2
                v += w
                np.sqrt(v, out=w)
                w /= bc2
                w += eps
                np.divide(m, w, out=w)
                w *= step_size
                p -= w

    def predict(self, x: np.ndarray) -> np.ndarray:
        h = x
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            W = self.params[2 * i]
            h = np.dot(h, W if self.layout == "in_out" else W.T) + self.params[2 * i + 1]
            if i < n_layers - 1:
                h = np.maximum(h, 0)
        return h


def ours_model(weights: list) -> Any:
    import tinygrad_mlp as tg

    layers = []
    for i, (W, b) in enumerate(weights):
        lin = tg.nn.Linear(W.shape[1], W.shape[0])
        lin.load_state_dict({"weight": W, "bias": b})
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(tg.nn.ReLU())
    return tg.nn.Sequential(*layers)


def torch_model(weights: list) -> Any:
    import torch

    layers = []
    for i, (W, b) in enumerate(weights):
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main_guard(fn: Callable[[], None]) -> None:
    """Run a benchmark's main: a machine record first, except in a worker process (--*-worker)."""
    if not any(a.endswith("-worker") for a in sys.argv[1:]):
        emit({"benchmark": "machine", **machine(), "argv": sys.argv[1:]})
    fn()


def run_worker(module: str, *args: str) -> list:
    """Run ``python -m benchmarks.MODULE ARGS`` in a fresh process; its JSON lines, parsed."""
    import subprocess

    out = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], capture_output=True, text=True,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
