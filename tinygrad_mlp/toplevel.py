"""torch-style free functions that are not ops (the ops' ``tg.exp(x)``, ``tg.max(x, 1)``, ... come from
the registry): each calls the Tensor method."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import dtypes
from .args import Size, as_tensor
from .dtypes import to_numpy
from .state import default_dtype
from .tensor import Tensor

_METHODS = ("addcdiv", "addcmul", "argwhere", "broadcast_to", "clamp_max", "clamp_min", "is_complex",
            "is_floating_point", "masked_select", "moveaxis", "movedim", "nan_to_num", "narrow", "nonzero", "select",
            "swapaxes", "swapdims", "take_along_dim", "unbind")  # tg.name(x, ...) is x.name(...)
__all__ = ["allclose", "are_deterministic_algorithms_enabled", "argmax", "argmin", "broadcast_shapes", "equal", "finfo",
           "get_num_threads", "iinfo", "is_tensor", "isfinite", "isnan", "numel", "set_num_threads",
           "use_deterministic_algorithms", *_METHODS]


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


def _method_function(name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        return getattr(as_tensor(input), name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``tg.{name}(x, ...)`` is ``x.{name}(...)``."
    return function


globals().update({_name: _method_function(_name) for _name in _METHODS})


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape the given shapes broadcast to (torch's error when they do not)."""
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}") from None


class finfo:  # noqa: N801 - torch's name
    """Limits of a float dtype, as torch's ``finfo`` (``tg.finfo(tg.float32).eps``; default: the default dtype)."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002
        dt = default_dtype() if type is None else to_numpy(type)
        if dt.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{dtypes.of(dt)}'")
        info = np.finfo(dt)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision  # (a Python float, as torch's)
        self.dtype = dt.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - torch's name
    """Limits of an integer dtype, as torch's ``iinfo``."""

    def __init__(self, type: Any) -> None:  # noqa: A002
        dt = to_numpy(type)
        if dt.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            f"'{dtypes.of(dt)}'")
        info = np.iinfo(np.uint8 if dt.kind == "b" else dt)
        self.bits, self.max, self.min, self.dtype = info.bits, int(info.max), int(info.min), dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


_THREADS: list = []  # set_num_threads' value, when threadpoolctl is not there to apply it
_DETERMINISTIC = [False]


def set_num_threads(n: int) -> None:
    """The number of threads numpy's BLAS uses (through threadpoolctl, when installed), as torch's call sets
    its intra-op threads. Every op here is deterministic whatever the count."""
    if not isinstance(n, int) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _THREADS[:] = [n]
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The BLAS thread count (threadpoolctl's view when installed, else what set_num_threads was given, else
    the number of CPUs)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _THREADS[0] if _THREADS else (os.cpu_count() or 1)
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else (_THREADS[0] if _THREADS else (os.cpu_count() or 1))


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted for torch scripts' reproducibility boilerplate: every op here is already deterministic."""
    _DETERMINISTIC[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC[0]
