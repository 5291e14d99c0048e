"""`Tensor`: a numpy array that remembers how it was made, and `backward()` that walks it back.

The whole idea in one place:

* every op is a small `Function` (see ``function.py`` and ``ops/``) whose forward computes with
  numpy and whose backward maps the output's gradient to its inputs' gradients;
* an op applied to tensors that require grad records itself as the output's ``grad_fn``, with
  its inputs as parents;
* ``loss.backward()`` sorts that graph topologically (with an explicit stack, so deep graphs
  cannot hit Python's recursion limit), walks it once in reverse, and sums every gradient that
  reaches a node before passing it on. Leaf tensors keep theirs in ``.grad``.

>>> import tinygrad_mlp as tg
>>> a = tg.tensor(-4.0, requires_grad=True)
>>> b = tg.tensor(2.0, requires_grad=True)
>>> c = a * b + b ** 3
>>> c.backward()
>>> a.grad.item(), b.grad.item()
(2.0, 8.0)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import rng

# --- dtypes and defaults --------------------------------------------------------------------

_default_dtype = [np.dtype(np.float32)]


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype new tensors get from Python numbers (float32 unless changed).

    >>> import numpy as np, tinygrad_mlp as tg
    >>> tg.set_default_dtype(np.float64); tg.tensor(1.0).dtype
    dtype('float64')
    >>> tg.set_default_dtype(np.float32)
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dt}")
    _default_dtype[0] = dt


def get_default_dtype() -> np.dtype:
    return _default_dtype[0]


# --- grad mode, thread-local ------------------------------------------------------------------


class _Mode(threading.local):
    grad_enabled = True
    anomaly = False


_mode = _Mode()
_anomaly_threads = [0]  # how many threads are in detect_anomaly: apply skips the check when 0

# A clock for in-place edits: every in-place change stamps the tensor with a new tick, every
# recorded op remembers the tick at its forward; backward compares the two.
_clock = [0]


def _tick() -> int:
    _clock[0] += 1
    return _clock[0]


class _GradMode:
    """Context manager and decorator that sets whether ops are recorded."""

    enabled: bool

    def __enter__(self) -> None:
        self._prev = _mode.grad_enabled
        _mode.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _mode.grad_enabled = self._prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Record nothing inside: for evaluation and for updating weights.

    >>> import tinygrad_mlp as tg
    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Record ops again, even inside ``no_grad``."""

    enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """``with tg.set_grad_enabled(False): ...`` — grad mode from a flag."""

    def __init__(self, mode: bool) -> None:
        self.enabled = bool(mode)
        self._prev = _mode.grad_enabled
        _mode.grad_enabled = self.enabled

    def __enter__(self) -> None:
        pass


def is_grad_enabled() -> bool:
    return _mode.grad_enabled


class detect_anomaly:  # noqa: N801
    """Raise at the first op whose forward output or backward gradient holds NaN or inf.

    The error names the op and shows where in your code it was created.

    >>> import tinygrad_mlp as tg
    >>> with tg.detect_anomaly():
    ...     tg.tensor(-1.0).log()
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: LogBackward produced nan in its forward output ...
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self._prev = _mode.anomaly
        _mode.anomaly = self.enabled
        _anomaly_threads[0] += 1
        self._np = np.seterr(invalid="ignore", divide="ignore", over="ignore")

    def __exit__(self, *exc: object) -> None:
        _mode.anomaly = self._prev
        _anomaly_threads[0] -= 1
        np.seterr(**self._np)


def is_anomaly_enabled() -> bool:
    return _mode.anomaly


# --- conversion helpers ------------------------------------------------------------------------


def _to_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """numpy array from Python data / arrays / tensors; Python floats get the default dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        arr = data.astype(dtype, copy=copy) if dtype is not None else (data.copy() if copy else data)
        return arr
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x._data if isinstance(x, Tensor) else x for x in data]
    arr = np.array(data)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype.kind == "f":
        return arr.astype(_default_dtype[0], copy=False)
    if arr.dtype.kind == "i":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind not in "bucf":
        raise TypeError(f"tensor: cannot make a tensor from data of numpy dtype {arr.dtype}")
    return arr


def _check_can_require_grad(dtype: np.dtype, requires_grad: bool) -> None:
    if requires_grad and dtype.kind not in "fc":
        raise RuntimeError(
            f"only Tensors of floating point dtype can require gradients (this one is {dtype})"
        )


def _dims(dim: Any, ndim: int, op: str) -> tuple | None:
    """Normalise ``dim`` (int, tuple, negative, None) to a tuple of axes, or None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{op}: dimension {d} is out of range for a tensor with {ndim} dimension(s)"
            )
        out.append(int(d) % max(ndim, 1))
    return tuple(out)


def _shape_arg(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if all(type(s) is int for s in size):
        return size
    return tuple(int(s) for s in size)


def _index_arg(index: Any) -> Any:
    """Turn tensors and lists inside an index into numpy arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray([i._data if isinstance(i, Tensor) else i for i in index])
    if isinstance(index, tuple):
        return tuple(_index_arg(i) for i in index)
    return index


# --- Tensor --------------------------------------------------------------------------------------


class Tensor:
    """An n-dimensional array that can record the ops applied to it and differentiate them.

    >>> import tinygrad_mlp as tg
    >>> x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("_data", "_ctx", "_requires_grad", "_grad", "_version", "_retains_grad", "__weakref__")
    __array_ufunc__ = None  # numpy defers `ndarray (op) Tensor` to our reflected operators
    __hash__ = object.__hash__  # == is elementwise, identity is the hash (as in torch)

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        arr = _to_array(data, dtype)
        _check_can_require_grad(arr.dtype, requires_grad)
        self._data = arr
        self._ctx = None
        self._requires_grad = bool(requires_grad)
        self._grad = None
        self._version = 0
        self._retains_grad = False

    @staticmethod
    def _wrap(data: np.ndarray, ctx: Any = None) -> Tensor:
        """Fast path for ops: wrap an array without checks or copies."""
        t = object.__new__(Tensor)
        t._data = data
        t._ctx = ctx
        t._requires_grad = ctx is not None
        t._grad = None
        t._version = 0
        t._retains_grad = False
        return t

    # --- basic properties -----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> tuple | int:
        """The shape, or the length of one dimension (``x.size(0)``)."""
        if dim is None:
            return self._data.shape
        return self._data.shape[_dims(dim, self.ndim, "size")[0]]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied)."""
        return self._data

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python scalar, "
                f"this one has shape {self.shape}"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})"
            )
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
            body = np.array2string(
                a, separator=", ", prefix="tensor(", precision=4, floatmode="fixed", max_line_width=80
            )
        extras = []
        if a.dtype not in (_default_dtype[0], np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={a.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # --- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place (leaves only); returns self."""
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() instead"
            )
        _check_can_require_grad(self._data.dtype, requires_grad)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                    f"{tuple(self.shape)}"
                )
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        return self._ctx

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        self._retains_grad = True

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph."""
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """The same data as a tensor outside the graph (as ``torch.Tensor.data``)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._version = _tick()

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    # --- backward -------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool = False, trace: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is needed when self is not a scalar; ``retain_graph=True`` keeps the graph's
        saved arrays for another backward; ``trace=True`` prints each step of the chain rule.
        """
        _backward(self, gradient, retain_graph, trace)

    # --- dtype conversion -----------------------------------------------------------------
    def astype(self, dtype: Any) -> Tensor:
        dt = np.dtype(dtype)
        if dt == self._data.dtype:
            return self
        return ops.Cast.apply(self, dtype=dt)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``x.to(dtype)``, ``x.to('cpu')``, ``x.to(other)``; devices other than cpu are refused."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) or type(a).__name__ == "device":
                device = a
            else:
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"to: tinygrad_mlp runs on the CPU only, device {device!r} is not available")
        return self if dtype is None else self.astype(dtype)

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else self.astype(dtype)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self

    # --- in-place ops (never recorded) ---------------------------------------------------
    def _inplace(self, op: str) -> np.ndarray:
        if self._requires_grad and _mode.grad_enabled:
            kind = "a leaf Variable that requires grad" if self._ctx is None else "a tensor in the graph"
            raise RuntimeError(
                f"{op}: {kind} is being used in an in-place operation; wrap it in tg.no_grad()"
            )
        self._version = _tick()
        return self._data

    def _bump_version(self) -> None:
        """Mark the data as changed in place (optimizers call this after updating a parameter)."""
        self._version = _tick()

    def zero_(self) -> Tensor:
        self._inplace("zero_").fill(0)
        return self

    def fill_(self, value: Any) -> Tensor:
        self._inplace("fill_").fill(value)
        return self

    def copy_(self, src: Any) -> Tensor:
        arr = _to_array(src)
        dst = self._inplace("copy_")
        try:
            np.copyto(dst, np.broadcast_to(arr, dst.shape), casting="unsafe")
        except ValueError:
            raise ValueError(
                f"copy_: source of shape {arr.shape} cannot be copied into a tensor of shape {dst.shape}"
            ) from None
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        dst = self._inplace("add_")
        o = other._data if isinstance(other, Tensor) else other
        if alpha != 1:
            o = o * alpha
        np.add(dst, o, out=dst, casting="unsafe")
        return self

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        o = other._data if isinstance(other, Tensor) else other
        return self.add_(o, alpha=-alpha)

    def mul_(self, other: Any) -> Tensor:
        dst = self._inplace("mul_")
        np.multiply(dst, other._data if isinstance(other, Tensor) else other, out=dst, casting="unsafe")
        return self

    def div_(self, other: Any) -> Tensor:
        dst = self._inplace("div_")
        np.divide(dst, other._data if isinstance(other, Tensor) else other, out=dst, casting="unsafe")
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        dst = self._inplace("clamp_")
        np.clip(dst, min, max, out=dst)
        return self

    clip_ = clamp_

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
        dst = self._inplace("uniform_")
        dst[...] = rng.get_rng(generator).uniform(a, b, size=dst.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
        dst = self._inplace("normal_")
        dst[...] = rng.get_rng(generator).normal(mean, std, size=dst.shape)
        return self

    # `x -= lr * g` etc.: in place (same tensor, still a leaf) where torch would be, e.g. under
    # no_grad; for a tensor in the graph it stays out of place, so gradients remain correct.
    def _augmented(self, other: Any, ufunc: Any, fallback: Any) -> Tensor:
        if self._requires_grad and _mode.grad_enabled:
            if self._ctx is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation; "
                                   "update it inside tg.no_grad()")
            return fallback(self, other)
        dst = self._data
        ufunc(dst, other._data if isinstance(other, Tensor) else other, out=dst, casting="unsafe")
        self._version = _tick()
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._augmented(other, np.add, Tensor.__add__)

    def __isub__(self, other: Any) -> Tensor:
        return self._augmented(other, np.subtract, Tensor.__sub__)

    def __imul__(self, other: Any) -> Tensor:
        return self._augmented(other, np.multiply, Tensor.__mul__)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._augmented(other, np.divide, Tensor.__truediv__)

    def __setitem__(self, index: Any, value: Any) -> None:
        dst = self._inplace("__setitem__")
        dst[_index_arg(index)] = value._data if isinstance(value, Tensor) else value

    # --- arithmetic (each a recorded op) -------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.Pow.apply(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.Pow.apply(base, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.Abs.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return Tensor._wrap(_to_array(other)).matmul(self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__
    abs = __abs__
    multiply = __mul__
    divide = __truediv__
    subtract = __sub__

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def square(self) -> Tensor:
        return ops.Mul.apply(self, self)

    def reciprocal(self) -> Tensor:
        return ops.Div.apply(1.0, self)

    def sign(self) -> Tensor:
        """Sign of each element; its gradient is zero everywhere (as torch's)."""
        return ops.Sign.apply(self)

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(self, other)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return ops.Clamp.apply(self, lo=min, hi=max)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """``x.where(cond, y)``: x where cond is true, else y (torch's method form)."""
        return where(condition, self, other)

    # comparisons give bool tensors and are never differentiated
    def _compare(self, other: Any, fn: Any) -> Tensor:
        return Tensor._wrap(fn(self._data, other._data if isinstance(other, Tensor) else other))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_and if self.dtype.kind == "b" else np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_or if self.dtype.kind == "b" else np.bitwise_or)

    def __invert__(self) -> Tensor:
        return Tensor._wrap(~self._data)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def isnan(self) -> Tensor:
        return Tensor._wrap(np.isnan(self._data))

    def isfinite(self) -> Tensor:
        return Tensor._wrap(np.isfinite(self._data))

    def equal(self, other: Tensor) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        return bool(np.allclose(self._data, _to_array(other), rtol=rtol, atol=atol))

    # --- reductions -----------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        return ops.Sum.apply(self, dims=_dims(dim, self.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        if self._data.size == 0:
            raise RuntimeError(f"mean: cannot take the mean of an empty tensor of shape {self.shape}")
        return ops.Mean.apply(self, dims=_dims(dim, self.ndim, "mean"), keepdim=keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        """Largest value over ``dim``; tied maxima share the gradient equally."""
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        return ops.Max.apply(self, dims=_dims(dim, self.ndim, "amax"), keepdim=keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        return ops.Min.apply(self, dims=_dims(dim, self.ndim, "amin"), keepdim=keepdim)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """``x.max()`` is the largest value (ties share the gradient); ``x.max(dim)`` gives
        ``(values, indices)`` like torch, the gradient going to the index picked."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        if dim is None or axis is not None:
            return self.amax(dim, keepdim)
        return self._select_reduce(dim, keepdim, np.argmax)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Any:
        """As ``max``, for the smallest value."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        if dim is None or axis is not None:
            return self.amin(dim, keepdim)
        return self._select_reduce(dim, keepdim, np.argmin)

    def _select_reduce(self, dim: int, keepdim: bool, argfn: Any) -> Any:
        d = _dims(dim, self.ndim, "max")[0]
        idx = np.expand_dims(argfn(self._data, axis=d), d)
        values = ops.TakeAlongDim.apply(self, indices=idx, dim=d)
        if not keepdim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return MinMaxResult(values, Tensor._wrap(idx))

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn: Any, dim: Any, keepdim: bool) -> Tensor:
        if dim is None:
            return Tensor._wrap(np.asarray(fn(self._data)))
        d = _dims(dim, self.ndim, fn.__name__)[0]
        return Tensor._wrap(np.asarray(fn(self._data, axis=d, keepdims=keepdim)))

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None,
            axis: Any = None, keepdims: Any = None) -> Tensor:
        """Variance with Bessel's correction by default (``correction=1``, as torch)."""
        if isinstance(dim, bool):  # torch's legacy var(unbiased)
            dim, unbiased = None, dim
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        return ops.Var.apply(self, dims=_dims(dim, self.ndim, "var"), keepdim=keepdim, correction=correction)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None,
            axis: Any = None, keepdims: Any = None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def logsumexp(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        return ops.LogSumExp.apply(self, dims=_dims(dim, self.ndim, "logsumexp"), keepdim=keepdim)

    def prod(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: Any = None) -> Tensor:
        dim, keepdim = _dim_kw(dim, axis, keepdim, keepdims)
        if dim is None:
            return ops.Prod.apply(self.reshape(-1), dim=0, keepdim=False).reshape(
                (1,) * self.ndim if keepdim else ()
            )
        return ops.Prod.apply(self, dim=_dims(dim, self.ndim, "prod")[0], keepdim=keepdim)

    def all(self) -> Tensor:
        return Tensor._wrap(np.asarray(self._data.all()))

    def any(self) -> Tensor:
        return Tensor._wrap(np.asarray(self._data.any()))

    # --- matrix products ------------------------------------------------------------------
    def matmul(self, other: Any) -> Tensor:
        other_t = other if isinstance(other, Tensor) else Tensor._wrap(_to_array(other))
        a, b = self._data, other_t._data
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise RuntimeError(
                f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied "
                f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})"
            )
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"matmul: expected both arguments to have the same dtype, got {a.dtype} and {b.dtype}"
            )
        return ops.MatMul.apply(self, other_t)

    def dot(self, other: Tensor) -> Tensor:
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: 1-D tensors expected, got shapes {self.shape} and {other.shape}")
        return self.matmul(other)

    mm = matmul

    # --- movement -------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        shape = _shape_arg(shape)
        try:
            new_shape = _resolve(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {shape} is invalid for input of shape {self.shape}") from None
        if new_shape == self.shape:
            return self
        return ops.Reshape.apply(self, shape=new_shape)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dims((start_dim, end_dim), self.ndim, "flatten")
        shape = self.shape[:s] + (-1,) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        dims = _dims(_shape_arg(dims), self.ndim, "permute")
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: {dims} is not a permutation of the {self.ndim} dimensions")
        if dims == tuple(range(self.ndim)):
            return self
        return ops.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        d0, d1 = _dims((dim0, dim1), self.ndim, "transpose")
        order = list(range(self.ndim))
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(*order)

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = _dims(dim, self.ndim, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        d = _dims(dim, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes: Any) -> Tensor:
        sizes = _shape_arg(sizes)
        extra = len(sizes) - self.ndim
        if extra < 0:
            raise RuntimeError(f"expand: cannot expand shape {self.shape} to {sizes} (fewer dimensions)")
        shape = tuple(self.shape[i - extra] if s == -1 else s for i, s in enumerate(sizes))
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"expand: cannot expand shape {self.shape} to {sizes}") from None
        if shape == self.shape:
            return self
        return ops.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=_index_arg(index))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        d = _dims(dim, self.ndim, "split")[0]
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split: split size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not sum to the length {n} of dim {d}")
        out, start = [], 0
        for s in sizes:
            index = (slice(None),) * d + (slice(start, start + s),)
            out.append(self[index])
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        n = self.shape[_dims(dim, self.ndim, "chunk")[0]]
        return self.split(max(1, -(-n // chunks)), dim)

    # --- activations (single stable ops; see ops/activation.py) ---------------------------
    def relu(self) -> Tensor:
        return ops.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def softmax(self, dim: int = -1) -> Tensor:
        return ops.Softmax.apply(self, dim=_dims(dim, self.ndim, "softmax")[0])

    def log_softmax(self, dim: int = -1) -> Tensor:
        return ops.LogSoftmax.apply(self, dim=_dims(dim, self.ndim, "log_softmax")[0])

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        return ops.ELU.apply(self, alpha=alpha)

    def selu(self) -> Tensor:
        return ops.SELU.apply(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return ops.Softplus.apply(self, beta=beta, threshold=threshold)

    def gelu(self, approximate: str = "none") -> Tensor:
        return ops.GELU.apply(self, approximate=approximate)

    def silu(self) -> Tensor:
        return ops.SiLU.apply(self)

    def heaviside(self, value: float = 0.0) -> Tensor:
        """Step function: 1 where x > 0, 0 where x < 0, ``value`` at 0. Zero gradient."""
        return ops.Heaviside.apply(self, value=value)


def _dim_kw(dim: Any, axis: Any, keepdim: bool, keepdims: Any) -> tuple:
    """Accept numpy's ``axis``/``keepdims`` spellings beside torch's ``dim``/``keepdim``."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def _resolve(old: tuple, new: tuple) -> tuple:
    """Resolve one -1 in a reshape target; ValueError if the sizes don't match."""
    size = math.prod(old)
    if -1 in new:
        rest = math.prod(n for n in new if n != -1)
        if new.count(-1) > 1 or rest <= 0 or size % rest or any(n < -1 for n in new):
            raise ValueError
        new = tuple(size // rest if n == -1 else n for n in new)
    if math.prod(new) != size or any(n < 0 for n in new):
        raise ValueError
    return new


class MinMaxResult(tuple):
    """``(values, indices)`` from ``max(dim)`` / ``min(dim)``, like torch's named tuple."""

    def __new__(cls, values: Tensor, indices: Tensor) -> MinMaxResult:
        return super().__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]


# --- the backward walk -----------------------------------------------------------------------


def _count_consumers(root_ctx: Any) -> tuple[list, list]:
    """Walk the graph from root (explicit stack, no recursion) counting, for every node, how many
    consumers will send it a gradient. Returns all nodes and those changed in place since forward."""
    token = object()
    root_ctx._walk, root_ctx._deps = token, 0
    stack, nodes, stale = [root_ctx], [root_ctx], []
    clock = _clock[0]
    while stack:
        ctx = stack.pop()
        if ctx.parents is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: the saved arrays of "
                f"{ctx.name()} were freed by the first backward. Call backward(retain_graph=True) "
                "the first time if you need to backward twice."
            )
        if ctx._stamp != clock:
            stale.append(ctx)
        for parent, needed in zip(ctx.parents, ctx.needs_input_grad):
            if needed:
                pctx = parent._ctx
                if pctx is None:
                    continue
                if pctx._walk is token:
                    pctx._deps += 1
                else:
                    pctx._walk, pctx._deps = token, 1
                    stack.append(pctx)
                    nodes.append(pctx)
    return nodes, stale


def _backward(root: Tensor, gradient: Any, retain_graph: bool, trace: Any) -> None:
    """The walk. ``trace``: True prints the chain rule step by step; a list collects the steps."""
    if not root._requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "backward() needs a tensor computed from a tensor with requires_grad=True"
        )
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape "
                f"{tuple(root.shape)}: pass backward(gradient=...) with a tensor of that shape"
            )
        g0 = np.array(1, dtype=root._data.dtype).reshape(root._data.shape)
    else:
        g0 = np.array(_to_array(gradient), dtype=root.dtype)  # a copy: we may keep it as a .grad
        if g0.shape != root.shape:
            raise RuntimeError(
                f"backward: gradient has shape {g0.shape} but the output has shape {tuple(root.shape)}"
            )
    if root._ctx is None:
        _accumulate_leaf(root, g0, set())
        return
    nodes, stale = _count_consumers(root._ctx)
    for ctx in stale:  # something changed in place since these ops ran
        ctx.check_versions()
    records = trace if isinstance(trace, list) else ([] if trace else None)
    given_to_leaves: set = set()
    anomaly = _mode.anomaly
    root_ctx = root._ctx
    root_ctx.grad_out = g0
    in_place = records is None  # a trace shows each upstream gradient: nothing may change them then
    root_ctx.owns_grad = in_place
    if root._retains_grad:
        root._grad = Tensor._wrap(g0.copy())
    ready = [root_ctx]
    try:
        while ready:
            ctx = ready.pop()
            grad = ctx.grad_out
            ctx.grad_out = None
            input_grads = type(ctx).backward(ctx, grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if records is not None:
                records.append((ctx.name(), grad, input_grads, ctx.parents))
            for parent, g, needed in zip(ctx.parents, input_grads, ctx.needs_input_grad):
                if not needed:
                    continue
                pctx = parent._ctx
                if g is not None:
                    if type(g) is not np.ndarray:
                        g = np.asarray(g)
                    pdata = parent._data
                    if g.shape != pdata.shape:
                        raise RuntimeError(f"{ctx.name()} returned a gradient of shape {g.shape} for an input "
                                           f"of shape {pdata.shape}")
                    if g.dtype is not pdata.dtype and g.dtype != pdata.dtype:  # (`is` first: the cheap common case)
                        g = g.astype(pdata.dtype)
                    if anomaly:
                        from .function import _check_finite

                        _check_finite(ctx, g, "backward gradient")
                    if pctx is None:  # a leaf: keep the gradient (inlined _accumulate_leaf, the hot case)
                        if parent._grad is None and g.base is None and id(g) not in given_to_leaves:
                            given_to_leaves.add(id(g))
                            parent._grad = Tensor._wrap(g)
                        else:
                            _accumulate_leaf(parent, g, given_to_leaves)
                        continue
                    prev = pctx.grad_out
                    if prev is None:
                        pctx.grad_out = g
                        # the parent may reuse g in place only if nothing else can see it
                        pctx.owns_grad = in_place and (ctx.owns_grad if g is grad else (
                            ctx.fresh_grads and g.base is None)) and (
                            len(input_grads) == 1 or _handed_once(g, input_grads))
                    elif pctx.owns_grad:
                        np.add(prev, g, out=prev)
                    else:
                        total = prev + g
                        pctx.grad_out = total if type(total) is np.ndarray else np.asarray(total)  # (0-d sums)
                        pctx.owns_grad = in_place
                elif pctx is None:
                    continue
                pctx._deps -= 1
                if pctx._deps == 0:  # every consumer has sent its gradient: this node is ready
                    if pctx.grad_out is not None:
                        if parent._retains_grad:
                            parent._grad = Tensor._wrap(pctx.grad_out.copy())
                        ready.append(pctx)
                    elif not retain_graph:
                        pctx.free()
            if not retain_graph:
                ctx.parents = None
                ctx.saved_tensors = None
                ctx.inputs = ()
    except BaseException:
        for ctx in nodes:  # after an error, leave no half-summed gradients behind
            ctx.grad_out = None
        raise
    if trace is True:
        from .utils.trace import build_records, print_trace

        print_trace(build_records(records))


def _handed_once(g: np.ndarray, input_grads: tuple) -> bool:
    """True if ``g`` is passed to one input only (an op may return the same array for several)."""
    count = 0
    for x in input_grads:  # (a plain loop: cheaper than sum() over a generator for these short tuples)
        if x is g:
            count += 1
    return count == 1


def _accumulate_leaf(leaf: Tensor, g: np.ndarray, given: set) -> None:
    """Add g into leaf.grad. A gradient array is stored only if nothing else can hold it."""
    if not leaf._requires_grad:
        return
    grad = leaf._grad
    if grad is None:
        if g.base is not None or not g.flags.writeable or id(g) in given:
            g = g.copy(order="K")  # (keeping a column-major weight's layout)
        given.add(id(g))
        leaf._grad = Tensor._wrap(g)
    elif grad._data.flags.writeable:
        np.add(grad._data, g, out=grad._data)
    else:
        grad._data = grad._data + g


# --- factories ---------------------------------------------------------------------------------


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data``. Python floats become the default dtype (float32).

    >>> import tinygrad_mlp as tg
    >>> tg.tensor([[1, 2], [3, 4]]).dtype, tg.tensor(1.5).dtype
    (dtype('int64'), dtype('float32'))
    """
    arr = _to_array(data, dtype, copy=True)
    if isinstance(data, Tensor):
        arr = np.array(arr, copy=True)
    t = Tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _factory(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else _default_dtype[0]


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _factory(np.zeros(_shape_arg(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _factory(np.ones(_shape_arg(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _factory(np.empty(_shape_arg(size), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    if dtype is None:
        dtype = _to_array(fill_value).dtype
    return _factory(np.full(_shape_arg((size,)), fill_value, dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(t.shape, dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.full(t.shape, fill_value, dtype or t.dtype), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.empty(t.shape, dtype or t.dtype), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None,
         device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the package generator."""
    dt = _float_dtype(dtype)
    arr = rng.get_rng(generator).random(_shape_arg(size), dtype=np.float64).astype(dt)
    return _factory(arr, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None,
          device: Any = None) -> Tensor:
    """Standard normal samples from the package generator."""
    dt = _float_dtype(dtype)
    arr = rng.get_rng(generator).standard_normal(_shape_arg(size)).astype(dt)
    return _factory(arr, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None, generator: Any = None,
            device: Any = None) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(10, (3,))")
    arr = rng.get_rng(generator).integers(low, high, size=_shape_arg((size,)))
    return Tensor(arr.astype(dtype or np.int64))


def randperm(n: int, dtype: Any = None, generator: Any = None, device: Any = None) -> Tensor:
    return Tensor(rng.get_rng(generator).permutation(n).astype(dtype or np.int64))


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False,
           device: Any = None) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else _default_dtype[0]
    return _factory(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    return _factory(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    return _factory(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# --- functions on several tensors -------------------------------------------------------------


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(_to_array(x))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    ts = [_as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors")
    d = _dims(dim, ts[0].ndim, "cat")[0]
    for i, t in enumerate(ts):
        if t.ndim != ts[0].ndim or t.shape[:d] + t.shape[d + 1:] != ts[0].shape[:d] + ts[0].shape[d + 1:]:
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {d}: tensor 0 has shape "
                f"{ts[0].shape}, tensor {i} has shape {t.shape}"
            )
    return ops.Cat.apply(*ts, dim=d)


concatenate = concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    ts = [_as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {ts[0].shape} at entry 0 "
                f"and {t.shape} at entry {i}"
            )
    d = _dims(dim, ts[0].ndim + 1, "stack")[0]
    return cat([t.unsqueeze(d) for t in ts], d)


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    return ops.Where.apply(input, other, cond=cond.astype(bool, copy=False))


# --- late import: ops need Tensor defined -----------------------------------------------------
from . import ops  # noqa: E402
