"""torch's type promotion (``torch.result_type``), written once and used by every binary op.

The rules:

* categories: bool < integer < float;
* operands come in three priority classes: tensors with dimensions, 0-d tensors, and Python numbers
  (a Python float counts as the default dtype, a Python int as int64, a Python bool as bool);
* a lower class only matters when it brings a *higher category*: ``int8 tensor + int64 0-d`` stays
  int8, ``int64 tensor + 2.5`` becomes the default float dtype, ``float16 tensor + float64 0-d``
  stays float16;
* between two dtypes of different categories the higher category wins as it is (``int64 * float32``
  is float32, not numpy's float64); within one category numpy's ``promote_types`` is torch's.

Ops see numpy arrays and Python numbers (``Function.apply`` unwraps tensors), so a 0-d ndarray is a 0-d
tensor here and a Python / numpy scalar is a "wrapped number".

>>> import numpy as np
>>> result_type(np.zeros(2, np.int64), np.zeros(2, np.float32))
dtype('float32')
>>> result_type(np.zeros(2, np.int64), 2.5)
dtype('float32')
>>> result_type(np.zeros(2, np.int8), np.array(7))
dtype('int8')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import torch_name
from .state import default_dtype

_ndarray = np.ndarray
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats (3 for complex)."""
    return _CATEGORY[dtype.kind]


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: the higher category wins as it is; within a category, numpy's rule."""
    if a is b or a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_dtype(x: Any) -> np.dtype:
    if isinstance(x, (bool, np.bool_)):
        return _BOOL
    if isinstance(x, (int, np.integer)):
        return _INT64
    if isinstance(x, (float, np.floating)):
        return default_dtype()
    if isinstance(x, complex):
        return np.dtype(np.complex64 if default_dtype() == np.float32 else np.complex128)
    raise TypeError(f"unsupported operand of type {type(x).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A lower priority class's dtype counts only where it raises the category (as torch's)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch = _CATEGORY[higher.kind]
    if ch >= 2 and ch >= _CATEGORY[lower.kind]:
        return higher
    if ch == 0 or _CATEGORY[lower.kind] > ch:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """torch.result_type of arrays (0-d or not) and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, _ndarray):
            if x.ndim:
                dim = x.dtype if dim is None else promote_types(dim, x.dtype)
            else:
                zero = x.dtype if zero is None else promote_types(zero, x.dtype)
        elif isinstance(x, _NUMBERS):
            dt = _scalar_dtype(x)
            wrapped = dt if wrapped is None else promote_types(wrapped, dt)
        else:  # a list or other array-like: as the tensor tg.tensor would make of it
            dt = _data_dtype(x)
            dim = dt if dim is None else promote_types(dim, dt)
    return _combine(dim, _combine(zero, wrapped))


_NUMBERS = (bool, int, float, complex, np.generic)


def _data_dtype(x: Any) -> np.dtype:
    dt = np.asarray(x).dtype
    if dt.kind == "f":
        return default_dtype()
    if dt.kind in "iu" and dt.itemsize < 8 and not isinstance(x, _ndarray):
        return _INT64
    if dt.kind not in _CATEGORY:
        raise TypeError(f"unsupported operand of type {type(x).__name__}")
    return dt


def promote(a: Any, b: Any) -> tuple:
    """Two operands as the op should compute with them: arrays cast to their result type. Python
    numbers stay as they are (numpy treats them as weak, so they take the arrays' dtype)."""
    ta, tb = type(a), type(b)
    if ta is _ndarray:  # the fast paths: nothing to do
        if tb is _ndarray:
            if a.dtype is b.dtype:
                return a, b
        elif (tb is float and a.dtype.kind == "f") or (tb is int and a.dtype.kind in "iuf"):
            return a, b  # (numpy takes a Python number in the array's dtype, as torch does here)
    elif tb is _ndarray and ((ta is float and b.dtype.kind == "f") or (ta is int and b.dtype.kind in "iuf")):
        return a, b
    return cast_to(result_type(a, b), a, b)


def promote_sub(a: Any, b: Any) -> tuple:
    """`promote` for subtraction, which torch refuses on bool tensors (and Python bools)."""
    if _is_bool(a) or _is_bool(b):
        both = _is_bool(a) and _is_bool(b)
        raise RuntimeError(f"Subtraction, the `-` operator, with {'two bool tensors' if both else 'a bool tensor'} "
                           "is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return promote(a, b)


def _is_bool(x: Any) -> bool:
    return x.dtype.kind == "b" if isinstance(x, (_ndarray, np.generic)) else isinstance(x, bool)


def promote_pow(a: Any, b: Any) -> tuple:
    """`promote` for powers, which torch does not compute in bool."""
    if isinstance(a, bool) or isinstance(b, bool):  # (torch's pow with a Python bool stays in bool)
        return promote(a, b)
    a, b = promote(a, b)
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("\"pow\" not implemented for 'Bool'")
    return a, b


def to_float(a: Any) -> Any:
    """The input of a float-valued op (exp, log, tanh, ...): integers and bools become the default float
    dtype first, as torch's (numpy would give float64)."""
    if type(a) is _ndarray and a.dtype.kind in "fc":
        return a
    a = np.asarray(a)
    return a if a.dtype.kind in "fc" else a.astype(default_dtype())


def float_only(a: Any, op: str) -> Any:
    """The input of an op that torch computes for floating dtypes only (softmax, gelu, ...)."""
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f'"{op}" not implemented for \'{torch_name(a.dtype)}\'')
    return a


def cast_to(dt: np.dtype, *operands: Any) -> tuple:
    """Arrays among ``operands`` cast to ``dt``; a lone pair of Python numbers as a ``dt`` array."""
    out = []
    any_array = False
    for x in operands:
        if isinstance(x, _ndarray):
            any_array = True
            out.append(x if x.dtype == dt else x.astype(dt))
        elif isinstance(x, np.generic) or not isinstance(x, _NUMBERS):
            any_array = True
            out.append(np.asarray(x, dtype=dt))
        else:
            out.append(x)
    if not any_array and out:
        out[0] = np.asarray(out[0], dtype=dt)
    return tuple(out)


def true_divide_type(a: Any, b: Any) -> np.dtype:
    """Division's result: the promoted type, or the default float dtype for integers and bools."""
    dt = result_type(a, b)
    return dt if dt.kind in "fc" else default_dtype()


def check_in_place(dst: np.dtype, result: np.dtype, op: str = "") -> None:
    """An in-place op keeps its destination's dtype: refused (as torch) when the result's category is
    higher (a float result into an integer tensor, an integer into a bool)."""
    if dst is not result and _CATEGORY[result.kind] > _CATEGORY[dst.kind]:
        raise RuntimeError(f"{op + ': ' if op else ''}result type {torch_name(result)} can't be cast to the "
                           f"desired output type {torch_name(dst)}")
