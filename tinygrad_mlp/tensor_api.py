"""The torch / numpy spellings of `Tensor` that are not ops: sizes, conversions, Python protocols,
comparisons (never differentiated) and in-place methods (never recorded). `Tensor` inherits them."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import dtypes, rng
from .args import Size, array_of, check_device, dims, to_array, torch_index
from .device import device as Device
from .ops import Cast, Clone, SetItem
from .ops.movement import assign
from .promotion import check_in_place, promote, promote_sub, result_type, true_divide_type
from .state import default_dtype, mode, modify_in_place

_CPU = Device("cpu")
PRINT_OPTIONS = {"precision": 4, "sci_mode": None, "threshold": 1000, "edgeitems": 3, "linewidth": 80}


def set_printoptions(precision: int | None = None, threshold: int | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """As ``torch.set_printoptions``: digits after the point (4), scientific notation forced on or off
    (``sci_mode``, None = decide from the values), summarising above ``threshold`` elements."""
    if profile is not None:
        PRINT_OPTIONS.update({"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
                              "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
                              "full": dict(precision=4, threshold=2**62, edgeitems=3, linewidth=80)}[profile])
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTIONS[key] = int(value)
    PRINT_OPTIONS["sci_mode"] = sci_mode


def _float_formatter(a: np.ndarray) -> Any:
    """torch's rule: whole numbers print as ``3.``; scientific notation when the finite non-zero values
    span more than 1000x, or exceed 1e8, or go below 1e-4; otherwise fixed with ``precision`` digits.
    Every element is padded to one width."""
    p = PRINT_OPTIONS["precision"]
    finite = np.abs(a[np.isfinite(a)]).astype(np.float64)
    nonzero = finite[finite != 0]
    sci = PRINT_OPTIONS["sci_mode"]
    if sci is None and np.all(nonzero == np.round(nonzero)):
        fmt = "{:.0f}."
        if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8):
            fmt = "{:." + str(p) + "e}"
    else:
        if sci is None:
            sci = bool(nonzero.size) and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8
                                          or nonzero.min() < 1e-4)
        fmt = "{:." + str(p) + ("e}" if sci else "f}")

    def one(v: Any) -> str:
        return fmt.format(v) if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf"))

    width = max((len(one(v)) for v in a.ravel()[:10000]), default=0)
    return lambda v: one(v).rjust(width)


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The elements a summarised print shows (the formatting is chosen from those only, as torch's)."""
    for axis, n in enumerate(a.shape):
        if n > 2 * edge:
            a = np.concatenate([a.take(range(edge), axis), a.take(range(n - edge, n), axis)], axis)
    return a


def _format_array(a: np.ndarray) -> str:
    opts = {"separator": ", ", "prefix": "tensor(", "max_line_width": PRINT_OPTIONS["linewidth"],
            "threshold": PRINT_OPTIONS["threshold"], "edgeitems": PRINT_OPTIONS["edgeitems"]}
    if a.dtype.kind == "f" and a.size:
        shown = a if a.size <= opts["threshold"] else _summarized(a, opts["edgeitems"])
        text = np.array2string(a, formatter={"float_kind": _float_formatter(shown)}, **opts)
    else:
        text = np.array2string(a, **opts)
    return text.replace(", ..., ", ",  ..., ") if a.size > opts["threshold"] else text


class TensorAPI:
    """Methods of `Tensor` around the ops (see tensor.py for the data, the graph and the walk)."""

    __slots__ = ()

    # --- sizes and Python protocols ------------------------------------------------------------
    @property
    def device(self) -> Device:
        """Where the data lives: always ``device(type='cpu')`` here.

        >>> import tinygrad_mlp as tg
        >>> tg.ones(2).device, tg.ones(2).device.type
        (device(type='cpu'), 'cpu')
        """
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def get_device(self) -> int:
        """-1: the CPU (as torch)."""
        return -1

    def size(self, dim: int | None = None) -> tuple | int:
        """The shape (a `Size`), or the length of one dimension (``x.size(0)``)."""
        if dim is None:
            return Size(self._data.shape)
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

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied). For a tensor that requires grad it is a read-only
        view: writing through it would change values a pending backward uses (torch refuses the call;
        ``.detach().numpy()`` is writable, as torch's)."""
        return self._shared_array()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._shared_array()

    def _shared_array(self) -> np.ndarray:
        """The data, or a read-only view of it for a tensor that requires grad (numpy() and np.asarray)."""
        if not self._requires_grad:
            return self._data
        view = self._data.view()
        view.flags.writeable = False
        return view

    def tolist(self) -> Any:
        return self._data.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {tuple(self.shape)})")
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
        """torch's layout: ``tensor([1.5000, 2.0000], requires_grad=True)``; dtype shown when it is not
        the default float (or its complex), int64 or bool."""
        a = self._data
        body = _format_array(a)
        extras = []
        default = default_dtype()
        if a.dtype not in (default, np.dtype(np.int64), np.dtype(np.bool_), np.result_type(default, np.complex64)):
            extras.append(f"dtype={dtypes.of(a.dtype)}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``, and ``f"{loss}"`` as the number too)."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    @property
    def T(self) -> Any:  # noqa: N802
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Any:  # noqa: N802
        return self.transpose(-2, -1)

    # --- dtype conversion (a recorded cast) -----------------------------------------------------
    def astype(self, dtype: Any) -> Any:
        dt = dtypes.to_numpy(dtype)
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
            elif isinstance(a, (str, Device, int)) and not isinstance(a, bool):
                device = a
            else:
                dtype = a
        check_device(device, "to")
        return self if dtype is None else self.astype(dtype)

    def cpu(self) -> Any:
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        """Refused: there is no GPU here (torch's AssertionError, also a RuntimeError)."""
        check_device("cuda", "cuda")

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
        """torch's: ``x.type()`` is ``'tinygrad_mlp.FloatTensor'``; ``x.type(tg.float64)`` (or
        ``x.type('tinygrad_mlp.DoubleTensor')``, ``'torch.DoubleTensor'``) converts."""
        if dtype is None:
            return f"tinygrad_mlp.{dtypes.torch_name(self._data.dtype)}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype = dtypes.from_tensor_type(dtype)
        dtype = getattr(dtype, "legacy_dtype", dtype)  # tg.FloatTensor & co. (factories' legacy types)
        return self.astype(dtype)

    def clone(self) -> Any:
        """A copy of the data that stays in the graph."""
        return Clone.apply(self)

    # --- comparisons: bool tensors, never differentiated ------------------------------------------
    def _compare(self, other: Any, fn: Any) -> Any:
        return self._wrap(fn(*promote(self._data, array_of(other))))  # compared in torch's result type

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

    # --- in-place methods ------------------------------------------------------------------------
    # As torch: on a leaf that requires grad they are refused under grad mode; on a tensor in the graph
    # (or with an operand that requires grad) they are recorded: the op runs out of place on a snapshot
    # of the tensor, and the tensor takes the result's data and node (its grad_fn becomes e.g. AddBackward0).
    # Nodes recorded before the change that used the old tensor then refuse to backward (version clock).
    # Otherwise the data is written in place. Either way the tensor keeps its dtype (or the op is refused).
    def _records(self, op: str, *others: Any) -> bool:
        """Whether the in-place op ``op`` is to be recorded (refusing it on a leaf that requires grad)."""
        if not mode.grad_enabled:
            return False
        if self._requires_grad:
            if self._ctx is None:
                raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place "
                                   "operation (update it inside tg.no_grad())")
            return True
        for o in others:
            if isinstance(o, TensorAPI) and o._requires_grad:
                return True
        return False

    def _rebind(self, op: str, compute: Any) -> Any:
        """Record an in-place op: ``compute(snapshot)`` out of place, then this tensor becomes its result."""
        old = self._ctx
        snapshot = self._wrap(self._data, old)  # the tensor as it was, for the nodes recorded before
        snapshot._version, snapshot._previous = self._version, getattr(self, "_previous", None)
        result = compute(snapshot)  # (first: an op that fails changes nothing)
        _same_shape_in_place(self, result)
        check_in_place(self._data.dtype, result.dtype, op)
        if old is not None:
            old.output = weakref.ref(snapshot)
        if result.dtype != self._data.dtype:
            result = Cast.apply(result, dtype=self._data.dtype)
        modify_in_place(self)  # a new version: nodes recorded before it see the snapshot (tensor._as_recorded)
        self._data, self._ctx, self._requires_grad = result._data, result._ctx, result._requires_grad
        self._previous = (self._version, snapshot)
        if self._ctx is not None:
            self._ctx.output = weakref.ref(self)
        return self

    def _inplace(self, op: str) -> np.ndarray:
        """The array to write into, for in-place ops that are never recorded. The caller stamps the tensor
        (``modify_in_place(self)``) once its write has succeeded: a failed op changes nothing, its version
        included (else a later backward through a node that saved the tensor would be refused)."""
        if self._requires_grad and mode.grad_enabled:
            if self._ctx is None:
                raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place "
                                   "operation (update it inside tg.no_grad())")
            raise RuntimeError(f"{op}: is not differentiable in place on a tensor in the graph (it requires "
                               "grad); use the out-of-place form, or call it on a .detach()ed tensor")
        if not self._data.flags.writeable:
            raise ValueError(f"{op}: this tensor's memory is read-only (it was made from a read-only array, e.g. "
                             ".numpy() of a tensor that requires grad); write to a .clone() instead")
        return self._data

    def _write(self, op: str, ufunc: Any, other: Any) -> Any:
        """The unrecorded arithmetic in-place ops: computed into this tensor's own array."""
        o = array_of(other)
        if np.ndim(o) and np.shape(o) != self._data.shape:
            _same_shape_in_place(self, np.empty(np.broadcast_shapes(self._data.shape, np.shape(o)), bool))
        dt = self._data.dtype
        if type(o) is not np.ndarray or o.dtype is not dt or (ufunc is np.divide and dt.kind != "f"):
            kind = true_divide_type if ufunc is np.divide else result_type
            check_in_place(dt, kind(self._data, o), op)
        ufunc(self._inplace(op), o, out=self._data, casting="unsafe")
        modify_in_place(self)  # (after the write: a failed one changes nothing)
        return self

    def zero_(self) -> Any:
        return self.fill_(0)

    def fill_(self, value: Any) -> Any:
        if self._records("fill_", value):
            return self._rebind("fill_", lambda s: SetItem.apply(s, value, index=Ellipsis))
        self._inplace("fill_").fill(array_of(value))
        modify_in_place(self)
        return self

    def copy_(self, src: Any) -> Any:
        if self._records("copy_", src):
            return self._rebind("copy_", lambda s: SetItem.apply(s, src, index=Ellipsis))
        arr = to_array(src)
        dst = self._inplace("copy_")
        try:
            np.copyto(dst, np.broadcast_to(arr, dst.shape), casting="unsafe")
        except ValueError:
            raise ValueError(f"copy_: source of shape {arr.shape} cannot be copied into a tensor of shape "
                             f"{dst.shape}") from None
        modify_in_place(self)
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Any:
        if alpha != 1:
            other = other * alpha
        if self._records("add_", other):
            return self._rebind("add_", lambda s: s + other)
        return self._write("add_", np.add, other)

    def sub_(self, other: Any, alpha: Any = 1) -> Any:
        if alpha != 1:
            other = other * alpha
        if self._records("sub_", other):
            return self._rebind("sub_", lambda s: s - other)
        promote_sub(self._data, array_of(other))  # (refused on bools, as torch)
        return self._write("sub_", np.subtract, other)

    def mul_(self, other: Any) -> Any:
        if self._records("mul_", other):
            return self._rebind("mul_", lambda s: s * other)
        return self._write("mul_", np.multiply, other)

    def div_(self, other: Any) -> Any:
        if self._records("div_", other):
            return self._rebind("div_", lambda s: s / other)
        return self._write("div_", np.divide, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        if self._records("clamp_"):
            return self._rebind("clamp_", lambda s: s.clamp(min, max))
        dst = self._inplace("clamp_")
        np.clip(dst, min, max, out=dst)
        modify_in_place(self)
        return self

    clip_ = clamp_

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        dst = self._inplace("uniform_")
        dst[...] = rng.uniform(a, b, dst.shape, dst.dtype, generator)  # torch's stream (drawn in C order)
        modify_in_place(self)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        dst = self._inplace("normal_")
        dst[...] = rng.normal(mean, std, dst.shape, dst.dtype, generator)
        modify_in_place(self)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        idx = torch_index(index)
        if self._records("__setitem__", value):
            self._rebind("__setitem__", lambda s: SetItem.apply(s, value, index=idx))
            return
        assign(self._inplace("__setitem__"), idx, array_of(value))
        modify_in_place(self)

    # `x += y` etc.: in place, as torch (recorded when the tensor or y requires grad, see above).
    def __iadd__(self, other: Any) -> Any:
        return self.add_(other)

    def __isub__(self, other: Any) -> Any:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Any:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Any:
        return self.div_(other)

    # --- small queries torch scripts use ------------------------------------------------------------
    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def ndimension(self) -> int:
        return self._data.ndim

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def narrow(self, dim: int, start: Any, length: int) -> Any:
        """``length`` elements of dimension ``dim`` from ``start`` (a view, differentiable), as torch.

        >>> import tinygrad_mlp as tg
        >>> tg.arange(6).narrow(0, 2, 3).tolist()
        [2, 3, 4]
        """
        d = dims(dim, self.ndim, "narrow")[0]
        size = self._data.shape[d]
        start = int(start)
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        start %= size if size else 1
        if length < 0 or start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def movedim(self, source: Any, destination: Any) -> Any:
        """Move dimensions ``source`` to positions ``destination`` (the others keep their order)."""
        src = dims(source, self.ndim, "movedim")
        dst = dims(destination, self.ndim, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                               f"contain the same number of dims as destination ({list(dst)} dims)")
        order = [d for d in range(self.ndim) if d not in src]
        for s, d in sorted(zip(dst, src)):
            order.insert(s, d)
        return self.permute(*order)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Any:
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, each without that dimension."""
        d = dims(dim, self.ndim, "unbind")[0]
        return tuple(self.select(d, i) for i in range(self._data.shape[d]))

    def select(self, dim: int, index: int) -> Any:
        d = dims(dim, self.ndim, "select")[0]
        size = self._data.shape[d]
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(self.shape)} at "
                             f"dimension {d}")
        return self[(slice(None),) * d + (index,)]

    def broadcast_to(self, size: Any) -> Any:
        return self.expand(*size)

    def masked_select(self, mask: Any) -> Any:
        """The elements where ``mask`` (broadcast to this shape) is True, as a 1-D tensor (differentiable)."""
        keep = np.asarray(array_of(mask), bool)
        shape = np.broadcast_shapes(self._data.shape, keep.shape)
        return self.expand(*shape)[np.broadcast_to(keep, shape)]

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Any:
        """Values at ``indices`` along ``dim`` (the other dimensions broadcast between the two, as torch)."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = dims(dim, self.ndim, "take_along_dim")[0]
        shape, index_shape = list(self._data.shape), list(np.shape(array_of(indices)))
        if len(index_shape) != len(shape):
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                               f"dimensions, but got {len(shape)} dimensions for input, and {len(index_shape)} "
                               "dimensions for indices")
        others = np.broadcast_shapes(tuple(shape[:d] + [1] + shape[d + 1:]),
                                     tuple(index_shape[:d] + [1] + index_shape[d + 1:]))
        src = self.expand(*(others[:d] + (shape[d],) + others[d + 1:]))
        idx = np.broadcast_to(array_of(indices), others[:d] + (index_shape[d],) + others[d + 1:])
        return src.gather(d, type(self)(np.ascontiguousarray(idx)))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        if self._data.ndim == 0:  # (torch: a 0-d tensor counts as one element)
            hit = int(bool(self._data))
            if as_tuple:
                return (type(self)(np.zeros(hit, np.int64)),)
            return type(self)(np.zeros((hit, 0), np.int64))
        found = np.nonzero(self._data)
        if as_tuple:
            return tuple(type(self)(np.ascontiguousarray(i, dtype=np.int64)) for i in found)
        return type(self)(np.stack(found, axis=1).astype(np.int64))

    argwhere = nonzero

    def clamp_min(self, min: Any) -> Any:  # noqa: A002 - torch's name
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Any:  # noqa: A002
        return self.clamp(max=max)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self + value * tensor1 * tensor2``."""
        return self + (tensor1 * tensor2) * value if value != 1 else self + tensor1 * tensor2

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self + value * tensor1 / tensor2``."""
        return self + (tensor1 / tensor2) * value if value != 1 else self + tensor1 / tensor2

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest and lowest finite values by default);
        the gradient passes where the value was finite."""
        if self._data.dtype.kind != "f":
            return self.clone()
        info = np.finfo(self._data.dtype)
        data = self._data
        posinf = info.max if posinf is None else posinf
        neginf = info.min if neginf is None else neginf
        out = self.masked_fill(np.isnan(data), nan)
        out = out.masked_fill(np.isposinf(data), posinf)
        return out.masked_fill(np.isneginf(data), neginf)


def _same_shape_in_place(self: Any, result: Any) -> None:
    """An in-place op keeps the tensor's shape: operands that broadcast it larger are refused, as torch."""
    if tuple(result.shape) != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")


def _in_place(name: str) -> Any:
    """``x.name_(...)``: ``x.name(...)`` written back into x, as torch's in-place variant (recorded, as the
    other in-place ops, when x or a tensor argument requires grad; refused on a leaf that requires grad)."""
    op = name + "_"

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._records(op, *args, *kwargs.values()):
            return self._rebind(op, lambda s: getattr(s, name)(*args, **kwargs))
        result = getattr(self, name)(*args, **kwargs)  # out of place first: an op that fails changes nothing
        _same_shape_in_place(self, result)
        check_in_place(self._data.dtype, result.dtype, op)
        dst = self._inplace(op)
        np.copyto(dst, np.broadcast_to(result._data, dst.shape), casting="unsafe")
        modify_in_place(self)
        return self

    method.__name__ = op
    method.__doc__ = f"In place: this tensor becomes ``self.{name}(...)``."
    return method


_IN_PLACE = ("pow", "sqrt", "rsqrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "neg", "abs",
             "relu", "sigmoid", "tanh", "sin", "cos", "tan", "floor", "ceil", "round", "trunc", "frac", "sign",
             "reciprocal", "square", "erf", "fmod", "remainder", "lerp", "tril", "triu", "clamp_min", "clamp_max",
             "addcmul", "addcdiv", "nan_to_num", "logit")
for _name in _IN_PLACE:
    if not hasattr(TensorAPI, _name + "_"):
        setattr(TensorAPI, _name + "_", _in_place(_name))
