"""More of torch.nn's activations and normalisations: Softmin, Tanhshrink, GLU, LogSigmoid, Hardshrink,
Softshrink, Threshold, RReLU, GroupNorm and RMSNorm, and their ``F.`` forms (with ``F.layer_norm`` and
``F.batch_norm``), registered into ``tinygrad_mlp.functional``.

Every function is built from existing differentiable tensor ops (masks are plain arrays), so the gradients
come from the engine. ``F.rrelu`` in training draws its slopes from the package's torch stream: one float64
uniform per element that is <= 0, in order, as torch's CPU kernel does (same seed, same slopes).

>>> import tinygrad_mlp as tg
>>> F = tg.nn.functional
>>> F.softshrink(tg.tensor([-2.0, 0.25, 1.5]), 0.5)
tensor([-1.5000,  0.0000,  1.0000])
>>> tg.nn.GroupNorm(2, 4)
GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import rng
from ..args import array_of, as_tensor, dims
from ..dtypes import torch_name
from ..ops.elementwise import where
from ..promotion import float_only
from ..registry import register
from ..state import default_dtype, modify_in_place
from ..tensor import Tensor
from .module import Module, Parameter

# --- helpers -----------------------------------------------------------------------------------------------


def _arr(x: Tensor) -> np.ndarray:
    return array_of(x)


def _scalar_as(value: float, dt: np.dtype, op: str) -> Any:
    """A Python number as a scalar of the tensor's dtype (integers truncated, as torch converts scalars)."""
    if dt.kind == "f":
        return dt.type(value)
    v = math.trunc(value)
    info = np.iinfo(dt)
    if not info.min <= v <= info.max:
        raise RuntimeError(f"{op}: value cannot be converted to type {dt.name}_t without overflow")
    return dt.type(v)


def _write_back(input: Tensor, op: str, compute: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    """``input`` becomes ``compute(input)`` in place, as the package's other in-place ops: recorded when it is
    in the graph, refused on a leaf that requires grad (under grad mode), else written into its array."""
    if input._records(op):
        return input._rebind(op, compute)
    result = compute(input)  # out of place first: an op that fails changes nothing
    dst = input._inplace(op)
    np.copyto(dst, np.broadcast_to(_arr(result), dst.shape), casting="unsafe")
    modify_in_place(input)
    return input


def _check_float(x: Tensor, op: str) -> np.ndarray:
    return float_only(_arr(x), op)


# --- activations ---------------------------------------------------------------------------------------------


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax(-input) along ``dim``; ``dtype`` converts the input first. Without ``dim`` the implicit choice of
    softmax is made (0 for 0-, 1- and 3-d inputs, else 1), with torch's deprecation warning."""
    x = as_tensor(input)
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=_stacklevel)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if dtype is not None:
        x = x.to(dtype)
    return (-x).softmax(dim)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """input - tanh(input)."""
    x = as_tensor(input)
    return x - x.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """The gated linear unit: the first half of ``dim`` times the sigmoid of the second half."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    (d,) = dims(dim, x.ndim, "glu")
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    _check_float(x, "glu_cpu")
    half = n // 2
    return x.narrow(d, 0, half) * x.narrow(d, half, half).sigmoid()


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(input)) computed stably as -softplus(-input)."""
    x = as_tensor(input)
    _check_float(x, "log_sigmoid_cpu")
    return -(-x).softplus(1.0, math.inf)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """input where |input| > lambd, else 0 (NaN passes through)."""
    x = as_tensor(input)
    a = _check_float(x, "hardshrink_cpu")
    lam = a.dtype.type(lambd)
    inside = (a >= -lam) & (a <= lam)
    return where(Tensor(inside), a.dtype.type(0), x)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """input - lambd above lambd, input + lambd below -lambd, 0 between (lambd must be >= 0)."""
    x = as_tensor(input)
    a = _check_float(x, "softshrink_check")
    top = float(np.finfo(a.dtype).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {torch_name(a.dtype)}, "
                           f"but found {lambd:g}")
    lam = a.dtype.type(lambd)
    inside = Tensor((a >= -lam) & (a <= lam))
    shrunk = where(Tensor(a > lam), x - lam, x + lam)
    return where(inside, Tensor(np.copysign(np.zeros_like(a), a)), shrunk)  # (torch's signed zero: x * 0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """``value`` where input <= threshold, else input (both numbers converted to the input's dtype)."""
    x = as_tensor(input)
    if inplace:
        return _write_back(x, "threshold_", lambda s: threshold_out(s, threshold, value))
    return threshold_out(x, threshold, value)


def threshold_out(x: Tensor, threshold: float, value: float) -> Tensor:
    a = _arr(x)
    if a.dtype.kind not in "iuf":
        raise NotImplementedError(f"\"threshold_cpu\" not implemented for '{torch_name(a.dtype)}'")
    th = _scalar_as(threshold, a.dtype, "threshold")
    val = _scalar_as(value, a.dtype, "threshold")
    return where(Tensor(a <= th), val, x)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """`threshold` in place."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training each element <= 0 is scaled by a slope drawn uniformly from
    [lower, upper) (torch's stream); in eval by the mean slope (lower + upper) / 2."""
    x = as_tensor(input)
    if inplace:
        return _write_back(x, "rrelu_", lambda s: _rrelu(s, lower, upper, training, None))
    return _rrelu(x, lower, upper, training, None)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    """`rrelu` in place."""
    return rrelu(input, lower, upper, training, inplace=True)


def _rrelu_toplevel(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
                    generator: Any = None) -> Tensor:
    """``tg.rrelu`` (torch.rrelu's signature: a ``generator`` instead of ``inplace``)."""
    return _rrelu(as_tensor(input), lower, upper, training, generator)


def _rrelu(x: Tensor, lower: float, upper: float, training: bool, generator: Any) -> Tensor:
    if not lower <= upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    a = _arr(x)
    if not training:
        _check_float(x, "leaky_relu_cpu")
        return x.leaky_relu((float(lower) + float(upper)) / 2)
    if a.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{torch_name(a.dtype)}'")
    return x * Tensor(rrelu_noise(a, lower, upper, generator))


def rrelu_noise(a: np.ndarray, lower: float, upper: float, generator: Any = None) -> np.ndarray:
    """The slopes of ``F.rrelu(a, lower, upper, training=True)``: 1 where a > 0 (or NaN); where a <= 0, in
    order, ``u * (upper - lower) + lower`` from one float64 uniform ``u`` each (torch's
    uniform_real_distribution<double>, bounds first rounded to the input's dtype), rounded to the dtype."""
    dt = a.dtype
    hit = a <= 0
    u = rng._unit(rng._gen(generator), int(np.count_nonzero(hit)), np.dtype(np.float64))
    lo, hi = float(dt.type(lower)), float(dt.type(upper))
    noise = np.ones(a.shape, dtype=dt)
    noise[hit] = (u * (hi - lo) + lo).astype(dt)
    return noise


# --- normalisation -------------------------------------------------------------------------------------------


def _shape_arg(normalized_shape: Any, op: str) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)) or not hasattr(normalized_shape, "__iter__"):
        raise TypeError(f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(int(n) for n in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    return shape


def _check_normalized(x: Tensor, shape: tuple, params: dict, sep: str) -> tuple:
    k = len(shape)
    if x.ndim < k or tuple(x.shape[-k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*{sep}"
                           f"{', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    for name, p in params.items():
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(shape)}")
    return tuple(range(x.ndim - k, x.ndim))


def _same_dtype(x: Tensor, *others: Tensor | None) -> None:
    dt = _arr(x).dtype
    if any(o is not None and _arr(o).dtype != dt for o in others):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _optional(t: Any) -> Tensor | None:
    return None if t is None else as_tensor(t)


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple | None = None) -> Tensor:
    if weight is not None:
        out = out * (weight if shape is None else weight.reshape(shape))
    if bias is not None:
        out = out + (bias if shape is None else bias.reshape(shape))
    return out


def layer_norm(input: Tensor, normalized_shape: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """(input - mean) / sqrt(var + eps) over the last dims (``normalized_shape``), then * weight + bias."""
    x = as_tensor(input)
    shape = _shape_arg(normalized_shape, "layer_norm")
    weight, bias = _optional(weight), _optional(bias)
    red = _check_normalized(x, shape, {"weight": weight, "bias": bias}, ", ")
    _check_float(x, "LayerNormKernelImpl")
    _same_dtype(x, weight, bias)
    mean = x.mean(dim=red, keepdim=True)
    var = x.var(dim=red, keepdim=True, correction=0)
    return _affine((x - mean) * (var + eps).rsqrt(), weight, bias)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Any = None, eps: float | None = None) -> Tensor:  # noqa: A002
    """input / sqrt(mean(input²) + eps) over the last dims, then * weight; ``eps=None`` is the machine epsilon
    of the input's dtype (of float32 for smaller floats). The result keeps the input's dtype."""
    x = as_tensor(input)
    shape = _shape_arg(normalized_shape, "rms_norm")
    weight = _optional(weight)
    red = _check_normalized(x, shape, {"weight": weight}, "")
    dt = _check_float(x, "rms_norm").dtype
    if eps is None:
        eps = float(np.finfo(dt if dt.itemsize >= 4 else np.float32).eps)
    out = x * ((x * x).mean(dim=red, keepdim=True) + eps).rsqrt()
    if weight is not None:
        if _arr(weight).dtype != dt:
            warnings.warn(f"Mismatch dtype between input and weight: input dtype = {dt}, weight dtype = "
                          f"{_arr(weight).dtype}, Cannot dispatch to fused implementation.", UserWarning,
                          stacklevel=2)
        out = out * weight
        if _arr(out).dtype != dt:
            out = out.to(dt)
    return out


def group_norm(input: Tensor, num_groups: int, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Normalise each of ``num_groups`` groups of channels (dim 1) of each sample over the group's channels and
    positions, then scale and shift per channel."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[0], x.shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + list(x.shape[2:]))
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    weight, bias = _optional(weight), _optional(bias)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.shape[0] != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(x.shape)}")
    _check_float(x, "GroupNormKernelImpl")
    _same_dtype(x, weight, bias)
    groups = x.reshape(n, num_groups, -1)
    mean = groups.mean(dim=2, keepdim=True)
    var = groups.var(dim=2, keepdim=True, correction=0)
    out = ((groups - mean) * (var + eps).rsqrt()).reshape(tuple(x.shape))
    return _affine(out, weight, bias, (1, c) + (1,) * (x.ndim - 2))


def _verify_batch_size(size: list) -> None:
    if math.prod([size[0]] + list(size[2:])) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Any = None, bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and the positions. In training: by the batch's mean and
    biased variance, and the running statistics (when given) are updated in place, without recording:
    ``r = (1 - momentum) * r + momentum * s`` with the batch's mean and unbiased variance. In eval: by the
    running statistics."""
    x = as_tensor(input)
    if training:
        if x.ndim == 0:
            raise IndexError("tuple index out of range")
        _verify_batch_size(list(x.shape))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if momentum is None or not isinstance(momentum, (int, float, np.number)):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training:
        for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
            if stat is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    weight, bias = _optional(weight), _optional(bias)
    params = {"weight": weight, "bias": bias, "running_mean": running_mean, "running_var": running_var}
    if x.ndim < 2 and all(p is None for p in params.values()):
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(x.ndim, 1)}, "
                         f"{max(x.ndim, 1) - 1}], but got 1)")
    c = x.shape[1] if x.ndim >= 2 else 0
    for name, p in params.items():
        if p is not None and p.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {p.numel()}")
    _check_float(x, "batch_norm")
    _same_dtype(x, *params.values())
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        red = (0,) + tuple(range(2, x.ndim))
        mean = x.mean(dim=red, keepdim=True)
        var = x.var(dim=red, keepdim=True, correction=0)
        if running_mean is not None:
            _update_running(_arr(x), red, running_mean, running_var, float(momentum))
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return _affine((x - mean) * (var + eps).rsqrt(), weight, bias, shape)


def _update_running(a: np.ndarray, red: tuple, running_mean: Tensor, running_var: Tensor, momentum: float) -> None:
    """The running statistics' update, in float64 as torch's CPU kernel accumulates, stored in their dtype."""
    a64 = a.astype(np.float64)
    n = a.size // a.shape[1]
    mean = a64.mean(axis=red)
    dev = a64 - mean.reshape((1, -1) + (1,) * (a.ndim - 2))
    unbiased = (dev * dev).sum(axis=red) / (n - 1)
    rm, rv = modify_in_place(running_mean, running_var)
    rm[...] = (momentum * mean + (1 - momentum) * rm.reshape(-1).astype(np.float64)).reshape(rm.shape)
    rv[...] = (momentum * unbiased + (1 - momentum) * rv.reshape(-1).astype(np.float64)).reshape(rv.shape)


for _fn in (softmin, tanhshrink, glu, logsigmoid, softshrink, layer_norm, group_norm, batch_norm):
    register(_fn.__name__, function=_fn, tensor_method=False, toplevel=False, functional=True)
for _fn in (threshold, threshold_, rms_norm, rrelu_):  # also tg.<name>, as torch.<name>
    register(_fn.__name__, function=_fn, tensor_method=False, functional=True)
register("rrelu", function=rrelu, tensor_method=False, toplevel=False, functional=True)
register("rrelu", function=_rrelu_toplevel, tensor_method=False, functional=False)


def _hardshrink_method(self: Tensor, lambd: float = 0.5) -> Tensor:
    return hardshrink(self, lambd)


_hardshrink_method.__name__ = _hardshrink_method.__qualname__ = "hardshrink"
_hardshrink_method.__doc__ = hardshrink.__doc__
register("hardshrink", method=_hardshrink_method, function=hardshrink, functional=True)  # x., tg., F. as torch
del _fn


# --- modules ---------------------------------------------------------------------------------------------------


class Softmin(Module):
    """softmax(-x) along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return tanhshrink(input)


class LogSigmoid(Module):
    """log(sigmoid(x))."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return logsigmoid(input)


class GLU(Module):
    """First half of ``dim`` times the sigmoid of the second half."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x ∓ lambd outside [-lambd, lambd], 0 inside."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return softshrink(input, self.lambd)


class Threshold(Module):
    """``value`` where x <= threshold, else x."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """Randomized leaky ReLU: slopes drawn from U[lower, upper) in training, their mean in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class GroupNorm(Module):
    """Group normalisation of (N, C, *) inputs; per-channel weight (ones) and bias (zeros) when ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dt = dtype or default_dtype()
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dt))
            if bias:
                self.bias = Parameter(np.zeros(num_channels, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data = np.ones(self.num_channels, dtype=self.weight.dtype)
        if self.bias is not None:
            self.bias.data = np.zeros(self.num_channels, dtype=self.bias.dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims (``normalized_shape``), with a weight (ones) when
    ``elementwise_affine``; ``eps=None`` is the machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape: Any, eps: float | None = None, elementwise_affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype or default_dtype()))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data = np.ones(self.normalized_shape, dtype=self.weight.dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

