"""torch's flat indexing and the reductions that skip NaNs, scan or pick one element per slice: take, put /
put_, nansum, nanmean, cummax, cummin, kthvalue and mode. kthvalue and mode pick among equal elements by a
stable sort (documented per function); torch's pick there is a detail of its CPU kernel and may differ, the
values (and so the gradients' sums) do not."""

from __future__ import annotations

import numpy as np

from ..args import dim_kw, dims
from ..function import Function
from ..registry import register
from .indexing import _in_place
from .movement import MinMaxResult

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _torch_name(dtype) -> str:
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _int_arg(value, name: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def _dim(self, dim, op: str) -> int:
    return dims(_int_arg(dim, "dim", op), self.ndim, op)[0]


def _wrap(array) -> object:
    return Function.tensor_type._wrap(np.asarray(array))


def _along(indices: np.ndarray, dim: int) -> tuple:
    """The full index of the elements ``indices`` picks along ``dim`` (for ``np.add.at``)."""
    where = list(np.indices(indices.shape, sparse=True))
    where[dim] = indices
    return tuple(where)


class Pick(Function):
    """One element per position along ``dim`` (the values of cummax, kthvalue, mode); an element picked
    several times (cummax) sums its gradients."""

    def forward(ctx, a, indices, dim):
        ctx.shape, ctx.indices, ctx.dim = a.shape, indices, dim
        return np.take_along_axis(a, indices, axis=dim)

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        np.add.at(out, _along(ctx.indices, ctx.dim), grad)
        return out


def _named_result(name: str) -> type:
    """A ``(values, indices)`` tuple named like torch's ``torch.return_types.<name>``."""

    def __repr__(self):
        return f"{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    cls = type(f"{name.capitalize()}Result", (MinMaxResult,), {
        "__doc__": f"``(values, indices)`` of {name}, like torch's ``torch.return_types.{name}``.",
        "__repr__": __repr__, "__slots__": (), "__module__": __name__})
    cls.__name__ = name  # (type(r).__name__ == "cummax", as torch's)
    return cls


CummaxResult, CumminResult = _named_result("cummax"), _named_result("cummin")
KthvalueResult, ModeResult = _named_result("kthvalue"), _named_result("mode")


# --- take, put ---------------------------------------------------------------------------------------------
class Take(Function):
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a.reshape(-1)[index]

    def backward(ctx, grad):
        out = np.zeros(int(np.prod(ctx.shape)), grad.dtype)
        np.add.at(out, ctx.index, grad)
        return out.reshape(ctx.shape)


def _put_array(a: np.ndarray, source: np.ndarray, index: np.ndarray, accumulate: bool) -> np.ndarray:
    out = a.copy()  # (C order: its flat view is torch's element order)
    flat, index = out.reshape(-1), index.reshape(-1)
    if accumulate:
        np.add.at(flat, index, source.reshape(-1))
    else:
        flat[index] = source.reshape(-1)
    return out


class Put(Function):
    """``a`` with ``a.flatten()[index] = source`` (``accumulate``: added). Gradient: to ``a`` where not
    overwritten (everywhere when accumulating), to ``source`` from the positions it went to (as torch)."""

    def forward(ctx, a, source, index, accumulate):
        ctx.index, ctx.accumulate, ctx.source_shape = index.reshape(-1), accumulate, source.shape
        return _put_array(a, source, index, accumulate)

    def backward(ctx, grad):
        need_a, need_source = ctx.needs_input_grad
        grad_a = grad_source = None
        if need_a:
            grad_a = grad.copy()
            if not ctx.accumulate:
                grad_a.reshape(-1)[ctx.index] = 0
        if need_source:
            grad_source = grad.reshape(-1)[ctx.index].reshape(ctx.source_shape)
        return grad_a, grad_source


def _flat_index(self, index, op: str) -> np.ndarray:
    """``index`` checked as torch does: an int64 tensor, every entry within the tensor's element count."""
    if not isinstance(index, Function.tensor_type):
        raise TypeError(f"{op}(): argument 'index' (position {1 if op.startswith('put') else 2}) must be Tensor, "
                        f"not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got {_torch_name(idx.dtype)}")
    n = self._data.size
    if n == 0 and idx.size:
        what = "tried to take from" if op == "take" else "Tried to put elements into"  # (torch's words)
        raise IndexError(f"{op}(): {what} an empty tensor (shape {tuple(self.shape)})")
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"{op}(): out of range: tried to access index {idx[bad].flat[0]} on a tensor of {n} "
                         f"elements (shape {tuple(self.shape)})")
    return idx


def take(self, index):
    """The elements at ``index`` of the tensor read as 1-D (row-major); the result has the index's shape.

    >>> import tinygrad_mlp as tg
    >>> tg.take(tg.tensor([[1.0, 2.0], [3.0, 4.0]]), tg.tensor([[0, 3], [-1, 1]]))
    tensor([[1., 4.],
            [4., 2.]])
    """
    return Take.apply(self, index=_flat_index(self, index, "take"))


def _put_args(self, index, source, op: str):
    if not isinstance(source, Function.tensor_type):
        raise TypeError(f"{op}(): argument 'source' (position 2) must be Tensor, not {type(source).__name__}")
    idx = _flat_index(self, index, op)
    if source.dtype != self.dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_torch_name(self.dtype)} and source.dtype = {_torch_name(source.dtype)}")
    if source._data.size != idx.size:
        raise IndexError(f"{op}(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {idx.size}")
    return idx


def put(self, index, source, accumulate=False):
    """A copy with the elements at ``index`` (of the tensor read as 1-D) set to ``source``'s
    (``accumulate=True``: added, repeated indices summed).

    >>> import tinygrad_mlp as tg
    >>> tg.zeros(2, 2).put(tg.tensor([3, 0, 3]), tg.tensor([1.0, 2.0, 5.0]), accumulate=True)
    tensor([[2., 0.],
            [0., 6.]])
    """
    idx = _put_args(self, index, source, "put")
    return Put.apply(self, source, index=idx, accumulate=bool(accumulate))


def put_(self, index, source, accumulate=False):
    """In-place `put`, recorded when the tensor is in a graph (or ``source`` requires grad). Every index is
    checked before anything is written, so a failed call changes nothing.

    >>> import tinygrad_mlp as tg
    >>> x = tg.zeros(3)
    >>> x.put_(tg.tensor([2]), tg.tensor([7.0]))
    tensor([0., 0., 7.])
    """
    idx = _put_args(self, index, source, "put_")
    acc = bool(accumulate)

    def write(dst):
        dst[...] = _put_array(dst, source._data, idx, acc)

    return _in_place(self, "put_", lambda s: Put.apply(s, source, index=idx, accumulate=acc), write, source)


# --- nansum, nanmean ---------------------------------------------------------------------------------------
def _reduce_dims(self, dim, op: str):
    """``dim`` as a tuple of axes, or None for all (None, ``[]`` and a 0-d tensor's 0 / -1 alike)."""
    if dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0):
        return None
    axes = dims(dim, self.ndim, op)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}(): dim {next(d for d in axes if axes.count(d) > 1)} appears multiple times in "
                           f"the list of dims")
    return axes if self.ndim else None


def _nansum_array(a: np.ndarray, axes, keepdim: bool) -> np.ndarray:
    if a.dtype.kind in "biu":
        return np.sum(a, axis=axes, keepdims=keepdim, dtype=np.int64)
    acc = np.float32 if a.dtype == np.float16 else a.dtype
    with np.errstate(invalid="ignore", over="ignore"):  # (inf - inf is NaN, as torch, without a warning)
        return np.asarray(np.nansum(a, axis=axes, keepdims=keepdim, dtype=acc)).astype(a.dtype, copy=False)


def _drop(out: np.ndarray, axes) -> np.ndarray:
    return out.reshape(()) if axes is None else np.squeeze(out, axis=axes)


class NanSum(Function):
    """The sum with NaNs read as 0; the gradient is 0 at the NaNs (torch multiplies it by ``~isnan``)."""

    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.keep = a.shape, a == a
        out = _nansum_array(a, axes, True)
        ctx.kept_shape = out.shape
        return out if keepdim else _drop(out, axes)

    def backward(ctx, grad):
        with np.errstate(invalid="ignore"):  # (an infinite gradient times 0 at a NaN is NaN, as torch's)
            return np.broadcast_to(grad.reshape(ctx.kept_shape), ctx.shape) * ctx.keep


class NanMean(Function):
    """The mean of the non-NaN elements (NaN where there are none); the gradient is 0 at the NaNs, and NaN
    on a slice of NaNs only (as torch's, which divides by the zero count)."""

    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.keep = a.shape, a == a
        ctx.count = ctx.keep.sum(axis=axes, keepdims=True).astype(a.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = _nansum_array(a, axes, True) / ctx.count
        return out if keepdim else _drop(out, axes)

    def backward(ctx, grad):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.broadcast_to(grad.reshape(ctx.count.shape) / ctx.count, ctx.shape) * ctx.keep


def nansum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The sum treating NaNs as zero, over all elements or ``dim`` (int or tuple); integers and bools give
    int64 (``dtype=``: cast first). The gradient is 0 at the NaNs.

    >>> import tinygrad_mlp as tg
    >>> tg.nansum(tg.tensor([[1.0, float("nan")], [3.0, 4.0]]), dim=1)
    tensor([1., 7.])
    """
    dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
    x = self if dtype is None else self.to(dtype)
    return NanSum.apply(x, axes=_reduce_dims(x, dim, "nansum"), keepdim=keepdim)


def nanmean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean of the elements that are not NaN (NaN where all are), over all elements or ``dim``; floating
    point input only (``dtype=``: a floating dtype to cast to first).

    >>> import tinygrad_mlp as tg
    >>> tg.tensor([[1.0, float("nan")], [3.0, 4.0]]).nanmean(dim=1)
    tensor([1.0000, 3.5000])
    """
    dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
    if self.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_torch_name(self.dtype)}")
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise RuntimeError(f"nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                           f"point or complex dtype. Got: {_torch_name(dtype)}")
    x = self if dtype is None else self.to(dtype)
    return NanMean.apply(x, axes=_reduce_dims(x, dim, "nanmean"), keepdim=keepdim)


# --- cummax, cummin ------------------------------------------------------------------------------------------
def _running_extreme(a: np.ndarray, better) -> np.ndarray:
    """Along the last axis, the index of the running max / min: a later equal element, and a NaN, take its
    place (torch's rule: ``x >= best or isnan(x)``)."""
    out = np.zeros(a.shape, np.int64)
    if a.shape[-1] == 0:
        return out
    best, at = a[..., 0], np.zeros(a.shape[:-1], np.int64)
    with np.errstate(invalid="ignore"):
        for i in range(a.shape[-1]):
            v = a[..., i]
            takes = better(v, best) | (v != v)
            best, at = np.where(takes, v, best), np.where(takes, i, at)
            out[..., i] = at
    return out


def _cumulative(self, dim, better, result: type, name: str):
    d = _dim(self, dim, name)
    x = self.reshape(1) if self.ndim == 0 else self
    idx = np.moveaxis(_running_extreme(np.moveaxis(x._data, d, -1), better), -1, d)
    values = Pick.apply(x, indices=idx, dim=d)
    if self.ndim == 0:
        return result(values.reshape(()), _wrap(idx.reshape(())))
    return result(values, _wrap(idx))


def cummax(self, dim):
    """``(values, indices)``: the running maximum along ``dim`` and where it is (a later equal element takes
    over; a NaN, once met, stays). The gradient goes to the element picked (summed where picked again).

    >>> import tinygrad_mlp as tg
    >>> tg.cummax(tg.tensor([1.0, 3.0, 2.0, 3.0]), 0).indices
    tensor([0, 1, 1, 3])
    """
    return _cumulative(self, dim, np.greater_equal, CummaxResult, "cummax")


def cummin(self, dim):
    """``(values, indices)``: the running minimum along ``dim`` and where it is, as `cummax`.

    >>> import tinygrad_mlp as tg
    >>> tg.tensor([2.0, 3.0, 2.0, 1.0]).cummin(0)
    cummin(
    values=tensor([2., 2., 2., 1.]),
    indices=tensor([0, 0, 2, 3]))
    """
    return _cumulative(self, dim, np.less_equal, CumminResult, "cummin")


# --- kthvalue ------------------------------------------------------------------------------------------------
def _kth_indices(rows: np.ndarray, k: int) -> np.ndarray:
    """Per row of a 2-D array, the index of the k-th smallest (1-based; NaN counts as the largest): the one a
    stable sort puts at position k - 1, so among equal elements the smallest index."""
    return np.argsort(rows, axis=-1, kind="stable")[..., k - 1]


def _per_row(fn, rows: np.ndarray, *args) -> np.ndarray:
    """``fn`` on ``rows`` (the slices along the last axis) as a 2-D array, the result in the leading shape."""
    return fn(rows.reshape(-1, rows.shape[-1]), *args).reshape(rows.shape[:-1])


def _slices_along(self, dim, op: str) -> tuple:
    """``(dim, x, n)`` for the one-element-per-slice reductions: x is the tensor (a 0-d one as 1-D)."""
    d = _dim(self, dim, op)
    x = self.reshape(1) if self.ndim == 0 else self
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size (shape {tuple(self.shape)})")
    return d, x, n


def _picked(self, x, idx: np.ndarray, d: int, keepdim: bool, result: type):
    idx = np.expand_dims(idx, d)
    values = Pick.apply(x, indices=idx, dim=d)
    if self.ndim == 0:
        return result(values.reshape(()), _wrap(idx.reshape(())))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return result(values, _wrap(idx))


def kthvalue(self, k, dim=-1, keepdim=False):
    """``(values, indices)``: the k-th smallest element (1-based, NaN counted largest) along ``dim``, and its
    index: the one a stable sort puts at position k - 1. Equal elements keep their order, so of the elements
    equal to the value it is the (k - m)-th by position, m being the number of smaller ones (the smallest
    index of the tie when k = m + 1). torch's choice among ties depends on its CPU kernel and may differ; the
    values, and the gradients' sums, are the same. The gradient goes to the element indexed.

    >>> import tinygrad_mlp as tg
    >>> tg.kthvalue(tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]), 2)
    kthvalue(
    values=tensor([2., 4.]),
    indices=tensor([2, 2]))
    """
    k = _int_arg(k, "k", "kthvalue")
    if self.dtype == np.bool_:
        raise NotImplementedError("kthvalue(): not implemented for bool tensors (\"kthvalue_cpu\" not implemented "
                                  "for 'Bool')")
    d, x, n = _slices_along(self, dim, "kthvalue")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n}, "
                           f"shape {tuple(self.shape)})")
    idx = _per_row(_kth_indices, np.moveaxis(x._data, d, -1), k)
    return _picked(self, x, idx, d, bool(keepdim), KthvalueResult)


# --- mode ----------------------------------------------------------------------------------------------------
def _mode_indices(rows: np.ndarray) -> np.ndarray:
    """Per row of a 2-D array: the smallest of the most frequent values, at the last of its positions in a
    stable sort order. NaNs sort last and compare unequal, so each NaN is a run of its own."""
    n = rows.shape[-1]
    order = np.argsort(rows, axis=-1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=-1)
    pos = np.arange(n)
    starts = np.ones(ranked.shape, bool)
    starts[..., 1:] = ranked[..., 1:] != ranked[..., :-1]  # (True between two NaNs: NaN != NaN)
    ends = np.ones(ranked.shape, bool)
    ends[..., :-1] = starts[..., 1:]
    run = np.where(ends, pos - np.maximum.accumulate(np.where(starts, pos, 0), axis=-1) + 1, 0)
    best = np.argmax(run, axis=-1)[..., None]
    return np.take_along_axis(order, best, axis=-1)[..., 0]


def mode(self, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally frequent ones)
    and its last position in a stable sort order (the largest original index of it). torch's index among equal
    elements depends on its CPU kernel's sort and may differ (over 16 elements it often does); the values, and
    the gradients' sums, are the same. Each NaN counts as a value of its own (NaN != NaN): a row of NaNs only
    gives NaN at index 0 (torch: NaN, at another index over 16 elements), and a row with both NaNs and numbers
    gives the mode of the numbers, where torch's unordered sort of NaNs can give NaN or another value. The
    gradient goes to the element indexed.

    >>> import tinygrad_mlp as tg
    >>> tg.mode(tg.tensor([[1, 2, 2, 1, 3], [0, 4, 4, 4, 0]]))
    mode(
    values=tensor([1, 4]),
    indices=tensor([3, 3]))
    """
    d, x, _ = _slices_along(self, dim, "mode")
    idx = _per_row(_mode_indices, np.moveaxis(x._data, d, -1))
    return _picked(self, x, idx, d, bool(keepdim), ModeResult)


for _method in (take, put, nansum, nanmean, cummax, cummin, kthvalue, mode):
    register(_method.__name__, method=_method)
register("put_", method=put_, toplevel=False)
del _method
