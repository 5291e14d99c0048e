"""The torch / numpy spellings of `Tensor` that are not ops: sizes, conversions, Python protocols,
comparisons (never differentiated) and in-place methods (never recorded). `Tensor` inherits them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import rng
from .args import array_of, dims, index_arg, to_array
from .ops import Cast, Clone
from .state import get_default_dtype, mode, modify_in_place


class TensorAPI:
    """Methods of `Tensor` around the ops (see tensor.py for the data, the graph and the walk)."""

    __slots__ = ()

    # --- sizes and Python protocols ------------------------------------------------------------
    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> tuple | int:
        """The shape, or the length of one dimension (``x.size(0)``)."""
        if dim is None:
            return self._data.shape
        return self._data.shape[dims(dim, self.ndim, "size")[0]]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        a = self._data
        if a.dtype.kind == "f" and a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            body = np.array2string(a, separator=", ", prefix="tensor(", max_line_width=80)
        else:
            body = np.array2string(a, separator=", ", prefix="tensor(", precision=4, floatmode="fixed",
                                   max_line_width=80)
        extras = []
        if a.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={a.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    @property
    def T(self) -> Any:  # noqa: N802
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Any:  # noqa: N802
        return self.transpose(-2, -1)

    # --- dtype conversion (a recorded cast) -----------------------------------------------------
    def astype(self, dtype: Any) -> Any:
        dt = np.dtype(dtype)
        if dt == self._data.dtype:
            return self
        return Cast.apply(self, dtype=dt)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """``x.to(dtype)``, ``x.to('cpu')``, ``x.to(other)``; devices other than cpu are refused."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        for a in args:
            if isinstance(a, TensorAPI):
                dtype = a.dtype
            elif isinstance(a, str) or type(a).__name__ == "device":
                device = a
            else:
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"to: tinygrad_mlp runs on the CPU only, device {device!r} is not available")
        return self if dtype is None else self.astype(dtype)

    def cpu(self) -> Any:
        return self

    def contiguous(self) -> Any:
        return self

    def float(self) -> Any:
        return self.astype(np.float32)

    def double(self) -> Any:
        return self.astype(np.float64)

    def half(self) -> Any:
        return self.astype(np.float16)

    def long(self) -> Any:
        return self.astype(np.int64)

    def int(self) -> Any:
        return self.astype(np.int32)

    def bool(self) -> Any:
        return self.astype(np.bool_)

    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else self.astype(dtype)

    def clone(self) -> Any:
        """A copy of the data that stays in the graph."""
        return Clone.apply(self)

    # --- comparisons: bool tensors, never differentiated ------------------------------------------
    def _compare(self, other: Any, fn: Any) -> Any:
        return self._wrap(fn(self._data, array_of(other)))

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __and__(self, other: Any) -> Any:
        return self._compare(other, np.logical_and if self.dtype.kind == "b" else np.bitwise_and)

    def __or__(self, other: Any) -> Any:
        return self._compare(other, np.logical_or if self.dtype.kind == "b" else np.bitwise_or)

    def __invert__(self) -> Any:
        return self._wrap(~self._data)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def isnan(self) -> Any:
        return self._wrap(np.isnan(self._data))

    def isfinite(self) -> Any:
        return self._wrap(np.isfinite(self._data))

    def equal(self, other: Any) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        return bool(np.allclose(self._data, to_array(other), rtol=rtol, atol=atol))

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn: Any, dim: Any, keepdim: bool) -> Any:
        if dim is None:
            return self._wrap(np.asarray(fn(self._data)))
        d = dims(dim, self.ndim, fn.__name__)[0]
        return self._wrap(np.asarray(fn(self._data, axis=d, keepdims=keepdim)))

    def all(self) -> Any:
        return self._wrap(np.asarray(self._data.all()))

    def any(self) -> Any:
        return self._wrap(np.asarray(self._data.any()))

    # --- in-place methods: never recorded; refused where they would corrupt a gradient ----------
    def _inplace(self, op: str) -> np.ndarray:
        if self._requires_grad and mode.grad_enabled:
            kind = "a leaf Variable that requires grad" if self._ctx is None else "a tensor in the graph"
            raise RuntimeError(f"{op}: {kind} is being used in an in-place operation; wrap it in tg.no_grad()")
        return modify_in_place(self)[0]

    def zero_(self) -> Any:
        self._inplace("zero_").fill(0)
        return self

    def fill_(self, value: Any) -> Any:
        self._inplace("fill_").fill(value)
        return self

    def copy_(self, src: Any) -> Any:
        arr = to_array(src)
        dst = self._inplace("copy_")
        try:
            np.copyto(dst, np.broadcast_to(arr, dst.shape), casting="unsafe")
        except ValueError:
            raise ValueError(f"copy_: source of shape {arr.shape} cannot be copied into a tensor of shape "
                             f"{dst.shape}") from None
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Any:
        dst = self._inplace("add_")
        o = array_of(other)
        np.add(dst, o * alpha if alpha != 1 else o, out=dst, casting="unsafe")
        return self

    def sub_(self, other: Any, alpha: Any = 1) -> Any:
        return self.add_(array_of(other), alpha=-alpha)

    def mul_(self, other: Any) -> Any:
        dst = self._inplace("mul_")
        np.multiply(dst, array_of(other), out=dst, casting="unsafe")
        return self

    def div_(self, other: Any) -> Any:
        dst = self._inplace("div_")
        np.divide(dst, array_of(other), out=dst, casting="unsafe")
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        dst = self._inplace("clamp_")
        np.clip(dst, min, max, out=dst)
        return self

    clip_ = clamp_

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        dst = self._inplace("uniform_")
        dst[...] = rng.uniform(a, b, dst.shape, dst.dtype, generator)  # torch's stream (drawn in C order)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        dst = self._inplace("normal_")
        dst[...] = rng.normal(mean, std, dst.shape, dst.dtype, generator)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        dst = self._inplace("__setitem__")
        dst[index_arg(index)] = array_of(value)

    # `x -= lr * g` etc.: in place (same tensor, still a leaf) where torch would be, e.g. under
    # no_grad; for a tensor in the graph it stays out of place, so gradients remain correct.
    def _augmented(self, other: Any, ufunc: Any, out_of_place: str) -> Any:
        if self._requires_grad and mode.grad_enabled:
            if self._ctx is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation; "
                                   "update it inside tg.no_grad()")
            return getattr(self, out_of_place)(other)
        (dst,) = modify_in_place(self)
        ufunc(dst, array_of(other), out=dst, casting="unsafe")
        return self

    def __iadd__(self, other: Any) -> Any:
        return self._augmented(other, np.add, "__add__")

    def __isub__(self, other: Any) -> Any:
        return self._augmented(other, np.subtract, "__sub__")

    def __imul__(self, other: Any) -> Any:
        return self._augmented(other, np.multiply, "__mul__")

    def __itruediv__(self, other: Any) -> Any:
        return self._augmented(other, np.divide, "__truediv__")
