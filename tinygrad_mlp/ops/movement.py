"""Ops that move data around without arithmetic: their backward routes gradients back."""

from __future__ import annotations

import numpy as np

from ..function import Op
from .elementwise import unbroadcast


class Reshape(Op):
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Op):
    def forward(ctx, a, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Expand(Op):
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


def _is_basic(index) -> bool:
    """True for ints/slices/None/Ellipsis only: each input element is picked at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Op):
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks."""

    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {a.shape}: {e}") from None

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.index):
            out[ctx.index] = grad
        else:
            np.add.at(out, ctx.index, grad)  # repeated indices sum their gradients
        return out


class TakeAlongDim(Op):
    """Pick one element per position along ``dim`` (the values of ``max(dim)``)."""

    def forward(ctx, a, indices, dim):
        ctx.shape, ctx.indices, ctx.dim = a.shape, indices, dim
        return np.take_along_axis(a, indices, axis=dim)

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, ctx.indices, grad, axis=ctx.dim)
        return out


class Cat(Op):
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.dim))


class Pad(Op):
    """Constant padding; ``pad`` is numpy's ((before, after), ...) per dimension."""

    def forward(ctx, a, pad, value):
        ctx.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad, a.shape))
        return np.pad(a, pad, mode="constant", constant_values=value)

    def backward(ctx, grad):
        return grad[ctx.slices]
