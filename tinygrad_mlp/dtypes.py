"""torch-style dtypes: ``tg.float32`` prints as ``tinygrad_mlp.float32`` (as ``torch.float32`` does) and is
still a numpy dtype wherever numpy looks.

Each dtype is one object (``tg.float is tg.float32``, and ``x.dtype is tg.float32`` for a float32 tensor).
It holds its numpy dtype in ``.dtype``, which is how numpy takes it anywhere a dtype is asked for, and it
compares and hashes as that numpy dtype, so dicts and sets keyed by numpy dtypes find it.

>>> import numpy as np, tinygrad_mlp as tg
>>> tg.float32, tg.tensor([1, 2], dtype=tg.int32)
(tinygrad_mlp.float32, tensor([1, 2], dtype=tinygrad_mlp.int32))
>>> tg.float32 == np.float32 == np.dtype("float32") == "float32", np.zeros(2, tg.float64).dtype
(True, dtype('float64'))
>>> tg.float16.is_floating_point, tg.int64.is_signed, tg.uint8.is_signed, tg.complex64.to_real()
(True, True, False, tinygrad_mlp.float32)

The engine itself computes on numpy arrays and their numpy dtypes; only ``Tensor.dtype`` and the ``tg.``
names hand out these objects.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

_COMPLEX_OF = {"f4": "complex64", "f8": "complex128"}
_REAL_OF = {"c8": "float32", "c16": "float64"}
_TORCH_NAMES = {"b1": "Bool", "u1": "Byte", "i1": "Char", "i2": "Short", "i4": "Int", "i8": "Long", "f2": "Half",
                "f4": "Float", "f8": "Double", "c8": "ComplexFloat", "c16": "ComplexDouble", "u2": "UInt16",
                "u4": "UInt32", "u8": "UInt64"}


def torch_name(np_dtype: np.dtype) -> str:
    """torch's C++ name of a dtype, as its error messages and tensor type names say it (Float, Long, ...)."""
    return _TORCH_NAMES.get(f"{np_dtype.kind}{np_dtype.itemsize}", np_dtype.name)


def from_tensor_type(name: str) -> np.dtype:
    """The numpy dtype of a tensor type name: ``'tinygrad_mlp.FloatTensor'`` (or torch's ``'torch.FloatTensor'``)."""
    prefix, _, cpp = name.rpartition(".")
    for key, value in _TORCH_NAMES.items():
        if prefix in ("torch", "tinygrad_mlp") and cpp == value + "Tensor":
            return np.dtype(key)  # (numpy's type strings: b1 is bool, c8 complex64, ...)
    raise ValueError(f"invalid type: {name!r}")


class dtype:  # noqa: N801 - torch's name (torch.dtype)
    """A numpy dtype that prints as torch's: ``tinygrad_mlp.float32``. One object per numpy dtype:
    ``dtype(np.float32) is tg.float32``."""

    __slots__ = ("dtype", "_hash", "is_floating_point", "is_complex", "is_signed")

    def __new__(cls, spec: Any) -> dtype:
        return of(np.dtype(spec))

    @classmethod
    def _make(cls, np_dtype: np.dtype) -> dtype:
        self = object.__new__(cls)
        kind = np_dtype.kind
        self.dtype = np_dtype
        self._hash = hash(np_dtype)
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "fic"
        return self

    # --- numpy's most used attributes (any other one is read from the numpy dtype) ----------------
    @property
    def kind(self) -> str:
        return self.dtype.kind

    @property
    def name(self) -> str:
        return self.dtype.name

    @property
    def itemsize(self) -> builtins.int:
        return self.dtype.itemsize

    @property
    def type(self) -> type:
        return self.dtype.type

    @property
    def char(self) -> str:
        return self.dtype.char

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # (copy, pickle and numpy's protocols are not the numpy dtype's)
            raise AttributeError(attr)
        return getattr(self.dtype, attr)

    # --- torch's ------------------------------------------------------------------------------------
    @property
    def abbr(self) -> str:
        """torch's short name: f32, i64, u8, b8, c64."""
        return "b8" if self.dtype.kind == "b" else f"{self.dtype.kind}{8 * self.dtype.itemsize}"

    def to_real(self) -> dtype:
        """The real dtype of a complex one (complex64 -> float32); any other dtype itself."""
        real = _REAL_OF.get(f"{self.dtype.kind}{self.dtype.itemsize}")
        return of(np.dtype(real)) if real else self

    def to_complex(self) -> dtype:
        """The complex dtype of a float one (float32 -> complex64); a complex dtype itself."""
        if self.dtype.kind == "c":
            return self
        name = _COMPLEX_OF.get(f"{self.dtype.kind}{self.dtype.itemsize}")
        if name is None:  # (torch's error; float16's complex32 has no numpy dtype: refused too)
            raise RuntimeError(f"Unknown Complex ScalarType for {torch_name(self.dtype)}")
        return of(np.dtype(name))

    # --- the same as the numpy dtype ---------------------------------------------------------------
    def __eq__(self, other: Any) -> builtins.bool:
        if other.__class__ is dtype:
            return self.dtype == other.dtype
        if other is None:  # (numpy's dtype(None) is float64; torch's dtypes are never None)
            return False
        try:
            return builtins.bool(self.dtype == other)
        except (TypeError, ValueError):
            return False

    def __ne__(self, other: Any) -> builtins.bool:
        return not self.__eq__(other)

    def __hash__(self) -> builtins.int:
        return self._hash

    def __repr__(self) -> str:
        return "tinygrad_mlp." + self.dtype.name

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return dtype, (self.dtype,)

    def __copy__(self) -> dtype:
        return self

    def __deepcopy__(self, memo: Any) -> dtype:
        return self


class _Table(dict):
    """numpy dtype -> its one `dtype` object, made the first time it is asked for."""

    def __missing__(self, np_dtype: np.dtype) -> dtype:
        made = self[np_dtype] = dtype._make(np_dtype)
        return made


_BY_NUMPY = _Table()


def of(np_dtype: np.dtype) -> dtype:
    """The `dtype` object of a numpy dtype (``Tensor.dtype`` is ``of(self._data.dtype)``)."""
    return _BY_NUMPY[np_dtype]


def to_numpy(spec: Any) -> np.dtype:
    """Any dtype spelling (ours, numpy's, a type, a string) as the numpy dtype."""
    return spec.dtype if spec.__class__ is dtype else np.dtype(spec)


float16 = half = of(np.dtype(np.float16))
float32 = float = of(np.dtype(np.float32))  # noqa: A001 - torch's names
float64 = double = of(np.dtype(np.float64))
complex64 = cfloat = of(np.dtype(np.complex64))
complex128 = cdouble = of(np.dtype(np.complex128))
int8 = of(np.dtype(np.int8))
int16 = short = of(np.dtype(np.int16))
int32 = int = of(np.dtype(np.int32))  # noqa: A001
int64 = long = of(np.dtype(np.int64))
uint8 = of(np.dtype(np.uint8))
uint16 = of(np.dtype(np.uint16))
uint32 = of(np.dtype(np.uint32))
uint64 = of(np.dtype(np.uint64))
bool = of(np.dtype(np.bool_))  # noqa: A001
