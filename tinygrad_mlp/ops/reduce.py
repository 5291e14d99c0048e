"""Reductions over ``dims`` (a tuple of axes, or None for all) with or without ``keepdim``."""

from __future__ import annotations

import numpy as np

from ..function import Op


def _keep(grad: np.ndarray, shape: tuple, dims: tuple | None, keepdim: bool) -> np.ndarray:
    """Reshape a reduced gradient so it broadcasts against the input (keepdim form)."""
    if keepdim or dims is None:  # a 0-d gradient broadcasts as it is
        return grad
    kept = tuple(1 if (dims is None or i in dims) else n for i, n in enumerate(shape))
    return grad.reshape(kept)


def _squeeze(out: np.ndarray, dims: tuple | None) -> np.ndarray:
    return out.reshape(()) if dims is None else np.squeeze(out, axis=dims)


def _expand(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """A fresh array of ``shape`` holding the (broadcastable) grad; cheaper than np.broadcast_to
    for the small arrays where it matters, and safe to keep as a leaf's .grad."""
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


def _count(shape: tuple, dims: tuple | None) -> int:
    if dims is None:
        return int(np.prod(shape))
    return int(np.prod([shape[d] for d in dims]))


class Sum(Op):
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.sum(axis=dims, keepdims=keepdim)

    def backward(ctx, grad):
        return _expand(_keep(grad, ctx.shape, ctx.dims, ctx.keepdim), ctx.shape)


class Mean(Op):
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.mean(axis=dims, keepdims=keepdim)

    def backward(ctx, grad):
        g = _keep(grad, ctx.shape, ctx.dims, ctx.keepdim) / _count(ctx.shape, ctx.dims)
        return _expand(g, ctx.shape)


class Max(Op):
    """Largest value; tied maxima share the gradient equally (as torch.amax)."""

    reduce = staticmethod(np.max)

    def forward(ctx, a, dims, keepdim):
        if a.size == 0:
            raise RuntimeError(f"{type(ctx).__name__.lower()}: cannot reduce an empty tensor of shape {a.shape}")
        out = type(ctx).reduce(a, axis=dims, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else _squeeze(out, dims)

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        hit = a == out
        share = hit / hit.sum(axis=ctx.dims, keepdims=True)
        return share * _keep(grad, a.shape, ctx.dims, ctx.keepdim)


class Min(Max):
    reduce = staticmethod(np.min)


class Var(Op):
    def forward(ctx, a, dims, keepdim, correction):
        centred = a - a.mean(axis=dims, keepdims=True)
        ctx.save_for_backward(centred)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.denom = max(_count(a.shape, dims) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (centred * centred).sum(axis=dims, keepdims=keepdim) / ctx.denom

    def backward(ctx, grad):
        (centred,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # one element, correction 1: nan, as torch
            return _keep(grad, centred.shape, ctx.dims, ctx.keepdim) * (2 / np.float64(ctx.denom)).astype(
                centred.dtype) * centred


class LogSumExp(Op):
    def forward(ctx, a, dims, keepdim):
        m = np.max(a, axis=dims, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) rows: don't make nan from inf - inf
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(a - m).sum(axis=dims, keepdims=True)) + m
        ctx.save_for_backward(a, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else _squeeze(out, dims)

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return _keep(grad, a.shape, ctx.dims, ctx.keepdim) * np.exp(a - out)


class Prod(Op):
    """Product along one dim; the gradient uses products of the others, so zeros are exact."""

    def forward(ctx, a, dim, keepdim):
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return a.prod(axis=dim, keepdims=keepdim)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        d = ctx.dim
        ones = np.ones_like(np.take(a, [0], axis=d))
        before = np.cumprod(np.concatenate([ones, np.take(a, range(a.shape[d] - 1), axis=d)], axis=d), axis=d)
        rev = np.flip(a, axis=d)
        after = np.flip(np.cumprod(np.concatenate([ones, np.take(rev, range(a.shape[d] - 1), axis=d)], axis=d),
                                   axis=d), axis=d)
        return _keep(grad, a.shape, (d,), ctx.keepdim) * before * after
