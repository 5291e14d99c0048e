"""ASGD (torch.optim.ASGD): SGD with a decaying step and a running average of the weights."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..state import default_dtype
from .optimizer import Optimizer


class ASGD(Optimizer):
    """torch.optim.ASGD's update, with its step count t:

    p ← p · (1 − λ·η) − η · g;  ax ← ax + μ · (p − ax) (ax ← p while μ = 1);
    then η ← lr / (1 + λ·lr·t)^α and μ ← 1 / max(1, t − t₀). η and μ are rounded to the default dtype
    (float32 unless it is float64), as torch keeps them in scalars of that dtype. ``weight_decay`` adds wd·p
    to g, after ``maximize`` negates it.

    >>> import tinygrad_mlp as tg
    >>> w = tg.nn.Parameter(tg.tensor([1.0])); opt = tg.optim.ASGD([w], lr=0.1)
    >>> w.grad = tg.tensor([2.0]); opt.step(); round(w.item(), 6)
    0.79999
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        lr, lambd, alpha, t0, wd = group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        scalar = np.float64 if default_dtype() == np.float64 else np.float32
        if "ax" not in state:
            state["step"] = 0
            state["eta"] = float(scalar(lr))
            state["mu"] = 1.0
            state["ax"] = np.zeros_like(p)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p
        eta = state["eta"]
        p *= 1 - lambd * eta
        p -= grad * eta
        ax = state["ax"]
        if state["mu"] != 1:
            ax += (p - ax) * p.dtype.type(state["mu"])
        else:
            np.copyto(ax, p)
        t = state["step"]
        state["eta"] = float(scalar(lr / ((1 + lambd * lr * t) ** alpha)))
        state["mu"] = float(scalar(1 / max(1, t - t0)))
