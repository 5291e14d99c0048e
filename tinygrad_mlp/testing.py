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


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | None = None) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` everywhere (and the
    shapes, and with ``check_dtype`` the dtypes, are the same). Pass both tolerances or neither. (Devices
    and layouts are always the CPU's and strided: those checks pass.)"""
    if actual is None or expected is None:
        if actual is not expected:
            raise AssertionError(msg or f"None mismatch: {actual} is not {expected}")
        return
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError(msg or f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                                        f"{sorted(map(str, expected))}")
        for key in actual:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple) and not _numbers(actual):
        if len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)  # noqa: E501
        return
    scalars = isinstance(actual, int | float | bool) and isinstance(expected, int | float | bool)
    a, e = (np.asarray(actual, np.float64), np.asarray(expected, np.float64)) if scalars else \
        (_array(actual), _array(expected))
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {_shape(a)} != {_shape(e)}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {dtype_of(a.dtype)} != "
                                    f"{dtype_of(e.dtype)}.")
    if rtol is None:  # each dtype's defaults; two dtypes (check_dtype=False): the looser of each, as torch
        (r1, a1), (r2, a2) = _TOLERANCES.get(a.dtype, (0.0, 0.0)), _TOLERANCES.get(e.dtype, (0.0, 0.0))
        rtol, atol = max(r1, r2), max(a1, a2)
    exact = rtol == 0 and atol == 0
    wide = np.promote_types(np.promote_types(a.dtype, e.dtype), np.float64)
    a64, e64 = a.astype(wide), e.astype(wide)
    finite = np.isfinite(a64) & np.isfinite(e64)
    with np.errstate(invalid="ignore"):  # (only finite pairs are compared with the tolerances)
        close = finite & (np.abs(a64 - e64) <= atol + rtol * np.abs(e64))
    close |= ~finite & (a64 == e64)  # an infinity matches only the same infinity
    if equal_nan:
        close |= np.isnan(a64) & np.isnan(e64)
    if close.all():
        return
    raise AssertionError(msg or _report(a64, e64, close, rtol, atol, exact, "Scalars" if scalars else "Tensor-likes"))


def _numbers(seq: Any) -> bool:
    return all(isinstance(v, int | float | bool) for v in seq) and len(seq) > 0


def _array(value: Any) -> np.ndarray:
    return np.asarray(as_tensor(value).numpy())


def _shape(a: np.ndarray) -> str:
    return f"tinygrad_mlp.Size({list(a.shape)})"


def _report(a: np.ndarray, e: np.ndarray, close: np.ndarray, rtol: float, atol: float, exact: bool,
            what: str) -> str:
    diff = np.abs(a - e)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / np.abs(e)
    bad = ~close
    lines = [f"{what} are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {int(bad.sum())} / {bad.size} ({100 * bad.sum() / bad.size:.1f}%)"]
    for name, values, allowed in (("absolute", diff, atol), ("relative", rel, rtol)):
        masked = np.where(bad, values, -np.inf)
        at = np.unravel_index(int(np.nanargmax(np.where(np.isnan(masked), np.inf, masked))), a.shape) if a.ndim else ()
        value = values[at] if a.ndim else values
        shown = f"{int(value)}" if exact and name == "absolute" and float(value).is_integer() else f"{value}"
        where = f" at index {tuple(int(i) for i in at)}" if a.ndim else ""
        lines.append(f"Greatest {name} difference: {shown}{where}" + ("" if exact else f" (up to {allowed} allowed)"))
    return "\n".join(lines)
