"""Gradient clipping and flattening parameters (torch.nn.utils)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..ops.movement import cat
from ..state import drop_grads, modify_in_place, no_grad
from ..tensor import Tensor


def _grads(parameters: Iterable[Tensor] | Tensor) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def zero_grads(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """What ``model.zero_grad()`` and ``optimizer.zero_grad()`` do: drop every ``.grad`` (or fill it with 0)."""
    if set_to_none:
        return drop_grads(parameters)
    for p in parameters:
        if p.grad is not None:
            p.grad.zero_()
    return None


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so their total norm is at most max_norm; returns the norm."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g.numpy()))) for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.numpy()) ** norm_type)) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({total}), so it cannot be clipped")
    coef = min(max_norm / (total + 1e-6), 1.0)
    for data in modify_in_place(*grads):
        data *= data.dtype.type(coef)
    return Tensor(np.asarray(total, dtype=grads[0].dtype.dtype))  # (.dtype.dtype: tg's dtype's numpy dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    for data in modify_in_place(*_grads(parameters)):
        np.clip(data, -clip_value, clip_value, out=data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one vector (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Write a flat vector back into the parameters (in place, not recorded)."""
    offset = 0
    data = vec.detach().numpy()
    params = list(parameters)
    if sum(p.numel() for p in params) != data.size:
        raise ValueError(f"vector_to_parameters: vector has {data.size} elements, parameters need "
                         f"{sum(p.numel() for p in params)}")
    for p, target in zip(params, modify_in_place(*params)):
        n = p.numel()
        target[...] = data[offset:offset + n].reshape(p.shape)
        offset += n
    if offset != data.size:
        raise ValueError(f"vector_to_parameters: vector has {data.size} elements, parameters need {offset}")


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for X (numpy), in eval mode without recording, in batches.

    >>> import tinygrad_mlp as tg
    >>> predict(tg.nn.Linear(3, 2), tg.zeros(5, 3)).shape
    (5, 2)
    """
    data = X.detach().numpy() if isinstance(X, Tensor) else np.asarray(X)
    if data.dtype.kind in "iub" or data.dtype == np.float64:
        data = data.astype(next(model.parameters()).dtype)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outs = [model(Tensor(data[i:i + batch_size])).detach().numpy() for i in range(0, len(data), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs) if outs else np.empty((0,))
