"""Elementwise ops with numpy broadcasting. Every backward reduces its gradient to the input's
shape with the one helper `unbroadcast`."""

from __future__ import annotations

import numpy as np

from ..args import array_of
from ..function import Function
from ..promotion import cast_to, promote, promote_pow, promote_sub, result_type, to_float, true_divide_type
from ..registry import register


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back down to ``shape`` (the input's shape before broadcasting)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes).reshape(shape)


class Add(Function):
    fresh_grads = True  # new arrays, or the incoming grad itself

    def forward(ctx, a, b):
        a, b = promote(a, b)  # torch's result type (a no-op for two arrays of one dtype)
        return a + b

    def backward(ctx, grad):
        (a, b), (need_a, need_b) = ctx.inputs, ctx.needs_input_grad  # the forward's inputs
        return (unbroadcast(grad, a.shape) if need_a else None,
                unbroadcast(grad, b.shape) if need_b else None)


class Sub(Function):
    fresh_grads = True  # new arrays, or the incoming grad itself

    def forward(ctx, a, b):
        a, b = promote_sub(a, b)
        return a - b

    def backward(ctx, grad):
        (a, b), (need_a, need_b) = ctx.inputs, ctx.needs_input_grad
        return (unbroadcast(grad, a.shape) if need_a else None,
                unbroadcast(-grad, b.shape) if need_b else None)


class Mul(Function):
    fresh_grads = True  # new arrays, or the incoming grad itself

    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad * b, np.shape(a)) if need_a else None,
                unbroadcast(grad * a, np.shape(b)) if need_b else None)


class Div(Function):
    fresh_grads = True  # new arrays, or the incoming grad itself

    def forward(ctx, a, b):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.dtype is not b.dtype or a.dtype.kind != "f":
            a, b = cast_to(true_divide_type(a, b), a, b)  # integers divide to the default float dtype
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b
        return (unbroadcast(grad_a, np.shape(a)) if need_a else None,
                unbroadcast(-grad_a * a / b, np.shape(b)) if need_b else None)


class Neg(Function):
    def forward(ctx, a):
        return -a

    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """a ** b for tensor ** number, number ** tensor and tensor ** tensor."""

    def forward(ctx, a, b):
        a, b = promote_pow(a, b)
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            # d/da a**b = b * a**(b-1); torch defines it as 0 where b == 0 (even at a == 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where(np.equal(b, 0), 0.0, b * np.power(a, b - 1))
            grad_a = unbroadcast(grad * local, np.shape(a))
        if need_b:
            # d/db a**b = a**b * log(a); torch defines it as 0 where a == 0 and b >= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                local = out * np.log(a)
            local = np.where((a == 0) & (b >= 0), 0.0, local)
            grad_b = unbroadcast(grad * local, np.shape(b))
        return grad_a, grad_b


class Exp(Function):
    def forward(ctx, a):
        a = to_float(a)  # (integers: the default float dtype, as torch)
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Log(Function):
    def forward(ctx, a):
        a = to_float(a)  # (integers: the default float dtype, as torch)
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


class Sqrt(Function):
    def forward(ctx, a):
        a = to_float(a)  # (integers: the default float dtype, as torch)
        with np.errstate(invalid="ignore"):
            out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (2 * ctx.saved_tensors[0])


class Abs(Function):
    def forward(ctx, a):
        if a.dtype.kind == "b":
            raise NotImplementedError("abs: not implemented for bool tensors (as torch)")
        ctx.save_for_backward(a)
        return np.abs(a)

    def backward(ctx, grad):
        return grad * np.sign(ctx.saved_tensors[0])  # 0 at 0, as torch


class Sign(Function):
    """Forward only: the gradient is zero everywhere (as torch's)."""

    def forward(ctx, a):
        return np.sign(a)

    def backward(ctx, grad):
        return np.zeros_like(grad)


class Maximum(Function):
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_backward(ctx, grad, a > b, a == b)


class Minimum(Function):
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_backward(ctx, grad, a < b, a == b)


def _pick_backward(ctx, grad, a_wins, tie):
    """Gradient of max/min of two: to the winner, split half-half on ties (as torch)."""
    need_a, need_b = ctx.needs_input_grad
    a, b = ctx.saved_tensors
    share_a = np.where(tie, 0.5, a_wins.astype(grad.dtype))
    return (unbroadcast(grad * share_a, np.shape(a)) if need_a else None,
            unbroadcast(grad * (1 - share_a), np.shape(b)) if need_b else None)


class Clamp(Function):
    def forward(ctx, a, lo=None, hi=None):
        dt = result_type(a, *[x for x in (lo, hi) if x is not None])
        a = a if a.dtype == dt else a.astype(dt)  # (an integer tensor clamped to a float bound: a float result)
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        inside = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= a >= ctx.lo
        if ctx.hi is not None:
            inside &= a <= ctx.hi
        return grad * inside


class Where(Function):
    def forward(ctx, a, b, cond):
        ctx.cond = cond
        ctx.shapes = (np.shape(a), np.shape(b))
        return np.where(cond, *promote(a, b))

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        return (unbroadcast(np.where(ctx.cond, grad, zero), ctx.shapes[0]) if need_a else None,
                unbroadcast(np.where(ctx.cond, zero, grad), ctx.shapes[1]) if need_b else None)


class Cast(Function):
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    def backward(ctx, grad):
        return grad.astype(ctx.dtype)


class Clone(Function):
    def forward(ctx, a):
        return a.copy()

    def backward(ctx, grad):
        return grad


# --- where each op becomes x.name(...), tg.name(...) -------------------------------------------------
register("add", Add)
register("sub", Sub)
register("mul", Mul)
register("div", Div)
register("pow", Pow)
register("neg", Neg)
register("abs", Abs)
register("exp", Exp)
register("log", Log)
register("sqrt", Sqrt)
register("sign", Sign)
register("maximum", Maximum)
register("minimum", Minimum)
register("multiply", Mul)
register("divide", Div)
register("subtract", Sub)
register("true_divide", Div)
for _name, _op in (("__add__", Add), ("__sub__", Sub), ("__mul__", Mul), ("__truediv__", Div), ("__pow__", Pow),
                   ("__neg__", Neg), ("__abs__", Abs)):
    register(_name, _op, toplevel=False)
for _name, _op in (("__radd__", Add), ("__rsub__", Sub), ("__rmul__", Mul), ("__rtruediv__", Div), ("__rpow__", Pow)):
    register(_name, method=lambda self, other, _op=_op: _op.apply(other, self), toplevel=False)
register("__pos__", method=lambda self: self, toplevel=False)


def square(self):
    """x * x (a bool tensor squares to int64, as torch)."""
    if self.dtype.kind == "b":
        self = self.long()
    return Mul.apply(self, self)


def reciprocal(self):
    """1 / x."""
    return Div.apply(1.0, self)


def clamp(self, min=None, max=None):  # noqa: A002 - torch's names
    """Elements limited to [min, max] (either may be None, a number or a tensor); the gradient passes to the
    input where it is kept (a tie keeps the input) and, for tensor bounds, to the bound where it is taken."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    def constant(bound):  # a number, or a 0-d tensor that needs no gradient, as the one op takes it
        if bound is None or isinstance(bound, int | float):
            return bound
        if np.ndim(array_of(bound)) == 0 and not getattr(bound, "requires_grad", False):
            return array_of(bound)[()]
        return NotImplemented

    lo, hi = constant(min), constant(max)
    if lo is not NotImplemented and hi is not NotImplemented:
        return Clamp.apply(self, lo=lo, hi=hi)
    out = self
    if min is not None:  # max(x, min), then min(., max), as torch; NaN inputs stay NaN
        out = where(~(array_of(out) < array_of(min)), out, min)
    if max is not None:
        out = where(~(array_of(out) > array_of(max)), out, max)
    return out


def where(condition, input, other):  # noqa: A002
    """Elements of ``input`` where ``condition`` holds, else of ``other``."""
    cond = np.asarray(array_of(condition)).astype(bool, copy=False)
    return Where.apply(input, other, cond=cond)


register("square", method=square)
register("reciprocal", method=reciprocal)
register("clamp", method=clamp)
register("clip", method=clamp)
register("where", method=lambda self, condition, other: where(condition, self, other), function=where)
