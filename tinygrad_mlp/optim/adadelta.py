"""Adadelta (torch.optim.Adadelta): a step size from running averages of squared gradients and updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer


class Adadelta(Optimizer):
    """torch.optim.Adadelta's update:

    v ← ρv + (1−ρ)g²;  δ = √(u + eps) / √(v + eps) · g;  u ← ρu + (1−ρ)δ²;  p ← p − lr·δ
    (``weight_decay`` adds wd·p to g, after ``maximize`` negates it).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable, differentiable=differentiable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            state["acc_delta"] = np.zeros_like(p)
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad + wd * p
        v, u = state["square_avg"], state["acc_delta"]
        work = self._scratch(state, p)
        v *= rho                                  # v ← ρv + (1 − ρ) g²
        np.multiply(grad, 1 - rho, out=work)
        work *= grad
        v += work
        delta = np.sqrt(u + eps)                  # δ = √(u + eps) / √(v + eps) · g
        np.add(v, eps, out=work)
        np.sqrt(work, out=work)
        delta /= work
        delta *= grad
        u *= rho                                  # u ← ρu + (1 − ρ) δ²
        np.multiply(delta, 1 - rho, out=work)
        work *= delta
        u += work
        delta *= lr
        p -= delta
