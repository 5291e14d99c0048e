"""Gradient clipping and flattening parameters (torch.nn.utils)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor, _tick


def _grads(parameters: Iterable[Tensor] | Tensor) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p._grad for p in params if p._grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their total norm is at most max_norm; returns the norm."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.asarray(0.0, dtype=np.float32))
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g._data))) for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g._data) ** norm_type)) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({total}), so it cannot be clipped")
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= g._data.dtype.type(coef)
        g._version = _tick()
    return Tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._version = _tick()


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one vector (differentiable)."""
    from ..tensor import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Write a flat vector back into the parameters (in place, not recorded)."""
    offset = 0
    data = vec._data
    for p in parameters:
        n = p.numel()
        p._data[...] = data[offset:offset + n].reshape(p.shape)
        p._version = _tick()
        offset += n
    if offset != data.size:
        raise ValueError(f"vector_to_parameters: vector has {data.size} elements, parameters need {offset}")
