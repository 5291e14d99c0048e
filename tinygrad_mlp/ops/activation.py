"""Activation functions, each one numerically stable op (no overflow for |x| up to 1e4)."""

from __future__ import annotations

import math

import numpy as np

from ..args import dims
from ..function import Function
from ..promotion import float_only, to_float
from ..registry import register


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: only e^-|x| (<= 1) is ever computed."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class ReLU(Function):
    torch_name = "ReluBackward0"
    fresh_grads = True
    may_overwrite_grad = True  # backward masks its incoming gradient in place when the walk owns it

    def forward(ctx, a):
        if a.dtype.kind == "b":
            raise RuntimeError("relu: Boolean inputs not supported for relu (as torch)")
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        mask = ctx.saved_tensors[0] > 0  # 0 at x == 0, as torch
        return np.multiply(grad, mask, out=grad) if ctx.owns_grad else grad * mask


class LeakyReLU(Function):
    torch_name = "LeakyReluBackward0"
    def forward(ctx, a, negative_slope=0.01):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return np.where(a > 0, a, a * negative_slope)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return np.where(a > 0, grad, grad * ctx.slope)


class ELU(Function):
    def forward(ctx, a, alpha=1.0, scale=1.0):
        a = float_only(a, "elu")
        neg = np.expm1(np.minimum(a, 0))  # the clamp keeps expm1 from overflowing on the unused side
        ctx.save_for_backward(a, neg)
        ctx.alpha, ctx.scale = alpha, scale
        return scale * np.where(a > 0, a, alpha * neg)

    def backward(ctx, grad):
        a, neg = ctx.saved_tensors
        return grad * ctx.scale * np.where(a > 0, 1, ctx.alpha * (neg + 1))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class SELU(ELU):
    def forward(ctx, a):
        return ELU.forward(ctx, a, alpha=SELU_ALPHA, scale=SELU_SCALE)


class Sigmoid(Function):
    def forward(ctx, a):
        a = to_float(a)
        out = stable_sigmoid(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Tanh(Function):
    def forward(ctx, a):
        a = to_float(a)
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class Softplus(Function):
    """log(1 + e^(beta x)) / beta, linear above ``threshold`` (as torch)."""

    def forward(ctx, a, beta=1.0, threshold=20.0):
        a = float_only(a, "softplus")
        z = a * beta
        ctx.save_for_backward(z)
        ctx.threshold = threshold
        smooth = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(z > threshold, a, smooth)

    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return np.where(z > ctx.threshold, grad, grad * stable_sigmoid(z))


_erf = np.frompyfunc(math.erf, 1, 1)
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
INV_SQRT_2 = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, by the C library's erf (numpy has none)."""
    return _erf(x).astype(x.dtype) if x.ndim else np.asarray(math.erf(x), dtype=x.dtype)


class GELU(Function):
    """x * Phi(x): exact (erf) by default, or the tanh approximation."""
    torch_name = "GeluBackward0"

    def forward(ctx, a, approximate="none"):
        a = float_only(a, "gelu")
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)
            t = np.tanh(inner)
            ctx.save_for_backward(a, t)
            return 0.5 * a * (1 + t)
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        cdf = 0.5 * (1 + erf(a * INV_SQRT_2))
        ctx.save_for_backward(a, cdf)
        return a * cdf

    def backward(ctx, grad):
        a, saved = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = saved
            d_inner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner)
        pdf = INV_SQRT_2PI * np.exp(-0.5 * a * a)
        return grad * (saved + a * pdf)


class SiLU(Function):
    """x * sigmoid(x) (also called swish)."""

    def forward(ctx, a):
        a = float_only(a, "silu")
        s = stable_sigmoid(a)
        ctx.save_for_backward(a, s)
        return a * s

    def backward(ctx, grad):
        a, s = ctx.saved_tensors
        return grad * s * (1 + a * (1 - s))


class Softmax(Function):
    def forward(ctx, a, dim):
        a = float_only(a, "softmax")
        e = np.exp(a - a.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return out * (grad - (grad * out).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    def forward(ctx, a, dim):
        a = float_only(a, "log_softmax")
        shifted = a - a.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad - np.exp(out) * grad.sum(axis=ctx.dim, keepdims=True)


class Heaviside(Function):
    """Step function (1 for x > 0, 0 for x < 0, ``value`` at 0). Forward only: its gradient is
    zero everywhere, so nothing below it learns (that is why MLPs use smooth activations)."""

    def forward(ctx, a, value=0.0):
        return np.heaviside(a, value).astype(a.dtype)

    def backward(ctx, grad):
        return np.zeros_like(grad)


# --- where each op becomes x.name(...), tg.name(...), F.name(...) --------------------------------------
def _along(op: type, name: str):
    def method(self, dim: int = -1):
        return op.apply(self, dim=dims(dim, self.ndim, name)[0])

    method.__name__ = name
    return method


for _name, _op in (("relu", ReLU), ("sigmoid", Sigmoid), ("tanh", Tanh), ("leaky_relu", LeakyReLU), ("elu", ELU),
                   ("selu", SELU), ("softplus", Softplus), ("gelu", GELU), ("silu", SiLU)):
    register(_name, _op, functional=True, activation=True)
register("heaviside", Heaviside, functional=True)
register("softmax", method=_along(Softmax, "softmax"), functional=True)
register("log_softmax", method=_along(LogSoftmax, "log_softmax"), functional=True)
