"""torch-style free functions that are not ops (the ops' ``tg.exp(x)``, ``tg.max(x, 1)``, ... come from
the registry): each calls the Tensor method."""

from __future__ import annotations

from typing import Any

from .args import as_tensor
from .tensor import Tensor

__all__ = ["allclose", "argmax", "argmin", "equal", "is_tensor", "isfinite", "isnan", "numel"]


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Any) -> int:  # noqa: A002 - torch's name
    return as_tensor(input).numel()


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return as_tensor(input).argmax(dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return as_tensor(input).argmin(dim, keepdim)


def isnan(input: Any) -> Tensor:  # noqa: A002
    return as_tensor(input).isnan()


def isfinite(input: Any) -> Tensor:  # noqa: A002
    return as_tensor(input).isfinite()


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.equal(other)


def allclose(input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:  # noqa: A002
    return as_tensor(input).allclose(other, rtol, atol)
