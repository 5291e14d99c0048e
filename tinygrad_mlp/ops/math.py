"""torch's elementwise math beyond the arithmetic of ``elementwise.py``: trigonometric and hyperbolic
functions and their inverses, exp/log variants, erf, logit, atan2, fmod, remainder, lerp, and the
rounding functions (whose gradient is zero, as torch's).

Integer and bool inputs of the float functions give the default float dtype, as in torch."""

from __future__ import annotations

import math

import numpy as np

from ..args import array_of
from ..function import Function
from ..registry import register
from ..state import default_dtype
from .activation import erf  # (the C library's, elementwise: the one GELU uses)
from .elementwise import unbroadcast


def _floating(a):
    """torch computes float functions of integer/bool tensors in the default float dtype."""
    if isinstance(a, np.ndarray) and a.dtype.kind not in "fc":
        return a.astype(default_dtype())
    return a


class _Unary(Function):
    """``f(a)`` with ``f'(a)`` from the saved input (and output): subclasses give both as numpy."""

    fresh_grads = True

    def forward(ctx, a):
        a = _floating(a)
        with np.errstate(all="ignore"):
            out = type(ctx).f(a)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return grad * type(ctx).df(a, out)


def _unary(name: str, f, df) -> type:
    op = type(name[0].upper() + name[1:], (_Unary,), {"f": staticmethod(f), "df": staticmethod(df),
                                                     "__doc__": f"torch.{name}, elementwise."})
    register(name, op)
    return op


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


Sin = _unary("sin", np.sin, lambda a, out: np.cos(a))
Cos = _unary("cos", np.cos, lambda a, out: -np.sin(a))
Tan = _unary("tan", np.tan, lambda a, out: 1 + out * out)
Asin = _unary("asin", np.arcsin, lambda a, out: 1 / np.sqrt(1 - a * a))
Acos = _unary("acos", np.arccos, lambda a, out: -1 / np.sqrt(1 - a * a))
Atan = _unary("atan", np.arctan, lambda a, out: 1 / (1 + a * a))
Sinh = _unary("sinh", np.sinh, lambda a, out: np.cosh(a))
Cosh = _unary("cosh", np.cosh, lambda a, out: np.sinh(a))
Asinh = _unary("asinh", np.arcsinh, lambda a, out: 1 / np.sqrt(a * a + 1))
Acosh = _unary("acosh", np.arccosh, lambda a, out: 1 / np.sqrt(a * a - 1))
Atanh = _unary("atanh", np.arctanh, lambda a, out: 1 / (1 - a * a))
Exp2 = _unary("exp2", np.exp2, lambda a, out: out * a.dtype.type(math.log(2)))
Expm1 = _unary("expm1", np.expm1, lambda a, out: out + 1)
Log2 = _unary("log2", np.log2, lambda a, out: 1 / (a * a.dtype.type(math.log(2))))
Log10 = _unary("log10", np.log10, lambda a, out: 1 / (a * a.dtype.type(math.log(10))))
Log1p = _unary("log1p", np.log1p, lambda a, out: 1 / (a + 1))
Rsqrt = _unary("rsqrt", lambda a: 1 / np.sqrt(a), lambda a, out: -0.5 * out * out * out)
Erf = _unary("erf", erf, lambda a, out: a.dtype.type(_TWO_OVER_SQRT_PI) * np.exp(-a * a))
Frac = _unary("frac", lambda a: a - np.trunc(a), lambda a, out: np.ones_like(a))
for _alias, _op in (("arcsin", Asin), ("arccos", Acos), ("arctan", Atan), ("arcsinh", Asinh),
                    ("arccosh", Acosh), ("arctanh", Atanh)):
    register(_alias, _op)
del _alias, _op


class Logit(Function):
    """log(p / (1 - p)); with ``eps`` the input is clamped to [eps, 1 - eps] and the gradient is zero outside."""

    def forward(ctx, a, eps=None):
        a = _floating(a)
        ctx.eps = eps
        ctx.save_for_backward(a)
        z = a if eps is None else np.clip(a, eps, 1 - eps)
        with np.errstate(all="ignore"):
            return np.log(z / (1 - z))

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        with np.errstate(all="ignore"):
            g = grad / (a * (1 - a))
        if ctx.eps is not None:
            g = np.where((a < ctx.eps) | (a > 1 - ctx.eps), 0, g)
        return g


register("logit", Logit)


class _Rounding(Function):
    """floor/ceil/trunc/round: integer tensors come back unchanged; the gradient is zero (as torch)."""

    def forward(ctx, a, **kwargs):
        return a.copy() if a.dtype.kind in "biu" else type(ctx).f(a, **kwargs)

    def backward(ctx, grad):
        return np.zeros_like(grad)


class Floor(_Rounding):
    f = staticmethod(np.floor)


class Ceil(_Rounding):
    f = staticmethod(np.ceil)


class Trunc(_Rounding):
    f = staticmethod(np.trunc)


class Round(_Rounding):
    """Half to even, as torch; ``decimals`` as torch.round's."""

    @staticmethod
    def f(a, decimals=0):
        return np.round(a, decimals)


register("floor", Floor)
register("ceil", Ceil)
register("trunc", Trunc)
register("fix", Trunc)
register("round", method=lambda self, *, decimals=0: Round.apply(self, decimals=decimals))


# --- binary ----------------------------------------------------------------------------------------------
class Atan2(Function):
    def forward(ctx, a, b):
        a, b = _floating(a), _floating(b)
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(all="ignore"):
            g = grad / (a * a + b * b)
        return (unbroadcast(g * b, np.shape(a)) if need_a else None,
                unbroadcast(-g * a, np.shape(b)) if need_b else None)


class _Modulo(Function):
    """fmod (C's, sign of the dividend) and remainder (Python's, sign of the divisor):
    d/da = 1, d/db = -rounded(a / b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            return type(ctx).f(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:
            with np.errstate(all="ignore"):
                grad_b = unbroadcast(-grad * type(ctx).rounded(np.divide(a, b)), np.shape(b))
        return (unbroadcast(grad, np.shape(a)) if need_a else None), grad_b


class Fmod(_Modulo):
    f, rounded = staticmethod(np.fmod), staticmethod(np.trunc)


class Remainder(_Modulo):
    f, rounded = staticmethod(np.mod), staticmethod(np.floor)


class Lerp(Function):
    """start + weight * (end - start)."""

    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        return start + weight * (end - start)

    def backward(ctx, grad):
        start, end, weight = ctx.saved_tensors
        need_s, need_e, need_w = ctx.needs_input_grad
        return (unbroadcast(grad * (1 - weight), np.shape(start)) if need_s else None,
                unbroadcast(grad * weight, np.shape(end)) if need_e else None,
                unbroadcast(grad * (end - start), np.shape(weight)) if need_w else None)


def _check_tensor(other, op: str):
    if not isinstance(other, Function.tensor_type):
        raise TypeError(f"{op}(): argument 'other' must be Tensor, not {type(other).__name__}")
    return other


register("atan2", method=lambda self, other: Atan2.apply(self, _check_tensor(other, "atan2")))
register("arctan2", method=lambda self, other: Atan2.apply(self, _check_tensor(other, "arctan2")))
register("fmod", Fmod)
register("remainder", Remainder)
register("__mod__", Remainder, toplevel=False)
register("__rmod__", method=lambda self, other: Remainder.apply(other, self), toplevel=False)
register("lerp", Lerp)


def floor_divide(self, other):
    """Rounds toward minus infinity, as torch's floor_divide and ``//`` (no gradient)."""
    with np.errstate(all="ignore"):
        return self._wrap(np.asarray(np.floor_divide(self._data, array_of(other))))


register("floor_divide", method=floor_divide)
register("__floordiv__", method=floor_divide, toplevel=False)
register("__rfloordiv__", method=lambda self, other: floor_divide(Function.tensor_type(other), self),
         toplevel=False)


# --- activations that torch.nn has as modules (registered with activation=True) ----------------------------
class Celu(Function):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def forward(ctx, a, alpha=1.0):
        if alpha == 0:
            raise RuntimeError("celu(): ZeroDivisionError: alpha cannot be 0")
        ctx.alpha = alpha
        with np.errstate(over="ignore"):
            e = np.exp(np.minimum(a, 0) / a.dtype.type(alpha))
        ctx.save_for_backward(a, e)
        return np.where(a > 0, a, a.dtype.type(alpha) * (e - 1))

    def backward(ctx, grad):
        a, _ = ctx.saved_tensors
        # torch's gradient scales by 1 / float32(alpha) (its derivative formula rounds alpha to float);
        # done the same here, so float64 gradients agree to the last bit
        inv = 1.0 / float(np.float32(ctx.alpha))
        with np.errstate(over="ignore"):
            local = (inv * ctx.alpha) * np.exp(np.minimum(a, 0) * a.dtype.type(inv))
        return grad * np.where(a > 0, 1, local)


class Mish(Function):
    """x * tanh(softplus(x))."""

    def forward(ctx, a):
        t = np.tanh(np.logaddexp(0, a))
        ctx.save_for_backward(a, t)
        return a * t

    def backward(ctx, grad):
        a, t = ctx.saved_tensors
        sig = np.exp(-np.logaddexp(0, -a))
        return grad * (t + a * sig * (1 - t * t))


class Hardtanh(Function):
    """Clamped to [min_val, max_val]; the gradient passes strictly inside (as torch)."""

    def forward(ctx, a, min_val=-1.0, max_val=1.0):
        if min_val > max_val:
            raise ValueError("hardtanh(): min_val cannot be greater than max_val")
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = min_val, max_val
        return np.clip(a, min_val, max_val)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return np.where((a > ctx.lo) & (a < ctx.hi), grad, np.zeros((), grad.dtype))


class Hardswish(Function):
    """x * relu6(x + 3) / 6."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * np.clip(a + 3, 0, 6) / 6

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * np.where(a < -3, 0, np.where(a <= 3, a / 3 + 0.5, 1)).astype(grad.dtype, copy=False)


class Hardsigmoid(Function):
    """relu6(x + 3) / 6."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.clip(a + 3, 0, 6) / 6

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # torch's kernel multiplies by the float32 constant 1/6, also in float64: the same here
        return np.where((a > -3) & (a < 3), grad * grad.dtype.type(np.float32(1 / 6)), np.zeros((), grad.dtype))


class Softsign(Function):
    fresh_grads = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a / (1 + np.abs(a))

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        d = 1 + np.abs(a)
        return grad / (d * d)


class PReLU(Function):
    """x where x >= 0, weight * x elsewhere; weight has one element or one per channel (dim 1)."""

    def forward(ctx, a, w):
        ctx.shape = w.shape
        wb = w.reshape((1, -1) + (1,) * (a.ndim - 2)) if w.size > 1 and a.ndim >= 2 else w.reshape(())
        ctx.save_for_backward(a, wb)
        return np.where(a > 0, a, wb * a)

    def backward(ctx, grad):
        a, wb = ctx.saved_tensors
        need_a, need_w = ctx.needs_input_grad
        neg = a <= 0
        grad_a = grad * np.where(neg, wb, 1) if need_a else None
        grad_w = None
        if need_w:
            gw = np.where(neg, grad * a, 0)
            grad_w = (unbroadcast(gw, wb.shape) if wb.ndim else gw.sum()).reshape(ctx.shape)
        return grad_a, grad_w


def _relu6(self, inplace=False):
    return Hardtanh.apply(self, min_val=0.0, max_val=6.0)


def _prelu(self, weight):
    w = weight._data if isinstance(weight, Function.tensor_type) else np.asarray(weight)
    channels = self.shape[1] if self.ndim >= 2 else 1
    if w.size != 1 and w.size != channels:
        raise RuntimeError(f"prelu(): mismatch of parameter numbers and input channel size: weight has {w.size} "
                           f"elements, the input has {channels} channels")
    return PReLU.apply(self, weight)


register("celu", method=lambda self, alpha=1.0, inplace=False: Celu.apply(self, alpha=alpha), functional=True,
         activation=True)
register("mish", method=lambda self, inplace=False: Mish.apply(self), functional=True, activation=True)
register("hardtanh", method=lambda self, min_val=-1.0, max_val=1.0, inplace=False: Hardtanh.apply(
    self, min_val=min_val, max_val=max_val), functional=True, activation=True)
register("relu6", method=_relu6, functional=True, activation=True)
register("hardswish", method=lambda self, inplace=False: Hardswish.apply(self), functional=True, activation=True)
register("hardsigmoid", method=lambda self, inplace=False: Hardsigmoid.apply(self), functional=True,
         activation=True)
register("softsign", Softsign, functional=True, activation=True)
register("prelu", method=_prelu, functional=True)
