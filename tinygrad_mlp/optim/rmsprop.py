"""RMSprop (optionally centred, with momentum) and Adagrad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """torch.optim.RMSprop: s ← αs + (1−α)g²; p ← p − lr·g/(√s + eps) (centred: √(s − ḡ²))."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 maximize: bool = False) -> None:
        if alpha < 0:
            raise ValueError(f"RMSprop: invalid alpha={alpha} (must be >= 0)")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        lr, alpha, eps, wd, momentum = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p
        sq = state["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * grad * grad
        if group["centered"]:
            ga = state["grad_avg"]
            ga += (1 - alpha) * (grad - ga)
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            p -= lr * buf
        else:
            p -= lr * (grad / avg)


class Adagrad(Optimizer):
    """torch.optim.Adagrad: s ← s + g²; p ← p − lr/(1 + (t−1)·lr_decay) · g/(√s + eps)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"])
        std += group["eps"]
        p -= clr * (grad / std)
