"""Weight initialisers, in place on a tensor, drawing from the package generator (torch.nn.init).

>>> import tinygrad_mlp as tg
>>> w = tg.nn.Parameter(tg.empty(256, 784))
>>> _ = tg.nn.init.kaiming_normal_(w, nonlinearity="relu")
>>> round(float(w.detach().numpy().std()), 2)  # sqrt(2 / 784)
0.05
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import rng
from ..state import modify_in_place
from ..tensor import Tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation (torch's table)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "identity"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; valid: "
        + ", ".join(linear_fns + ["sigmoid", "tanh", "relu", "leaky_relu", "selu"])
    )


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write values into the tensor in place (never recorded), marking it as changed."""
    (data,) = modify_in_place(tensor)
    np.copyto(data, values, casting="unsafe")
    return tensor


def _fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
            f"(shape {tuple(tensor.shape)})"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported, use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    return _fill(tensor, rng.uniform(a, b, tensor.shape, tensor.dtype, generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    return _fill(tensor, rng.normal(mean, std, tensor.shape, tensor.dtype, generator))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Any = None) -> Tensor:
    """Normal(mean, std) restricted to [a, b], drawn as torch draws it."""
    return _fill(tensor, rng.trunc_normal(tensor.shape, mean, std, a, b, tensor.dtype, generator))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.ndim != 2:
        raise ValueError("eye_: only 2-D tensors are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _fan_in_and_fan_out(tensor)  # (checks the shape)
    return _fill(tensor, rng.xavier_uniform(tensor.shape, gain, tensor.dtype, generator))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    _fan_in_and_fan_out(tensor)
    return _fill(tensor, rng.xavier_normal(tensor.shape, gain, tensor.dtype, generator))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:
    """He: U(-b, b) with b = gain * sqrt(3 / fan)."""
    _fan(tensor, mode)  # (checks the mode and shape)
    return _fill(tensor, rng.kaiming_uniform(tensor.shape, a, mode, nonlinearity, tensor.dtype, generator))


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:
    """He: N(0, std²) with std = gain / sqrt(fan)."""
    _fan(tensor, mode)
    return _fill(tensor, rng.kaiming_normal(tensor.shape, a, mode, nonlinearity, tensor.dtype, generator))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw."""
    if tensor.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng.normal(0.0, 1.0, (rows, cols), tensor.dtype, generator).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# torch's deprecated spellings without the trailing underscore
uniform, normal, constant = uniform_, normal_, constant_
xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal = (
    xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_)
