"""torch's random functions that are not factories: ``tg.normal`` with tensor or number mean/std, and the
in-place ``bernoulli_``, ``exponential_``, ``random_``. Every draw is torch's stream (``rng.py``)."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..args import array_of, shape_arg
from ..function import Function
from ..registry import register
from ..state import default_dtype, modify_in_place


def _std_checked(std) -> None:
    if np.any(np.asarray(std) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, requires_grad=False):
    """torch.normal: elementwise means and/or standard deviations (tensors broadcast together), or
    numbers with ``size``. Drawn as torch: standard normals scaled by std and shifted by mean (a number
    std: normals with that std, shifted)."""
    tensor_type = Function.tensor_type
    m_t, s_t = isinstance(mean, tensor_type), isinstance(std, tensor_type)
    m, s = array_of(mean), array_of(std)
    _std_checked(s)
    if not m_t and not s_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: numbers for mean and std "
                            "need a size")
        data = rng.normal(float(m), float(s), shape_arg((size,)), dtype or default_dtype(), generator)
    else:
        dt = np.result_type(*[a.dtype for a in (m, s) if isinstance(a, np.ndarray)])
        if dt.kind != "f":
            raise RuntimeError(f"normal expects floating point mean/std, got {dt}")
        shape = np.broadcast_shapes(np.shape(m) if m_t else (), np.shape(s) if s_t else ())
        if s_t:
            data = rng.normal(0.0, 1.0, shape, dt, generator) * s + m
        else:
            data = rng.normal(0.0, float(s), shape, dt, generator) + m
        data = np.asarray(data, dt)
    t = tensor_type(data)
    return t.requires_grad_(True) if requires_grad else t


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws: probability ``p`` (a number, or a tensor broadcast to this shape)."""
    dst = self._inplace("bernoulli_")
    if isinstance(p, Function.tensor_type):
        pa = np.broadcast_to(p._data, dst.shape)
        dst[...] = rng.bernoulli(np.ascontiguousarray(pa), None, dst.dtype, generator)
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        dst[...] = rng.bernoulli(float(p), dst.shape, dst.dtype, generator)
    modify_in_place(self)
    return self


def exponential_(self, lambd=1.0, *, generator=None):
    if self.dtype.kind != "f":
        raise RuntimeError(f"exponential_ for integral dtypes is not supported (got {self.dtype.name})")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    dst = self._inplace("exponential_")
    dst[...] = rng.exponential(lambd, dst.shape, dst.dtype, generator)
    modify_in_place(self)
    return self


def _full_range(dtype: np.dtype) -> int:
    """random_()'s bound: every integer the dtype holds exactly (floats: up to 2**mantissa bits)."""
    if dtype.kind == "f":
        return (1 << (np.finfo(dtype).nmant + 1)) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + 1


def random_(self, from_=0, to=None, *, generator=None, **kwargs):
    """Fill with integers drawn uniformly from [from, to - 1] (``random_(to)``: [0, to - 1]; ``random_()``:
    every integer the dtype holds exactly), as torch."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    if to is None and from_ != 0:
        from_, to = 0, from_
    dst = self._inplace("random_")
    if to is None:
        if dst.dtype == np.int64:
            dst[...] = rng.random_int64(dst.shape, generator)
            modify_in_place(self)
            return self
        from_, to = 0, _full_range(dst.dtype)
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    dst[...] = rng.randint(from_, to, dst.shape, dst.dtype if dst.dtype.kind != "b" else np.int64, generator)
    modify_in_place(self)
    return self


register("normal", function=normal, tensor_method=False)
for _method in (bernoulli_, exponential_, random_):
    register(_method.__name__, method=_method, toplevel=False)
del _method
