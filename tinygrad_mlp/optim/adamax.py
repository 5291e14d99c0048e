"""Adam's relatives in torch.optim: Adamax (infinity norm), NAdam (Nesterov momentum) and RAdam (rectified)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..state import default_dtype
from .optimizer import Optimizer


def _adam_moments(optimizer: Optimizer, p: np.ndarray, grad: np.ndarray, group: dict, state: dict,
                  second: str = "exp_avg_sq") -> np.ndarray:
    """Shared start of the three: state, maximize, weight decay (L2, or decoupled where the group says so)
    and the first moment m ← m + (1 − β₁)(g − m). Returns the gradient used."""
    if "exp_avg" not in state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p)
        state[second] = np.zeros_like(p)
    state["step"] += 1
    if group["maximize"]:
        grad = -grad
    wd = group["weight_decay"]
    if wd != 0:
        if group.get("decoupled_weight_decay"):
            p *= 1 - group["lr"] * wd
        else:
            grad = grad + wd * p
    work = optimizer._scratch(state, p)
    np.subtract(grad, state["exp_avg"], out=work)
    work *= 1 - group["betas"][0]
    state["exp_avg"] += work
    return grad


def _second_moment(state: dict, grad: np.ndarray, beta2: float, work: np.ndarray) -> np.ndarray:
    """v ← β₂v + (1 − β₂)g²."""
    v = state["exp_avg_sq"]
    v *= beta2
    np.multiply(grad, 1 - beta2, out=work)
    work *= grad
    v += work
    return v


class Adamax(Optimizer):
    """torch.optim.Adamax: u ← max(β₂u, |g| + eps);  p ← p − lr/(1−β₁ᵗ) · m / u."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        grad = _adam_moments(self, p, grad, group, state, "exp_inf")
        beta1, beta2 = group["betas"]
        u, work = state["exp_inf"], self._scratch(state, p)
        u *= beta2
        np.abs(grad, out=work)
        work += group["eps"]
        np.maximum(u, work, out=u)
        clr = group["lr"] / (1 - beta1 ** state["step"])
        np.multiply(state["exp_avg"], -clr, out=work)
        work /= u
        p += work


class NAdam(Optimizer):
    """torch.optim.NAdam: momentum with a schedule μₜ = β₁(1 − ½·0.96^(t·ψ)), applied Nesterov-style:

    p ← p − lr(1−μₜ)/(1−Πμ) · g/d − lr·μₜ₊₁/(1−Πμ·μₜ₊₁) · m/d,   d = √(v/(1−β₂ᵗ)) + eps
    (the running product Πμ is kept in float32, as torch keeps it, unless the default dtype is float64).
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        if momentum_decay < 0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        if "mu_product" not in state:
            state["mu_product"] = np.ones((), np.float64 if default_dtype() == np.float64 else np.float32)
        grad = _adam_moments(self, p, grad, group, state)
        lr, (beta1, beta2), eps, psi = group["lr"], group["betas"], group["eps"], group["momentum_decay"]
        t = state["step"]
        work = self._scratch(state, p)
        v = _second_moment(state, grad, beta2, work)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state["mu_product"] = np.asarray(state["mu_product"] * state["mu_product"].dtype.type(mu))
        mu_product = float(mu_product)
        denom = v / (1 - beta2 ** t)
        np.sqrt(denom, out=denom)
        denom += eps
        np.multiply(grad, -lr * (1.0 - mu) / (1.0 - mu_product), out=work)
        work /= denom
        p += work
        np.multiply(state["exp_avg"], (-lr * mu_next) / (1.0 - mu_product * mu_next), out=work)
        work /= denom
        p += work


class RAdam(Optimizer):
    """torch.optim.RAdam: Adam whose adaptive step is switched on, and rectified, once the variance of
    its estimate is tractable (ρₜ > 5); before that a plain momentum step p ← p − lr · m/(1−β₁ᵗ)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable, differentiable=differentiable))

    def _update(self, p: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        grad = _adam_moments(self, p, grad, group, state)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = state["step"]
        work = self._scratch(state, p)
        v = _second_moment(state, grad, beta2, work)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step = state["exp_avg"] / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
        step *= lr
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            np.sqrt(v, out=work)
            work += eps
            np.divide(bias_correction2 ** 0.5, work, out=work)
            step *= work
            step *= rect
        p -= step
