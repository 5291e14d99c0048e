"""Ops that move data around without arithmetic: their backward routes gradients back."""

from __future__ import annotations

import numpy as np

from ..args import TwoStep, as_tensor, dim_kw, dims, resolve_shape, shape_arg, take, torch_index
from ..function import Function
from ..registry import register
from .elementwise import unbroadcast
from .reduce import Max, Min


class Reshape(Function):
    torch_name = "ViewBackward0"
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    def forward(ctx, a, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Expand(Function):
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


def _is_basic(index) -> bool:
    """True for ints/slices/None/Ellipsis only: each input element is picked at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Function):
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks (torch's rules:
    see `args.torch_index`)."""

    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return take(a, index)
        except IndexError as e:
            raise IndexError(f"getitem: index {_show(index)} is invalid for a tensor of shape {a.shape}: "
                             f"{str(e).replace('axis', 'dimension')}") from None

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        index = ctx.index
        if type(index) is TwoStep:
            np.add.at(out[index[0]], index[1], grad)
        elif _is_basic(index):
            out[index] = grad
        else:
            np.add.at(out, index, grad)  # repeated indices sum their gradients
        return out


def _show(index) -> str:
    if type(index) is TwoStep:
        index = tuple(i for i in index[0] if not (isinstance(i, slice) and i == slice(None))) + index[1]
    return repr(index) if len(repr(index)) < 200 else repr(index)[:200] + "..."


class SetItem(Function):
    """``x[index] = value`` out of place (a copy of x with the value written in, in x's dtype): what an
    in-place assignment into a tensor in the graph records. Gradient: to x where not overwritten, to the
    value from the positions it was written to."""

    def forward(ctx, a, value, index):
        out = a.copy()
        assign(out, index, value)
        ctx.index, ctx.value_shape = index, np.shape(value)
        return out

    def backward(ctx, grad):
        need_a, need_v = ctx.needs_input_grad
        grad_a = grad_v = None
        if need_a:
            grad_a = grad.copy()
            assign(grad_a, ctx.index, 0)
        if need_v:
            grad_v = written_value_grad(take(grad, ctx.index), ctx.value_shape)
        return grad_a, grad_v


def written_value_grad(part: np.ndarray, value_shape: tuple) -> np.ndarray:
    """The gradient of a value written (broadcast) into positions, from the gradient there: summed back
    to the value's shape (which may have more, size-1, leading dims than the positions)."""
    if part.ndim < len(value_shape):
        part = part.reshape((1,) * (len(value_shape) - part.ndim) + part.shape)
    return unbroadcast(part, value_shape)


def assign(out: np.ndarray, index, value) -> None:
    """``out[index] = value`` for an index from `torch_index`, with an error that names the shapes."""
    try:
        if type(index) is TwoStep:
            out[index[0]][index[1]] = value
        else:
            out[index] = value
    except (IndexError, ValueError) as e:
        raise type(e)(f"__setitem__: cannot assign a value of shape {np.shape(value)} to index {_show(index)} of a "
                      f"tensor of shape {out.shape}: {str(e).replace('axis', 'dimension')}") from None


class TakeAlongDim(Function):
    """Pick one element per position along ``dim`` (the values of ``max(dim)``)."""

    def forward(ctx, a, indices, dim):
        ctx.shape, ctx.indices, ctx.dim = a.shape, indices, dim
        return np.take_along_axis(a, indices, axis=dim)

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, ctx.indices, grad, axis=ctx.dim)
        return out


class Cat(Function):
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.dim))


class Pad(Function):
    """Constant padding; ``pad`` is numpy's ((before, after), ...) per dimension."""

    def forward(ctx, a, pad, value):
        ctx.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad, a.shape))
        return np.pad(a, pad, mode="constant", constant_values=value)

    def backward(ctx, grad):
        return grad[ctx.slices]


# --- where each op becomes x.name(...), tg.name(...) -------------------------------------------------
def reshape(self, *shape):
    """The same elements in a new shape (one -1 is inferred)."""
    shape = shape_arg(shape)
    try:
        new_shape = resolve_shape(self.shape, shape)
    except ValueError:
        raise RuntimeError(f"reshape: shape {shape} is invalid for input of shape {tuple(self.shape)}") from None
    return self if new_shape == self.shape else Reshape.apply(self, shape=new_shape)


def view(self, *shape):
    """``reshape`` that never copies: refused (as torch) where the data's layout cannot take the new shape,
    e.g. after ``permute``/``t()``. (Parameters that tinygrad_mlp keeps column-major view as torch's do.)"""
    out = reshape(self, *shape)
    if out is not self and not _viewable(self._data, out.shape, self._ctx is None and self._requires_grad):
        raise RuntimeError(f"view: view size is not compatible with input tensor's size and stride (at least one "
                           f"dimension spans across two contiguous subspaces): shape {tuple(self.shape)} to "
                           f"{tuple(out.shape)}. Use .reshape(...) instead.")
    return out


def _viewable(a: np.ndarray, shape: tuple, leaf: bool) -> bool:
    if a.flags.c_contiguous or (leaf and a.flags.f_contiguous):
        return True
    try:
        np.reshape(a, shape, copy=False)
    except ValueError:
        return False
    return True


def flatten(self, start_dim=0, end_dim=-1):
    if self.ndim == 0:
        return reshape(self, 1)
    s, e = dims((start_dim, end_dim), self.ndim, "flatten")
    return reshape(self, self.shape[:s] + (-1,) + self.shape[e + 1:])


def permute(self, *order):
    order = dims(shape_arg(order), self.ndim, "permute")
    if sorted(order) != list(range(self.ndim)):
        raise RuntimeError(f"permute: {order} is not a permutation of the {self.ndim} dimensions")
    return self if order == tuple(range(self.ndim)) else Permute.apply(self, dims=order)


def transpose(self, dim0, dim1):
    d0, d1 = dims((dim0, dim1), self.ndim, "transpose")
    order = list(range(self.ndim))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(self, *order)


def t(self):
    if self.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
    return permute(self, *reversed(range(self.ndim)))


def squeeze(self, dim=None):
    if dim is None:
        return reshape(self, tuple(n for n in self.shape if n != 1))
    ds = dims(dim, self.ndim, "squeeze")
    return reshape(self, tuple(n for i, n in enumerate(self.shape) if not (i in ds and n == 1)))


def unsqueeze(self, dim):
    d = dims(dim, self.ndim + 1, "unsqueeze")[0]
    return reshape(self, self.shape[:d] + (1,) + self.shape[d:])


def expand(self, *sizes):
    sizes = shape_arg(sizes)
    extra = len(sizes) - self.ndim
    if extra < 0:
        raise RuntimeError(f"expand: cannot expand shape {tuple(self.shape)} to {sizes} (fewer dimensions)")
    shape = tuple(self.shape[i - extra] if s == -1 else s for i, s in enumerate(sizes))
    try:
        np.broadcast_shapes(self.shape, shape)
    except ValueError:
        raise RuntimeError(f"expand: cannot expand shape {tuple(self.shape)} to {sizes}") from None
    return self if shape == self.shape else Expand.apply(self, shape=shape)


def split(self, split_size_or_sections, dim=0):
    d = dims(dim, self.ndim, "split")[0]
    n = self.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} do not sum to the length {n} of dim {d}")
    out, start = [], 0
    for size in sizes:
        out.append(self[(slice(None),) * d + (slice(start, start + size),)])
        start += size
    return tuple(out)


def chunk(self, chunks, dim=0):
    n = self.shape[dims(dim, self.ndim, "chunk")[0]]
    return split(self, max(1, -(-n // chunks)), dim)


class MinMaxResult(tuple):
    """``(values, indices)`` from ``max(dim)`` / ``min(dim)``, like torch's named tuple."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _extreme(op: type, argfn, name: str):
    """``x.max()`` is the largest value (ties share the gradient); ``x.max(dim)`` gives ``(values,
    indices)`` like torch, the gradient going to the index picked; ``x.max(other)`` is ``maximum``."""

    def method(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, type(self)):
            return getattr(self, "maximum" if name == "max" else "minimum")(dim)
        dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
        if dim is None or axis is not None:
            return op.apply(self, dims=dims(dim, self.ndim, name), keepdim=keepdim)
        d = dims(dim, self.ndim, name)[0]
        idx = np.expand_dims(argfn(self._data, axis=d), d)
        values = TakeAlongDim.apply(self, indices=idx, dim=d)
        if not keepdim:
            values, idx = reshape(values, values.shape[:d] + values.shape[d + 1:]), idx.squeeze(d)
        return MinMaxResult(values, self._wrap(idx))

    method.__name__ = name
    method.__doc__ = _extreme.__doc__.replace("max", name)
    return method


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors")
    for i, x in enumerate(ts):
        if x.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = dims(dim, ts[0].ndim, "cat")[0]
    first = ts[0].shape[:d] + ts[0].shape[d + 1:]
    for i, x in enumerate(ts):
        if x.ndim != ts[0].ndim or x.shape[:d] + x.shape[d + 1:] != first:
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}: tensor 0 has shape "
                               f"{tuple(ts[0].shape)}, tensor {i} has shape {tuple(x.shape)}")
    return Cat.apply(*ts, dim=d)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, x in enumerate(ts):
        if x.shape != ts[0].shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got {tuple(ts[0].shape)} at entry 0 "
                               f"and {tuple(x.shape)} at entry {i}")
    d = dims(dim, ts[0].ndim + 1, "stack")[0]
    return cat([unsqueeze(x, d) for x in ts], d)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-D/1-D tensors: output k holds input k's values along its own axis, repeated
    (an expanded view, so gradients sum back). ``indexing="ij"`` (torch's default, without its warning)
    or ``"xy"`` (the first two axes swapped, as numpy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing not in (None, "ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of "
                               f"shape {tuple(t.shape)}")
        if t.dtype != ts[0].dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype ({ts[0].dtype} and {t.dtype})")
    sizes = [t.numel() for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) > 1:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, axis in zip(ts, axes):
        shape = [1] * len(ts)
        shape[axis] = -1
        out.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


for _method in (reshape, flatten, permute, transpose, squeeze, unsqueeze, split, chunk):
    register(_method.__name__, method=_method)
register("view", method=view, toplevel=False)
register("view_as", method=lambda self, other: reshape(self, other.shape), toplevel=False)
register("reshape_as", method=lambda self, other: reshape(self, other.shape), toplevel=False)
register("t", method=t)
register("expand", method=expand, toplevel=False)
register("expand_as", method=lambda self, other: expand(self, other.shape), toplevel=False)
register("__getitem__", method=lambda self, index: GetItem.apply(self, index=torch_index(index)), toplevel=False)
register("max", method=_extreme(Max, np.argmax, "max"))
register("min", method=_extreme(Min, np.argmin, "min"))
for _name, _function in (("cat", cat), ("concat", cat), ("concatenate", cat), ("stack", stack),
                         ("meshgrid", meshgrid)):
    register(_name, function=_function, tensor_method=False)
