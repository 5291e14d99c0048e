"""Reductions over ``dims`` (a tuple of axes, or None for all) with or without ``keepdim``."""

from __future__ import annotations

import numpy as np

from ..args import dim_kw, dims
from ..function import Function
from ..promotion import torch_name
from ..registry import register


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


class Sum(Function):
    def name(self) -> str:
        return "SumBackward0" if self.dims is None else "SumBackward1"  # (torch's: over all, or over dims)

    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.sum(axis=dims, keepdims=keepdim, dtype=np.int64 if a.dtype.kind in "biu" else None)  # (as torch)

    def backward(ctx, grad):
        return _expand(_keep(grad, ctx.shape, ctx.dims, ctx.keepdim), ctx.shape)


class Mean(Function):
    def name(self) -> str:
        return "MeanBackward0" if self.dims is None else "MeanBackward1"

    def forward(ctx, a, dims, keepdim):
        if a.dtype.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {torch_name(a.dtype)}")
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.mean(axis=dims, keepdims=keepdim)

    def backward(ctx, grad):
        g = _keep(grad, ctx.shape, ctx.dims, ctx.keepdim) / _count(ctx.shape, ctx.dims)
        return _expand(g, ctx.shape)


class Max(Function):
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


class Var(Function):
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


class LogSumExp(Function):
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


class Prod(Function):
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


# --- where each op becomes x.name(...), tg.name(...): torch's dim/keepdim, numpy's axis/keepdims ---------
def _reduction(op: type, name: str, empty_error: bool = False):
    def method(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
        if empty_error and self._data.size == 0:
            raise RuntimeError(f"{name}: cannot take the {name} of an empty tensor of shape {tuple(self.shape)}")
        return op.apply(self, dims=dims(dim, self.ndim, name), keepdim=keepdim)

    method.__name__ = name
    method.__doc__ = f"``{name}`` over ``dim`` (all dims when None), as torch."
    return method


register("sum", method=_reduction(Sum, "sum"))
register("mean", method=_reduction(Mean, "mean", empty_error=True))
register("amax", method=_reduction(Max, "amax"))
register("amin", method=_reduction(Min, "amin"))
register("logsumexp", method=_reduction(LogSumExp, "logsumexp"))


def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance with Bessel's correction by default (``correction=1``, as torch)."""
    if isinstance(dim, bool):  # torch's legacy var(unbiased)
        dim, unbiased = None, dim
    dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return Var.apply(self, dims=dims(dim, self.ndim, "var"), keepdim=keepdim, correction=correction)


def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation: the square root of `var`."""
    return var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()


def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Product over one dim (or all)."""
    dim, keepdim = dim_kw(dim, axis, keepdim, keepdims)
    if dim is None:
        return Prod.apply(self.reshape(-1), dim=0, keepdim=False).reshape((1,) * self.ndim if keepdim else ())
    return Prod.apply(self, dim=dims(dim, self.ndim, "prod")[0], keepdim=keepdim)


register("var", method=var)
register("std", method=std)
register("prod", method=prod)
