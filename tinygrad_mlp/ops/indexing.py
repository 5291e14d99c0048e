"""torch's shape and indexing ops beyond ``movement.py``: flip, roll, repeat, tile, repeat_interleave,
gather, scatter, index_select, index_add, masked_fill, tril/triu, diag, unflatten; the ``new_*``
factories, ``type_as`` and ``register_hook``. Each backward routes the gradient back to where the
values came from (``np.add.at`` where an element may be picked twice)."""

from __future__ import annotations

import math
import weakref

import numpy as np

from ..args import array_of, check_device, dims, shape_arg, to_array
from ..function import Function
from ..registry import register
from ..state import modify_in_place
from .movement import written_value_grad


def _dim(self, dim, op: str) -> int:
    return dims(dim, self.ndim, op)[0]


def _index_array(index, op: str) -> np.ndarray:
    idx = np.asarray(array_of(index))
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): expected an integer (int64) index tensor, got dtype {idx.dtype}")
    return idx


# --- flip, roll, repeat, tile -----------------------------------------------------------------------------
class Flip(Function):
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a, dims).copy()

    def backward(ctx, grad):
        return np.flip(grad, ctx.dims).copy()


class Roll(Function):
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(a.reshape(-1), shifts).reshape(a.shape)
        return np.roll(a, shifts, dims)

    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        if ctx.dims is None:
            return np.roll(grad.reshape(-1), back).reshape(grad.shape)
        return np.roll(grad, back, ctx.dims)


class Repeat(Function):
    """torch's ``repeat``: the whole tensor tiled ``reps`` times per dim (numpy's tile)."""

    def forward(ctx, a, reps):
        ctx.input_shape = a.shape
        a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
        ctx.shape, ctx.reps = a.shape, reps
        return np.tile(a, reps)

    def backward(ctx, grad):
        split = [n for pair in zip(ctx.reps, ctx.shape) for n in pair]
        return grad.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.input_shape)


def flip(self, *dims_):
    return Flip.apply(self, dims=dims(shape_arg(dims_), self.ndim, "flip"))


def roll(self, shifts, dims=None):
    if dims is None:
        if not isinstance(shifts, int):
            raise RuntimeError("roll(): with dims=None, shifts must be one int")
        return Roll.apply(self, shifts=shifts, dims=None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(ds):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(ds)}")
    return Roll.apply(self, shifts=shifts, dims=globals()["dims"](ds, self.ndim, "roll"))


def repeat(self, *sizes):
    reps = shape_arg(sizes)
    if len(reps) < self.ndim:
        raise RuntimeError("repeat(): number of dimensions of repeat dims can not be smaller than number of "
                           f"dimensions of tensor ({len(reps)} < {self.ndim})")
    return Repeat.apply(self, reps=reps)


def tile(self, *dims_):
    reps = shape_arg(dims_)
    return Repeat.apply(self, reps=(1,) * (self.ndim - len(reps)) + reps)


# --- gather, scatter, index_select, index_add ----------------------------------------------------------
def _along(index: np.ndarray, dim: int) -> tuple:
    """The fancy index that picks ``a[..., index[i, j, ...] (at dim), ...]`` for every position of index."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _check_index_shape(a_shape, index, dim, op: str, src_shape=None) -> None:
    if index.ndim != len(a_shape) and not (index.ndim == 0 and len(a_shape) == 0):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"({index.ndim} vs {len(a_shape)})")
    for d, n in enumerate(index.shape):
        if d != dim and n > a_shape[d]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {d} expected index {index.shape} to be "
                               f"no larger than self {tuple(a_shape)} apart from dimension {dim}")
        if src_shape is not None and n > src_shape[d]:
            raise RuntimeError(f"{op}(): Expected index {index.shape} to be no larger than src {tuple(src_shape)}")
    if index.size and (index.min() < -a_shape[dim] or index.max() >= a_shape[dim]):
        raise RuntimeError(f"{op}(): index out of range for dimension {dim} of size {a_shape[dim]}")


class Gather(Function):
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.where = a.shape, _along(index, dim)
        return a[ctx.where]

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        np.add.at(out, ctx.where, grad)
        return out


def _src_part(src, index):
    """The part of ``src`` that scatter uses: its leading ``index.shape`` block (or a number)."""
    if np.ndim(src) == 0:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


class Scatter(Function):
    """``out = a`` with ``out[index along dim] = src`` (``reduce='add'``: added, as scatter_add)."""

    def forward(ctx, a, src, dim, index, add):
        ctx.where, ctx.add, ctx.index, ctx.src_shape = _along(index, dim), add, index, np.shape(src)
        out = a.copy()
        part = _src_part(src, index)
        if add:
            np.add.at(out, ctx.where, part)
        else:
            out[ctx.where] = part
        return out

    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad
        grad_a = grad_src = None
        if need_a:
            grad_a = grad.copy()
            if not ctx.add:
                grad_a[ctx.where] = 0
        if need_src:
            grad_src = np.zeros(ctx.src_shape, grad.dtype)
            grad_src[tuple(slice(0, n) for n in ctx.index.shape)] = grad[ctx.where]
        return grad_a, grad_src


def gather(self, dim, index, *, sparse_grad=False):
    d, idx = _dim(self, dim, "gather"), _index_array(index, "gather")
    _check_index_shape(self.shape, idx, d, "gather")
    return Gather.apply(self, dim=d, index=idx)


def _scatter_args(self, dim, index, src, value, op):
    if src is None:
        src = value
    if src is None:
        raise TypeError(f"{op}(): expected a src tensor or a value")
    d, idx = _dim(self, dim, op), _index_array(index, op)
    _check_index_shape(self.shape, idx, d, op, None if np.ndim(array_of(src)) == 0 else np.shape(array_of(src)))
    if not isinstance(src, Function.tensor_type):
        src = np.asarray(src, dtype=self.dtype)
    elif src.dtype != self.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype "
                           f"({self.dtype.name} vs {src.dtype.name})")
    return d, idx, src


def _reduce_kind(reduce, op):
    if reduce not in (None, "add"):
        raise NotImplementedError(f"{op}(): reduce={reduce!r} is not supported here (None or 'add')")
    return reduce == "add"


def scatter(self, dim, index, src=None, *, value=None, reduce=None):
    d, idx, src = _scatter_args(self, dim, index, src, value, "scatter")
    return Scatter.apply(self, src, dim=d, index=idx, add=_reduce_kind(reduce, "scatter"))


def scatter_add(self, dim, index, src):
    d, idx, src = _scatter_args(self, dim, index, src, None, "scatter_add")
    return Scatter.apply(self, src, dim=d, index=idx, add=True)


def _in_place(self, op: str, compute, write, *operands):
    """An in-place op, as torch: refused on a leaf that requires grad (under grad mode); recorded when the
    tensor is in a graph or an operand requires grad (``compute(snapshot)`` out of place, then this tensor
    takes the result's data and node); otherwise ``write(array)`` changes the data in place."""
    if self._records(op, *operands):
        return self._rebind(op, compute)
    write(self._inplace(op))
    modify_in_place(self)  # (after the write: a failed one changes nothing)
    return self


def scatter_(self, dim, index, src=None, *, value=None, reduce=None, _op="scatter_"):
    d, idx, src = _scatter_args(self, dim, index, src, value, _op)
    add = _reduce_kind(reduce, _op)
    part = _src_part(array_of(src), idx)

    def write(dst):
        if add:
            np.add.at(dst, _along(idx, d), part)
        else:
            dst[_along(idx, d)] = part

    return _in_place(self, _op, lambda s: Scatter.apply(s, src, dim=d, index=idx, add=add), write, src)


def scatter_add_(self, dim, index, src):
    return scatter_(self, dim, index, src, reduce="add", _op="scatter_add_")


class IndexSelect(Function):
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return np.take(a, index, axis=dim)

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        np.add.at(np.moveaxis(out, ctx.dim, 0), ctx.index, np.moveaxis(grad, ctx.dim, 0))
        return out


class IndexAdd(Function):
    """``out = a``, then ``out[index[i]] += alpha * source[i]`` along dim."""

    def forward(ctx, a, source, dim, index, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = a.copy()
        np.add.at(np.moveaxis(out, dim, 0), index, np.moveaxis(source * alpha if alpha != 1 else source, dim, 0))
        return out

    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad
        grad_src = None
        if need_src:
            grad_src = np.take(grad, ctx.index, axis=ctx.dim)
            if ctx.alpha != 1:
                grad_src = grad_src * ctx.alpha
        return (grad if need_a else None), grad_src


def _index_1d(self, dim, index, op):
    d = _dim(self, dim, op)
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {idx.shape}")
    idx = idx.reshape(-1)
    n = self.shape[d] if self.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}(): index out of range in self (dimension {d} has size {n})")
    return d, idx


def index_select(self, dim, index):
    if self.ndim == 0:
        return self.reshape(1)[_index_1d(self.reshape(1), 0, index, "index_select")[1]].reshape(())
    d, idx = _index_1d(self, dim, index, "index_select")
    return IndexSelect.apply(self, dim=d, index=idx)


def _index_add_args(self, dim, index, source, op):
    d, idx = _index_1d(self, dim, index, op)
    src_shape = tuple(np.shape(array_of(source)))
    want = self.shape[:d] + (idx.size,) + self.shape[d + 1:]
    if src_shape != want:
        raise RuntimeError(f"{op}(): source of shape {src_shape} does not match {want} (self {tuple(self.shape)}, "
                           f"index of {idx.size} along dim {d})")
    return d, idx


def index_add(self, dim, index, source, *, alpha=1):
    d, idx = _index_add_args(self, dim, index, source, "index_add")
    return IndexAdd.apply(self, source, dim=d, index=idx, alpha=alpha)


def index_add_(self, dim, index, source, *, alpha=1):
    d, idx = _index_add_args(self, dim, index, source, "index_add_")
    src = array_of(source)

    def write(dst):
        np.add.at(np.moveaxis(dst, d, 0), idx, np.moveaxis(src * alpha if alpha != 1 else src, d, 0))

    return _in_place(self, "index_add_", lambda s: IndexAdd.apply(s, source, dim=d, index=idx, alpha=alpha), write,
                     source)


def repeat_interleave(self, repeats, dim=None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times (an int or one count per element)."""
    x = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else _dim(self, dim, "repeat_interleave")
    reps = np.asarray(array_of(repeats))
    if reps.dtype.kind not in "iu":
        raise RuntimeError(f"repeat_interleave(): repeats must be integers, got {reps.dtype}")
    if reps.ndim > 1 or (reps.ndim == 1 and reps.size not in (1, x.shape[d])):
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim, "
                           f"got {reps.shape} for size {x.shape[d]}")
    if (reps < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    idx = np.repeat(np.arange(x.shape[d]), reps.reshape(-1) if reps.ndim else int(reps))
    return IndexSelect.apply(x, dim=d, index=idx)


def _repeat_interleave_function(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated by their counts
        counts = np.asarray(array_of(input))
        return Function.tensor_type._wrap(np.repeat(np.arange(counts.size), counts.reshape(-1)))
    return repeat_interleave(_tensor(input), repeats, dim)


def _tensor(x):
    return x if isinstance(x, Function.tensor_type) else Function.tensor_type(x)


# --- masked_fill, tril/triu, diag -------------------------------------------------------------------------
class MaskedFill(Function):
    """``a`` with ``value`` where ``mask`` (broadcast to a's shape); ``value`` may be a 0-d tensor."""

    def forward(ctx, a, value, mask):
        ctx.mask = np.broadcast_to(mask, a.shape)
        return np.where(ctx.mask, np.asarray(value).astype(a.dtype), a)

    def backward(ctx, grad):
        need_a, need_v = ctx.needs_input_grad
        return (np.where(ctx.mask, 0, grad).astype(grad.dtype, copy=False) if need_a else None,
                grad[ctx.mask].sum() if need_v else None)


def _mask_value(self, mask, value, op):
    m = np.asarray(array_of(mask))
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op}(): expected a boolean mask, got dtype {m.dtype}")
    try:
        np.broadcast_shapes(m.shape, self.shape)
    except ValueError:
        raise RuntimeError(f"{op}(): the mask of shape {m.shape} does not broadcast to {tuple(self.shape)}") from None
    if isinstance(value, Function.tensor_type) and value.ndim != 0:
        raise RuntimeError(f"{op}() only supports a 0-dimensional value tensor, but got one with "
                           f"{value.ndim} dimension(s)")
    return m, value


def masked_fill(self, mask, value):
    m, value = _mask_value(self, mask, value, "masked_fill")
    return MaskedFill.apply(self, value, mask=m)


def masked_fill_(self, mask, value):
    m, value = _mask_value(self, mask, value, "masked_fill_")

    def write(dst):
        dst[np.broadcast_to(m, dst.shape)] = array_of(value)

    return _in_place(self, "masked_fill_", lambda s: MaskedFill.apply(s, value, mask=m), write, value)


class Triangle(Function):
    """tril / triu of the last two dims: a fixed mask times the input."""

    def forward(ctx, a, upper, diagonal):
        rows, cols = a.shape[-2:]
        keep = np.tri(rows, cols, diagonal - 1 if upper else diagonal, dtype=bool)
        ctx.keep = ~keep if upper else keep
        return np.where(ctx.keep, a, np.zeros((), a.dtype))

    def backward(ctx, grad):
        return np.where(ctx.keep, grad, np.zeros((), grad.dtype))


def _triangle(upper: bool, name: str):
    def method(self, diagonal=0):
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return Triangle.apply(self, upper=upper, diagonal=int(diagonal))

    method.__name__ = name
    return method


class Diag(Function):
    """1-D -> the square matrix with it on diagonal ``k``; 2-D -> its diagonal ``k``."""

    def forward(ctx, a, k):
        ctx.shape, ctx.k = a.shape, k
        return np.diag(a, k).copy()

    def backward(ctx, grad):
        if len(ctx.shape) == 1:
            return np.diagonal(grad, ctx.k).copy()
        out = np.zeros(ctx.shape, grad.dtype)
        rows = np.arange(grad.shape[0])
        out[rows - min(ctx.k, 0), rows + max(ctx.k, 0)] = grad
        return out


def diag(self, diagonal=0):
    if self.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
    return Diag.apply(self, k=int(diagonal))


def unflatten(self, dim, sizes):
    d = _dim(self, dim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != self.shape[d]) or (known and self.shape[d] % known):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({self.shape[d]}) in the input tensor")
    return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])


# --- new_*, type_as ---------------------------------------------------------------------------------------
def _new(self, data: np.ndarray, requires_grad: bool, device=None, op: str = "new_*"):
    check_device(device, op)  # (cuda refused as torch refuses it on a machine without one)
    t = Function.tensor_type(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(self, np.zeros(shape_arg(size), dtype or self._data.dtype), requires_grad, device, "new_zeros")


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(self, np.ones(shape_arg(size), dtype or self._data.dtype), requires_grad, device, "new_ones")


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(self, np.empty(shape_arg(size), dtype or self._data.dtype), requires_grad, device, "new_empty")


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _new(self, np.full(shape_arg((size,)), fill_value, dtype or self._data.dtype), requires_grad, device,
                "new_full")


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A copy of ``data`` (a leaf) in this tensor's dtype unless ``dtype`` is given (as torch)."""
    return _new(self, to_array(data, dtype or self.dtype, copy=True), requires_grad, device, "new_tensor")


def type_as(self, other):
    return self.to(other.dtype)


# --- register_hook --------------------------------------------------------------------------------------
class _HookHandle:
    def __init__(self, hooks: list, hook) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def register_hook(self, hook):
    """Call ``hook(grad)`` with this tensor's gradient during backward; a returned tensor replaces it.
    On a non-leaf the hook sees the summed gradient before it flows on; on a leaf, before it is added
    to ``.grad``. Returns a handle with ``.remove()``."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    owner = self._ctx if self._ctx is not None else self
    table = type(self)._grad_hooks
    key = id(owner)
    if key not in table:  # (dropped when the node or leaf is collected, so an id is never reused stale)
        table[key] = (weakref.ref(owner, lambda _, key=key: table.pop(key, None)), [])
    hooks = table[key][1]
    hooks.append(hook)
    return _HookHandle(hooks, hook)


def nelement(self):
    return self._data.size


for _method in (flip, roll, repeat_interleave, gather, scatter, scatter_add, index_select, index_add, diag,
                unflatten, masked_fill):
    register(_method.__name__, method=_method)
register("repeat_interleave", method=repeat_interleave, function=_repeat_interleave_function)
register("tile", method=tile)
register("fliplr", method=lambda self: flip(self, 1))
register("flipud", method=lambda self: flip(self, 0))
register("tril", method=_triangle(False, "tril"))
register("triu", method=_triangle(True, "triu"))
for _method in (repeat, scatter_, scatter_add_, index_add_, masked_fill_, new_zeros, new_ones, new_empty, new_full,
                new_tensor, type_as, register_hook, nelement):
    register(_method.__name__, method=_method, toplevel=False)
del _method


# --- index_put, index_fill, index_copy ----------------------------------------------------------------------
class IndexPut(Function):
    """``out = a`` with ``out[indices] = values`` (``accumulate``: added, repeats summed). Gradient: to ``a``
    where not overwritten (everywhere when accumulating), to ``values`` from the positions they went to."""

    def forward(ctx, a, values, index, accumulate):
        ctx.index, ctx.accumulate, ctx.values_shape = index, accumulate, np.shape(values)
        out = a.copy()
        if accumulate:
            np.add.at(out, index, values)
        else:
            out[index] = values
        return out

    def backward(ctx, grad):
        need_a, need_v = ctx.needs_input_grad
        grad_a = grad_v = None
        if need_a:
            grad_a = grad.copy()
            if not ctx.accumulate:
                grad_a[ctx.index] = 0
        if need_v:
            grad_v = written_value_grad(grad[ctx.index], ctx.values_shape)
        return grad_a, grad_v


def _index_tuple(indices, op) -> tuple:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): indices must be a tuple of tensors, got {type(indices).__name__}")
    index = []
    for i, t in enumerate(indices):
        a = None if t is None else np.asarray(array_of(t))
        if a is None or a.dtype.kind not in "iub":
            raise TypeError(f"{op}(): expected an integer or boolean index tensor as element {i} of indices, got "
                            f"{'None' if a is None else a.dtype}")
        index.append(a)
    return tuple(index)


def _index_put_args(self, indices, values, op):
    index = _index_tuple(indices, op)
    v = values if isinstance(values, Function.tensor_type) else np.asarray(values, self.dtype)
    if v.dtype != self.dtype:
        raise RuntimeError(f"{op}(): Index put requires the source and destination dtypes match, got {self.dtype.name} "
                           f"for the destination and {v.dtype.name} for the source.")
    try:
        picked = np.empty(self.shape, np.bool_)[index]
        np.broadcast_to(np.empty(np.shape(array_of(v)), np.bool_), picked.shape)
    except IndexError as e:
        raise IndexError(f"{op}(): {e} (tensor of shape {tuple(self.shape)})") from None
    except ValueError:
        raise RuntimeError(f"{op}(): values of shape {tuple(np.shape(array_of(v)))} cannot be broadcast to the "
                           f"indexed shape {picked.shape} (tensor of shape {tuple(self.shape)})") from None
    return index, v


def index_put(self, indices, values, accumulate=False):
    """``x.index_put((rows, cols), values)``: a copy of x with ``x[rows, cols] = values`` (``accumulate=True``:
    added, repeated positions summed).

    >>> import tinygrad_mlp as tg
    >>> tg.zeros(3).index_put((tg.tensor([0, 0]),), tg.tensor([1.0, 2.0]), accumulate=True)
    tensor([3., 0., 0.])
    """
    index, v = _index_put_args(self, indices, values, "index_put")
    return IndexPut.apply(self, v, index=index, accumulate=bool(accumulate))


def index_put_(self, indices, values, accumulate=False):
    """In-place `index_put` (recorded when the tensor is in a graph)."""
    index, v = _index_put_args(self, indices, values, "index_put_")
    acc, arr = bool(accumulate), array_of(v)

    def write(dst):
        if acc:
            np.add.at(dst, index, arr)
        else:
            dst[index] = arr

    return _in_place(self, "index_put_", lambda s: IndexPut.apply(s, v, index=index, accumulate=acc), write, v)


class IndexFill(Function):
    """``a`` with ``value`` in the slices ``index`` along ``dim``; ``value`` may be a 0-d tensor."""

    def forward(ctx, a, value, dim, index):
        ctx.dim, ctx.index = dim, np.unique(index % a.shape[dim]) if a.ndim else index
        out = a.copy()
        (np.moveaxis(out, dim, 0) if out.ndim else out.reshape(1))[ctx.index] = value
        return out

    def backward(ctx, grad):
        need_a, need_v = ctx.needs_input_grad
        grad_a = grad_v = None
        if need_a:
            grad_a = grad.copy()
            (np.moveaxis(grad_a, ctx.dim, 0) if grad.ndim else grad_a.reshape(1))[ctx.index] = 0
        if need_v:
            grad_v = np.take(grad.reshape(-1) if grad.ndim == 0 else grad, ctx.index, axis=ctx.dim).sum()
        return grad_a, grad_v


def _index_fill_args(self, dim, index, value, op):
    d, idx = _index_1d(self, dim, index, op)
    if isinstance(value, Function.tensor_type) and value.ndim != 0:
        raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor with {value.ndim} "
                           "dimension(s).")
    if not isinstance(value, Function.tensor_type):
        value = np.asarray(value).astype(self.dtype)
    return d, idx, value


def index_fill(self, dim, index, value):
    """Fill the slices ``index`` along ``dim`` with ``value`` (a number or a 0-d tensor).

    >>> import tinygrad_mlp as tg
    >>> tg.zeros(2, 3).index_fill(1, tg.tensor([0, 2]), 5.0)
    tensor([[5., 0., 5.],
            [5., 0., 5.]])
    """
    d, idx, value = _index_fill_args(self, dim, index, value, "index_fill")
    return IndexFill.apply(self, value, dim=d, index=idx)


def index_fill_(self, dim, index, value):
    d, idx, value = _index_fill_args(self, dim, index, value, "index_fill_")

    def write(dst):
        (np.moveaxis(dst, d, 0) if dst.ndim else dst.reshape(1))[idx] = array_of(value)

    return _in_place(self, "index_fill_", lambda s: IndexFill.apply(s, value, dim=d, index=idx), write, value)


class IndexCopy(Function):
    """``out = a`` with the slices ``index`` along ``dim`` replaced by those of ``source``."""

    def forward(ctx, a, source, dim, index):
        ctx.dim, ctx.index = dim, index
        out = a.copy()
        np.moveaxis(out, dim, 0)[index] = np.moveaxis(source, dim, 0)
        return out

    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad
        grad_a = None
        if need_a:
            grad_a = grad.copy()
            np.moveaxis(grad_a, ctx.dim, 0)[ctx.index] = 0
        return grad_a, (np.take(grad, ctx.index, axis=ctx.dim) if need_src else None)


def _index_copy_args(self, dim, index, source, op):
    if not isinstance(source, Function.tensor_type):
        raise TypeError(f"{op}(): source must be a Tensor, not {type(source).__name__}")
    if source.dtype != self.dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got (self) {self.dtype.name} "
                           f"and (source) {source.dtype.name}")
    d, idx = _index_add_args(self, dim, index, source, op)
    if idx.size and idx.min() < 0:  # (index_add takes negative indices; index_copy refuses them, as torch)
        raise IndexError(f"{op}(): index {idx.min()} is out of bounds for dimension {d} with size {self.shape[d]}")
    return d, idx


def index_copy(self, dim, index, source):
    """A copy with the slices ``index`` along ``dim`` taken from ``source``.

    >>> import tinygrad_mlp as tg
    >>> tg.zeros(3).index_copy(0, tg.tensor([2, 0]), tg.tensor([1.0, 2.0]))
    tensor([2., 0., 1.])
    """
    d, idx = _index_copy_args(self, dim, index, source, "index_copy")
    return IndexCopy.apply(self, source, dim=d, index=idx)


def index_copy_(self, dim, index, source):
    d, idx = _index_copy_args(self, dim, index, source, "index_copy_")

    def write(dst):
        np.moveaxis(dst, d, 0)[idx] = np.moveaxis(source._data, d, 0)

    return _in_place(self, "index_copy_", lambda s: IndexCopy.apply(s, source, dim=d, index=idx), write, source)


# --- scatter_reduce ----------------------------------------------------------------------------------------
_REDUCE_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":  # (False is the smallest bool, True the largest)
        return reduce == "amin"
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class ScatterReduce(Function):
    """``out = a``, then every ``src`` element reduced into ``out[index along dim]`` with ``reduce``
    (sum, prod, mean, amax, amin); ``include_self=False`` leaves a's value out of the positions written to.
    Gradients as torch's: amax/amin split among ties, prod exact with zeros."""

    def forward(ctx, a, src, dim, index, reduce, include_self):
        where, part = _along(index, dim), _src_part(src, index)
        hit = np.zeros(a.shape, np.int64)
        np.add.at(hit, where, 1)
        out = a.copy()
        if not include_self:
            out[hit > 0] = _identity(reduce, a.dtype)
        _REDUCE_UFUNC[reduce].at(out, where, part)
        count = hit + include_self
        if reduce == "mean":
            n = np.maximum(count, 1)
            out = np.where(hit > 0, out // n if a.dtype.kind in "iub" else out / n, out).astype(a.dtype)
        ctx.where, ctx.hit, ctx.count, ctx.reduce, ctx.include_self = where, hit > 0, count, reduce, include_self
        ctx.index_shape, ctx.src_shape = index.shape, np.shape(src)
        ctx.save_for_backward(a, part, out)
        return out

    def backward(ctx, grad):
        a, part, out = ctx.saved_tensors
        g_self, g_part = _SCATTER_REDUCE_GRADS[ctx.reduce](ctx, grad, a, part, out)
        if not ctx.include_self:
            g_self = np.where(ctx.hit, 0, g_self)
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = np.zeros(ctx.src_shape, grad.dtype)
            grad_src[tuple(slice(0, n) for n in ctx.index_shape)] = g_part
        return (g_self.astype(grad.dtype, copy=False) if ctx.needs_input_grad[0] else None), grad_src


def _sum_grads(ctx, grad, a, part, out):
    return grad, grad[ctx.where]


def _mean_grads(ctx, grad, a, part, out):
    g = grad / np.maximum(ctx.count, 1)
    return np.where(ctx.hit, g, grad), g[ctx.where]


def _extreme_grads(ctx, grad, a, part, out):
    self_hit = a == out  # (counted among the ties even with include_self=False, as torch)
    src_hit = part == out[ctx.where]
    ties = self_hit.astype(np.int64)
    np.add.at(ties, ctx.where, src_hit)
    g = grad / np.maximum(ties, 1)
    return np.where(ctx.hit, g * self_hit, grad), g[ctx.where] * src_hit


def _prod_grads(ctx, grad, a, part, out):
    """d out / d x = the product of the other contributors: out / x without zeros; with one zero, the
    product of the non-zeros for the zero and 0 for the rest; with two or more zeros, 0."""
    zeros = ((a == 0) & ctx.include_self).astype(np.int64)
    np.add.at(zeros, ctx.where, part == 0)
    nonzero = np.where((a != 0) & ctx.include_self, a, np.ones_like(a))
    np.multiply.at(nonzero, ctx.where, np.where(part == 0, 1, part))

    def others(x, nz, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x != 0, np.where(z == 0, nz / np.where(x == 0, 1, x), 0), np.where(z == 1, nz, 0))

    g_self = np.where(ctx.hit, grad * others(a, nonzero, zeros), grad)
    return g_self, grad[ctx.where] * others(part, nonzero[ctx.where], zeros[ctx.where])


_SCATTER_REDUCE_GRADS = {"sum": _sum_grads, "mean": _mean_grads, "prod": _prod_grads, "amax": _extreme_grads,
                         "amin": _extreme_grads}


def _scatter_reduce_args(self, dim, index, src, reduce, op):
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"{op}(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce!r}")
    if not isinstance(src, Function.tensor_type):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter_args(self, dim, index, src, None, op)


def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into a copy of the tensor at ``index`` along ``dim`` (reduce: 'sum', 'prod', 'mean',
    'amax', 'amin'; ``include_self=False`` leaves the tensor's own values out where something lands).

    >>> import tinygrad_mlp as tg
    >>> tg.zeros(2).scatter_reduce(0, tg.tensor([0, 0, 1]), tg.tensor([1.0, 3.0, 5.0]), "amax", include_self=False)
    tensor([3., 5.])
    """
    d, idx, src = _scatter_reduce_args(self, dim, index, src, reduce, "scatter_reduce")
    return ScatterReduce.apply(self, src, dim=d, index=idx, reduce=reduce, include_self=bool(include_self))


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    d, idx, src = _scatter_reduce_args(self, dim, index, src, reduce, "scatter_reduce_")
    inc = bool(include_self)

    def compute(s):
        return ScatterReduce.apply(s, src, dim=d, index=idx, reduce=reduce, include_self=inc)

    def write(dst):
        dst[...] = ScatterReduce.apply(dst, src._data, dim=d, index=idx, reduce=reduce, include_self=inc)._data

    return _in_place(self, "scatter_reduce_", compute, write, src)


for _method in (index_put, index_fill, index_copy, scatter_reduce):
    register(_method.__name__, method=_method)
for _method in (index_put_, index_fill_, index_copy_, scatter_reduce_):
    register(_method.__name__, method=_method, toplevel=False)
del _method


# --- embedding --------------------------------------------------------------------------------------------
class Embedding(Function):
    """Rows of ``weight`` picked by integer ``indices``; the padding row gets no gradient (as torch)."""

    def forward(ctx, weight, indices, padding_idx):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        np.add.at(out, ctx.indices.reshape(-1), grad.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            out[ctx.padding_idx] = 0
        return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,  # noqa: A002
              sparse=False):
    """torch.nn.functional.embedding: ``weight[input]`` for integer indices of any shape."""
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding: max_norm and scale_grad_by_freq are not supported here")
    idx = np.asarray(array_of(input))
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding(): Expected tensor for argument #1 'indices' to have an integer scalar type "
                           f"(Long or Int); but got {idx.dtype} instead")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding(): 'weight' must be 2-D, got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding(): index out of range in self (indices in [{idx.min()}, {idx.max()}], "
                         f"{n} rows)")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)


register("embedding", function=embedding, tensor_method=False, toplevel=False, functional=True)
