"""Factories: new tensors from data, constants, ranges and random draws (torch's names and arguments).

>>> import tinygrad_mlp as tg
>>> tg.zeros(2, 3).shape, tg.arange(4).tolist(), tg.tensor([1.5]).dtype
(tinygrad_mlp.Size([2, 3]), [0, 1, 2, 3], tinygrad_mlp.float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import rng
from .args import Size, array_of, check_device, shape_arg, to_array
from .dtypes import of as dtypes_of
from .dtypes import to_numpy
from .state import default_dtype
from .tensor import Tensor


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data``. Python floats become the default dtype (float32).

    >>> import tinygrad_mlp as tg
    >>> tg.tensor([[1, 2], [3, 4]]).dtype, tg.tensor(1.5).dtype
    (tinygrad_mlp.int64, tinygrad_mlp.float32)
    """
    check_device(device, "tensor")
    arr = to_array(data, dtype, copy=True)
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


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, copying only when needed (torch's rule): a tensor of that dtype is returned as
    is, a numpy array of that dtype is shared (as `from_numpy`), anything else is converted.

    >>> import numpy as np, tinygrad_mlp as tg
    >>> a = np.zeros(2, np.float32); t = tg.as_tensor(a); a[0] = 5; t.tolist()
    [5.0, 0.0]
    """
    check_device(device, "as_tensor")
    wanted = None if dtype is None else to_numpy(dtype)
    if isinstance(data, Tensor):
        return data if wanted is None or array_of(data).dtype == wanted else data.to(dtype)
    if isinstance(data, np.ndarray) and (wanted is None or data.dtype == wanted) and data.dtype.kind in "biuf":
        return Tensor(data)
    return tensor(data, dtype=dtype)


class _LegacyTensorType(type):
    """torch's old typed-tensor names (``tg.FloatTensor``, ``tg.LongTensor``, ...): calling one makes a tensor
    of its dtype from data, from sizes or a `Size` (zeros; torch leaves them uninitialised), or empty;
    ``isinstance(x, tg.FloatTensor)`` tests the dtype; ``x.type(tg.FloatTensor)`` converts."""

    legacy_dtype: np.dtype

    def __call__(cls, *args: Any) -> Tensor:
        if not args:
            return Tensor(np.zeros(0, cls.legacy_dtype))
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if all(isinstance(a, int | np.integer) and not isinstance(a, bool) for a in args):  # sizes
            return Tensor(np.zeros(tuple(int(a) for a in args), cls.legacy_dtype))
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}(): takes sizes (ints) or one sequence of data, got {len(args)} arguments")
        return tensor(args[0], dtype=dtypes_of(cls.legacy_dtype))

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and array_of(obj).dtype == cls.legacy_dtype

    def __repr__(cls) -> str:
        return f"<class 'tinygrad_mlp.{cls.__name__}'>"


def _legacy(name: str, np_dtype: Any) -> Any:
    return _LegacyTensorType(name, (), {"legacy_dtype": np.dtype(np_dtype), "__module__": __name__})


FloatTensor, DoubleTensor, HalfTensor = (_legacy(n, t) for n, t in (("FloatTensor", np.float32),
                                                                  ("DoubleTensor", np.float64),
                                                                  ("HalfTensor", np.float16)))
LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    _legacy(n, t) for n, t in (("LongTensor", np.int64), ("IntTensor", np.int32), ("ShortTensor", np.int16),
                               ("CharTensor", np.int8), ("ByteTensor", np.uint8), ("BoolTensor", np.bool_)))


def _factory(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: Any) -> np.dtype:
    return to_numpy(dtype) if dtype is not None else default_dtype()


def _like(dtype: Any, t: Tensor) -> np.dtype:
    """The numpy dtype of a ``*_like`` factory: ``dtype`` (tg's or numpy's), else ``t``'s."""
    return to_numpy(dtype) if dtype is not None else array_of(t).dtype


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device, "zeros")
    return _factory(np.zeros(shape_arg(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device, "ones")
    return _factory(np.ones(shape_arg(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device, "empty")
    return _factory(np.empty(shape_arg(size), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device, "full")
    if dtype is None:
        dtype = to_array(fill_value).dtype
    return _factory(np.full(shape_arg((size,)), fill_value, dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(t.shape, _like(dtype, t)), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(t.shape, _like(dtype, t)), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.full(t.shape, fill_value, _like(dtype, t)), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _factory(np.empty(t.shape, _like(dtype, t)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None,
         device: Any = None) -> Tensor:
    """Uniform samples in [0, 1): torch's stream for the same seed."""
    check_device(device, "rand")
    return _factory(rng.rand(shape_arg(size), _float_dtype(dtype), generator), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None,
          device: Any = None) -> Tensor:
    """Standard normal samples: torch's stream for the same seed."""
    check_device(device, "randn")
    return _factory(rng.randn(shape_arg(size), _float_dtype(dtype), generator), requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    return rand(*t.shape, dtype=_like(dtype, t), requires_grad=requires_grad, generator=generator)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    return randn(*t.shape, dtype=_like(dtype, t), requires_grad=requires_grad, generator=generator)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None, generator: Any = None,
            device: Any = None) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    check_device(device, "randint")
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(10, (3,))")
    return Tensor(rng.randint(low, high, shape_arg((size,)), dtype or np.int64, generator))


def randperm(n: int, dtype: Any = None, generator: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1: torch's stream for the same seed."""
    check_device(device, "randperm")
    return Tensor(rng.randperm(n, dtype or np.int64, generator))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Tensor:
    """Indices drawn from the rows of ``input`` (non-negative weights), as torch.multinomial."""
    return Tensor(rng.multinomial(input.detach().numpy(), num_samples, replacement, generator))


def bernoulli(input: Tensor, *, generator: Any = None) -> Tensor:
    """0/1 samples with the probabilities in ``input``."""
    return Tensor(rng.bernoulli(input.detach().numpy(), None, input.dtype, generator))


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False,
           device: Any = None) -> Tensor:
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else default_dtype()
    return _factory(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    check_device(device, "linspace")
    return _factory(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    check_device(device, "eye")
    return _factory(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)
