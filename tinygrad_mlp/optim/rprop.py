"""Rprop (torch.optim.Rprop): each weight's own step size, grown while its gradient keeps its sign and
shrunk when it flips; only the gradient's sign moves the weight."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer


class Rprop(Optimizer):
    """torch.optim.Rprop's update, per element:

    s = sign(g · g_prev) → η₊ if s > 0, η₋ if s < 0, 1 if 0;  step ← clamp(step · s, step_min, step_max);
    where s was η₋ the gradient counts as 0 (no move, and no flip next time);  p ← p − sign(g) · step;
    g_prev ← g.  ``maximize`` negates g first.

    >>> import tinygrad_mlp as tg
    >>> w = tg.nn.Parameter(tg.tensor([1.0, -1.0])); opt = tg.optim.Rprop([w], lr=0.1)
    >>> w.grad = tg.tensor([2.0, -3.0]); opt.step(); w.tolist()
    [0.8999999761581421, -0.8999999761581421]
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        (eta_minus, eta_plus), (step_min, step_max) = group["etas"], group["step_sizes"]
        if "prev" not in state:
            state["step"] = 0
            state["prev"] = np.zeros_like(p)
            state["step_size"] = np.full_like(grad, group["lr"])
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        sign = np.sign(grad * state["prev"])
        factor = np.where(sign > 0, p.dtype.type(eta_plus), np.where(sign < 0, p.dtype.type(eta_minus), 1))
        factor = factor.astype(p.dtype, copy=False)
        step_size = state["step_size"]
        step_size *= factor
        np.clip(step_size, step_min, step_max, out=step_size)
        grad = np.where(factor == p.dtype.type(eta_minus), 0, grad).astype(p.dtype, copy=False)
        p -= np.sign(grad) * step_size
        np.copyto(state["prev"], grad)
