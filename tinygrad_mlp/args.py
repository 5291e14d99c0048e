"""Argument handling shared by the ops' Tensor methods and the factories: Python data to arrays,
``dim`` / ``axis`` spellings, shapes and indices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .device import device
from .dtypes import to_numpy
from .function import Function
from .state import default_dtype


class Size(tuple):
    """A tensor's shape: a tuple that prints as torch's (``tinygrad_mlp.Size([2, 3])``) and knows its ``numel()``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"tinygrad_mlp.Size({list(self)})"  # (torch.Size([2, 3]) in torch, as dtypes print)

    def numel(self) -> int:
        return math.prod(self)


def to_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """numpy array from Python data / arrays / tensors; Python floats get the default dtype."""
    tensor_type = Function.tensor_type
    if isinstance(data, tensor_type):
        data = data._data
    if dtype is not None:
        dtype = to_numpy(dtype)  # (tg.float32 as numpy's np.float32: numpy takes either, this one faster)
    if isinstance(data, np.ndarray):
        return data.astype(dtype, copy=copy) if dtype is not None else (data.copy() if copy else data)
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, tensor_type) for x in data):
        data = [x._data if isinstance(x, tensor_type) else x for x in data]
    arr = np.array(data)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype.kind == "f":
        return arr.astype(default_dtype(), copy=False)
    if arr.dtype.kind == "i":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind not in "bucf":
        raise TypeError(f"tensor: cannot make a tensor from data of numpy dtype {arr.dtype}")
    return arr


def as_tensor(x: Any) -> Any:
    """``x`` itself if it is a Tensor, else a constant tensor of it."""
    tensor_type = Function.tensor_type
    return x if isinstance(x, tensor_type) else tensor_type._wrap(to_array(x))


def array_of(x: Any) -> Any:
    """The array inside a tensor; anything else as it is (a number, an array)."""
    return x._data if isinstance(x, Function.tensor_type) else x


def dims(dim: Any, ndim: int, op: str) -> tuple | None:
    """Normalise ``dim`` (int, tuple, negative, None) to a tuple of axes, or None for all."""
    if dim is None:
        return None
    given = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in given:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dimension {d} is out of range for a tensor with {ndim} dimension(s)")
        out.append(int(d) % max(ndim, 1))
    return tuple(out)


def dim_kw(dim: Any, axis: Any, keepdim: bool, keepdims: Any) -> tuple:
    """Accept numpy's ``axis``/``keepdims`` spellings beside torch's ``dim``/``keepdim``."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def shape_arg(size: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` alike: the shape as a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if all(type(s) is int for s in size):
        return size
    return tuple(int(s) for s in size)


def index_arg(index: Any) -> Any:
    """Turn tensors and lists inside an index into numpy arrays."""
    tensor_type = Function.tensor_type
    if isinstance(index, tensor_type):
        return index._data
    if isinstance(index, list):
        return np.asarray([i._data if isinstance(i, tensor_type) else i for i in index])
    if isinstance(index, tuple):
        return tuple(index_arg(i) for i in index)
    return index


class TwoStep(tuple):
    """An index that mixes integers with advanced (array) indices, as torch applies it: the integers
    (with the slices) first as a select, then the advanced part on the result. numpy would treat the
    integers as advanced indices too, and move the broadcast dimensions to the front."""


def _is_int(i: Any) -> bool:
    return (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))) or (
        isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu")


def _is_advanced(i: Any) -> bool:
    return isinstance(i, (np.ndarray, range)) and not _is_int(i)


def torch_index(index: Any) -> Any:
    """``index_arg``, and torch's order for an index that mixes integers and arrays (`TwoStep`)."""
    index = index_arg(index)
    if type(index) is not tuple or not any(_is_advanced(i) for i in index) or not any(_is_int(i) for i in index):
        return index
    first = tuple(slice(None) if _is_advanced(i) else i for i in index)
    second = tuple(i if _is_advanced(i) or i is Ellipsis else slice(None) for i in index if not _is_int(i))
    return TwoStep((first, second))


def take(a: np.ndarray, index: Any) -> np.ndarray:
    """``a[index]`` for an index from `torch_index` (a view where numpy gives one)."""
    return a[index[0]][index[1]] if type(index) is TwoStep else a[index]


def resolve_shape(old: tuple, new: tuple) -> tuple:
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


def check_can_require_grad(dtype: np.dtype, requires_grad: bool) -> None:
    if requires_grad and dtype.kind not in "fc":
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients (this one is {dtype})")


class DeviceUnavailable(RuntimeError, AssertionError):  # noqa: N818 - torch raises AssertionError here
    """A device other than the CPU: torch's AssertionError ("Torch not compiled with CUDA enabled") for cuda,
    and a RuntimeError too (what this package raised before)."""


def check_device(dev: Any, op: str) -> None:
    """Refuse any device but the CPU (a name is parsed and checked as torch's ``device``)."""
    if dev is None:
        return
    parsed = dev if isinstance(dev, device) else device(dev)
    if parsed.type == "cpu":
        return
    prefix = "Torch not compiled with CUDA enabled: " if parsed.type == "cuda" else ""
    raise DeviceUnavailable(f"{prefix}{op}: tinygrad_mlp runs on the CPU only, device {str(parsed)!r} is not "
                            "available")
