"""Adam and AdamW (decoupled weight decay), with amsgrad; updates in place, no allocation."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer


class Adam(Optimizer):
    """torch.optim.Adam's update:

    m ← m + (1−β₁)(g − m);  v ← β₂v + (1−β₂)g²;
    p ← p − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + eps)   (with L2 ``weight_decay`` added to g)
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        if group["maximize"]:
            grad = -grad
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        work = self._scratch(state, p)
        if wd != 0:
            if self.decoupled:
                p *= 1 - lr * wd
            else:
                l2_grad = self._scratch(state, p, "_l2_grad")
                np.multiply(p, wd, out=l2_grad)
                l2_grad += grad
                grad = l2_grad
        np.subtract(grad, m, out=work)       # m ← m + (1 − β₁)(g − m)
        work *= 1 - beta1
        m += work
        np.multiply(grad, grad, out=work)    # v ← β₂ v + (1 − β₂) g²
        work *= 1 - beta2
        v *= beta2
        v += work
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1 ** t)
        np.sqrt(v, out=work)                 # denominator √v / √(1 − β₂ᵗ) + eps
        work /= math.sqrt(1 - beta2 ** t)
        work += eps
        np.divide(m, work, out=work)
        work *= step_size
        p -= work


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 − lr·wd) before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
