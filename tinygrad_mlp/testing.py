"""``tg.testing.assert_close``: torch.testing's check that two tensors (or numbers, or lists of them) agree
to the tolerances torch picks for their dtype, with its messages.

>>> import tinygrad_mlp as tg
>>> tg.testing.assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0 + 1e-7]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .args import as_tensor
from .dtypes import of as dtype_of

__all__ = ["assert_close"]

# (rtol, atol) by dtype, torch's defaults; integers and bools must be equal
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
               np.dtype(np.complex128): (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, check_dtype: bool = True, msg: str | None = None) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` everywhere (and the
    shapes, and with ``check_dtype`` the dtypes, are the same). Pass both tolerances or neither."""
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple) and not _numbers(actual):
        if len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {_shape(a)} != {_shape(e)}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {dtype_of(a.dtype)} != "
                                    f"{dtype_of(e.dtype)}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    exact = rtol == 0 and atol == 0
    wide = np.promote_types(np.promote_types(a.dtype, e.dtype), np.float64)
    a64, e64 = a.astype(wide), e.astype(wide)
    with np.errstate(invalid="ignore"):  # (inf - inf: those are compared for equality below)
        close = np.abs(a64 - e64) <= atol + rtol * np.abs(e64)
    close |= a64 == e64  # (equal infinities)
    if equal_nan:
        close |= np.isnan(a64) & np.isnan(e64)
    if close.all():
        return
    raise AssertionError(msg or _report(a64, e64, close, rtol, atol, exact))


def _numbers(seq: Any) -> bool:
    return all(isinstance(v, int | float | bool) for v in seq) and len(seq) > 0


def _array(value: Any) -> np.ndarray:
    return np.asarray(as_tensor(value).numpy())


def _shape(a: np.ndarray) -> str:
    return f"tinygrad_mlp.Size({list(a.shape)})"


def _report(a: np.ndarray, e: np.ndarray, close: np.ndarray, rtol: float, atol: float, exact: bool) -> str:
    diff = np.abs(a - e)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / np.abs(e)
    bad = ~close
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {int(bad.sum())} / {bad.size} ({100 * bad.sum() / bad.size:.1f}%)"]
    for name, values, allowed in (("absolute", diff, atol), ("relative", rel, rtol)):
        masked = np.where(bad, values, -np.inf)
        at = np.unravel_index(int(np.nanargmax(np.where(np.isnan(masked), np.inf, masked))), a.shape) if a.ndim else ()
        value = values[at] if a.ndim else values
        shown = f"{int(value)}" if exact and name == "absolute" and float(value).is_integer() else f"{value}"
        where = f" at index {tuple(int(i) for i in at)}" if a.ndim else ""
        lines.append(f"Greatest {name} difference: {shown}{where}" + ("" if exact else f" (up to {allowed} allowed)"))
    return "\n".join(lines)
